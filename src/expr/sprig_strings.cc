// sprig: strings, encodings, regular expressions, JSON and dates.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <regex>

#include "expr/exprlang.h"
#include "expr/go_format.h"
#include "expr/sprig.h"

namespace skiff::expr::internal {
namespace {

std::string transform(std::string s, int (*f)(int)) {
  for (auto& c : s) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  return s;
}

std::string go_quote_string(const std::string& s) {
  std::string out;
  go_json_quote(s, &out);
  return out;
}

std::string call_builtin_string(const char* name, Args args) {
  Json result = call_builtin(name, args);
  return result.get<std::string>();
}

std::regex compile(const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    fail("error parsing regexp: " + std::string(e.what()) + ": `" + pattern + "`");
  }
}

std::string bounded(const std::string& s) {
  if (s.size() > kMaxStringSize) fail("result too large");
  return s;
}

// Civil date from days since 1970-01-01.
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t year = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = year + (*m <= 2);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Seconds since the epoch from a number or an RFC 3339 timestamp.
int64_t to_unix_seconds(const Json& v) {
  if (v.is_number()) return as_int64(v);
  if (v.is_string()) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (std::sscanf(v.get_ref<const std::string&>().c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) == 6) {
      return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + s;
    }
  }
  fail("date: cannot interpret " + to_go_string(v) + " as a time");
}

// Go's reference-time layouts ("2006-01-02 15:04:05"), in UTC.
std::string format_time(const std::string& layout, int64_t seconds) {
  static const char* kMonths[] = {"January", "February", "March", "April", "May", "June", "July",
                                  "August", "September", "October", "November", "December"};
  static const char* kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  int64_t rem = seconds - days * 86400;
  int64_t year;
  unsigned month, day;
  civil_from_days(days, &year, &month, &day);
  int hour = static_cast<int>(rem / 3600), minute = static_cast<int>(rem % 3600 / 60), second = static_cast<int>(rem % 60);
  int weekday = static_cast<int>(((days % 7) + 11) % 7);
  auto two = [](int v) { char b[8]; std::snprintf(b, sizeof(b), "%02d", v); return std::string(b); };
  struct Token {
    const char* text;
    std::function<std::string()> render;
  };
  const std::vector<Token> tokens = {
      {"January", [&] { return std::string(kMonths[month - 1]); }},
      {"Monday", [&] { return std::string(kDays[weekday]); }},
      {"2006", [&] { return std::to_string(year); }},
      {"Jan", [&] { return std::string(kMonths[month - 1]).substr(0, 3); }},
      {"Mon", [&] { return std::string(kDays[weekday]).substr(0, 3); }},
      {"MST", [] { return std::string("UTC"); }},
      {"Z07:00", [] { return std::string("Z"); }},
      {"-07:00", [] { return std::string("+00:00"); }},
      {"-0700", [] { return std::string("+0000"); }},
      {"01", [&] { return two(static_cast<int>(month)); }},
      {"02", [&] { return two(static_cast<int>(day)); }},
      {"_2", [&] { return (day < 10 ? " " : "") + std::to_string(day); }},
      {"06", [&] { return two(static_cast<int>(year % 100)); }},
      {"15", [&] { return two(hour); }},
      {"03", [&] { return two(hour % 12 == 0 ? 12 : hour % 12); }},
      {"04", [&] { return two(minute); }},
      {"05", [&] { return two(second); }},
      {"PM", [&] { return std::string(hour >= 12 ? "PM" : "AM"); }},
      {"pm", [&] { return std::string(hour >= 12 ? "pm" : "am"); }},
      {"1", [&] { return std::to_string(month); }},
      {"2", [&] { return std::to_string(day); }},
      {"3", [&] { return std::to_string(hour % 12 == 0 ? 12 : hour % 12); }},
      {"4", [&] { return std::to_string(minute); }},
      {"5", [&] { return std::to_string(second); }},
  };
  std::string out;
  for (size_t i = 0; i < layout.size();) {
    bool matched = false;
    for (const auto& token : tokens) {
      size_t n = std::char_traits<char>::length(token.text);
      if (layout.compare(i, n, token.text) == 0) {
        out += token.render();
        i += n;
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back(layout[i++]);
  }
  return out;
}

}  // namespace

void add_sprig_strings(SprigTable& t) {
  t["upper"] = [](Args& a) { expect_args("upper", a, 1, 1); return Json(transform(sprig_string(a[0]), ::toupper)); };
  t["lower"] = [](Args& a) { expect_args("lower", a, 1, 1); return Json(transform(sprig_string(a[0]), ::tolower)); };
  t["title"] = [](Args& a) {
    expect_args("title", a, 1, 1);
    std::string s = sprig_string(a[0]);
    bool start = true;
    for (auto& c : s) {
      if (start && std::isalpha(static_cast<unsigned char>(c))) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      start = std::isspace(static_cast<unsigned char>(c)) != 0;
    }
    return Json(s);
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
    int64_t n = static_cast<int64_t>(s.size()), from = sprig_int(a[0]), to = sprig_int(a[1]);
    if (from < 0) return Json(s.substr(0, static_cast<size_t>(std::clamp<int64_t>(to, 0, n))));
    if (to < 0 || to > n) return Json(s.substr(static_cast<size_t>(std::min(from, n))));
    if (from > to) fail("slice bounds out of range");
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
    try {
      return numbers_to_float(Json::parse(sprig_string(a[0])));
    } catch (const Json::exception&) {
      return Json::object();
    }
  };
  t["mustFromJson"] = [](Args& a) {
    expect_args("mustFromJson", a, 1, 1);
    Args args{sprig_string(a[0])};
    return call_builtin("fromJSON", args);
  };
  t["regexMatch"] = [](Args& a) {
    expect_args("regexMatch", a, 2, 2);
    return Json(regex_find(sprig_string(a[0]), sprig_string(a[1])));
  };
  t["regexFind"] = [](Args& a) {
    expect_args("regexFind", a, 2, 2);
    std::string s = sprig_string(a[1]);
    std::smatch m;
    return Json(std::regex_search(s, m, compile(sprig_string(a[0]))) ? m.str(0) : "");
  };
  t["regexFindAll"] = [](Args& a) {
    expect_args("regexFindAll", a, 3, 3);
    std::string s = sprig_string(a[1]);
    std::regex re = compile(sprig_string(a[0]));
    int64_t limit = sprig_int(a[2]);
    Json out = Json::array();
    for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
      if (limit >= 0 && static_cast<int64_t>(out.size()) >= limit) break;
      check_size(out.size() + 1);
      out.push_back(it->str(0));
    }
    return out;
  };
  t["regexReplaceAll"] = [](Args& a) {
    expect_args("regexReplaceAll", a, 3, 3);
    return Json(bounded(std::regex_replace(sprig_string(a[1]), compile(sprig_string(a[0])), sprig_string(a[2]))));
  };
  t["regexReplaceAllLiteral"] = [](Args& a) {
    expect_args("regexReplaceAllLiteral", a, 3, 3);
    std::string replacement;
    for (char c : sprig_string(a[2])) replacement += c == '$' ? "$$" : std::string(1, c);
    return Json(bounded(std::regex_replace(sprig_string(a[1]), compile(sprig_string(a[0])), replacement)));
  };
  t["regexSplit"] = [](Args& a) {
    expect_args("regexSplit", a, 3, 3);
    std::string s = sprig_string(a[1]);
    std::regex re = compile(sprig_string(a[0]));
    Json out = Json::array();
    for (auto it = std::sregex_token_iterator(s.begin(), s.end(), re, -1); it != std::sregex_token_iterator(); ++it) {
      check_size(out.size() + 1);
      out.push_back(it->str());
    }
    int64_t limit = sprig_int(a[2]);
    if (limit >= 0 && static_cast<int64_t>(out.size()) > limit) out.erase(out.begin() + limit, out.end());
    return out;
  };
  // Dates take a number of seconds since the epoch or an RFC 3339 string.
  // (Sprig itself reads the clock for strings; the expression layer has none.)
  t["date"] = [](Args& a) {
    expect_args("date", a, 2, 2);
    return Json(format_time(sprig_string(a[0]), to_unix_seconds(a[1])));
  };
  t["dateInZone"] = [](Args& a) {
    expect_args("dateInZone", a, 3, 3);
    return Json(format_time(sprig_string(a[0]), to_unix_seconds(a[1])));
  };
  t["unixEpoch"] = [](Args& a) { expect_args("unixEpoch", a, 1, 1); return Json(std::to_string(to_unix_seconds(a[0]))); };
}

}  // namespace skiff::expr::internal
