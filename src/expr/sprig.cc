#include "expr/sprig.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "expr/exprlang.h"
#include "expr/go_time.h"

namespace skiff::expr::internal {

std::string sprig_string(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return to_go_string(v);
}

int64_t sprig_int(const Json& v) {
  if (v.is_number()) return as_int64(v);
  if (is_named_number(v)) return named_number_of(v);
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    errno = 0;
    char* end = nullptr;
    long long n = std::strtoll(s.c_str(), &end, 0);
    if (s.empty() || *end != '\0' || errno != 0) return 0;
    return n;
  }
  return 0;
}

double sprig_float(const Json& v) {
  if (v.is_number()) return as_double(v);
  if (is_named_number(v)) return static_cast<double>(named_number_of(v));
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') return 0;
    return d;
  }
  return 0;
}

bool sprig_empty(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return true;
    case Json::value_t::boolean: return !v.get<bool>();
    case Json::value_t::string:
    case Json::value_t::array:
    case Json::value_t::object: return v.empty() || (v.is_string() && v.get_ref<const std::string&>().empty());
    default: return as_double(v) == 0;
  }
}

Json sprig_list(const Json& v) {
  if (v.is_array()) return v;
  if (v.is_null()) return Json::array();
  fail("Cannot find first on type " + go_type_name(v));
}

namespace {

const SprigTable& sprig_table() {
  static const SprigTable table = [] {
    SprigTable t;
    add_sprig_strings(t);
    add_sprig_collections(t);
    add_sprig_more(t);
    add_sprig_crypto(t);
    add_sprig_semver(t);
    add_sprig_urls(t);
    return t;
  }();
  return table;
}

}  // namespace

bool is_sprig_function(const std::string& name) { return sprig_table().count(name) > 0; }

Json call_sprig(const std::string& name, Args& args) { return sprig_table().at(name)(args); }

}  // namespace skiff::expr::internal
