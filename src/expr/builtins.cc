// expr-lang's builtin functions (those that take no predicate) and Argo's
// additions to the expression environment.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

#include "expr/expr.h"
#include "expr/exprlang.h"
#include "expr/builtins.h"
#include "expr/go_utf8.h"
#include "expr/go_format.h"

namespace skiff::expr::internal {
namespace {


Json to_int(const Json& v) {
  if (is_int(v)) return v;
  if (is_float(v)) return int_value(as_int64(v));
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0 || std::isspace(static_cast<unsigned char>(s[0]))) {
      fail("strconv.Atoi: parsing " + [&] { std::string q; go_json_quote(s, &q); return q; }() + ": invalid syntax");
    }
    return int_value(n);
  }
  if (v.is_boolean()) fail("invalid operation: int(bool)");
  fail("invalid operation: int(" + go_type_name(v) + ")");
}

Json to_float(const Json& v) {
  if (v.is_number()) return as_double(v);
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || std::isspace(static_cast<unsigned char>(s[0]))) {
      fail("strconv.ParseFloat: parsing " + [&] { std::string q; go_json_quote(s, &q); return q; }() + ": invalid syntax");
    }
    return d;
  }
  fail("invalid operation: float(" + go_type_name(v) + ")");
}

Json parse_json_text(const std::string& text) {
  auto bounded = parse_json(text);
  if (bounded.is_ok()) return numbers_to_float(std::move(*bounded));
  try {
    Json probe = Json::parse(text);  // for the decoder's own description of the fault
    (void)probe;
  } catch (const Json::exception& e) {
    fail(std::string("invalid JSON: ") + e.what());
  }
  fail(bounded.status().message());
}

std::string marshal(const Json& v) {
  std::string out;
  if (!go_json_marshal(v, &out)) fail("json: unsupported value: " + to_go_string(v));
  return out;
}

// encoding/json's MarshalIndent(v, "", "  ") from the compact form.
std::string indent_json(const std::string& compact) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < compact.size(); ++i) {
    char c = compact[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\') out.push_back(compact[++i]);
      else if (c == '"') in_string = false;
      continue;
    }
    auto newline = [&] { out.push_back('\n'); out.append(static_cast<size_t>(depth) * 2, ' '); };
    switch (c) {
      case '"': in_string = true; out.push_back(c); break;
      case '{': case '[':
        out.push_back(c);
        if (i + 1 < compact.size() && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
          out.push_back(compact[++i]);
        } else {
          ++depth;
          newline();
        }
        break;
      case '}': case ']': --depth; newline(); out.push_back(c); break;
      case ',': out.push_back(c); newline(); break;
      case ':': out += ": "; break;
      default: out.push_back(c);
    }
  }
  return out;
}


Json extreme(const std::string& name, Args& args, bool want_max) {
  if (args.size() == 1 && args[0].is_array()) args = Args(args[0].begin(), args[0].end());
  if (args.empty()) fail("not enough arguments to call " + name);
  Json best = args[0];
  for (const auto& v : args) {
    if (!v.is_number()) fail("invalid argument for " + name + " (type " + go_type_name(v) + ")");
    if (want_max ? as_double(v) > as_double(best) : as_double(v) < as_double(best)) best = v;
  }
  return best;
}

const BuiltinTable& builtins() {
  static const BuiltinTable table = [] {
    BuiltinTable t = {
        {"len", [](Args& a) {
           expect_args("len", a, 1, 1);
           // Runes, as expr-lang counts since v1.17 (Argo v3.7 and later).
           if (a[0].is_string()) return int_value(static_cast<int64_t>(rune_count(a[0].get_ref<const std::string&>())));
           if (a[0].is_array() || a[0].is_object()) return int_value(static_cast<int64_t>(a[0].size()));
           fail("invalid argument for len (type " + go_type_name(a[0]) + ")");
         }},
        {"abs", [](Args& a) {
           expect_args("abs", a, 1, 1);
           if (is_int(a[0])) return int_value(as_int64(a[0]) < 0 ? -as_int64(a[0]) : as_int64(a[0]));
           return Json(std::fabs(as_double(a[0])));
         }},
        {"ceil", [](Args& a) { expect_args("ceil", a, 1, 1); return Json(std::ceil(as_double(a[0]))); }},
        {"floor", [](Args& a) { expect_args("floor", a, 1, 1); return Json(std::floor(as_double(a[0]))); }},
        {"round", [](Args& a) { expect_args("round", a, 1, 1); return Json(std::round(as_double(a[0]))); }},
        {"int", [](Args& a) { expect_args("int", a, 1, 1); return to_int(a[0]); }},
        {"float", [](Args& a) { expect_args("float", a, 1, 1); return to_float(a[0]); }},
        {"string", [](Args& a) { expect_args("string", a, 1, 1); return Json(to_go_string(a[0])); }},
        {"type", [](Args& a) {
           expect_args("type", a, 1, 1);
           static const std::map<Json::value_t, const char*> names = {
               {Json::value_t::null, "nil"}, {Json::value_t::boolean, "bool"}, {Json::value_t::number_integer, "int"},
               {Json::value_t::number_unsigned, "int"}, {Json::value_t::number_float, "float"},
               {Json::value_t::string, "string"}, {Json::value_t::array, "array"}, {Json::value_t::object, "map"}};
           return Json(names.at(a[0].type()));
         }},
        {"max", [](Args& a) { return extreme("max", a, true); }},
        {"min", [](Args& a) { return extreme("min", a, false); }},
        {"mean", [](Args& a) {
           expect_args("mean", a, 1, 1);
           if (!a[0].is_array() || a[0].empty()) return Json(0.0);
           double total = 0;
           for (const auto& v : a[0]) total += as_double(v);
           return Json(total / static_cast<double>(a[0].size()));
         }},
        {"median", [](Args& a) {
           expect_args("median", a, 1, 1);
           if (!a[0].is_array() || a[0].empty()) return Json(0.0);
           std::vector<double> v;
           for (const auto& x : a[0]) v.push_back(as_double(x));
           std::sort(v.begin(), v.end());
           size_t n = v.size();
           return Json(n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
         }},
        {"toJSON", [](Args& a) { expect_args("toJSON", a, 1, 1); return Json(indent_json(marshal(a[0]))); }},
        {"fromJSON", [](Args& a) { expect_args("fromJSON", a, 1, 1); return parse_json_text(string_arg("fromJSON", a, 0)); }},
        {"first", [](Args& a) {
           expect_args("first", a, 1, 1);
           return a[0].is_array() && !a[0].empty() ? a[0][0] : Json();
         }},
        {"last", [](Args& a) {
           expect_args("last", a, 1, 1);
           return a[0].is_array() && !a[0].empty() ? a[0].back() : Json();
         }},
        {"get", [](Args& a) {
           expect_args("get", a, 2, 2);
           if (a[0].is_object() && a[1].is_string()) return a[0].value(a[1].get<std::string>(), Json());
           if (a[0].is_array() && a[1].is_number()) {
             int64_t i = as_int64(a[1]), n = static_cast<int64_t>(a[0].size());
             if (i < 0) i += n;
             return i >= 0 && i < n ? a[0][static_cast<size_t>(i)] : Json();
           }
           return Json();
         }},
        {"keys", [](Args& a) {
           expect_args("keys", a, 1, 1);
           Json out = Json::array();
           if (a[0].is_object()) {
             for (const auto& [k, v] : a[0].items()) out.push_back(k);
           }
           return out;
         }},
        {"values", [](Args& a) {
           expect_args("values", a, 1, 1);
           Json out = Json::array();
           if (a[0].is_object()) {
             for (const auto& v : a[0]) out.push_back(v);
           }
           return out;
         }},
        {"toPairs", [](Args& a) {
           expect_args("toPairs", a, 1, 1);
           Json out = Json::array();
           if (a[0].is_object()) {
             for (const auto& [k, v] : a[0].items()) out.push_back(Json::array({k, v}));
           }
           return out;
         }},
        {"fromPairs", [](Args& a) {
           expect_args("fromPairs", a, 1, 1);
           Json out = Json::object();
           if (a[0].is_array()) {
             for (const auto& pair : a[0]) {
               if (pair.is_array() && pair.size() == 2) out[pair[0].is_string() ? pair[0].get<std::string>() : to_go_string(pair[0])] = pair[1];
             }
           }
           return out;
         }},
        {"concat", [](Args& a) {
           Json out = Json::array();
           for (const auto& arr : a) {
             if (!arr.is_array()) fail("cannot concat " + go_type_name(arr));
             check_size(out.size() + arr.size());
             for (const auto& v : arr) out.push_back(v);
           }
           return out;
         }},
        {"flatten", [](Args& a) {
           expect_args("flatten", a, 1, 1);
           Json out = Json::array();
           std::function<void(const Json&, int)> walk = [&](const Json& v, int depth) {
             if (depth > 100) fail("flatten: nesting too deep");
             if (!v.is_array()) {
               check_size(out.size() + 1);
               out.push_back(v);
               return;
             }
             for (const auto& item : v) walk(item, depth + 1);
           };
           walk(a[0], 0);
           return out;
         }},
        {"uniq", [](Args& a) {
           expect_args("uniq", a, 1, 1);
           Json out = Json::array();
           if (!a[0].is_array()) return out;
           for (const auto& v : a[0]) {
             bool seen = false;
             for (const auto& o : out) seen = seen || values_equal(o, v);
             if (!seen) out.push_back(v);
           }
           return out;
         }},
        {"reverse", [](Args& a) {
           expect_args("reverse", a, 1, 1);
           Json out = a[0].is_array() ? a[0] : Json::array();
           std::reverse(out.begin(), out.end());
           return out;
         }},
        {"sort", [](Args& a) {
           expect_args("sort", a, 1, 2);
           if (!a[0].is_array()) fail("sort: invalid argument (type " + go_type_name(a[0]) + ")");
           Json out = a[0];
           bool desc = a.size() > 1 && a[1] == "desc";
           std::vector<Json> items(out.begin(), out.end());
           std::stable_sort(items.begin(), items.end(), [&](const Json& x, const Json& y) {
             if (x.is_number() && y.is_number()) return desc ? as_double(x) > as_double(y) : as_double(x) < as_double(y);
             if (x.is_string() && y.is_string()) return desc ? x.get<std::string>() > y.get<std::string>() : x.get<std::string>() < y.get<std::string>();
             fail("sort: mixed types " + go_type_name(x) + " and " + go_type_name(y));
           });
           return Json(items);
         }},
        {"take", [](Args& a) {
           expect_args("take", a, 2, 2);
           if (!a[0].is_array()) return Json::array();
           int64_t n = std::max<int64_t>(0, std::min<int64_t>(as_int64(a[1]), static_cast<int64_t>(a[0].size())));
           return Json(a[0].begin(), a[0].begin() + n);
         }},
        {"bitand", [](Args& a) { expect_args("bitand", a, 2, 2); return int_value(as_int64(a[0]) & as_int64(a[1])); }},
        {"bitor", [](Args& a) { expect_args("bitor", a, 2, 2); return int_value(as_int64(a[0]) | as_int64(a[1])); }},
        {"bitxor", [](Args& a) { expect_args("bitxor", a, 2, 2); return int_value(as_int64(a[0]) ^ as_int64(a[1])); }},
        {"bitnand", [](Args& a) { expect_args("bitnand", a, 2, 2); return int_value(as_int64(a[0]) & ~as_int64(a[1])); }},
        {"bitnot", [](Args& a) { expect_args("bitnot", a, 1, 1); return int_value(~as_int64(a[0])); }},
    };
    add_string_builtins(t);
    return t;
  }();
  return table;
}

}  // namespace

bool is_builtin(const std::string& name) { return builtins().count(name) > 0; }

Json call_builtin(const std::string& name, Args& args) { return builtins().at(name)(args); }

bool is_argo_function(const std::string& name) {
  return name == "asInt" || name == "asFloat" || name == "jsonpath" || name == "toJson";
}

Json call_argo_function(const std::string& name, Args& args) {
  if (name == "asInt") {
    expect_args(name, args, 1, 1);
    return to_int(args[0]);
  }
  if (name == "asFloat") {
    expect_args(name, args, 1, 1);
    return to_float(args[0]);
  }
  if (name == "toJson") {
    expect_args(name, args, 1, 1);
    return marshal(args[0]);
  }
  expect_args(name, args, 2, 2);
  return jsonpath_query(parse_json_text(string_arg(name, args, 0)), string_arg(name, args, 1));
}

}  // namespace skiff::expr::internal
