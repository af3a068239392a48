// The layer's public entry points for expressions and scopes.
#include <algorithm>

#include "expr/exprlang.h"
#include "expr/expr.h"

namespace skiff::expr {

Result<Json> evaluate_expression(std::string_view expression, const Json& env) {
  auto tree = internal::parse_expression(expression);
  if (!tree.is_ok()) return tree.status();
  return internal::evaluate_tree(**tree, expression, env);
}

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
    // the more specific one, as Argo's environment does.
    if (i + 1 < keys.size() && keys[i + 1].size() > key.size() && keys[i + 1].compare(0, key.size(), key) == 0 &&
        keys[i + 1][key.size()] == '.') {
      continue;
    }
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
