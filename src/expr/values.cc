#include "expr/values.h"

#include "expr/exprlang.h"
#include "expr/go_format.h"
#include "expr/go_time.h"
#include "expr/regex.h"
#include "expr/sprig.h"

namespace skiff::expr::internal {

void fail(const std::string& message) { throw EvalFailure(message); }

double as_double(const Json& v) {
  if (v.is_number_float()) return v.get<double>();
  if (v.is_number_unsigned()) return static_cast<double>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<double>(v.get<int64_t>());
  fail("cannot convert " + go_type_name(v) + " to float64");
}

int64_t as_int64(const Json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!(d > -9.3e18 && d < 9.3e18)) return INT64_MIN;
    return static_cast<int64_t>(d);
  }
  if (v.is_number_unsigned()) return static_cast<int64_t>(v.get<uint64_t>());
  if (v.is_number_integer()) return v.get<int64_t>();
  fail("cannot convert " + go_type_name(v) + " to int");
}

Json int_value(int64_t v) { return Json(v); }

bool values_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (is_int(a) && is_int(b)) return as_int64(a) == as_int64(b);
    return as_double(a) == as_double(b);
  }
  if (a.type() != b.type()) return false;
  return a == b;
}

std::string to_go_string(const Json& v) { return go_sprint(v); }

void check_size(size_t size) {
  if (size > kMaxCollectionSize) {
    fail("result too large: " + std::to_string(size) + " elements (limit " + std::to_string(kMaxCollectionSize) + ")");
  }
}

void expect_args(const std::string& name, const Args& args, size_t min, size_t max) {
  if (args.size() < min) fail("not enough arguments to call " + name);
  if (args.size() > max) fail("too many arguments to call " + name);
}

const std::string& string_arg(const std::string& name, const Args& args, size_t i) {
  if (!args[i].is_string()) {
    fail("cannot use " + go_type_name(args[i]) + " as argument (type string) to call " + name);
  }
  return args[i].get_ref<const std::string&>();
}

std::string go_type_name(const Json& value) {
  if (is_time(value)) return "time.Time";
  if (is_duration(value)) return "time.Duration";
  if (is_named_number(value)) return named_number_type(value);
  if (is_semver(value)) return "*semver.Version";
  switch (value.type()) {
    case Json::value_t::null: return "<nil>";
    case Json::value_t::boolean: return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "int";
    case Json::value_t::number_float: return "float64";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "[]interface {}";
    case Json::value_t::object: return "map[string]interface {}";
    default: return "unknown";
  }
}

Json numbers_to_float(Json value) {
  if (value.is_number()) return Json(as_double(value));
  if (value.is_array() || value.is_object()) {
    for (auto& item : value) item = numbers_to_float(std::move(item));
  }
  return value;
}

bool regex_find(const std::string& pattern, const std::string& text) {
  if (text.size() > kMaxStringSize) fail("string too long for a regular expression match");
  GoRegex re(pattern);
  if (!re.ok()) fail(re.error());
  return re.find(text);
}

}  // namespace skiff::expr::internal
