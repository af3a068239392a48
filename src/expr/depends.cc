// Enhanced depends logic: task names are found with Argo's pattern, bare
// names expanded, dashes turned into underscores, and the result evaluated as
// an expr-lang boolean over per-task result objects.
#include <algorithm>
#include <set>

#include "expr/expr.h"
#include "expr/go_format.h"

#include <re2/re2.h>

namespace skiff::expr {
namespace {

using re2::RE2;

const RE2& task_name_pattern() {
  // Group 1: "task.Result"; group 2: a bare task name.
  static const RE2 pattern(R"(([a-zA-Z0-9][-a-zA-Z0-9]*?\.[A-Z][a-zA-Z]+)|([a-zA-Z0-9][-a-zA-Z0-9]*))");
  return pattern;
}

template <typename Visit>
void for_each_task(std::string_view depends, Visit visit) {
  re2::StringPiece text(depends.data(), depends.size());
  re2::StringPiece groups[3];
  size_t pos = 0;
  while (pos < depends.size() && task_name_pattern().Match(text, pos, text.size(), RE2::UNANCHORED, groups, 3)) {
    const bool qualified = groups[1].data() != nullptr;
    const re2::StringPiece& m = qualified ? groups[1] : groups[2];
    const size_t at = static_cast<size_t>(m.data() - depends.data());
    std::string match(m.data(), m.size());
    if (qualified) {
      size_t dot = match.find('.');
      visit(match.substr(0, dot), match.substr(dot + 1), at, match.size());
    } else {
      visit(match, std::string(), at, match.size());
    }
    pos = at + std::max<size_t>(m.size(), 1);
  }
}

bool flag(const Json& task_results, const std::string& task, const char* field) {
  if (!task_results.is_object()) return false;
  auto it = task_results.find(task);
  if (it == task_results.end() || !it->is_object()) return false;
  auto value = it->find(field);
  return value != it->end() && value->is_boolean() && value->get<bool>();
}

}  // namespace

std::string expand_depends(std::string_view depends, const Json& task_results) {
  std::string out;
  size_t at = 0;
  for_each_task(depends, [&](const std::string& task, const std::string& result, size_t pos, size_t length) {
    out.append(depends.substr(at, pos - at));
    if (!result.empty()) {
      out.append(depends.substr(pos, length));
    } else {
      out += "(" + task + ".Succeeded || " + task + ".Skipped || " + task + ".Daemoned";
      if (flag(task_results, task, "ContinueOnError")) out += " || " + task + ".Errored";
      if (flag(task_results, task, "ContinueOnFailed")) out += " || " + task + ".Failed";
      out += ")";
    }
    at = pos + length;
  });
  out.append(depends.substr(at));
  return out;
}

std::vector<std::string> depends_task_names(std::string_view depends) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for_each_task(depends, [&](const std::string& task, const std::string&, size_t, size_t) {
    if (seen.insert(task).second) names.push_back(task);
  });
  return names;
}

std::vector<std::string> depends_item_tasks(std::string_view depends) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for_each_task(depends, [&](const std::string& task, const std::string& result, size_t, size_t) {
    if ((result == "AnySucceeded" || result == "AllFailed") && seen.insert(task).second) names.push_back(task);
  });
  return names;
}

Result<bool> evaluate_depends(std::string_view depends, const Json& task_results) {
  std::string logic = expand_depends(depends, task_results);
  for (char& c : logic) {
    if (c == '-') c = '_';
  }
  static const char* kFields[] = {"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"};
  Json env = Json::object();
  for (const std::string& task : depends_task_names(depends)) {
    std::string key = task;
    for (char& c : key) {
      if (c == '-') c = '_';
    }
    if (!task_results.is_object() || !task_results.contains(task)) continue;
    Json results = Json::object();
    for (const char* field : kFields) results[field] = flag(task_results, task, field);
    env[key] = std::move(results);
  }
  auto result = evaluate_expression(logic, env);
  if (!result.is_ok()) {
    return invalid_argument("unable to evaluate expression '" + logic + "': " + result.status().message());
  }
  if (!result->is_boolean()) {
    return invalid_argument("unable to cast expression result '" + internal::go_sprint(*result) + "' to bool");
  }
  return result->get<bool>();
}

}  // namespace skiff::expr
