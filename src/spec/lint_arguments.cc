// Arguments (Argo's validateArguments) and lifecycle hooks.
#include "spec/lint_rules.h"

namespace skiff::spec::lint_internal {

namespace {

std::string scalar_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

void check_parameter(const Json& param, const std::string& prefix, const std::string& pointer, bool allow_empty,
                     Problems& problems) {
  std::string at = prefix + text(param, "name");
  const Json* value = member(param, "value");
  const Json* value_from = member(param, "valueFrom");
  if (!value && !value_from && !allow_empty)
    problems.add(pointer, at + ".value or " + at + ".valueFrom is required");
  if (value_from) {
    bool allowed_source = has(*value_from, "configMapKeyRef") || has(*value_from, "event") ||
                          has(*value_from, "supplied");
    bool output_source = has(*value_from, "path") || has(*value_from, "jsonPath") ||
                         has(*value_from, "parameter") || has(*value_from, "expression");
    if (!allowed_source || output_source)
      problems.add(child(pointer, "valueFrom"), at + ".valueFrom only allows: default, configMapKeyRef and supplied");
  }
  const Json* enums = member(param, "enum");
  if (!enums) return;
  std::string enum_pointer = child(pointer, "enum");
  if (!enums->is_array() || enums->empty()) {
    problems.add(enum_pointer, at + ".enum should contain at least one value");
    return;
  }
  if (!value) {
    if (!allow_empty) problems.add(pointer, at + ".value is required");
    return;
  }
  for (const auto& option : *enums)
    if (scalar_text(option) == scalar_text(*value)) return;
  problems.add(child(pointer, "value"), at + ".value should be present in " + at + ".enum list");
}

}  // namespace

void check_arguments(const Json& arguments, const std::string& prefix, const std::string& pointer, bool allow_empty,
                     Problems& problems) {
  std::string params_pointer = child(pointer, "parameters");
  std::string arts_pointer = child(pointer, "artifacts");
  const Json& params = list(arguments, "parameters");
  const Json& arts = list(arguments, "artifacts");
  check_names(params, NameKind::kParameterOrArtifact, prefix + "parameters", params_pointer, problems);
  check_names(arts, NameKind::kParameterOrArtifact, prefix + "artifacts", arts_pointer, problems);
  for (size_t i = 0; i < params.size(); ++i)
    check_parameter(params[i], prefix, child(params_pointer, i), allow_empty, problems);
  for (size_t i = 0; i < arts.size(); ++i) {
    const Json& art = arts[i];
    std::string at = prefix + text(art, "name");
    bool from = has(art, "from");
    bool from_expression = has(art, "fromExpression");
    if (!from && !from_expression && !has_artifact_location(art))
      problems.add(child(arts_pointer, i), at + ".from, artifact location, or key is required");
    if (from && from_expression)
      problems.add(child(arts_pointer, i), at + " shouldn't have both `from` and `fromExpression` in Artifact");
  }
}

void check_hooks(Context& ctx, const Json& holder, const std::string& pointer, const std::string& context) {
  const Json* hooks = member(holder, "hooks");
  if (!hooks || !hooks->is_object()) return;
  std::string hooks_pointer = child(pointer, "hooks");
  for (auto it = hooks->begin(); it != hooks->end(); ++it) {
    const Json& hook = it.value();
    std::string hook_pointer = child(hooks_pointer, it.key());
    std::string hook_context = context + "." + it.key();
    if (it.key() != "exit" && text(hook, "expression").empty())
      ctx.problems.add(hook_pointer, hook_context + " Expression required");
    Callee callee = ctx.resolve(hook, hook_pointer, hook_context);
    if (callee.tmpl) ctx.check_supplied(*callee.tmpl, member(hook, "arguments"), hook_pointer, hook_context);
  }
}

}  // namespace skiff::spec::lint_internal
