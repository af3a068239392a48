// expr-lang's binary operators on values: Go int64 arithmetic wraps, "/"
// and "**" always give floats, and mismatched types name their Go types.
#include <cmath>

#include "expr/exprlang.h"
#include "expr/values.h"

namespace skiff::expr::internal {

std::string type_pair(const Json& a, const char* op, const Json& b) {
  return "invalid operation: " + go_type_name(a) + " " + op + " " + go_type_name(b);
}

int64_t wrap_add(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }
int64_t wrap_sub(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b)); }
int64_t wrap_mul(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b)); }

Json arithmetic(const std::string& op, const Json& a, const Json& b) {
  if (op == "+" && a.is_string() && b.is_string()) {
    check_size((a.get_ref<const std::string&>().size() + b.get_ref<const std::string&>().size()) / 256);
    return a.get<std::string>() + b.get<std::string>();
  }
  if (op == "+" && a.is_array() && b.is_array()) {
    check_size(a.size() + b.size());
    Json out = a;
    for (const auto& item : b) out.push_back(item);
    return out;
  }
  if (!a.is_number() || !b.is_number()) fail(type_pair(a, op.c_str(), b));
  bool ints = is_int(a) && is_int(b);
  if (op == "/") return as_double(a) / as_double(b);
  if (op == "**" || op == "^") return std::pow(as_double(a), as_double(b));
  if (op == "%") {
    if (!ints) fail(type_pair(a, "%", b));
    int64_t divisor = as_int64(b);
    if (divisor == 0) fail("integer divide by zero");
    if (divisor == -1) return int_value(0);
    return int_value(as_int64(a) % divisor);
  }
  if (ints) {
    int64_t x = as_int64(a), y = as_int64(b);
    if (op == "+") return int_value(wrap_add(x, y));
    if (op == "-") return int_value(wrap_sub(x, y));
    return int_value(wrap_mul(x, y));
  }
  double x = as_double(a), y = as_double(b);
  if (op == "+") return x + y;
  if (op == "-") return x - y;
  return x * y;
}

int compare(const std::string& op, const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (is_int(a) && is_int(b)) return as_int64(a) < as_int64(b) ? -1 : as_int64(a) > as_int64(b) ? 1 : 0;
    double x = as_double(a), y = as_double(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) return a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
  fail(type_pair(a, op.c_str(), b));
}

}  // namespace skiff::expr::internal
