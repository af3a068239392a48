#include "expr/go_format.h"
#include "expr/sprig.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "expr/go_time.h"

namespace skiff::expr::internal {
namespace {

// The shortest digits that round-trip, and the decimal exponent of the first.
struct Digits {
  bool negative = false;
  std::string digits;  // no leading zeros, at least one digit
  int exponent = 0;    // value = 0.d1d2d3... * 10^(exponent+1)
};

Digits shortest_digits(double value) {
  Digits d;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  size_t i = 0;
  if (s[i] == '-') {
    d.negative = true;
    ++i;
  }
  size_t e = s.find('e');
  for (size_t k = i; k < e; ++k) {
    if (s[k] != '.') d.digits += s[k];
  }
  d.exponent = std::atoi(s.c_str() + e + 1);
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

std::string format_e(const Digits& d) {
  std::string out = d.negative ? "-" : "";
  out += d.digits[0];
  if (d.digits.size() > 1) out += "." + d.digits.substr(1);
  int exp = d.exponent;
  out += exp < 0 ? "e-" : "e+";
  exp = std::abs(exp);
  if (exp < 10) out += "0";
  out += std::to_string(exp);
  return out;
}

std::string format_f(const Digits& d) {
  std::string out = d.negative ? "-" : "";
  int point = d.exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0." + std::string(static_cast<size_t>(-point), '0') + d.digits;
  } else if (static_cast<size_t>(point) >= d.digits.size()) {
    out += d.digits + std::string(static_cast<size_t>(point) - d.digits.size(), '0');
  } else {
    out += d.digits.substr(0, static_cast<size_t>(point)) + "." + d.digits.substr(static_cast<size_t>(point));
  }
  return out;
}

std::string special_float(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

}  // namespace

std::string go_float_v(double value) {
  if (!std::isfinite(value)) return special_float(value);
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  Digits d = shortest_digits(value);
  // %v is %g with the shortest digits, which switches to %e below 1e-4 and
  // from 1e6 on ("1e+06").
  if (d.exponent < -4 || d.exponent >= 6) return format_e(d);
  return format_f(d);
}

std::string go_float_json(double value) {
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  Digits d = shortest_digits(value);
  double abs = std::fabs(value);
  if (abs < 1e-6 || abs >= 1e21) {
    std::string out = format_e(d);
    // encoding/json trims "e-07" to "e-7".
    size_t n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
    return out;
  }
  return format_f(d);
}

std::string go_sprint(const Json& value) {
  if (is_time(value)) return go_time_string(time_of(value));
  if (is_duration(value)) return format_go_duration(duration_of(value));
  if (is_named_number(value)) return named_number_text(value);
  if (is_semver(value)) return semver_text(value);
  switch (value.type()) {
    case Json::value_t::null: return "<nil>";
    case Json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return std::to_string(value.get<int64_t>());
    case Json::value_t::number_unsigned: return std::to_string(value.get<uint64_t>());
    case Json::value_t::number_float: return go_float_v(value.get<double>());
    case Json::value_t::string: return value.get<std::string>();
    case Json::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += " ";
        first = false;
        out += go_sprint(item);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += " ";
        first = false;
        out += key + ":" + go_sprint(item);
      }
      return out + "]";
    }
    default: return "";
  }
}

void go_json_quote(const std::string& s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': *out += "\\\""; continue;
      case '\\': *out += "\\\\"; continue;
      case '\n': *out += "\\n"; continue;
      case '\r': *out += "\\r"; continue;
      case '\t': *out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      *out += "\\u00";
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
      continue;
    }
    // U+2028 and U+2029 are escaped by Go for JavaScript safety.
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      *out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
      continue;
    }
    out->push_back(static_cast<char>(c));
  }
  out->push_back('"');
}

bool go_json_marshal(const Json& value, std::string* out) {
  if (is_time(value) || is_duration(value) || is_named_number(value) || is_semver(value)) {
    return go_json_marshal(plain_json(value), out);
  }
  switch (value.type()) {
    case Json::value_t::null: *out += "null"; return true;
    case Json::value_t::boolean: *out += value.get<bool>() ? "true" : "false"; return true;
    case Json::value_t::number_integer: *out += std::to_string(value.get<int64_t>()); return true;
    case Json::value_t::number_unsigned: *out += std::to_string(value.get<uint64_t>()); return true;
    case Json::value_t::number_float: {
      double d = value.get<double>();
      if (!std::isfinite(d)) return false;
      *out += go_float_json(d);
      return true;
    }
    case Json::value_t::string: go_json_quote(value.get<std::string>(), out); return true;
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : value) {
        if (!first) out->push_back(',');
        first = false;
        if (!go_json_marshal(item, out)) return false;
      }
      out->push_back(']');
      return true;
    }
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out->push_back(',');
        first = false;
        go_json_quote(key, out);
        out->push_back(':');
        if (!go_json_marshal(item, out)) return false;
      }
      out->push_back('}');
      return true;
    }
    default: *out += "null"; return true;
  }
}

}  // namespace skiff::expr::internal
