// spec.templateDefaults, merged into every template as Argo merges them: the
// template's own fields win; objects merge field by field; lists of named
// items (env, volumeMounts, volumes, ...) merge by name; other lists are the
// template's when it has one. Kind-specific defaults (`container`,
// `script`, ...) only reach templates of that kind.
#include "engine/internal.h"

namespace skiff::engine {

namespace {

const char* const kTemplateKinds[] = {"container", "script", "containerSet", "steps", "dag",
                                      "suspend",   "resource", "data",       "http",  "plugin"};

bool named_items(const Json& list) {
  if (!list.is_array() || list.empty()) return false;
  for (const auto& item : list) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) return false;
  }
  return true;
}

// `over` laid on `base`.
Json merge(const Json& base, const Json& over) {
  if (base.is_object() && over.is_object()) {
    Json out = base;
    for (const auto& [key, value] : over.items()) {
      out[key] = out.contains(key) ? merge(out[key], value) : value;
    }
    return out;
  }
  if (named_items(base) && named_items(over)) {
    Json out = base;
    for (const auto& item : over) {
      bool merged = false;
      for (auto& existing : out) {
        if (existing["name"] == item["name"]) {
          existing = merge(existing, item);
          merged = true;
        }
      }
      if (!merged) out.push_back(item);
    }
    return out;
  }
  return over;
}

}  // namespace

Json with_template_defaults(const Json& tmpl, const Json& defaults) {
  if (!defaults.is_object() || defaults.empty() || !tmpl.is_object()) return tmpl;
  Json base = defaults;
  for (const char* kind : kTemplateKinds) {
    if (!tmpl.contains(kind)) base.erase(kind);
  }
  return merge(base, tmpl);
}

}  // namespace skiff::engine
