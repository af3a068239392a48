// Plain-scalar resolution as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1) does
// it: Argo users write `yes`, `0x1F` or `~` and expect what kubectl reads.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "spec/decode.h"

namespace skiff::spec::detail {

bool is_null_scalar(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

bool parse_bool_scalar(std::string_view text, bool* value) {
  static constexpr std::string_view kTrue[] = {"y", "Y", "yes", "Yes", "YES", "true",
                                                 "True", "TRUE", "on", "On", "ON"};
  static constexpr std::string_view kFalse[] = {"n", "N", "no", "No", "NO", "false",
                                                  "False", "FALSE", "off", "Off", "OFF"};
  for (auto t : kTrue) {
    if (text == t) return *value = true, true;
  }
  for (auto f : kFalse) {
    if (text == f) return *value = false, true;
  }
  return false;
}

bool parse_int_scalar(std::string_view text, long long* value) {
  if (text.empty()) return false;
  bool negative = false;
  size_t i = 0;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    i = 1;
  }
  std::string_view digits = text.substr(i);
  int base = 10;
  bool prefixed = false;
  if (digits.size() > 2 && digits[0] == '0') {
    char p = digits[1];
    if (p == 'x' || p == 'X') base = 16, prefixed = true;
    else if (p == 'o' || p == 'O') base = 8, prefixed = true;
    else if (p == 'b' || p == 'B') base = 2, prefixed = true;
  }
  if (prefixed) {
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;  // YAML 1.1: 0777 is octal
  }
  // Go's ParseInt with base 0 allows "_" between digits only after a prefix.
  std::string clean;
  clean.reserve(digits.size());
  for (char c : digits) {
    if (c == '_' && prefixed) continue;
    clean.push_back(c);
  }
  if (clean.empty()) return false;
  unsigned long long magnitude = 0;
  auto [end, ec] = std::from_chars(clean.data(), clean.data() + clean.size(), magnitude, base);
  if (ec != std::errc() || end != clean.data() + clean.size()) return false;
  if (negative) {
    if (magnitude > 9223372036854775808ULL) return false;
    *value = magnitude == 9223372036854775808ULL ? INT64_MIN : -static_cast<long long>(magnitude);
  } else {
    if (magnitude > 9223372036854775807ULL) return false;
    *value = static_cast<long long>(magnitude);
  }
  return true;
}

bool parse_float_scalar(std::string_view text, double* value) {
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  (no inf/nan: JSON
  // cannot hold them, so they stay strings)
  size_t i = 0, n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < n && text[i] >= '0' && text[i] <= '9') ++i, ++int_digits;
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != n) return false;
  std::string copy(text);
  *value = std::strtod(copy.c_str(), nullptr);
  return std::isfinite(*value);
}

}  // namespace skiff::spec::detail
