// Name rules: Argo's isValidWorkflowFieldName / isValidParamOrArtifactName.
#include <map>

#include "spec/lint_rules.h"

namespace skiff::spec::lint_internal {

namespace {

constexpr size_t kMaxFieldNameLength = 128;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// ^[a-zA-Z0-9][-a-zA-Z0-9]*$
bool is_field_name(std::string_view name) {
  if (name.empty() || !is_alnum(name[0])) return false;
  for (char c : name)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

// ^[-a-zA-Z0-9_]+$
bool is_param_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!is_alnum(c) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

std::string name_error(std::string_view name, NameKind kind) {
  if (kind == NameKind::kParameterOrArtifact) {
    if (is_param_name(name)) return "";
    return "Parameter/Artifact name must consist of alpha-numeric characters, '_' or '-' e.g. my_param_1, MY-PARAM-1";
  }
  std::vector<std::string> errors;
  if (name.size() > kMaxFieldNameLength)
    errors.push_back("must be no more than " + std::to_string(kMaxFieldNameLength) + " characters");
  if (!is_field_name(name))
    errors.push_back(
        "name must consist of alpha-numeric characters or '-', and must start with an alpha-numeric character "
        "(e.g. My-name1-2, 123-NAME)");
  return join(errors, ";");
}

void check_names(const Json& items, NameKind kind, const std::string& context, const std::string& pointer,
                 Problems& problems) {
  if (!items.is_array()) return;
  std::map<std::string, size_t> first_use;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string at = "[" + std::to_string(i) + "]";
    std::string item_pointer = child(pointer, i);
    std::string name = text(items[i], "name");
    if (name.empty()) {
      problems.add(item_pointer, context + at + ".name is required");
      continue;
    }
    std::string name_pointer = child(item_pointer, "name");
    std::string error = name_error(name, kind);
    if (!error.empty()) problems.add(name_pointer, context + at + ".name: '" + name + "' is invalid: " + error);
    if (!first_use.emplace(name, i).second)
      problems.add(name_pointer, context + at + ".name '" + name + "' is not unique");
  }
}

}  // namespace skiff::spec::lint_internal
