// Block-style YAML for `-o yaml`. Hand-written rather than yaml-cpp's
// emitter so that quoting follows exactly the scalar rules our decoder reads
// with (YAML 1.1 booleans such as `yes` must be quoted), which makes the
// output round-trip through parse_documents.
#include <cstdio>

#include "spec/decode.h"

namespace skiff::spec {
namespace {

bool reads_as_non_string(std::string_view s) {
  bool b;
  long long i;
  double d;
  return detail::is_null_scalar(s) || detail::parse_bool_scalar(s, &b) ||
         detail::parse_int_scalar(s, &i) || detail::parse_float_scalar(s, &d);
}

bool can_be_plain(std::string_view s) {
  if (s.empty() || reads_as_non_string(s)) return false;
  static constexpr std::string_view kIndicators = "?:,[]{}#&*!|>'\"%@`.=~";
  char first = s.front();
  if (kIndicators.find(first) != std::string_view::npos) return false;
  if (first == '-' && (s.size() == 1 || s[1] == ' ' || s.starts_with("---"))) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s == "<<" || s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return false;
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

std::string scalar_text(std::string_view s) { return can_be_plain(s) ? std::string(s) : double_quoted(s); }

// A literal block (|) keeps the text exactly only when its first line does
// not start with whitespace (that would need an indentation indicator) and
// no line is whitespace only (those read back as empty lines).
bool can_be_block(std::string_view s) {
  if (s.find('\n') == std::string_view::npos) return false;
  if (s.front() == ' ' || s.front() == '\t' || s.front() == '\n') return false;
  size_t line_start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] != '\n') {
      unsigned char c = s[i];
      if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
      continue;
    }
    std::string_view line = s.substr(line_start, i - line_start);
    if (!line.empty() && line.find_first_not_of(" \t") == std::string_view::npos) return false;
    line_start = i + 1;
  }
  return true;
}

void write_block(std::string_view s, int indent, std::string& out) {
  size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  std::string_view body = s.substr(0, s.size() - trailing);
  out += trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n";
  std::string prefix(indent, ' ');
  size_t start = 0;
  while (true) {
    size_t end = body.find('\n', start);
    std::string_view line = body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty()) out.append(prefix).append(line);
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  for (size_t i = 1; i < trailing; ++i) out += '\n';
}

void write_map(const Json& map, int indent, bool first_inline, std::string& out);
void write_seq(const Json& seq, int indent, bool first_inline, std::string& out);

// Writes a scalar or empty container after "key:" or "-", ending the line.
void write_scalar(const Json& v, int indent, std::string& out) {
  out += ' ';
  switch (v.type()) {
    case Json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (can_be_block(s)) return write_block(s, indent + 2, out);
      out += scalar_text(s);
      break;
    }
    case Json::value_t::object: out += "{}"; break;
    case Json::value_t::array: out += "[]"; break;
    default: out += v.dump(); break;  // null, bool and numbers print as YAML reads them
  }
  out += '\n';
}

bool is_nonempty_container(const Json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void write_map(const Json& map, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += scalar_text(it.key());
    out += ':';
    const Json& v = it.value();
    if (is_nonempty_container(v)) {
      out += '\n';
      if (v.is_object()) write_map(v, indent + 2, false, out);
      else write_seq(v, indent + 2, false, out);
    } else {
      write_scalar(v, indent, out);
    }
  }
}

void write_seq(const Json& seq, int indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const Json& v : seq) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += '-';
    if (is_nonempty_container(v)) {
      out += ' ';
      if (v.is_object()) write_map(v, indent + 2, true, out);
      else write_seq(v, indent + 2, true, out);
    } else {
      write_scalar(v, indent, out);
    }
  }
}

}  // namespace

std::string to_yaml(const Json& value) {
  std::string out;
  if (is_nonempty_container(value)) {
    if (value.is_object()) write_map(value, 0, true, out);
    else write_seq(value, 0, true, out);
    return out;
  }
  write_scalar(value, 0, out);
  return out.substr(1);  // no "key:" before a top-level scalar, so no space
}

}  // namespace skiff::spec
