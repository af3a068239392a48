// Template resolution: template names, templateRef and inline templates, and
// binding a template's inputs to the arguments it was called with.
#include "engine/internal.h"

namespace skiff::engine {

std::string string_field(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

Status Templates::add_set(const std::string& scope, const Json& templates) {
  auto set = std::make_unique<TemplateSet>();
  set->scope = scope;
  set->templates = templates.is_array() ? templates : Json::array();
  for (size_t i = 0; i < set->templates.size(); ++i) {
    std::string name = string_field(set->templates[i], "name");
    set->by_name.emplace(name, i);  // duplicates are lint's business; first wins
  }
  sets_[scope] = std::move(set);
  return Status::ok();
}

Status Templates::load(const Json& workflow_templates, const std::vector<spec::Object>& library) {
  library_ = library;
  SKIFF_RETURN_IF_ERROR(add_set("local/", workflow_templates));
  for (const auto& object : library_) {
    const Json* templates = nullptr;
    auto spec = object.doc.find("spec");
    if (spec != object.doc.end() && spec->is_object()) {
      auto t = spec->find("templates");
      if (t != spec->end()) templates = &*t;
    }
    if (!templates) continue;
    if (object.kind == "WorkflowTemplate") {
      SKIFF_RETURN_IF_ERROR(add_set("namespaced/" + object.name(), *templates));
    } else if (object.kind == "ClusterWorkflowTemplate") {
      SKIFF_RETURN_IF_ERROR(add_set("cluster/" + object.name(), *templates));
    }
  }
  return Status::ok();
}

const TemplateSet* Templates::find_set(const std::string& scope) const {
  auto it = sets_.find(scope);
  return it == sets_.end() ? nullptr : it->second.get();
}

const spec::Object* Templates::find_object(const std::string& kind, const std::string& name) const {
  for (const auto& object : library_) {
    if (object.kind == kind && object.name() == name) return &object;
  }
  return nullptr;
}

Result<ResolvedTemplate> Templates::resolve(const Json& holder, const TemplateSet& from) const {
  ResolvedTemplate out;
  if (auto inl = holder.find("inline"); inl != holder.end() && inl->is_object()) {
    out.tmpl = *inl;
    out.set = &from;
    return out;
  }
  if (auto ref = holder.find("templateRef"); ref != holder.end() && ref->is_object()) {
    std::string object_name = string_field(*ref, "name");
    std::string template_name = string_field(*ref, "template");
    bool cluster = ref->value("clusterScope", false);
    std::string scope = (cluster ? "cluster/" : "namespaced/") + object_name;
    const TemplateSet* set = find_set(scope);
    if (!set) {
      return not_found(std::string(cluster ? "ClusterWorkflowTemplate" : "WorkflowTemplate") + " '" +
                       object_name + "' not found");
    }
    auto it = set->by_name.find(template_name);
    if (it == set->by_name.end()) {
      return not_found("template " + template_name + " not found in workflow template " + object_name);
    }
    out.tmpl = set->templates[it->second];
    out.set = set;
    out.template_name = template_name;
    out.template_ref = *ref;
    return out;
  }
  std::string name = string_field(holder, "template");
  auto it = from.by_name.find(name);
  if (it == from.by_name.end()) {
    return not_found("template " + name + " not found");
  }
  out.tmpl = from.templates[it->second];
  out.set = &from;
  out.template_name = name;
  return out;
}

namespace {

const Json* find_named(const Json& list, const std::string& name) {
  if (!list.is_array()) return nullptr;
  for (const auto& item : list) {
    if (string_field(item, "name") == name) return &item;
  }
  return nullptr;
}

// "{{steps.X.outputs.parameters.Y}}" (or tasks.) left unresolved by the
// step's scope: the producer has no such output.
bool is_absent_output(const std::string& value) {
  auto tags = expr::simple_tags(value);
  if (tags.size() != 1) return false;
  std::string whole = value;
  const auto first = whole.find_first_not_of(" \t"), last = whole.find_last_not_of(" \t");
  if (first == std::string::npos) return false;
  whole = whole.substr(first, last - first + 1);
  if (whole.rfind("{{", 0) != 0 || whole.size() < 4 || whole.compare(whole.size() - 2, 2, "}}") != 0) return false;
  const std::string& tag = tags[0];
  return (tag.rfind("steps.", 0) == 0 || tag.rfind("tasks.", 0) == 0) && tag.find(".outputs.") != std::string::npos;
}

}  // namespace

Result<Json> bind_inputs(const Json& tmpl, const Json& arguments, const expr::Scope& globals,
                         const expr::Scope& extra, Json* inputs) {
  Json result = tmpl;
  expr::Scope scope = globals;
  for (const auto& [k, v] : extra) scope[k] = v;

  Json recorded_params = Json::array();
  const Json* declared = nullptr;
  if (auto in = tmpl.find("inputs"); in != tmpl.end() && in->is_object()) {
    if (auto p = in->find("parameters"); p != in->end()) declared = &*p;
  }
  const Json empty = Json::array();
  const Json& args = arguments.is_object() && arguments.contains("parameters") ? arguments["parameters"] : empty;

  if (declared && declared->is_array()) {
    for (size_t i = 0; i < declared->size(); ++i) {
      const Json& param = (*declared)[i];
      std::string name = string_field(param, "name");
      std::optional<std::string> value;
      const Json* arg = find_named(args, name);
      const bool has_fallback = param.contains("value") || param.contains("default");
      // An argument that is only a reference to an output its producer never
      // made (a skipped step) gives way to the input's own value or default.
      if (arg && arg->contains("value") && !(has_fallback && is_absent_output(string_field(*arg, "value")))) {
        value = string_field(*arg, "value");
      } else if (param.contains("value")) {
        value = string_field(param, "value");
      } else if (param.contains("default")) {
        value = string_field(param, "default");
      }
      if (!value) return invalid_argument("inputs.parameters." + name + " was not supplied");
      // Input values may themselves refer to globals ("{{workflow.name}}").
      auto substituted = expr::substitute(*value, scope);
      if (!substituted) return substituted.status();
      value = *substituted;
      if (auto e = param.find("enum"); e != param.end() && e->is_array() && !e->empty()) {
        bool allowed = false;
        for (const auto& option : *e) allowed = allowed || (option.is_string() && option.get<std::string>() == *value);
        if (!allowed) {
          return invalid_argument("value '" + *value + "' is not in the enum of inputs.parameters." + name);
        }
      }
      scope["inputs.parameters." + name] = *value;
      Json recorded = param;
      recorded["value"] = *value;
      recorded_params.push_back(std::move(recorded));
      result["inputs"]["parameters"][i]["value"] = *value;
    }
    scope["inputs.parameters"] = recorded_params.dump();
  }
  // Paths the template declares are variables of its own body.
  auto declared_paths = [&](const char* section, const char* kind, bool from_value) {
    auto sec = tmpl.find(section);
    if (sec == tmpl.end() || !sec->is_object() || !sec->contains(kind) || !(*sec)[kind].is_array()) return;
    for (const auto& item : (*sec)[kind]) {
      if (!item.is_object()) continue;
      const Json& holder = from_value ? item.value("valueFrom", Json::object()) : item;
      std::string path = holder.is_object() ? string_field(holder, "path") : "";
      if (!path.empty()) scope[std::string(section) + "." + kind + "." + string_field(item, "name") + ".path"] = path;
    }
  };
  declared_paths("inputs", "artifacts", false);
  declared_paths("outputs", "artifacts", false);
  declared_paths("outputs", "parameters", true);
  Json recorded_artifacts = Json::object();
  SKIFF_RETURN_IF_ERROR(bind_input_artifacts(arguments, result, scope, &recorded_artifacts));
  // The declared inputs keep their own text; only the body is substituted,
  // so a default like "{{workflow.name}}" is recorded resolved above.
  Json saved_inputs = result.contains("inputs") ? result["inputs"] : Json();
  SKIFF_RETURN_IF_ERROR(expr::substitute_json(result, scope, expr::Unresolved::kKeep));
  if (!saved_inputs.is_null()) result["inputs"] = saved_inputs;
  if (inputs) {
    *inputs = recorded_params.empty() ? Json() : Json{{"parameters", recorded_params}};
    if (recorded_artifacts.contains("artifacts")) {
      if (inputs->is_null()) *inputs = Json::object();
      (*inputs)["artifacts"] = recorded_artifacts["artifacts"];
    }
  }
  return result;
}

Result<bool> should_execute(const std::string& when) {
  if (when.empty()) return true;
  return expr::evaluate_condition(when);
}

}  // namespace skiff::engine
