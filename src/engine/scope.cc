// What a step or task can see of the nodes before it, and the outputs that
// steps and DAG templates pass up from their children.
#include "engine/internal.h"

namespace skiff::engine {

void Engine::Impl::add_node_to_scope(expr::Scope& scope, const std::string& prefix, const Node& node) const {
  const Node* source = &node;
  // A Retry node's outputs are those of its last attempt.
  if (node.type == NodeType::kRetry) {
    if (const Node* last = last_attempt(node)) source = last;
  }
  scope[prefix + ".id"] = node.id;
  scope[prefix + ".status"] = to_string(node.phase);
  scope[prefix + ".startedAt"] = format_rfc3339(node.started_at);
  if (node.finished_at) scope[prefix + ".finishedAt"] = format_rfc3339(*node.finished_at);
  if (!node.host_node_name.empty()) scope[prefix + ".hostNodeName"] = node.host_node_name;
  if (!node.pod_ip.empty()) scope[prefix + ".ip"] = node.pod_ip;
  const Json& outputs = source->outputs;
  if (!outputs.is_object()) return;
  if (auto r = outputs.find("result"); r != outputs.end() && r->is_string()) {
    scope[prefix + ".outputs.result"] = r->get<std::string>();
  }
  if (auto c = outputs.find("exitCode"); c != outputs.end() && c->is_string()) {
    scope[prefix + ".exitCode"] = c->get<std::string>();
  }
  if (auto params = outputs.find("parameters"); params != outputs.end() && params->is_array()) {
    for (const auto& p : *params) {
      if (p.contains("value")) scope[prefix + ".outputs.parameters." + string_field(p, "name")] = string_field(p, "value");
    }
    scope[prefix + ".outputs.parameters"] = params->dump();
  }
  if (auto arts = outputs.find("artifacts"); arts != outputs.end() && arts->is_array()) {
    for (const auto& a : *arts) scope[prefix + ".outputs.artifacts." + string_field(a, "name")] = a.dump();
  }
}

expr::Scope Engine::Impl::merged_scope(const expr::Scope& local) const {
  expr::Scope out = globals;
  for (const auto& [k, v] : local) out[k] = v;
  return out;
}

Result<Json> Engine::Impl::outputs_from_scope(const Json& tmpl, const expr::Scope& scope) const {
  auto outputs = tmpl.find("outputs");
  if (outputs == tmpl.end() || !outputs->is_object()) return Json();
  expr::Scope full = merged_scope(scope);
  auto artifacts = artifacts_from_scope(tmpl, full);
  if (!artifacts) return artifacts.status();
  auto params = outputs->find("parameters");
  if (params == outputs->end() || !params->is_array() || params->empty()) {
    return artifacts->is_null() ? Json() : Json{{"artifacts", *artifacts}};
  }
  Json out_params = Json::array();
  for (const auto& param : *params) {
    std::string name = string_field(param, "name");
    Json out = Json{{"name", name}};
    const Json value_from = param.value("valueFrom", Json::object());
    if (value_from.contains("parameter")) {
      auto value = expr::substitute(string_field(value_from, "parameter"), full, expr::Unresolved::kError);
      if (value) {
        out["value"] = *value;
      } else if (value_from.contains("default")) {
        out["value"] = string_field(value_from, "default");
      } else {
        return invalid_argument("unable to resolve outputs from scope: " + value.status().message());
      }
    } else if (value_from.contains("expression")) {
      auto value = expr::evaluate_expression(string_field(value_from, "expression"), full);
      if (!value) return value.status();
      out["value"] = value->is_string() ? value->get<std::string>() : value->dump();
    } else if (param.contains("value")) {
      out["value"] = string_field(param, "value");
    }
    if (param.contains("globalName")) out["globalName"] = param["globalName"];
    out_params.push_back(std::move(out));
  }
  Json result = {{"parameters", out_params}};
  if (!artifacts->is_null()) result["artifacts"] = *artifacts;
  return result;
}

void Engine::Impl::publish_global_outputs(const Json& outputs) {
  if (auto arts = outputs.find("artifacts"); arts != outputs.end()) publish_global_artifacts(*arts);
  auto params = outputs.find("parameters");
  if (params == outputs.end() || !params->is_array()) return;
  for (const auto& p : *params) {
    std::string global = string_field(p, "globalName");
    if (global.empty() || !p.contains("value")) continue;
    std::string value = string_field(p, "value");
    globals["workflow.outputs.parameters." + global] = value;
    if (!status.outputs.is_object()) status.outputs = Json::object();
    Json& list = status.outputs["parameters"];
    if (!list.is_array()) list = Json::array();
    bool replaced = false;
    for (auto& existing : list) {
      if (string_field(existing, "name") == global) {
        existing["value"] = value;
        replaced = true;
      }
    }
    if (!replaced) list.push_back(Json{{"name", global}, {"value", value}});
  }
}

}  // namespace skiff::engine
