// {{tag}} and {{=expression}} substitution with Argo's rules (util/template):
// a tag is the text between "{{" and the next "}}"; simple tags are looked up
// trimmed; unresolved tags are either kept verbatim or reported.
#include <cctype>
#include <optional>

#include "expr/dates.h"
#include "expr/exprlang.h"
#include "expr/expr.h"
#include "expr/go_format.h"
#include "expr/go_time.h"

namespace skiff::expr {
namespace {

using internal::go_json_marshal;

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string go_quote(std::string_view s) {
  std::string out;
  internal::go_json_quote(std::string(s), &out);
  return out;
}

bool is_awaited_variable(const std::string& path) {
  static const char* kAwaited[] = {"item", "retries", "lastRetry.exitCode", "lastRetry.status",
                                   "lastRetry.duration", "lastRetry.message", "workflow.status", "workflow.failures"};
  for (std::string_view name : kAwaited) {
    if (path == name || (path.size() > name.size() && path.compare(0, name.size(), name) == 0 && path[name.size()] == '.')) {
      return true;
    }
  }
  return false;
}

class Substituter {
 public:
  Substituter(const Scope& scope, Unresolved mode) : scope_(scope), mode_(mode) {}
  // Typed variables: simple tags are looked up in `env` by dotted path.
  Substituter(const Json& env, Unresolved mode) : scope_(kNoScope), mode_(mode), env_(env), typed_(true) {}

  Result<std::string> run(std::string_view text) {
    std::string out;
    size_t at = 0;
    while (true) {
      size_t open = text.find("{{", at);
      if (open == std::string_view::npos) {
        out.append(text.substr(at));
        return out;
      }
      out.append(text.substr(at, open - at));
      size_t close = text.find("}}", open + 2);
      if (close == std::string_view::npos) {
        return invalid_argument("cannot find end tag=\"}}\" in the template=" + go_quote(text) +
                                " starting from " + go_quote(text.substr(open + 2)));
      }
      std::string_view tag = text.substr(open + 2, close - open - 2);
      Status status = tag.substr(0, 1) == "=" ? replace_expression(tag.substr(1), &out)
                                              : replace_simple(tag, &out);
      if (!status.is_ok()) return status;
      at = close + 2;
    }
  }

 private:
  Status replace_simple(std::string_view tag, std::string* out) {
    std::string_view trimmed = tag;
    while (!trimmed.empty() && is_space(trimmed.front())) trimmed.remove_prefix(1);
    while (!trimmed.empty() && is_space(trimmed.back())) trimmed.remove_suffix(1);
    auto it = scope_.find(std::string(trimmed));
    if (it != scope_.end()) {
      out->append(it->second);
      return Status::ok();
    }
    if (typed_) {
      if (const Json* value = lookup(*env_, std::string(trimmed))) {
        out->append(value->is_string() ? value->get<std::string>() : internal::go_sprint(internal::plain_json(*value)));
        return Status::ok();
      }
    }
    // "{{ {{x}} }}": the tag ends at the inner "}}", so Argo resolves the
    // inner name and re-emits the outer opening braces.
    size_t inner = tag.rfind("{{");
    if (inner != std::string_view::npos && inner > 0) {
      auto nested = scope_.find(std::string(tag.substr(inner + 2)));
      if (nested != scope_.end()) {
        out->append("{{").append(tag.substr(0, inner)).append(nested->second);
        return Status::ok();
      }
    }
    if (mode_ == Unresolved::kKeep) {
      out->append("{{").append(tag).append("}}");
      return Status::ok();
    }
    return invalid_argument("failed to resolve {{" + std::string(tag) + "}}");
  }

  Status replace_expression(std::string_view expression, std::string* out) {
    auto tree = internal::parse_expression(expression);
    if (!tree.is_ok()) {
      return invalid_argument("failed to evaluate expression: " + tree.status().message());
    }
    const Json& env = environment();
    bool missing = false;
    bool awaited = false;
    for (const std::string& path : internal::referenced_paths(**tree)) {
      if (internal::env_has_path(env, path)) continue;
      if (mode_ == Unresolved::kError) {
        return invalid_argument("failed to evaluate expression: " + path + " is missing");
      }
      missing = true;
      awaited = awaited || is_awaited_variable(path);
    }
    auto keep = [&]() {
      out->append("{{=").append(expression).append("}}");
      return Status::ok();
    };
    // Values that only exist later (retries, exit handler status, items) must
    // not resolve to nil in an early pass.
    if (awaited) return keep();
    auto result = internal::evaluate_tree(**tree, expression, env);
    if (!result.is_ok()) {
      if (missing) return keep();
      return invalid_argument("failed to evaluate expression: " + result.status().message());
    }
    if (result->is_null()) {
      if (missing) return keep();
      return invalid_argument("failed to evaluate expression " + go_quote(expression));
    }
    if (result->is_string()) {
      out->append(result->get_ref<const std::string&>());
      return Status::ok();
    }
    std::string encoded;
    if (!go_json_marshal(*result, &encoded)) {
      if (missing) return keep();
      return invalid_argument("failed to marshal evaluated expression: json: unsupported value: " +
                              internal::go_sprint(*result));
    }
    out->append(encoded);
    return Status::ok();
  }

  const Json& environment() {
    if (!env_) env_ = expand_scope(scope_);
    return *env_;
  }

  static const Json* lookup(const Json& env, const std::string& dotted) {
    const Json* at = &env;
    size_t start = 0;
    while (true) {
      size_t dot = dotted.find('.', start);
      std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!at->is_object() || internal::is_time(*at) || !at->contains(part)) return nullptr;
      at = &(*at)[part];
      if (dot == std::string::npos) return at;
      start = dot + 1;
    }
  }

  static inline const Scope kNoScope{};
  const Scope& scope_;
  Unresolved mode_;
  std::optional<Json> env_;
  bool typed_ = false;
};

Status substitute_in_place(Json& value, Substituter& substituter, const std::string& path) {
  if (value.is_string()) {
    auto replaced = substituter.run(value.get_ref<const std::string&>());
    if (!replaced.is_ok()) return replaced.status().with_context(path.empty() ? "$" : path);
    value = std::move(replaced).value();
    return Status::ok();
  }
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      SKIFF_RETURN_IF_ERROR(substitute_in_place(value[i], substituter, path + "[" + std::to_string(i) + "]"));
    }
  } else if (value.is_object()) {
    for (auto& [key, item] : value.items()) {
      SKIFF_RETURN_IF_ERROR(substitute_in_place(item, substituter, path.empty() ? key : path + "." + key));
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::string> substitute(std::string_view text, const Scope& scope, Unresolved mode) {
  if (text.find("{{") == std::string_view::npos) return std::string(text);
  Substituter substituter(scope, mode);
  return substituter.run(text);
}

Status substitute_json(Json& value, const Scope& scope, Unresolved mode) {
  Substituter substituter(scope, mode);
  return substitute_in_place(value, substituter, "");
}

Json time_value(Time t) {
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return internal::make_time(internal::add_duration(internal::GoTime{}, nanos));
}

Result<bool> evaluate_template_condition(std::string_view text, const Json& env, Time now) {
  Json clocked = env.is_object() ? env : Json::object();
  clocked[internal::kClockKey] =
      std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
  Substituter substituter(clocked, Unresolved::kError);
  auto replaced = substituter.run(text);
  if (!replaced.is_ok()) return replaced.status();
  auto tree = internal::parse_expression(*replaced);
  if (!tree.is_ok()) return invalid_argument("failed to evaluate '" + *replaced + "': " + tree.status().message());
  auto value = internal::evaluate_tree(**tree, *replaced, clocked);
  if (!value.is_ok()) return invalid_argument("failed to evaluate '" + *replaced + "': " + value.status().message());
  if (!value->is_boolean()) {
    return invalid_argument("expected a boolean from '" + *replaced + "', got " + internal::go_sprint(*value));
  }
  return value->get<bool>();
}

Status check_template_condition(std::string_view text) {
  size_t at = 0;
  bool tagged = false;
  while (true) {
    size_t open = text.find("{{", at);
    if (open == std::string_view::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return invalid_argument("cannot find end tag=\"}}\" in the template=" + go_quote(text));
    }
    std::string_view tag = text.substr(open + 2, close - open - 2);
    if (tag.substr(0, 1) == "=") {
      auto tree = internal::parse_expression(tag.substr(1));
      if (!tree.is_ok()) return invalid_argument("failed to parse expression: " + tree.status().message());
    }
    tagged = true;
    at = close + 2;
  }
  if (!tagged) {
    auto tree = internal::parse_expression(text);
    if (!tree.is_ok()) return invalid_argument("failed to parse expression: " + tree.status().message());
  }
  return Status::ok();
}

std::vector<std::string> simple_tags(std::string_view text) {
  std::vector<std::string> tags;
  size_t at = 0;
  while (true) {
    size_t open = text.find("{{", at);
    if (open == std::string_view::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    std::string_view tag = text.substr(open + 2, close - open - 2);
    if (tag.substr(0, 1) != "=") {
      while (!tag.empty() && is_space(tag.front())) tag.remove_prefix(1);
      while (!tag.empty() && is_space(tag.back())) tag.remove_suffix(1);
      tags.emplace_back(tag);
    }
    at = close + 2;
  }
  return tags;
}

}  // namespace skiff::expr
