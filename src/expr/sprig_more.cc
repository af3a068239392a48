// sprig: the rest of the deterministic functions: case conversions, word
// wrapping, adler32, base32, paths, type tests, dict helpers and the must*
// forms. (Hashes, ciphers and random values live in sprig_crypto.cc.)
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

#include "expr/exprlang.h"
#include "expr/go_format.h"
#include "expr/go_utf8.h"
#include "expr/sprig.h"

namespace skiff::expr::internal {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

// Words of an identifier, as xstrings splits them for snake/kebab case:
// "HTTPServer" -> http, server; "FirstName" -> first, name.
std::vector<std::string> case_words(const std::string& s) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(word);
    word.clear();
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' || c == '-' || c == '.' || is_space(c)) {
      flush();
      continue;
    }
    if (is_upper(c) && !word.empty()) {
      char prev = s[i - 1];
      bool next_lower = i + 1 < s.size() && is_lower(s[i + 1]);
      if (is_lower(prev) || is_digit(prev) || (is_upper(prev) && next_lower)) flush();
    }
    word += lower(c);
  }
  flush();
  return words;
}

std::string joined(const std::vector<std::string>& words, char sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? std::string(1, sep) : "") + words[i];
  return out;
}

// goutils.WrapCustom: breaks at the last space that keeps a line within
// `width` bytes; a longer word is cut (wrap_long) or runs on to the next space.
// Leading spaces of a line are dropped, trailing ones kept.
std::string wrap_words(const std::string& s, int64_t width, std::string newline, bool wrap_long) {
  if (s.empty()) return "";
  if (newline.empty()) newline = "\n";
  const size_t w = static_cast<size_t>(std::max<int64_t>(width, 1));
  std::string out;
  size_t offset = 0;
  while (s.size() - offset > w) {
    if (s[offset] == ' ') {
      ++offset;
      continue;
    }
    size_t space = s.substr(offset, w + 1).rfind(' ');
    if (space != std::string::npos) {
      out += s.substr(offset, space) + newline;
      offset += space + 1;
    } else if (wrap_long) {
      out += s.substr(offset, w) + newline;
      offset += w;
    } else {
      size_t next = s.find(' ', offset + w);
      if (next == std::string::npos) {
        out += s.substr(offset);
        offset = s.size();
      } else {
        out += s.substr(offset, next - offset) + newline;
        offset = next + 1;
      }
    }
  }
  return out + s.substr(offset);
}

// Go's path.Clean.
std::string clean_path(const std::string& p) {
  if (p.empty()) return ".";
  const bool rooted = p[0] == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t slash = p.find('/', i);
    std::string part = p.substr(i, slash == std::string::npos ? std::string::npos : slash - i);
    i = slash == std::string::npos ? p.size() + 1 : slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!rooted) parts.push_back(part);
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) out += (k ? "/" : "") + parts[k];
  return out.empty() ? "." : out;
}

std::string base_path(std::string p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return "/";
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string dir_path(const std::string& p) {
  size_t slash = p.rfind('/');
  return clean_path(slash == std::string::npos ? "" : p.substr(0, slash + 1));
}

std::string ext_path(const std::string& p) {
  for (size_t i = p.size(); i > 0; --i) {
    if (p[i - 1] == '/') break;
    if (p[i - 1] == '.') return p.substr(i - 1);
  }
  return "";
}

const char* kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string b32enc(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i += 5) {
    uint64_t chunk = 0;
    size_t n = std::min<size_t>(5, s.size() - i);
    for (size_t k = 0; k < 5; ++k) chunk = (chunk << 8) | (k < n ? static_cast<uint8_t>(s[i + k]) : 0);
    static const size_t kChars[] = {0, 2, 4, 5, 7, 8};
    for (size_t k = 0; k < 8; ++k) out += k < kChars[n] ? kBase32[(chunk >> (35 - 5 * k)) & 31] : '=';
  }
  return out;
}

std::string b32dec(const std::string& s) {
  std::string out;
  uint64_t buffer = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    const char* at = std::strchr(kBase32, c);
    if (c == '\0' || !at) return "illegal base32 data";  // sprig returns the error's text
    buffer = (buffer << 5) | static_cast<uint64_t>(at - kBase32);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string kind_of(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "invalid";
    case Json::value_t::boolean: return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "int";
    case Json::value_t::number_float: return "float64";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "slice";
    default: return "map";
  }
}

bool deep_equal(const Json& a, const Json& b) {
  if (kind_of(a) != kind_of(b)) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!deep_equal(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k) || !deep_equal(v, b[k])) return false;
    }
    return true;
  }
  return a == b;
}

Json merge_overwrite(Json dst, const Json& src) {
  if (!dst.is_object() || !src.is_object()) return src.is_null() ? dst : src;
  for (const auto& [k, v] : src.items()) dst[k] = dst.contains(k) ? merge_overwrite(dst[k], v) : v;
  return dst;
}

// goutils.AbbreviateFull: at most max_width bytes around offset, "..." marking
// what was cut on either side.
std::string abbreviate_full(const std::string& s, int64_t offset, int64_t max_width) {
  const int64_t n = static_cast<int64_t>(s.size());
  if (s.empty() || max_width < 4 || n <= max_width) return s;
  offset = std::min(offset, n);
  if (n - offset < max_width - 3) offset = n - (max_width - 3);
  if (offset <= 4) return s.substr(0, static_cast<size_t>(max_width - 3)) + "...";
  if (max_width < 7) return s;
  if (offset + max_width - 3 < n) return "..." + abbreviate_full(s.substr(static_cast<size_t>(offset)), 0, max_width - 3);
  return "..." + s.substr(static_cast<size_t>(n - (max_width - 3)));
}

}  // namespace

void add_sprig_more(SprigTable& t) {
  t["abbrevboth"] = [](Args& a) {
    expect_args("abbrevboth", a, 3, 3);
    int64_t left = sprig_int(a[0]), right = sprig_int(a[1]);
    std::string s = sprig_string(a[2]);
    if (right < 4 || (left > 0 && right < 7)) return Json(s);
    return Json(abbreviate_full(s, left, right));
  };
  t["trimall"] = t["trimAll"];
  t["abbrev"] = [](Args& a) {
    expect_args("abbrev", a, 2, 2);
    int64_t width = sprig_int(a[0]);
    std::string s = sprig_string(a[1]);
    if (width < 4 || static_cast<int64_t>(s.size()) <= width) return Json(s);
    return Json(s.substr(0, static_cast<size_t>(width - 3)) + "...");
  };
  t["untitle"] = [](Args& a) {
    expect_args("untitle", a, 1, 1);
    // goutils.Uncapitalize: the first rune of each space-separated word.
    const std::string s = sprig_string(a[0]);
    std::string out;
    bool start = true;
    for (size_t i = 0; i < s.size();) {
      internal::DecodedRune d = internal::decode_rune(s, i);
      internal::append_rune(out, start ? internal::rune_lower(d.rune) : d.rune);
      start = internal::is_go_space(d.rune);
      i += d.width;
    }
    return Json(out);
  };
  t["initials"] = [](Args& a) {
    expect_args("initials", a, 1, 1);
    // goutils reads the string byte by byte, each byte taken as the rune of
    // that number: a multi-byte letter gives its first byte as a Latin-1
    // character, and bytes 0x85 and 0xA0 inside one count as spaces.
    std::string s = sprig_string(a[0]), out;
    bool gap = true;
    for (unsigned char c : s) {
      if (is_go_space(c)) {
        gap = true;
      } else if (gap) {
        append_rune(out, c);
        gap = false;
      }
    }
    return Json(out);
  };
  t["swapcase"] = [](Args& a) {
    expect_args("swapcase", a, 1, 1);
    return Json(internal::map_runes(sprig_string(a[0]), [](char32_t r) {
      if (internal::rune_is_upper(r)) return internal::rune_lower(r);
      return internal::rune_is_lower(r) ? internal::rune_upper(r) : r;
    }));
  };
  t["snakecase"] = [](Args& a) { expect_args("snakecase", a, 1, 1); return Json(joined(case_words(sprig_string(a[0])), '_')); };
  t["kebabcase"] = [](Args& a) { expect_args("kebabcase", a, 1, 1); return Json(joined(case_words(sprig_string(a[0])), '-')); };
  t["camelcase"] = [](Args& a) {
    expect_args("camelcase", a, 1, 1);
    std::string s = sprig_string(a[0]), out;
    bool start = true;
    for (char c : s) {
      if (c == '_') {
        start = true;
        continue;
      }
      out += start ? upper(c) : c;
      start = false;
    }
    return Json(out);
  };
  t["wrap"] = [](Args& a) { expect_args("wrap", a, 2, 2); return Json(wrap_words(sprig_string(a[1]), sprig_int(a[0]), "\n", false)); };
  t["wrapWith"] = [](Args& a) {
    expect_args("wrapWith", a, 3, 3);
    return Json(wrap_words(sprig_string(a[2]), sprig_int(a[0]), sprig_string(a[1]), true));
  };
  t["plural"] = [](Args& a) {
    expect_args("plural", a, 3, 3);
    return Json(sprig_int(a[2]) == 1 ? sprig_string(a[0]) : sprig_string(a[1]));
  };
  t["adler32sum"] = [](Args& a) {
    expect_args("adler32sum", a, 1, 1);
    uint32_t x = 1, y = 0;
    for (unsigned char c : sprig_string(a[0])) {
      x = (x + c) % 65521;
      y = (y + x) % 65521;
    }
    return Json(std::to_string((y << 16) | x));
  };
  t["b32enc"] = [](Args& a) { expect_args("b32enc", a, 1, 1); return Json(b32enc(sprig_string(a[0]))); };
  t["b32dec"] = [](Args& a) { expect_args("b32dec", a, 1, 1); return Json(b32dec(sprig_string(a[0]))); };
  t["splitn"] = [](Args& a) {
    expect_args("splitn", a, 3, 3);
    std::string sep = sprig_string(a[0]), s = sprig_string(a[2]);
    int64_t n = sprig_int(a[1]);
    Json out = Json::object();
    if (n == 0) return out;
    size_t at = 0;
    for (int64_t i = 0;; ++i) {
      size_t next = sep.empty() ? std::string::npos : s.find(sep, at);
      if (next == std::string::npos || (n > 0 && i == n - 1)) {
        out["_" + std::to_string(i)] = s.substr(at);
        break;
      }
      check_size(static_cast<size_t>(i) + 1);
      out["_" + std::to_string(i)] = s.substr(at, next - at);
      at = next + sep.size();
    }
    return out;
  };
  t["seq"] = [](Args& a) {
    std::vector<int64_t> p;
    for (const auto& v : a) p.push_back(sprig_int(v));
    int64_t start = 1, end = 0, step = 1;
    if (p.size() == 1) end = p[0];
    else if (p.size() == 2) start = p[0], end = p[1];
    else if (p.size() == 3) start = p[0], step = p[1], end = p[2];
    else return Json("");
    if (p.size() != 3 && end < start) step = -1;
    if (p.size() == 3 && end < start && step > 0) return Json("");
    if (step == 0) return Json("");
    std::string out;
    size_t count = 0;
    for (int64_t i = start; step > 0 ? i <= end : i >= end; i += step) {
      check_size(++count);
      out += (out.empty() ? "" : " ") + std::to_string(i);
    }
    return Json(out);
  };
  t["biggest"] = t["max"];
  t["add1f"] = [](Args& a) { expect_args("add1f", a, 1, 1); return Json(sprig_float(a[0]) + 1); };
  t["toDecimal"] = [](Args& a) {
    expect_args("toDecimal", a, 1, 1);
    std::string s = sprig_string(a[0]);
    int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '7' || n > (INT64_MAX >> 3)) return int_value(0);
      n = n * 8 + (c - '0');
    }
    return int_value(s.empty() ? 0 : n);
  };
  t["all"] = [](Args& a) {
    for (const auto& v : a) {
      if (sprig_empty(v)) return Json(false);
    }
    return Json(true);
  };
  t["any"] = [](Args& a) {
    for (const auto& v : a) {
      if (!sprig_empty(v)) return Json(true);
    }
    return Json(a.empty());
  };
  t["deepCopy"] = [](Args& a) { expect_args("deepCopy", a, 1, 1); return a[0]; };
  t["mustDeepCopy"] = t["deepCopy"];
  t["typeOf"] = [](Args& a) { expect_args("typeOf", a, 1, 1); return Json(go_type_name(a[0])); };
  t["kindOf"] = [](Args& a) { expect_args("kindOf", a, 1, 1); return Json(kind_of(a[0])); };
  t["kindIs"] = [](Args& a) { expect_args("kindIs", a, 2, 2); return Json(sprig_string(a[0]) == kind_of(a[1])); };
  t["typeIs"] = [](Args& a) { expect_args("typeIs", a, 2, 2); return Json(sprig_string(a[0]) == go_type_name(a[1])); };
  t["typeIsLike"] = [](Args& a) {
    expect_args("typeIsLike", a, 2, 2);
    std::string want = sprig_string(a[0]), got = go_type_name(a[1]);
    return Json(want == got || "*" + want == got);
  };
  t["deepEqual"] = [](Args& a) { expect_args("deepEqual", a, 2, 2); return Json(deep_equal(a[0], a[1])); };
  t["base"] = [](Args& a) { expect_args("base", a, 1, 1); return Json(base_path(sprig_string(a[0]))); };
  t["dir"] = [](Args& a) { expect_args("dir", a, 1, 1); return Json(dir_path(sprig_string(a[0]))); };
  t["clean"] = [](Args& a) { expect_args("clean", a, 1, 1); return Json(clean_path(sprig_string(a[0]))); };
  t["ext"] = [](Args& a) { expect_args("ext", a, 1, 1); return Json(ext_path(sprig_string(a[0]))); };
  t["isAbs"] = [](Args& a) {
    expect_args("isAbs", a, 1, 1);
    std::string p = sprig_string(a[0]);
    return Json(!p.empty() && p[0] == '/');
  };
  for (const char* name : {"base", "dir", "clean", "ext", "isAbs"}) {
    std::string os = std::string("os") + static_cast<char>(std::toupper(name[0])) + (name + 1);
    t[os] = t[name];
  }
  t["pick"] = [](Args& a) {
    if (a.empty() || !a[0].is_object()) fail("pick: the first argument must be a dict");
    Json out = Json::object();
    for (size_t i = 1; i < a.size(); ++i) {
      std::string k = sprig_string(a[i]);
      if (a[0].contains(k)) out[k] = a[0][k];
    }
    return out;
  };
  t["omit"] = [](Args& a) {
    if (a.empty() || !a[0].is_object()) fail("omit: the first argument must be a dict");
    Json out = a[0];
    for (size_t i = 1; i < a.size(); ++i) out.erase(sprig_string(a[i]));
    return out;
  };
  t["mergeOverwrite"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call mergeOverwrite");
    Json out = a[0];
    for (size_t i = 1; i < a.size(); ++i) out = merge_overwrite(out, a[i]);
    return out;
  };
  t["dig"] = [](Args& a) {
    if (a.size() < 3) fail("not enough arguments to call dig");
    const Json* at = &a.back();
    for (size_t i = 0; i + 2 < a.size(); ++i) {
      if (!at->is_object()) return a[a.size() - 2];
      auto it = at->find(sprig_string(a[i]));
      if (it == at->end()) return a[a.size() - 2];
      at = &*it;
    }
    return *at;
  };
  t["chunk"] = [](Args& a) {
    expect_args("chunk", a, 2, 2);
    int64_t size = sprig_int(a[0]);
    Json list = sprig_list(a[1]);
    if (size <= 0) fail("chunk: size must be positive");
    Json out = Json::array();
    for (size_t i = 0; i < list.size(); i += static_cast<size_t>(size)) {
      Json part = Json::array();
      for (size_t k = i; k < list.size() && k < i + static_cast<size_t>(size); ++k) part.push_back(list[k]);
      out.push_back(std::move(part));
    }
    return out;
  };
  // The must* forms differ from the plain ones only in returning errors that
  // the plain ones would panic on; here both fail the same way.
  for (const char* name : {"append", "push", "prepend", "first", "last", "rest", "initial", "reverse", "uniq", "without",
                           "has", "slice", "compact", "toJson", "toPrettyJson", "toRawJson", "merge", "mergeOverwrite",
                           "chunk"}) {
    std::string must = std::string("must") + static_cast<char>(std::toupper(name[0])) + (name + 1);
    if (t.count(name) && !t.count(must)) t[must] = t[name];
  }
}

}  // namespace skiff::expr::internal
