// Value helpers shared by the expr-lang evaluator and its function libraries:
// Go-like numeric conversions and the error type that carries a message up to
// the node being evaluated.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skiff::expr::internal {

using Json = nlohmann::json;

// Thrown inside the evaluator and function libraries; caught at the public
// boundary and turned into a Status with the expression position.
struct EvalFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& message);

inline bool is_int(const Json& v) { return v.is_number_integer(); }
inline bool is_float(const Json& v) { return v.is_number_float(); }
double as_double(const Json& v);  // any number
int64_t as_int64(const Json& v);  // any number, truncating floats
Json int_value(int64_t v);

bool values_equal(const Json& a, const Json& b);
// Go's fmt %v.
std::string to_go_string(const Json& v);
// Fails when a collection or string would grow past the configured caps.
void check_size(size_t size);

// Operators shared by the evaluator and the function libraries.
int64_t wrap_add(int64_t a, int64_t b);
int64_t wrap_sub(int64_t a, int64_t b);
int64_t wrap_mul(int64_t a, int64_t b);
std::string type_pair(const Json& a, const char* op, const Json& b);  // "invalid operation: int + string"
Json arithmetic(const std::string& op, const Json& a, const Json& b);  // + - * / % ** ^
int compare(const std::string& op, const Json& a, const Json& b);      // <0, 0, >0 or failure

using Args = std::vector<Json>;
void expect_args(const std::string& name, const Args& args, size_t min, size_t max);
const std::string& string_arg(const std::string& name, const Args& args, size_t i);

bool is_builtin(const std::string& name);
Json call_builtin(const std::string& name, Args& args);
bool is_sprig_function(const std::string& name);
Json call_sprig(const std::string& name, Args& args);
// Argo's own functions: asInt, asFloat, jsonpath, toJson.
bool is_argo_function(const std::string& name);
Json call_argo_function(const std::string& name, Args& args);
// JSONPath query over a JSON document, as github.com/evilmonkeyinc/jsonpath.
Json jsonpath_query(const Json& document, const std::string& path);
// MatchString of Go's regexp (RE2); a bad pattern fails with Go's message.
bool regex_find(const std::string& pattern, const std::string& text);

}  // namespace skiff::expr::internal
