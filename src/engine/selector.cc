// Node field selectors, as `argo resume|stop|node set --node-field-selector`
// take them: Kubernetes field-selector syntax over a node's fields.
#include <map>

#include "engine/internal.h"

namespace skiff::engine {

namespace {

// Splits on separators that are not escaped; escapes stay for the next step.
std::vector<std::string> split_unescaped(const std::string& text, char separator) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      parts.back() += text.substr(i, 2);
      ++i;
    } else if (text[i] == separator) {
      parts.emplace_back();
    } else {
      parts.back() += text[i];
    }
  }
  return parts;
}

std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

// The first operator outside an escape: "!=", "==" or "=".
size_t find_operator(const std::string& term, size_t* length, bool* equals) {
  for (size_t i = 0; i < term.size(); ++i) {
    if (term[i] == '\\') {
      ++i;
      continue;
    }
    if (term[i] == '!' && i + 1 < term.size() && term[i + 1] == '=') {
      *length = 2;
      *equals = false;
      return i;
    }
    if (term[i] == '=') {
      *length = i + 1 < term.size() && term[i + 1] == '=' ? 2 : 1;
      *equals = true;
      return i;
    }
  }
  return std::string::npos;
}

}  // namespace

Result<std::vector<FieldTerm>> parse_field_selector(const std::string& text) {
  std::vector<FieldTerm> terms;
  if (text.empty()) return terms;
  for (const std::string& part : split_unescaped(text, ',')) {
    size_t length = 0;
    bool equals = true;
    size_t at = find_operator(part, &length, &equals);
    if (at == std::string::npos || at == 0) {
      return invalid_argument("invalid selector: '" + text + "'; can't understand '" + part + "'");
    }
    terms.push_back(FieldTerm{unescape(part.substr(0, at)), equals, unescape(part.substr(at + length))});
  }
  return terms;
}

bool selector_matches(const std::vector<FieldTerm>& terms, const Node& node) {
  std::map<std::string, std::string> fields = {
      {"id", node.id},
      {"name", node.name},
      {"displayName", node.display_name},
      {"phase", to_string(node.phase)},
      {"templateName", node.template_name},
  };
  if (node.template_ref.is_object()) {
    fields["templateRef.name"] = string_field(node.template_ref, "name");
    fields["templateRef.template"] = string_field(node.template_ref, "template");
    // Argo's template of a node is the referenced one when it has no name of its own.
    if (node.template_name.empty()) fields["templateName"] = fields["templateRef.template"];
  }
  if (node.inputs.is_object()) {
    for (const auto& p : node.inputs.value("parameters", Json::array())) {
      if (p.contains("value")) {
        fields["inputs.parameters." + string_field(p, "name") + ".value"] =
            p["value"].is_string() ? p["value"].get<std::string>() : p["value"].dump();
      }
    }
  }
  for (const FieldTerm& term : terms) {
    auto it = fields.find(term.field);
    const std::string value = it == fields.end() ? "" : it->second;
    if ((value == term.value) != term.equals) return false;
  }
  return true;
}

}  // namespace skiff::engine
