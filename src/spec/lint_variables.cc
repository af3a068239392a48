// {{variable}} references: which ones a template may use, and finding the
// ones that cannot resolve (Argo's resolveAllVariables).
#include "spec/lint_rules.h"

namespace skiff::spec::lint_internal {

namespace {

// Only tags under these roots are checked; anything else ({{item}},
// {{retries}}, {{lastRetry.exitCode}}, custom names) is left alone, as Argo does.
constexpr std::string_view kCheckedRoots[] = {"item.", "steps.", "inputs.", "outputs.",
                                              "pod.",  "workflow.", "tasks."};

// Known at run time only, so never rejected.
constexpr std::string_view kRuntimePrefixes[] = {
    "outputs.",  // a template's own outputs, used by metrics
    "workflow.creationTimestamp",
    "workflow.scheduledTime",
    "workflow.duration",
    "tasks.name",
    "steps.name",
    "node.name",
};

void walk_strings(const Json& value, const std::string& pointer,
                  const std::function<void(const std::string&, const std::string&)>& fn) {
  if (value.is_string()) {
    fn(value.get_ref<const std::string&>(), pointer);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) walk_strings(value[i], child(pointer, i), fn);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string item_pointer = child(pointer, it.key());
      fn(it.key(), item_pointer);
      walk_strings(it.value(), item_pointer, fn);
    }
  }
}

}  // namespace

void Scope::merge(const Scope& other) {
  names.insert(other.names.begin(), other.names.end());
  open_prefixes.insert(other.open_prefixes.begin(), other.open_prefixes.end());
  any_item |= other.any_item;
  any_workflow_output_parameter |= other.any_workflow_output_parameter;
  any_workflow_output_artifact |= other.any_workflow_output_artifact;
  open_workflow_parameters |= other.open_workflow_parameters;
}

bool Scope::resolves(std::string_view raw) const {
  std::string_view tag = trim(raw);
  if (!tag.empty() && tag[0] == '=') return true;  // expressions are checked when evaluated
  bool checked = false;
  for (auto root : kCheckedRoots) checked |= starts_with(tag, root);
  if (!checked) return true;
  if (names.count(tag)) return true;
  if (any_item && starts_with(tag, "item.")) return true;
  if (any_workflow_output_parameter && starts_with(tag, "workflow.outputs.parameters.")) return true;
  if (any_workflow_output_artifact && starts_with(tag, "workflow.outputs.artifacts.")) return true;
  if (open_workflow_parameters && starts_with(tag, "workflow.parameters")) return true;
  for (auto prefix : kRuntimePrefixes)
    if (starts_with(tag, prefix)) return true;
  for (const auto& prefix : open_prefixes)
    if (starts_with(tag, prefix)) return true;
  return false;
}

void for_each_tag(std::string_view text, const std::function<void(std::string_view)>& fn) {
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) return;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return;
    fn(text.substr(open + 2, close - open - 2));
    pos = close + 2;
  }
}

void check_tags(const Json& value, const std::string& pointer, const Scope& scope, const std::string& context,
                Problems& problems) {
  walk_strings(value, pointer, [&](const std::string& s, const std::string& at) {
    for_each_tag(s, [&](std::string_view tag) {
      if (!scope.resolves(tag)) problems.add(at, context + "failed to resolve {{" + std::string(tag) + "}}");
    });
  });
}

void add_outputs(const Json* callee, const std::string& prefix, bool aggregate, bool ancestor, Scope& scope) {
  for (const char* field : {".id", ".startedAt", ".finishedAt", ".hostNodeName"}) scope.add(prefix + field);
  if (ancestor) scope.add(prefix + ".status");
  if (!callee) {
    // A templateRef with variables in it: its outputs are unknown until run time.
    scope.open_prefixes.insert(prefix + ".");
    return;
  }
  const Json& tmpl = *callee;
  if (const Json* daemon = member(tmpl, "daemon"); daemon && daemon->is_boolean() && daemon->get<bool>())
    scope.add(prefix + ".ip");
  if (has_output(tmpl)) {
    scope.add(prefix + ".outputs.result");
    scope.add(prefix + ".exitCode");
  }
  const Json* outputs = member(tmpl, "outputs");
  if (outputs) {
    for (const auto& param : list(*outputs, "parameters")) {
      scope.add(prefix + ".outputs.parameters." + text(param, "name"));
      std::string global = text(param, "globalName");
      if (global.empty()) continue;
      if (contains_tag(global))
        scope.any_workflow_output_parameter = true;
      else
        scope.add("workflow.outputs.parameters." + global);
    }
    for (const auto& art : list(*outputs, "artifacts")) {
      scope.add(prefix + ".outputs.artifacts." + text(art, "name"));
      std::string global = text(art, "globalName");
      if (global.empty()) continue;
      if (contains_tag(global))
        scope.any_workflow_output_artifact = true;
      else
        scope.add("workflow.outputs.artifacts." + global);
    }
  }
  if (aggregate) {
    scope.add(prefix + ".outputs.parameters");
    if (has(tmpl, "script") || has(tmpl, "containerSet")) {
      scope.add(prefix + ".outputs.result");
      scope.add(prefix + ".exitCode");
    }
  }
}

void add_items(const Json& holder, Scope& scope) {
  if (const Json* items = member(holder, "withItems"); items && items->is_array() && !items->empty()) {
    for (const auto& item : *items) {
      if (item.is_object()) {
        for (auto it = item.begin(); it != item.end(); ++it) scope.add("item." + it.key());
      } else if (item.is_array()) {
        for (size_t i = 0; i < item.size(); ++i) scope.add("item.[" + std::to_string(i) + "]");
      }
      scope.add("item");
    }
  } else if (!text(holder, "withParam").empty()) {
    scope.add("item");
    scope.any_item = true;
  } else if (has(holder, "withSequence")) {
    scope.add("item");
  }
}

}  // namespace skiff::spec::lint_internal
