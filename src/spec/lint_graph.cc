// Rules about steps and DAG templates: step and task names, the templates
// they call, DAG dependencies and cycles, and the variables each step or
// task may reference at its point in the graph.
#include <functional>
#include <map>

#include "spec/lint_rules.h"

namespace skiff::spec::lint_internal {

namespace {

// A task a DAG task waits for, and whether the condition is about its items
// (.AnySucceeded / .AllFailed), which only tasks with items have.
struct Dependency {
  std::string task;
  bool items = false;
};

// The tasks named in `depends` ("a && (b.Failed || !c.Skipped)") or listed
// in `dependencies`.
std::vector<Dependency> dependencies_of(const Json& task) {
  std::vector<Dependency> out;
  for (const auto& dep : list(task, "dependencies"))
    if (dep.is_string()) out.push_back({dep.get<std::string>(), false});
  std::string depends = text(task, "depends");
  size_t i = 0;
  while (i < depends.size()) {
    auto is_separator = [](char c) { return std::string_view(" \t\r\n&|!()").find(c) != std::string_view::npos; };
    if (is_separator(depends[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < depends.size() && !is_separator(depends[end])) ++end;
    std::string operand = depends.substr(i, end - i);
    i = end;
    size_t dot = operand.find('.');
    std::string result = dot == std::string::npos ? "" : operand.substr(dot + 1);
    out.push_back({operand.substr(0, dot), result == "AnySucceeded" || result == "AllFailed"});
  }
  return out;
}

bool has_items(const Json& holder) {
  const Json* items = member(holder, "withItems");
  return (items && items->is_array() && !items->empty()) || !text(holder, "withParam").empty() ||
         has(holder, "withSequence");
}

bool aggregates(const Json& holder) {
  const Json* items = member(holder, "withItems");
  return (items && items->is_array() && !items->empty()) || !text(holder, "withParam").empty();
}

void check_loops(Context& ctx, const Json& holder, const std::string& pointer, const std::string& context) {
  const Json* items = member(holder, "withItems");
  int loops = (items && items->is_array() && !items->empty()) + !text(holder, "withParam").empty() +
              has(holder, "withSequence");
  if (loops > 1)
    ctx.problems.add(pointer, context + " only one of withItems, withParam, withSequence can be specified");
  const Json* sequence = member(holder, "withSequence");
  if (sequence && has(*sequence, "count") && has(*sequence, "end"))
    ctx.problems.add(child(pointer, "withSequence"), context + " only one of count or end can be defined in withSequence");
}

void add_inline_inputs(const Json& holder, Scope& scope) {
  const Json* inline_tmpl = member(holder, "inline");
  const Json* inputs = inline_tmpl ? member(*inline_tmpl, "inputs") : nullptr;
  if (!inputs) return;
  for (const auto& param : list(*inputs, "parameters")) scope.add("inputs.parameters." + text(param, "name"));
}

// An inline template is checked on its own, with its own inputs in scope.
Json without_inline(const Json& holder) {
  Json copy = holder;
  if (copy.is_object()) copy.erase("inline");
  return copy;
}

// The exit hook (hooks.exit, or the older onExit) may read its own step's outputs.
bool has_exit_hook(const Json& holder) {
  const Json* hooks = member(holder, "hooks");
  return !text(holder, "onExit").empty() || (hooks && has(*hooks, "exit"));
}

// Checks what every step and task has in common: the template it calls, its
// arguments, its hooks and onExit, and an inline template.
Callee check_call(Context& ctx, const Json& holder, const std::string& pointer, const std::string& context) {
  const Json* arguments = member(holder, "arguments");
  if (arguments) check_arguments(*arguments, context + ".arguments.", child(pointer, "arguments"), false, ctx.problems);
  Callee callee = ctx.resolve(holder, pointer, context);
  if (callee.tmpl)
    ctx.check_supplied(*callee.tmpl, arguments, arguments ? child(pointer, "arguments") : pointer, context);
  check_hooks(ctx, holder, pointer, context);
  if (std::string on_exit = text(holder, "onExit"); !on_exit.empty() && !ctx.local_template(on_exit))
    ctx.problems.add(child(pointer, "onExit"), context + ".onExit template name '" + on_exit + "' undefined");
  if (const Json* inline_tmpl = member(holder, "inline")) {
    // Named after its step in messages, as it has no name of its own.
    Json named = *inline_tmpl;
    if (text(named, "name").empty()) named["name"] = text(holder, "name");
    check_template(ctx, named, child(pointer, "inline"));
  }
  return callee;
}

}  // namespace

void check_steps(Context& ctx, const Json& tmpl, const std::string& pointer, Scope& scope) {
  std::string name = text(tmpl, "name");
  std::set<std::string> seen;
  const Json& groups = list(tmpl, "steps");
  for (size_t i = 0; i < groups.size(); ++i) {
    const Json& group = groups[i].is_array() ? groups[i] : list(groups[i], "steps");
    std::string group_pointer = child(child(pointer, "steps"), i);
    std::string at = "templates." + name + ".steps[" + std::to_string(i) + "]";
    for (size_t j = 0; j < group.size(); ++j) {
      const Json& step = group[j];
      std::string step_pointer = child(group_pointer, j);
      std::string step_name = text(step, "name");
      if (step_name.empty()) {
        ctx.problems.add(step_pointer, at + ".name is required");
        continue;
      }
      std::string name_pointer = child(step_pointer, "name");
      if (!seen.insert(step_name).second)
        ctx.problems.add(name_pointer, at + ".name '" + step_name + "' is not unique");
      if (std::string error = name_error(step_name, NameKind::kField); !error.empty())
        ctx.problems.add(name_pointer, at + ".name '" + step_name + "' is invalid: " + error);
      std::string context = at + "." + step_name;
      std::string prefix = "steps." + step_name;
      scope.add(prefix + ".status");
      check_loops(ctx, step, step_pointer, context);
      // Argo adds items to the template's scope, not the step's, so later
      // steps may still mention {{item.x}}; kept so valid workflows stay valid.
      add_items(step, scope);
      Callee callee = check_call(ctx, step, step_pointer, context);
      if (has_exit_hook(step)) add_outputs(callee.tmpl, prefix, false, false, scope);
      // Copying the scope for every step made long sequences quadratic; only
      // an inline template adds names of its own.
      if (member(step, "inline")) {
        Scope step_scope = scope;
        add_inline_inputs(step, step_scope);
        check_tags(without_inline(step), step_pointer, step_scope, "templates." + name + ".steps ", ctx.problems);
      } else {
        check_tags(step, step_pointer, scope, "templates." + name + ".steps ", ctx.problems);
      }
      add_outputs(callee.tmpl, prefix, aggregates(step), false, scope);
    }
  }
}

void check_dag(Context& ctx, const Json& tmpl, const std::string& pointer, Scope& scope) {
  std::string name = text(tmpl, "name");
  std::string context = "templates." + name;
  const Json* dag = member(tmpl, "dag");
  const Json& tasks = list(*dag, "tasks");
  std::string dag_pointer = child(pointer, "dag");
  std::string tasks_pointer = child(dag_pointer, "tasks");
  if (tasks.empty()) {
    ctx.problems.add(dag_pointer, context + " must have at least one task");
    return;
  }
  check_names(tasks, NameKind::kField, context + ".tasks", tasks_pointer, ctx.problems);

  bool using_depends = false;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < tasks.size(); ++i) {
    using_depends |= !text(tasks[i], "depends").empty();
    index.emplace(text(tasks[i], "name"), i);
  }

  std::vector<Callee> callees(tasks.size());
  std::vector<std::vector<std::string>> edges(tasks.size());  // task -> tasks it waits for
  for (size_t i = 0; i < tasks.size(); ++i) {
    const Json& task = tasks[i];
    std::string task_name = text(task, "name");
    std::string task_pointer = child(tasks_pointer, i);
    std::string task_context = context + ".tasks." + task_name;
    bool has_dependencies = !list(task, "dependencies").empty();
    if ((using_depends || has_dependencies) && !task_name.empty() && task_name[0] >= '0' && task_name[0] <= '9')
      ctx.problems.add(child(task_pointer, "name"),
                       task_context + " name cannot begin with a digit when using either 'depends' or 'dependencies'");
    if (using_depends && has_dependencies)
      ctx.problems.add(child(task_pointer, "dependencies"),
                       context + " cannot use both 'depends' and 'dependencies' in the same DAG template");
    if (using_depends && has(task, "continueOn"))
      ctx.problems.add(child(task_pointer, "continueOn"),
                       context + " cannot use 'continueOn' when using 'depends'. Instead use "
                                 "'dep-task.Failed'/'dep-task.Errored'");
    callees[i] = check_call(ctx, task, task_pointer, task_context);
    add_outputs(callees[i].tmpl, "tasks." + task_name, aggregates(task), false, scope);
    std::string dep_pointer = child(task_pointer, has(task, "depends") ? "depends" : "dependencies");
    for (const auto& dep : dependencies_of(task)) {
      auto found = index.find(dep.task);
      if (found == index.end()) {
        ctx.problems.add(dep_pointer, task_context + " dependency '" + dep.task + "' not defined");
        continue;
      }
      edges[i].push_back(dep.task);
      if (dep.items && !has_items(tasks[found->second]))
        ctx.problems.add(dep_pointer, task_context + " dependency '" + dep.task +
                                          "' uses an items-based condition such as .AnySucceeded or .AllFailed but "
                                          "does not contain any items");
    }
  }

  // Cycles: depth-first, naming the loop the first time it closes.
  std::vector<int> state(tasks.size(), 0);  // 0 new, 1 on the path, 2 done
  std::vector<std::string> path;
  std::function<void(size_t)> visit = [&](size_t i) {
    state[i] = 1;
    path.push_back(text(tasks[i], "name"));
    for (const auto& dep : edges[i]) {
      size_t j = index.at(dep);
      if (state[j] == 1) {
        auto start = std::find(path.begin(), path.end(), dep);
        std::vector<std::string> cycle(start, path.end());
        cycle.push_back(dep);
        ctx.problems.add(child(tasks_pointer, j),
                         context + ".tasks dependency cycle detected: " + join(cycle, "->"));
      } else if (state[j] == 0) {
        visit(j);
      }
    }
    path.pop_back();
    state[i] = 2;
  };
  for (size_t i = 0; i < tasks.size(); ++i)
    if (state[i] == 0) visit(i);

  // Every task upstream of i, nearest first; guarded against cycles.
  auto ancestry = [&](size_t i) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::vector<std::string> todo = edges[i];
    while (!todo.empty()) {
      std::string next = todo.back();
      todo.pop_back();
      if (!seen.insert(next).second) continue;
      out.push_back(next);
      for (const auto& dep : edges[index.at(next)]) todo.push_back(dep);
    }
    return out;
  };

  if (std::string target = text(*dag, "target"); !target.empty()) {
    std::string target_pointer = child(dag_pointer, "target");
    check_tags(Json(target), target_pointer, scope, context + ".targets ", ctx.problems);
    for (const auto& wanted : split(target, ' '))
      if (!wanted.empty() && !contains_tag(wanted) && !index.count(wanted))
        ctx.problems.add(target_pointer, context + ".targets: target '" + wanted + "' is not defined");
  }

  for (size_t i = 0; i < tasks.size(); ++i) {
    const Json& task = tasks[i];
    std::string task_name = text(task, "name");
    std::string task_pointer = child(tasks_pointer, i);
    std::string task_context = context + ".tasks." + task_name;
    if (has(task, "hooks")) scope.add("tasks." + task_name + ".status");
    Scope task_scope = scope;
    std::vector<std::string> ancestors = ancestry(i);
    for (const auto& ancestor : ancestors) {
      size_t j = index.at(ancestor);
      add_outputs(callees[j].tmpl, "tasks." + ancestor, aggregates(tasks[j]), true, task_scope);
    }
    add_inline_inputs(task, task_scope);
    check_loops(ctx, task, task_pointer, task_context);
    add_items(task, task_scope);
    check_tags(without_inline(task), task_pointer, task_scope, task_context + " ", ctx.problems);

    // A value taken from another task's outputs needs that task upstream.
    std::set<std::string> upstream(ancestors.begin(), ancestors.end());
    const Json* arguments = member(task, "arguments");
    if (!arguments) continue;
    auto check_upstream = [&](const std::string& value, const std::string& what, const std::string& at) {
      if (!starts_with(value, "{{tasks.")) return;
      std::vector<std::string> parts = split(value, '.');
      if (parts.size() > 1 && !upstream.count(parts[1]))
        ctx.problems.add(at, task_context + " missing dependency '" + parts[1] + "' for " + what);
    };
    std::string args_pointer = child(task_pointer, "arguments");
    const Json& params = list(*arguments, "parameters");
    for (size_t k = 0; k < params.size(); ++k)
      check_upstream(text(params[k], "value"), "parameter '" + text(params[k], "name") + "'",
                     child(child(args_pointer, "parameters"), k));
    const Json& arts = list(*arguments, "artifacts");
    for (size_t k = 0; k < arts.size(); ++k)
      check_upstream(text(arts[k], "from"), "artifact '" + text(arts[k], "name") + "'",
                     child(child(args_pointer, "artifacts"), k));
  }
}

}  // namespace skiff::spec::lint_internal
