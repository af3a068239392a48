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
  if (node.phase == Phase::kSkipped || node.phase == Phase::kOmitted) {
    add_skipped_outputs(scope, prefix, node);
    return;
  }
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
  // An artifact is referenced whole ("from: {{steps.X.outputs.artifacts.A}}"):
  // its record, as JSON, for whoever stages it.
  if (auto artifacts = outputs.find("artifacts"); artifacts != outputs.end() && artifacts->is_array()) {
    for (const auto& a : *artifacts) {
      if (a.is_object() && a.contains("name")) scope[prefix + ".outputs.artifacts." + string_field(a, "name")] = a.dump();
    }
  }
}

// A producer that never ran (Skipped, Omitted) offers the defaults its
// template declares for its output parameters (valueFrom.default); an output
// without one stays absent, so `??` in an expression and a consumer's own
// input default can take its place.
void Engine::Impl::add_skipped_outputs(expr::Scope& scope, const std::string& prefix, const Node& node) const {
  Json holder = Json::object();
  if (!node.template_ref.is_null()) holder["templateRef"] = node.template_ref;
  else if (!node.template_name.empty()) holder["template"] = node.template_name;
  else return;
  const TemplateSet* set = templates.find_set(node.template_scope);
  auto resolved = templates.resolve(holder, set ? *set : templates.local());
  if (!resolved) return;
  auto outputs = resolved->tmpl.find("outputs");
  if (outputs == resolved->tmpl.end() || !outputs->is_object()) return;
  auto params = outputs->find("parameters");
  if (params == outputs->end() || !params->is_array()) return;
  Json out_params = Json::array();
  for (const auto& p : *params) {
    if (!p.is_object()) continue;
    const Json value_from = p.value("valueFrom", Json::object());
    if (!value_from.is_object() || !value_from.contains("default")) continue;
    const std::string name = string_field(p, "name");
    const std::string value = string_field(value_from, "default");
    scope[prefix + ".outputs.parameters." + name] = value;
    out_params.push_back(Json{{"name", name}, {"value", value}});
  }
  if (!out_params.empty()) scope[prefix + ".outputs.parameters"] = out_params.dump();
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
    ++globals_version;
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


namespace {

// Go's json.Marshal of a wfv1.Parameter: its fields in declaration order.
std::string marshal_parameter(const Json& p) {
  std::string out = "{";
  bool first = true;
  for (const char* field : {"name", "default", "value", "valueFrom", "globalName", "enum", "description"}) {
    auto it = p.find(field);
    if (it == p.end() || it->is_null()) continue;
    if (!first) out += ",";
    first = false;
    // Values, defaults and enum entries are Go strings whatever YAML made of them.
    Json value = *it;
    if (value.is_array()) {
      for (auto& item : value) item = item.is_string() ? item : Json(expr::format_go_value(item));
    } else if (std::string_view(field) != "valueFrom" && !value.is_string()) {
      value = expr::format_go_value(value);
    }
    out += expr::format_go_json(Json(field)) + ":" + expr::format_go_json(value);
  }
  return out + "}";
}

}  // namespace

void add_creation_globals(expr::Scope& g, Time created) {
  const std::string base = "workflow.creationTimestamp";
  // Kubernetes keeps whole seconds.
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(created.time_since_epoch()).count();
  g[base] = format_rfc3339(created);
  g[base + ".RFC3339"] = g[base];
  g[base + ".s"] = std::to_string(seconds);
  // Argo's strftime characters and the Go layouts they stand for.
  static const std::pair<char, const char*> kStrftime[] = {
      {'B', "January"}, {'b', "Jan"}, {'m', "01"}, {'A', "Monday"}, {'a', "Mon"}, {'d', "02"},
      {'H', "15"},      {'I', "03"},  {'M', "04"}, {'S', "05"},     {'Y', "2006"}, {'y', "06"},
      {'p', "PM"},      {'Z', "MST"}, {'z', "-0700"}, {'L', ".000"}};
  for (const auto& [c, layout] : kStrftime) {
    g[base + "." + c] = expr::format_go_time(layout, Time(std::chrono::seconds(seconds)));
  }
}

void add_metadata_globals(expr::Scope& g, const Json& metadata, const Json& spec, const Json& parameters) {
  for (const char* section : {"annotations", "labels"}) {
    const std::string prefix = std::string("workflow.") + section;
    Json values = metadata.is_object() ? metadata.value(section, Json()) : Json();
    if (!values.is_object()) values = Json();
    // Go marshals a missing map as null.
    g[prefix] = g[prefix + ".json"] = expr::format_go_json(values);
    if (values.is_object()) {
      for (const auto& [k, v] : values.items()) {
        if (v.is_string()) g[prefix + "." + k] = v.get<std::string>();
      }
    }
    // spec.workflowMetadata adds names (not part of the JSON form).
    auto extra = spec.find("workflowMetadata");
    if (extra != spec.end() && extra->is_object() && extra->contains(section) && (*extra)[section].is_object()) {
      for (const auto& [k, v] : (*extra)[section].items()) {
        if (v.is_string()) g[prefix + "." + k] = v.get<std::string>();
      }
    }
  }
  if (auto annotations = metadata.find("annotations"); annotations != metadata.end() && annotations->is_object()) {
    // Set for runs a CronWorkflow starts; otherwise the tag stays unresolved.
    auto scheduled = annotations->find("workflows.argoproj.io/scheduled-time");
    if (scheduled != annotations->end() && scheduled->is_string()) g["workflow.scheduledTime"] = scheduled->get<std::string>();
  }
  if (auto priority = spec.find("priority"); priority != spec.end() && priority->is_number_integer()) {
    g["workflow.priority"] = std::to_string(priority->get<long long>());
  }
  std::string json = "[";
  for (const auto& p : parameters) json += (json.size() > 1 ? "," : "") + marshal_parameter(p);
  g["workflow.parameters"] = g["workflow.parameters.json"] = json + "]";
}

}  // namespace skiff::engine
