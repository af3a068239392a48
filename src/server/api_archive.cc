// /api/v1/archived-workflows: Argo's ArchivedWorkflowService — list (label
// selector, name prefix or filter, namespace, limit/continue as an offset,
// as Argo pages its archive), get, delete, label keys and values, resubmit,
// retry.
#include <set>

#include "base/strings.h"
#include "server/api.h"

namespace skiff::server {

namespace {

// What Argo's archive list carries of a workflow: metadata and a status
// summary, no spec and no nodes.
Json summary(const store::ArchivedRecord& record) {
  Json body = record.body.is_object() ? record.body : Json::object();
  Json meta = body.value("metadata", Json::object());
  meta["name"] = record.name;
  meta["namespace"] = record.namespace_;
  meta["uid"] = record.uid;
  meta["labels"] = record.labels;
  Json status = body.value("status", Json::object());
  status.erase("nodes");
  status.erase("storedTemplates");
  status.erase("storedWorkflowTemplateSpec");
  status["phase"] = record.phase;
  return {{"metadata", std::move(meta)}, {"spec", Json::object()}, {"status", std::move(status)}};
}

Json workflow_of(const store::ArchivedRecord& record) {
  Json wf = record.body.is_object() ? record.body : Json::object();
  wf["apiVersion"] = "argoproj.io/v1alpha1";
  wf["kind"] = "Workflow";
  return wf;
}

// The namespace a request may see: `namespace`, else the field selector's
// metadata.namespace; empty means every namespace (refused to a token
// limited to some).
Result<std::string> namespace_of(const Request& request) {
  std::string ns = request.query_value("namespace");
  std::string fields = request.query_value("listOptions.fieldSelector");
  for (const auto& part : split(fields, ',')) {
    std::string term(trim(part));
    if (starts_with(term, "metadata.namespace=")) ns = term.substr(std::string("metadata.namespace=").size());
  }
  if (ns.empty() && request.namespaces) {
    return Status(Code::kPermissionDenied, "the token may not list every namespace");
  }
  if (!ns.empty()) SKIFF_RETURN_IF_ERROR(check_namespace(request, ns));
  return ns;
}

// metadata.name from the field selector with Argo's nameFilter (Exact,
// Prefix, Contains), or the older namePrefix parameter.
std::function<bool(const std::string&)> name_matcher(const Request& request) {
  std::string prefix = request.query_value("namePrefix");
  std::string wanted;
  for (const auto& part : split(request.query_value("listOptions.fieldSelector"), ',')) {
    std::string term(trim(part));
    if (starts_with(term, "metadata.name=")) wanted = term.substr(std::string("metadata.name=").size());
  }
  std::string mode = request.query_value("nameFilter");
  return [prefix, wanted, mode](const std::string& name) {
    if (!prefix.empty() && !starts_with(name, prefix)) return false;
    if (wanted.empty()) return true;
    if (mode == "Prefix") return starts_with(name, wanted);
    if (mode == "Contains") return name.find(wanted) != std::string::npos;
    return name == wanted;
  };
}

Response list(Context& ctx, const Request& request) {
  auto ns = namespace_of(request);
  if (!ns) return error_response(ns.status());
  auto labels = Selector::labels(request.query_value("listOptions.labelSelector"));
  if (!labels) return error_response(labels.status());
  size_t limit = 0;
  std::string token;
  if (Status st = read_paging(request, &limit, &token); !st) return error_response(st);
  size_t offset = 0;
  if (!token.empty()) {
    char* end = nullptr;
    long value = std::strtol(token.c_str(), &end, 10);
    if (*end != '\0' || value < 0) return error_response(invalid_argument("listOptions.continue: expected an offset"));
    offset = static_cast<size_t>(value);
  }
  const Selector& label_selector = *labels;
  auto name_matches = name_matcher(request);
  store::ArchiveQuery query;
  query.namespace_ = *ns;
  query.offset = offset;
  query.limit = limit == 0 ? 0 : limit + 1;  // one more tells whether a next page exists
  query.with_body = true;
  query.filter = [&](const store::ArchivedRecord& r) {
    return name_matches(r.name) && label_selector.matches(r.labels);
  };
  auto found = ctx.store.list_archived(query);
  if (!found) return error_response(found.status());
  Json meta = Json::object();
  if (limit != 0 && found->size() > limit) {
    found->resize(limit);
    meta["continue"] = std::to_string(offset + limit);
  }
  Json items = Json::array();
  for (const auto& record : *found) items.push_back(summary(record));
  Json out = {{"metadata", std::move(meta)}, {"items", std::move(items)}};
  return json_response(project_fields(out, request.query_value("fields")));
}

Result<store::ArchivedRecord> find(Context& ctx, const Request& request) {
  auto record = ctx.store.get_archived(request.param("uid"));
  if (!record) return record.status();
  SKIFF_RETURN_IF_ERROR(check_namespace(request, record->namespace_));
  return record;
}

Response get(Context& ctx, const Request& request) {
  auto record = find(ctx, request);
  if (!record) return error_response(record.status());
  return json_response(project_fields(workflow_of(*record), request.query_value("fields")));
}

Response remove(Context& ctx, const Request& request) {
  auto record = find(ctx, request);
  if (!record) return error_response(record.status());
  if (Status st = ctx.store.delete_archived(record->uid); !st) return error_response(st);
  return json_response(Json::object());
}

// Label keys and values across the archive the caller may see.
Result<std::vector<store::ArchivedRecord>> visible(Context& ctx, const Request& request) {
  store::ArchiveQuery query;
  auto records = ctx.store.list_archived(query);
  if (!records || !request.namespaces) return records;
  std::vector<store::ArchivedRecord> out;
  for (auto& r : *records) {
    if (request.namespaces->count(r.namespace_)) out.push_back(std::move(r));
  }
  return out;
}

Response label_keys(Context& ctx, const Request& request) {
  auto records = visible(ctx, request);
  if (!records) return error_response(records.status());
  std::set<std::string> keys;
  for (const auto& r : *records) {
    for (const auto& [key, value] : r.labels.items()) keys.insert(key);
  }
  return json_response({{"items", Json(std::vector<std::string>(keys.begin(), keys.end()))}});
}

Response label_values(Context& ctx, const Request& request) {
  // Argo names the key through the label selector ("?listOptions.labelSelector=key").
  std::string key(trim(request.query_value("listOptions.labelSelector")));
  if (key.empty()) return error_response(invalid_argument("listOptions.labelSelector: a label key is required"));
  auto records = visible(ctx, request);
  if (!records) return error_response(records.status());
  std::set<std::string> values;
  for (const auto& r : *records) {
    auto it = r.labels.find(key);
    if (it != r.labels.end() && it->is_string()) values.insert(it->get<std::string>());
  }
  return json_response({{"items", Json(std::vector<std::string>(values.begin(), values.end()))}});
}

// PUT …/{uid}/resubmit, Argo's ResubmitArchivedWorkflowRequest: a new
// workflow from the archived one, in its namespace.
Response resubmit(Context& ctx, const Request& request) {
  auto body = parse_body(request);
  if (!body) return error_response(body.status());
  auto record = find(ctx, request);
  if (!record) return error_response(record.status());
  return resubmit_from(ctx, workflow_of(*record), *body);
}

// PUT …/{uid}/retry, Argo's RetryArchivedWorkflowRequest: a workflow that
// is still stored is retried in place with `argo retry`, as Argo answers;
// one that exists only in the archive is created again under its own name
// from its archived status as `argo retry` rewrites it (what succeeded is
// kept, not run again), with the new parameter values.
Response retry(Context& ctx, const Request& request) {
  auto body = parse_body(request);
  if (!body) return error_response(body.status());
  auto parameters = parameter_pairs(*body);
  if (!parameters) return error_response(parameters.status());
  auto record = find(ctx, request);
  if (!record) return error_response(record.status());
  if (ctx.store.get_workflow_by_uid(record->uid) || ctx.store.get_workflow(record->namespace_, record->name)) {
    // Argo's message, placeholder and all.
    return error_response(Status(Code::kAlreadyExists, "Workflow already exists on cluster, use argo retry {name} instead"));
  }
  const Json old = workflow_of(*record);
  const Json old_meta = old.value("metadata", Json::object());
  Json meta = {{"name", record->name}};
  Json labels = old_meta.value("labels", Json::object());
  labels.erase("workflows.argoproj.io/phase");
  labels.erase("workflows.argoproj.io/completed");
  meta["labels"] = labels;
  if (old_meta.contains("annotations")) meta["annotations"] = old_meta["annotations"];
  Json spec = spec_to_run_again(old, *parameters);
  Json status = old.value("status", Json::object());
  Json nodes = status.contains("nodes") ? status["nodes"] : Json::object();
  status.erase("nodes");
  Json carried = {{"from", record->name},
                  {"status", std::move(status)},
                  {"nodes", std::move(nodes)},
                  {"retry", {{"restartSuccessful", body->value("restartSuccessful", false)},
                             {"nodeFieldSelector", body->value("nodeFieldSelector", "")}}}};
  auto created = ctx.service.submit({{"metadata", meta}, {"spec", spec}}, record->namespace_, false, &carried);
  if (!created) return error_response(created.status());
  return json_response(*created);
}

}  // namespace

void add_archive_routes(Router& router) {
  router.add("GET", "/api/v1/archived-workflows", list);
  router.add("GET", "/api/v1/archived-workflows/{uid}", get);
  router.add("DELETE", "/api/v1/archived-workflows/{uid}", remove);
  router.add("PUT", "/api/v1/archived-workflows/{uid}/resubmit", resubmit);
  router.add("PUT", "/api/v1/archived-workflows/{uid}/retry", retry);
  router.add("GET", "/api/v1/archived-workflows-label-keys", label_keys);
  router.add("GET", "/api/v1/archived-workflows-label-values", label_values);
}

}  // namespace skiff::server
