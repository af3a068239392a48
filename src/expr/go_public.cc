// The public face of Go's value renderings (go_format.h holds the work).
#include "expr/expr.h"
#include "expr/go_format.h"

namespace skiff::expr {

std::string format_go_value(const Json& value) { return internal::go_sprint(value); }

std::string format_go_json(const Json& value) {
  std::string out;
  if (!internal::go_json_marshal(value, &out)) return "null";
  return out;
}

Result<Json> parse_json(std::string_view text) {
  // Every later walk over a document recurses, so depth is checked before
  // decoding, by counting brackets outside strings.
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return invalid_argument("JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded()) return invalid_argument("invalid JSON");
  return value;
}

}  // namespace skiff::expr
