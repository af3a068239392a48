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

}  // namespace skiff::expr
