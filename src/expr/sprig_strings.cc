// sprig: strings, encodings, regular expressions, JSON and dates.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <string_view>

#include "expr/expr.h"
#include "expr/exprlang.h"
#include "expr/go_format.h"
#include "expr/go_utf8.h"
#include "expr/regex.h"
#include "expr/sprig.h"

namespace skiff::expr::internal {
namespace {

std::string go_quote_string(const std::string& s) {
  std::string out;
  go_json_quote(s, &out);
  return out;
}

std::string call_builtin_string(const char* name, Args args) {
  Json result = call_builtin(name, args);
  return result.get<std::string>();
}

// Sprig's plain regex functions compile with MustCompile, whose panic expr
// reports as an error; the must* forms return the compile error itself.
GoRegex compile(const std::string& pattern, bool must) {
  GoRegex re(pattern);
  if (re.ok()) return re;
  if (must) fail(re.error());
  std::string quoted = "`" + pattern + "`";
  if (pattern.find('`') != std::string::npos) {
    quoted.clear();
    go_json_quote(pattern, &quoted);
  }
  fail("regexp: Compile(" + quoted + "): " + re.error());
}

std::string bounded(const std::string& s) {
  if (s.size() > kMaxStringSize) fail("result too large");
  return s;
}

}  // namespace

void add_sprig_strings(SprigTable& t) {
  t["upper"] = [](Args& a) { expect_args("upper", a, 1, 1); return Json(internal::map_runes(sprig_string(a[0]), internal::rune_upper)); };
  t["lower"] = [](Args& a) { expect_args("lower", a, 1, 1); return Json(internal::map_runes(sprig_string(a[0]), internal::rune_lower)); };
  t["title"] = [](Args& a) {
    expect_args("title", a, 1, 1);
    // Go's strings.Title: a letter after a separator starts a word; ASCII
    // letters, digits and '_' are not separators, nor are other letters and
    // digits, and of the rest only spaces are.
    auto separator = [](char32_t r) {
      if (r < 0x80) return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_');
      return !internal::rune_is_letter(r) && internal::is_go_space(r);
    };
    const std::string s = sprig_string(a[0]);
    std::string out;
    char32_t previous = ' ';
    for (size_t i = 0; i < s.size();) {
      internal::DecodedRune d = internal::decode_rune(s, i);
      internal::append_rune(out, separator(previous) ? internal::rune_upper(d.rune) : d.rune);
      previous = d.rune;
      i += d.width;
    }
    return Json(out);
  };
  t["trim"] = [](Args& a) { expect_args("trim", a, 1, 1); return Json(call_builtin_string("trim", {sprig_string(a[0])})); };
  t["trimAll"] = [](Args& a) {
    expect_args("trimAll", a, 2, 2);
    return Json(call_builtin_string("trim", {sprig_string(a[1]), sprig_string(a[0])}));
  };
  t["trimPrefix"] = [](Args& a) {
    expect_args("trimPrefix", a, 2, 2);
    return Json(call_builtin_string("trimPrefix", {sprig_string(a[1]), sprig_string(a[0])}));
  };
  t["trimSuffix"] = [](Args& a) {
    expect_args("trimSuffix", a, 2, 2);
    return Json(call_builtin_string("trimSuffix", {sprig_string(a[1]), sprig_string(a[0])}));
  };
  t["contains"] = [](Args& a) {
    expect_args("contains", a, 2, 2);
    return Json(sprig_string(a[1]).find(sprig_string(a[0])) != std::string::npos);
  };
  t["hasPrefix"] = [](Args& a) { expect_args("hasPrefix", a, 2, 2); return Json(sprig_string(a[1]).rfind(sprig_string(a[0]), 0) == 0); };
  t["hasSuffix"] = [](Args& a) {
    expect_args("hasSuffix", a, 2, 2);
    std::string s = sprig_string(a[1]), p = sprig_string(a[0]);
    return Json(s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0);
  };
  t["replace"] = [](Args& a) {
    expect_args("replace", a, 3, 3);
    return Json(call_builtin_string("replace", {sprig_string(a[2]), sprig_string(a[0]), sprig_string(a[1])}));
  };
  t["repeat"] = [](Args& a) {
    expect_args("repeat", a, 2, 2);
    return Json(call_builtin_string("repeat", {sprig_string(a[1]), int_value(sprig_int(a[0]))}));
  };
  t["substr"] = [](Args& a) {
    expect_args("substr", a, 3, 3);
    std::string s = sprig_string(a[2]);
    // Byte offsets, and Go's panics where the slice is out of range.
    int64_t n = static_cast<int64_t>(s.size()), from = sprig_int(a[0]), to = sprig_int(a[1]);
    const std::string out_of_range = "runtime error: slice bounds out of range ";
    if (from < 0) {
      if (to < 0) fail(out_of_range + "[:" + std::to_string(to) + "]");
      if (to > n) fail(out_of_range + "[:" + std::to_string(to) + "] with length " + std::to_string(n));
      return Json(s.substr(0, static_cast<size_t>(to)));
    }
    if (to < 0 || to > n) {
      if (from > n) fail(out_of_range + "[" + std::to_string(from) + ":" + std::to_string(n) + "]");
      return Json(s.substr(static_cast<size_t>(from)));
    }
    if (from > to) fail(out_of_range + "[" + std::to_string(from) + ":" + std::to_string(to) + "]");
    return Json(s.substr(static_cast<size_t>(from), static_cast<size_t>(to - from)));
  };
  t["trunc"] = [](Args& a) {
    expect_args("trunc", a, 2, 2);
    std::string s = sprig_string(a[1]);
    int64_t n = sprig_int(a[0]), len = static_cast<int64_t>(s.size());
    if (n < 0) return Json(-n < len ? s.substr(static_cast<size_t>(len + n)) : s);
    return Json(n < len ? s.substr(0, static_cast<size_t>(n)) : s);
  };
  t["quote"] = [](Args& a) {
    std::string out;
    for (const auto& v : a) {
      if (v.is_null()) continue;
      if (!out.empty()) out += " ";
      out += go_quote_string(sprig_string(v));
    }
    return Json(out);
  };
  t["squote"] = [](Args& a) {
    std::string out;
    for (const auto& v : a) {
      if (v.is_null()) continue;
      if (!out.empty()) out += " ";
      out += "'" + sprig_string(v) + "'";
    }
    return Json(out);
  };
  t["cat"] = [](Args& a) {
    std::string out;
    for (const auto& v : a) {
      if (v.is_null()) continue;
      if (!out.empty()) out += " ";
      out += sprig_string(v);
    }
    return Json(bounded(out));
  };
  auto indent = [](int64_t n, const std::string& s) {
    if (n < 0 || n > 1000) fail("indent: bad width");
    std::string pad(static_cast<size_t>(n), ' ');
    std::string out = pad;
    for (char c : s) {
      out.push_back(c);
      if (c == '\n') out += pad;
    }
    return bounded(out);
  };
  t["indent"] = [indent](Args& a) { expect_args("indent", a, 2, 2); return Json(indent(sprig_int(a[0]), sprig_string(a[1]))); };
  t["nindent"] = [indent](Args& a) { expect_args("nindent", a, 2, 2); return Json("\n" + indent(sprig_int(a[0]), sprig_string(a[1]))); };
  t["nospace"] = [](Args& a) {
    expect_args("nospace", a, 1, 1);
    std::string s = sprig_string(a[0]);
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }), s.end());
    return Json(s);
  };
  t["splitList"] = [](Args& a) {
    expect_args("splitList", a, 2, 2);
    Args args{sprig_string(a[1]), sprig_string(a[0])};
    return call_builtin("split", args);
  };
  t["split"] = [](Args& a) {
    expect_args("split", a, 2, 2);
    Args args{sprig_string(a[1]), sprig_string(a[0])};
    Json parts = call_builtin("split", args);
    Json out = Json::object();
    for (size_t i = 0; i < parts.size(); ++i) out["_" + std::to_string(i)] = parts[i];
    return out;
  };
  t["join"] = [](Args& a) {
    expect_args("join", a, 2, 2);
    std::string out;
    Json list = a[1].is_array() ? a[1] : Json::array({a[1]});
    for (size_t i = 0; i < list.size(); ++i) out += (i ? sprig_string(a[0]) : "") + sprig_string(list[i]);
    return Json(bounded(out));
  };
  t["toString"] = [](Args& a) { expect_args("toString", a, 1, 1); return Json(sprig_string(a[0])); };
  t["toStrings"] = [](Args& a) {
    expect_args("toStrings", a, 1, 1);
    Json out = Json::array();
    for (const auto& v : sprig_list(a[0])) out.push_back(sprig_string(v));
    return out;
  };
  t["b64enc"] = [](Args& a) { expect_args("b64enc", a, 1, 1); return Json(call_builtin_string("toBase64", {sprig_string(a[0])})); };
  t["b64dec"] = [](Args& a) {
    expect_args("b64dec", a, 1, 1);
    Args args{sprig_string(a[0])};
    try {
      return call_builtin("fromBase64", args);
    } catch (const EvalFailure& e) {
      return Json(std::string(e.what()));
    }
  };
  t["toJson"] = [](Args& a) {
    expect_args("toJson", a, 1, 1);
    std::string out;
    return Json(go_json_marshal(a[0], &out) ? out : "");
  };
  t["toPrettyJson"] = [](Args& a) {
    expect_args("toPrettyJson", a, 1, 1);
    return Json(call_builtin_string("toJSON", {a[0]}));
  };
  t["toRawJson"] = [](Args& a) { expect_args("toRawJson", a, 1, 1); return Json(numbers_to_float(a[0]).dump()); };
  t["fromJson"] = [](Args& a) {
    expect_args("fromJson", a, 1, 1);
    auto parsed = parse_json(sprig_string(a[0]));
    return parsed.is_ok() ? numbers_to_float(std::move(*parsed)) : Json::object();
  };
  t["mustFromJson"] = [](Args& a) {
    expect_args("mustFromJson", a, 1, 1);
    Args args{sprig_string(a[0])};
    return call_builtin("fromJSON", args);
  };
  // regexMatch answers false for a bad pattern (sprig drops the error).
  t["regexMatch"] = [](Args& a) {
    expect_args("regexMatch", a, 2, 2);
    GoRegex re(sprig_string(a[0]));
    return Json(re.ok() && re.find(sprig_string(a[1])));
  };
  t["mustRegexMatch"] = [](Args& a) {
    expect_args("mustRegexMatch", a, 2, 2);
    return Json(compile(sprig_string(a[0]), true).find(sprig_string(a[1])));
  };
  for (bool must : {false, true}) {
    auto name = [must](const char* base) {
      std::string n = base;
      if (must) n = "must" + std::string(1, static_cast<char>(std::toupper(n[0]))) + n.substr(1);
      return n;
    };
    t[name("regexFind")] = [must, n = name("regexFind")](Args& a) {
      expect_args(n, a, 2, 2);
      return Json(compile(sprig_string(a[0]), must).find_first(sprig_string(a[1])).value_or(""));
    };
    t[name("regexFindAll")] = [must, n = name("regexFindAll")](Args& a) {
      expect_args(n, a, 3, 3);
      std::string s = sprig_string(a[1]);
      Json out = Json::array();
      for (const auto& [start, end] : compile(sprig_string(a[0]), must).find_all(s, sprig_int(a[2]))) {
        check_size(out.size() + 1);
        out.push_back(s.substr(start, end - start));
      }
      return out;
    };
    t[name("regexReplaceAll")] = [must, n = name("regexReplaceAll")](Args& a) {
      expect_args(n, a, 3, 3);
      return Json(bounded(compile(sprig_string(a[0]), must).replace_all(sprig_string(a[1]), sprig_string(a[2]), false)));
    };
    t[name("regexReplaceAllLiteral")] = [must, n = name("regexReplaceAllLiteral")](Args& a) {
      expect_args(n, a, 3, 3);
      return Json(bounded(compile(sprig_string(a[0]), must).replace_all(sprig_string(a[1]), sprig_string(a[2]), true)));
    };
    t[name("regexSplit")] = [must, n = name("regexSplit")](Args& a) {
      expect_args(n, a, 3, 3);
      Json out = Json::array();
      for (auto& piece : compile(sprig_string(a[0]), must).split(sprig_string(a[1]), sprig_int(a[2]))) {
        check_size(out.size() + 1);
        out.push_back(std::move(piece));
      }
      return out;
    };
  }
  t["regexQuoteMeta"] = [](Args& a) {
    expect_args("regexQuoteMeta", a, 1, 1);
    // Go's QuoteMeta escapes exactly these.
    std::string out;
    for (char c : sprig_string(a[0])) {
      if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
    return Json(out);
  };
}

}  // namespace skiff::expr::internal
