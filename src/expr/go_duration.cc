// time.ParseDuration and Duration.String().
#include <cstdint>
#include <string>
#include <string_view>

#include "expr/go_time.h"

namespace skiff::expr::internal {

bool parse_go_duration(std::string_view text, int64_t* nanos, std::string* error) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    *nanos = 0;
    return true;
  }
  if (s.empty()) {
    *error = "time: invalid duration " + quoted;
    return false;
  }
  long double total = 0;
  while (!s.empty()) {
    size_t k = 0;
    long double whole = 0, frac = 0, scale = 1;
    bool digits = false;
    while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) whole = whole * 10 + (s[k++] - '0'), digits = true;
    if (k < s.size() && s[k] == '.') {
      ++k;
      while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
        frac = frac * 10 + (s[k++] - '0');
        scale *= 10;
        digits = true;
      }
    }
    if (!digits) {
      *error = "time: invalid duration " + quoted;
      return false;
    }
    size_t u = k;
    while (u < s.size() && s[u] != '.' && !std::isdigit(static_cast<unsigned char>(s[u]))) ++u;
    std::string_view unit = s.substr(k, u - k);
    if (unit.empty()) {
      *error = "time: missing unit in duration " + quoted;
      return false;
    }
    long double per;
    if (unit == "ns") per = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") per = 1e3;
    else if (unit == "ms") per = 1e6;
    else if (unit == "s") per = 1e9;
    else if (unit == "m") per = 60e9;
    else if (unit == "h") per = 3600e9;
    else {
      *error = "time: unknown unit \"" + std::string(unit) + "\" in duration " + quoted;
      return false;
    }
    total += (whole + frac / scale) * per;
    if (total > 9.223372036854775807e18L) {
      *error = "time: invalid duration " + quoted;
      return false;
    }
    s.remove_prefix(u);
  }
  *nanos = static_cast<int64_t>(negative ? -total : total);
  return true;
}

std::string format_go_duration(int64_t d) {
  if (d == 0) return "0s";
  const bool negative = d < 0;
  uint64_t u = negative ? static_cast<uint64_t>(0) - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
  auto frac = [](uint64_t v, int precision, std::string* tail) {
    std::string digits;
    bool printed = false;
    for (int i = 0; i < precision; ++i) {
      int digit = static_cast<int>(v % 10);
      printed = printed || digit != 0;
      if (printed) digits.insert(digits.begin(), static_cast<char>('0' + digit));
      v /= 10;
    }
    if (printed) *tail = "." + digits + *tail;
    return v;
  };
  std::string out;
  if (u < 1'000'000'000ULL) {
    std::string unit;
    int precision;
    if (u < 1000) unit = "ns", precision = 0;
    else if (u < 1'000'000) unit = "\xC2\xB5s", precision = 3;
    else unit = "ms", precision = 6;
    std::string tail = unit;
    u = frac(u, precision, &tail);
    out = std::to_string(u) + tail;
  } else {
    std::string tail = "s";
    u = frac(u, 9, &tail);
    out = std::to_string(u % 60) + tail;
    u /= 60;
    if (u > 0) {
      out = std::to_string(u % 60) + "m" + out;
      u /= 60;
      if (u > 0) out = std::to_string(u) + "h" + out;
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace skiff::expr::internal
