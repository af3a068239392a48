// /metrics: what Argo's workflow controller serves to Prometheus — the
// custom metrics of the workflows run here, and the controller's own gauge
// of workflows by phase.
#include <map>

#include "server/api.h"

namespace skiff::server {

namespace {

Response metrics(Context& ctx, const Request& request) {
  // The metrics span every namespace.
  if (request.namespaces) {
    return error_response(Status(Code::kPermissionDenied, "/metrics covers every namespace: the token must allow '*'"));
  }
  // Every phase is reported, as the controller does, even when none is in it.
  std::map<std::string, int64_t> by_phase = {{"Pending", 0}, {"Running", 0}, {"Succeeded", 0}, {"Failed", 0}, {"Error", 0}};
  store::WorkflowQuery query;
  query.with_manifest = false;
  auto page = ctx.store.list_workflows(query);
  if (!page) return error_response(page.status());
  for (const auto& record : page->items) ++by_phase[record.phase.empty() ? "Pending" : record.phase];
  std::string text = ctx.service.metrics_text();
  text += "# HELP argo_workflows_gauge Number of workflows currently accessible by the controller, by phase\n";
  text += "# TYPE argo_workflows_gauge gauge\n";
  for (const auto& [phase, count] : by_phase) {
    text += "argo_workflows_gauge{phase=\"" + phase + "\"} " + std::to_string(count) + "\n";
  }
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = std::move(text);
  return response;
}

}  // namespace

void add_metrics_routes(Router& router) { router.add("GET", "/metrics", metrics); }

}  // namespace skiff::server
