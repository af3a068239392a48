// http templates: the request is made beside the workflow (by the agent the
// controller starts); the engine reads the agent's report and decides as
// Argo's agent does: the result is the body, and the node succeeds on a 2xx
// status, or when `successCondition` holds over `request` and `response`.
#include <cctype>

#include "engine/internal.h"

namespace skiff::engine {

namespace {

// Go's http.Header: names canonical, each with a list of values.
Json header_map(const Json& headers) {
  Json out = Json::object();
  if (!headers.is_array()) return out;
  for (const auto& h : headers) {
    std::string name = string_field(h, "name");
    bool upper = true;
    for (char& c : name) {
      c = upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      upper = c == '-';
    }
    out[name].push_back(string_field(h, "value"));
  }
  return out;
}

}  // namespace

void Engine::Impl::finish_http(Node& node, const Json& tmpl, const Event& event) {
  if (!event.error.empty()) {
    set_phase(node, Phase::kError, event.error);
    return;
  }
  if (event.killed && terminating) {
    set_phase(node, Phase::kFailed, shutdown_node_message);
    return;
  }
  const Json report = Json::parse(event.result, nullptr, false);
  if (!report.is_object()) {
    set_phase(node, Phase::kError, "the HTTP agent gave no report");
    return;
  }
  if (report.contains("error")) {
    set_phase(node, Phase::kFailed, string_field(report, "error"));
    return;
  }
  const Json& http = tmpl["http"];
  const std::string body = string_field(report, "body");
  const long long status_code = report.value("statusCode", 0LL);
  node.outputs = Json{{"result", body}};

  const std::string condition = string_field(http, "successCondition");
  if (condition.empty()) {
    if (status_code < 200 || status_code >= 300) {
      set_phase(node, Phase::kFailed, "received non-2xx response code: " + std::to_string(status_code));
    } else {
      set_phase(node, Phase::kSucceeded);
    }
    return;
  }
  Json env = {
      {"request",
       {{"method", string_field(http, "method")},
        {"url", string_field(http, "url")},
        {"body", string_field(http, "body")},
        {"headers", header_map(http.value("headers", Json::array()))}}},
      {"response",
       {{"statusCode", status_code}, {"body", body}, {"headers", report.value("headers", Json::object())}}},
  };
  auto verdict = expr::evaluate_expression(condition, env);
  if (!verdict) {
    set_phase(node, Phase::kFailed, verdict.status().message());
  } else if (!verdict->is_boolean()) {
    set_phase(node, Phase::kFailed, "unable to cast expression result to bool: " + verdict->dump());
  } else if (!verdict->get<bool>()) {
    set_phase(node, Phase::kFailed, "successCondition '" + condition + "' evaluated false");
  } else {
    set_phase(node, Phase::kSucceeded);
  }
}

}  // namespace skiff::engine
