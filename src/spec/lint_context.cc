// Shared plumbing of lint: JSON access, problem collection, and resolving the
// template a step, task, hook or entrypoint calls (locally or in the library).
#include <algorithm>
#include <tuple>

#include "spec/lint_rules.h"

namespace skiff::spec::lint_internal {

const Json* member(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string text(const Json& obj, std::string_view key) {
  const Json* value = member(obj, key);
  return value && value->is_string() ? value->get<std::string>() : "";
}

bool has(const Json& obj, std::string_view key) { return member(obj, key) != nullptr; }

const Json& list(const Json& obj, std::string_view key) {
  static const Json kEmpty = Json::array();
  const Json* value = member(obj, key);
  return value && value->is_array() ? *value : kEmpty;
}

std::string child(std::string_view pointer, std::string_view key) {
  std::string out(pointer);
  out += '/';
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string child(std::string_view pointer, size_t index) { return std::string(pointer) + "/" + std::to_string(index); }

bool contains_tag(std::string_view s) { return s.find("{{") != std::string_view::npos; }

void Problems::add(std::string_view pointer, const std::string& message) {
  std::string line = object_.error_at(pointer, message).message();
  if (!seen_.insert(line).second) return;
  Location where = object_.locate(pointer);
  entries_.push_back({where.line, where.column, std::move(line)});
}

Status Problems::to_status() const {
  if (entries_.empty()) return Status::ok();
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<std::string> lines;
  for (auto& entry : sorted) lines.push_back(std::move(entry.text));
  return invalid_argument(join(lines, "\n"));
}

const Json* Context::local_template(std::string_view name) const {
  const Json* owner = referenced_spec ? referenced_spec : spec;
  for (const auto& tmpl : list(*owner, "templates"))
    if (text(tmpl, "name") == name) return &tmpl;
  return nullptr;
}

namespace {

const Object* find_library_object(const std::vector<Object>& library, const std::string& kind,
                                  const std::string& name) {
  for (const auto& object : library)
    if (object.kind == kind && object.name() == name) return &object;
  return nullptr;
}

const Json* find_template(const Json& spec, const std::string& name) {
  for (const auto& tmpl : list(spec, "templates"))
    if (text(tmpl, "name") == name) return &tmpl;
  return nullptr;
}

}  // namespace

Callee Context::resolve(const Json& holder, const std::string& pointer, const std::string& context) {
  auto broken = [&](const std::string& at, const std::string& message) {
    problems.add(at, context.empty() ? message : context + " " + message);
    return Callee{nullptr, true};
  };
  std::string name = text(holder, "template");
  const Json* ref = member(holder, "templateRef");
  if (ref) {
    std::string ref_pointer = child(pointer, "templateRef");
    if (!name.empty()) return broken(pointer, "template name cannot be specified with templateRef.");
    std::string ref_name = text(*ref, "name");
    std::string ref_template = text(*ref, "template");
    if (ref_name.empty()) return broken(ref_pointer, "resource name is required");
    if (ref_template.empty()) return broken(ref_pointer, "template name is required");
    if (contains_tag(ref_name) || contains_tag(ref_template)) return Callee{};  // known at run time
    const Json* cluster = member(*ref, "clusterScope");
    bool cluster_scope = cluster && cluster->is_boolean() && cluster->get<bool>();
    const Object* owner =
        find_library_object(library, cluster_scope ? "ClusterWorkflowTemplate" : "WorkflowTemplate", ref_name);
    const Json* owner_spec = owner ? member(owner->doc, "spec") : nullptr;
    const Json* tmpl = owner_spec ? find_template(*owner_spec, ref_template) : nullptr;
    if (!tmpl) return broken(ref_pointer, "template reference " + ref_name + "." + ref_template + " not found");
    return Callee{tmpl, false};
  }
  if (const Json* inline_tmpl = member(holder, "inline")) return Callee{inline_tmpl, false};
  if (name.empty()) return broken(pointer, "template name or templateRef is required");
  const Json* tmpl = local_template(name);
  if (!tmpl) return broken(child(pointer, "template"), "template name '" + name + "' undefined");
  return Callee{tmpl, false};
}

void Context::check_supplied(const Json& callee, const Json* arguments, const std::string& pointer,
                             const std::string& context) {
  const Json* inputs = member(callee, "inputs");
  if (!inputs) return;
  static const Json kNone = Json::object();
  const Json& args = arguments ? *arguments : kNone;
  auto argument = [&](std::string_view list_name, const std::string& name) -> const Json* {
    for (const auto& item : list(args, list_name))
      if (text(item, "name") == name) return &item;
    return nullptr;
  };
  std::string where = (context.empty() ? "" : context + " ") + "templates." + text(callee, "name") + " ";
  for (const auto& param : list(*inputs, "parameters")) {
    if (has(param, "value") || has(param, "default") || has(param, "valueFrom")) continue;
    std::string name = text(param, "name");
    const Json* arg = argument("parameters", name);
    if (arg && (has(*arg, "value") || has(*arg, "valueFrom"))) continue;
    problems.add(pointer, where + "inputs.parameters." + name + " was not supplied");
  }
  for (const auto& art : list(*inputs, "artifacts")) {
    const Json* optional = member(art, "optional");
    if (has_artifact_location(art) || (optional && optional->is_boolean() && optional->get<bool>())) continue;
    std::string name = text(art, "name");
    if (argument("artifacts", name)) continue;
    problems.add(pointer, where + "inputs.artifacts." + name + " was not supplied");
  }
}

}  // namespace skiff::spec::lint_internal
