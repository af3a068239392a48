// sprig: defaults, lists, dictionaries and math.
#include <algorithm>
#include <cmath>

#include "expr/exprlang.h"
#include "expr/sprig.h"

namespace skiff::expr::internal {
namespace {

Json fold_int(Args& a, int64_t start, int64_t (*op)(int64_t, int64_t)) {
  int64_t acc = start;
  for (const auto& v : a) acc = op(acc, sprig_int(v));
  return int_value(acc);
}

int64_t wrapping(int64_t a, int64_t b, char op) {
  auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  return static_cast<int64_t>(op == '+' ? ua + ub : op == '-' ? ua - ub : ua * ub);
}

Json range_list(int64_t start, int64_t stop, int64_t step) {
  Json out = Json::array();
  if (step == 0) return out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    check_size(out.size() + 1);
    out.push_back(int_value(i));
  }
  return out;
}

}  // namespace

void add_sprig_collections(SprigTable& t) {
  // Defaults and flow.
  t["default"] = [](Args& a) {
    expect_args("default", a, 1, 2);
    return a.size() < 2 || sprig_empty(a[1]) ? a[0] : a[1];
  };
  t["empty"] = [](Args& a) { expect_args("empty", a, 1, 1); return Json(sprig_empty(a[0])); };
  t["coalesce"] = [](Args& a) {
    for (const auto& v : a) {
      if (!sprig_empty(v)) return v;
    }
    return Json();
  };
  t["ternary"] = [](Args& a) {
    expect_args("ternary", a, 3, 3);
    return a[2].is_boolean() && a[2].get<bool>() ? a[0] : a[1];
  };
  t["fail"] = [](Args& a) -> Json { fail(a.empty() ? "fail" : sprig_string(a[0])); };

  // Lists.
  t["list"] = [](Args& a) { return Json(a); };
  t["tuple"] = t["list"];
  t["first"] = [](Args& a) { expect_args("first", a, 1, 1); Json l = sprig_list(a[0]); return l.empty() ? Json() : l[0]; };
  t["last"] = [](Args& a) { expect_args("last", a, 1, 1); Json l = sprig_list(a[0]); return l.empty() ? Json() : l.back(); };
  t["rest"] = [](Args& a) {
    expect_args("rest", a, 1, 1);
    Json l = sprig_list(a[0]);
    return l.empty() ? Json::array() : Json(l.begin() + 1, l.end());
  };
  t["initial"] = [](Args& a) {
    expect_args("initial", a, 1, 1);
    Json l = sprig_list(a[0]);
    return l.empty() ? Json::array() : Json(l.begin(), l.end() - 1);
  };
  t["append"] = [](Args& a) {
    expect_args("append", a, 2, 2);
    Json l = sprig_list(a[0]);
    check_size(l.size() + 1);
    l.push_back(a[1]);
    return l;
  };
  t["push"] = t["append"];
  t["prepend"] = [](Args& a) {
    expect_args("prepend", a, 2, 2);
    Json l = sprig_list(a[0]);
    check_size(l.size() + 1);
    l.insert(l.begin(), a[1]);
    return l;
  };
  t["concat"] = [](Args& a) {
    Json out = Json::array();
    for (const auto& l : a) {
      for (const auto& v : sprig_list(l)) {
        check_size(out.size() + 1);
        out.push_back(v);
      }
    }
    return out;
  };
  t["reverse"] = [](Args& a) {
    expect_args("reverse", a, 1, 1);
    Json l = sprig_list(a[0]);
    std::reverse(l.begin(), l.end());
    return l;
  };
  t["uniq"] = [](Args& a) {
    expect_args("uniq", a, 1, 1);
    Json out = Json::array();
    for (const auto& v : sprig_list(a[0])) {
      if (std::none_of(out.begin(), out.end(), [&](const Json& o) { return values_equal(o, v); })) out.push_back(v);
    }
    return out;
  };
  t["has"] = [](Args& a) {
    expect_args("has", a, 2, 2);
    for (const auto& v : sprig_list(a[1])) {
      if (values_equal(v, a[0])) return Json(true);
    }
    return Json(false);
  };
  t["without"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call without");
    Json out = Json::array();
    for (const auto& v : sprig_list(a[0])) {
      if (std::none_of(a.begin() + 1, a.end(), [&](const Json& o) { return values_equal(o, v); })) out.push_back(v);
    }
    return out;
  };
  t["compact"] = [](Args& a) {
    expect_args("compact", a, 1, 1);
    Json out = Json::array();
    for (const auto& v : sprig_list(a[0])) {
      if (!sprig_empty(v)) out.push_back(v);
    }
    return out;
  };
  t["slice"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call slice");
    Json l = sprig_list(a[0]);
    int64_t n = static_cast<int64_t>(l.size());
    int64_t from = a.size() > 1 ? sprig_int(a[1]) : 0;
    int64_t to = a.size() > 2 ? sprig_int(a[2]) : n;
    if (from < 0 || to > n || from > to) fail("slice bounds out of range");
    return Json(l.begin() + from, l.begin() + to);
  };
  t["sortAlpha"] = [](Args& a) {
    expect_args("sortAlpha", a, 1, 1);
    std::vector<std::string> items;
    for (const auto& v : sprig_list(a[0])) items.push_back(sprig_string(v));
    std::sort(items.begin(), items.end());
    return Json(items);
  };
  t["until"] = [](Args& a) {
    expect_args("until", a, 1, 1);
    int64_t n = sprig_int(a[0]);
    return range_list(0, n, n >= 0 ? 1 : -1);
  };
  t["untilStep"] = [](Args& a) {
    expect_args("untilStep", a, 3, 3);
    return range_list(sprig_int(a[0]), sprig_int(a[1]), sprig_int(a[2]));
  };

  // Dictionaries.
  t["dict"] = [](Args& a) {
    Json out = Json::object();
    for (size_t i = 0; i < a.size(); i += 2) out[sprig_string(a[i])] = i + 1 < a.size() ? a[i + 1] : Json("");
    return out;
  };
  t["get"] = [](Args& a) {
    expect_args("get", a, 2, 2);
    if (a[0].is_object() && a[0].contains(sprig_string(a[1]))) return a[0][sprig_string(a[1])];
    return Json("");
  };
  t["set"] = [](Args& a) {
    expect_args("set", a, 3, 3);
    Json out = a[0].is_object() ? a[0] : Json::object();
    out[sprig_string(a[1])] = a[2];
    return out;
  };
  t["unset"] = [](Args& a) {
    expect_args("unset", a, 2, 2);
    Json out = a[0].is_object() ? a[0] : Json::object();
    out.erase(sprig_string(a[1]));
    return out;
  };
  t["hasKey"] = [](Args& a) {
    expect_args("hasKey", a, 2, 2);
    return Json(a[0].is_object() && a[0].contains(sprig_string(a[1])));
  };
  t["keys"] = [](Args& a) {
    Json out = Json::array();
    for (const auto& d : a) {
      if (!d.is_object()) continue;
      for (const auto& [k, v] : d.items()) out.push_back(k);
    }
    return out;
  };
  t["values"] = [](Args& a) {
    expect_args("values", a, 1, 1);
    Json out = Json::array();
    if (a[0].is_object()) {
      for (const auto& v : a[0]) out.push_back(v);
    }
    return out;
  };
  t["pluck"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call pluck");
    std::string key = sprig_string(a[0]);
    Json out = Json::array();
    for (size_t i = 1; i < a.size(); ++i) {
      if (a[i].is_object() && a[i].contains(key)) out.push_back(a[i][key]);
    }
    return out;
  };
  t["merge"] = [](Args& a) {
    Json out = Json::object();
    for (auto it = a.rbegin(); it != a.rend(); ++it) {
      if (it->is_object()) out.update(*it);
    }
    return out;
  };

  // Math: integers via cast.ToInt64, floats via cast.ToFloat64.
  t["add"] = [](Args& a) { return fold_int(a, 0, [](int64_t x, int64_t y) { return wrapping(x, y, '+'); }); };
  t["add1"] = [](Args& a) { expect_args("add1", a, 1, 1); return int_value(wrapping(sprig_int(a[0]), 1, '+')); };
  t["sub"] = [](Args& a) { expect_args("sub", a, 2, 2); return int_value(wrapping(sprig_int(a[0]), sprig_int(a[1]), '-')); };
  t["mul"] = [](Args& a) { return fold_int(a, 1, [](int64_t x, int64_t y) { return wrapping(x, y, '*'); }); };
  t["div"] = [](Args& a) {
    expect_args("div", a, 2, 2);
    int64_t d = sprig_int(a[1]);
    if (d == 0) fail("runtime error: integer divide by zero");
    if (d == -1) return int_value(wrapping(0, sprig_int(a[0]), '-'));
    return int_value(sprig_int(a[0]) / d);
  };
  t["mod"] = [](Args& a) {
    expect_args("mod", a, 2, 2);
    int64_t d = sprig_int(a[1]);
    if (d == 0) fail("runtime error: integer divide by zero");
    if (d == -1) return int_value(0);
    return int_value(sprig_int(a[0]) % d);
  };
  t["max"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call max");
    int64_t best = sprig_int(a[0]);
    for (const auto& v : a) best = std::max(best, sprig_int(v));
    return int_value(best);
  };
  t["min"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call min");
    int64_t best = sprig_int(a[0]);
    for (const auto& v : a) best = std::min(best, sprig_int(v));
    return int_value(best);
  };
  t["addf"] = [](Args& a) { double s = 0; for (const auto& v : a) s += sprig_float(v); return Json(s); };
  t["mulf"] = [](Args& a) { double s = 1; for (const auto& v : a) s *= sprig_float(v); return Json(s); };
  t["subf"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call subf");
    double s = sprig_float(a[0]);
    for (size_t i = 1; i < a.size(); ++i) s -= sprig_float(a[i]);
    return Json(s);
  };
  t["divf"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call divf");
    double s = sprig_float(a[0]);
    for (size_t i = 1; i < a.size(); ++i) s /= sprig_float(a[i]);
    return Json(s);
  };
  t["maxf"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call maxf");
    double best = sprig_float(a[0]);
    for (const auto& v : a) best = std::max(best, sprig_float(v));
    return Json(best);
  };
  t["minf"] = [](Args& a) {
    if (a.empty()) fail("not enough arguments to call minf");
    double best = sprig_float(a[0]);
    for (const auto& v : a) best = std::min(best, sprig_float(v));
    return Json(best);
  };
  t["floor"] = [](Args& a) { expect_args("floor", a, 1, 1); return Json(std::floor(sprig_float(a[0]))); };
  t["ceil"] = [](Args& a) { expect_args("ceil", a, 1, 1); return Json(std::ceil(sprig_float(a[0]))); };
  t["round"] = [](Args& a) {
    expect_args("round", a, 2, 3);
    double scale = std::pow(10.0, static_cast<double>(sprig_int(a[1])));
    double v = sprig_float(a[0]) * scale;
    double r = a.size() > 2 ? sprig_float(a[2]) : 0.5;
    return Json((v >= 0 ? std::floor(v + (1 - r)) : -std::floor(-v + (1 - r))) / scale);
  };
  t["int"] = [](Args& a) { expect_args("int", a, 1, 1); return int_value(sprig_int(a[0])); };
  t["int64"] = t["int"];
  t["atoi"] = [](Args& a) {
    expect_args("atoi", a, 1, 1);
    if (!a[0].is_string()) return int_value(0);
    errno = 0;
    char* end = nullptr;
    const std::string& s = a[0].get_ref<const std::string&>();
    long long n = std::strtoll(s.c_str(), &end, 10);
    return int_value(s.empty() || *end != '\0' || errno != 0 ? 0 : n);
  };
  t["float64"] = [](Args& a) { expect_args("float64", a, 1, 1); return Json(sprig_float(a[0])); };
}

}  // namespace skiff::expr::internal
