// Node fields as argo's CLI reads them: the node field selector behind
// `argo get --node-field-selector` / `--status`, and resource durations.
#include <map>

#include "base/strings.h"
#include "cli/render_internal.h"

namespace skiff::cli::render_detail {

using nlohmann::json;

namespace {

std::map<std::string, std::string> selectable_fields(const json& node) {
  std::map<std::string, std::string> fields;
  const json& ref = field(node, "templateRef");
  fields["displayName"] = text(node, "displayName");
  fields["templateName"] = ref.is_object() ? text(ref, "template") : text(node, "templateName");
  fields["phase"] = text(node, "phase");
  fields["name"] = text(node, "name");
  fields["id"] = text(node, "id");
  if (ref.is_object()) {
    fields["templateRef.name"] = text(ref, "name");
    fields["templateRef.template"] = text(ref, "template");
  }
  for (const json& p : items(field(node, "inputs"), "parameters")) {
    fields["inputs.parameters." + text(p, "name") + ".value"] = scalar_text(field(p, "value"));
  }
  return fields;
}

}  // namespace

bool selector_matches(const std::string& selector, const json& node) {
  if (trim(selector).empty()) return true;
  auto fields = selectable_fields(node);
  for (const std::string& term : split(selector, ',')) {
    std::string_view t = trim(term);
    if (t.empty()) continue;
    bool negate = false;
    size_t op = t.find("!=");
    size_t value_at;
    if (op != std::string_view::npos) {
      negate = true;
      value_at = op + 2;
    } else if ((op = t.find("==")) != std::string_view::npos) {
      value_at = op + 2;
    } else if ((op = t.find('=')) != std::string_view::npos) {
      value_at = op + 1;
    } else {
      return false;  // not a selector term: nothing matches it
    }
    std::string key(trim(t.substr(0, op)));
    std::string value(trim(t.substr(value_at)));
    auto it = fields.find(key);
    std::string actual = it == fields.end() ? "" : it->second;
    if ((actual == value) == negate) return false;
  }
  return true;
}

std::string resources_duration_text(const json& resources) {
  if (!resources.is_object()) return "";
  std::string out;
  // Go prints the map in random order; sorted keys keep the text stable.
  std::map<std::string, long long> sorted;
  for (auto it = resources.begin(); it != resources.end(); ++it) {
    if (it.value().is_number()) sorted[it.key()] = it.value().get<long long>();
  }
  for (const auto& [name, seconds] : sorted) {
    std::string denominator = "1";
    if (name == "memory") denominator = "100Mi";
    if (name == "storage" || name == "ephemeral-storage") denominator = "10Gi";
    if (!out.empty()) out += ",";
    out += go_duration_string(seconds) + "*(" + denominator + " " + name + ")";
  }
  return out;
}

}  // namespace skiff::cli::render_detail
