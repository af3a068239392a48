// The layer's public entry points for expressions and scopes.
#include <algorithm>

#include "expr/dates.h"
#include "expr/exprlang.h"
#include "expr/sprig.h"
#include "expr/expr.h"

namespace skiff::expr {

Result<Json> evaluate_expression(std::string_view expression, const Json& env) {
  auto tree = internal::parse_expression(expression);
  if (!tree.is_ok()) return tree.status();
  auto value = internal::evaluate_tree(**tree, expression, env);
  if (!value.is_ok()) return value.status();
  // Times and durations leave the layer as encoding/json writes them.
  return internal::plain_json(*value);
}

std::string format_go_time(std::string_view layout, Time t) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  return internal::format_go_time(layout, internal::add_duration(internal::GoTime{}, micros * 1000));
}

void set_clock(Scope& scope, Time now) {
  scope[internal::kClockKey] = std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
}

void set_entropy(Scope& scope, std::string_view seed) { scope[internal::kEntropyKey] = std::string(seed); }

Result<Json> evaluate_expression(std::string_view expression, const Scope& scope) {
  return evaluate_expression(expression, expand_scope(scope));
}

Json expand_scope(const Scope& scope) {
  std::vector<std::string> keys;
  keys.reserve(scope.size());
  for (const auto& [key, value] : scope) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  Json env = Json::object();
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    // A name that is also the prefix of another ("a" and "a.b") gives way to
    // the more specific one (Argo's environment keeps whichever it meets
    // first). workflow.creationTimestamp keeps its RFC 3339 text, which is
    // what date() and sprig read; its strftime forms are for simple tags.
    const bool value_first = key == "workflow.creationTimestamp";
    auto is_prefix_of = [&key](const std::string& other) {
      return other.size() > key.size() && other.compare(0, key.size(), key) == 0 && other[key.size()] == '.';
    };
    if (!value_first && i + 1 < keys.size() && is_prefix_of(keys[i + 1])) continue;
    if (key.rfind("workflow.creationTimestamp.", 0) == 0 && scope.count("workflow.creationTimestamp")) continue;
    Json* at = &env;
    size_t start = 0;
    while (true) {
      size_t dot = key.find('.', start);
      std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (dot == std::string::npos) {
        if (!at->is_object()) break;
        (*at)[part] = scope.at(key);
        break;
      }
      if (!at->is_object()) break;
      Json& next = (*at)[part];
      if (!next.is_object()) next = Json::object();
      at = &next;
      start = dot + 1;
    }
  }
  return env;
}

}  // namespace skiff::expr
