// Lifecycle hooks and exit handlers.
//
// A hook (`hooks.<name>` with an expression) runs its template once its
// expression holds, as node "<parent>.hooks.<name>"; an exit handler
// (`onExit`, or the hook named `exit`) runs once its step, task or workflow
// has completed, as node "<parent>.onExit". Both carry Argo's nodeFlag
// `hooked`; on a step or task they hang under that step's node and the step
// counts as done only when they are. The workflow's own exit handler stands
// alone (no parent, no boundary) and decides the workflow's final phase when
// everything else succeeded.
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "base/naming.h"
#include "engine/internal.h"

namespace skiff::engine {

namespace {

bool arguments_empty(const Json& arguments) {
  if (!arguments.is_object()) return true;
  for (const char* key : {"parameters", "artifacts"}) {
    auto it = arguments.find(key);
    if (it != arguments.end() && it->is_array() && !it->empty()) return false;
  }
  return true;
}

// The exit hook of a step, task or workflow spec: `onExit` (called with the
// workflow's arguments) or the hook named `exit` (with its own arguments, else
// the workflow's). Null when there is none.
Json exit_hook_of(const Json& holder, const Json& workflow_arguments) {
  std::string on_exit = string_field(holder, "onExit");
  if (!on_exit.empty()) return Json{{"template", on_exit}, {"arguments", workflow_arguments}};
  auto hooks = holder.find("hooks");
  if (hooks == holder.end() || !hooks->is_object()) return Json();
  auto exit = hooks->find("exit");
  if (exit == hooks->end() || !exit->is_object()) return Json();
  Json hook = *exit;
  if (arguments_empty(hook.value("arguments", Json()))) hook["arguments"] = workflow_arguments;
  return hook;
}

// What executes a hook's template: {template} or {templateRef}.
Json hook_holder(const Json& hook) {
  Json holder = Json::object();
  if (hook.contains("templateRef")) holder["templateRef"] = hook["templateRef"];
  else holder["template"] = string_field(hook, "template");
  return holder;
}

Result<bool> evaluate_hook_expression(const std::string& expression, const expr::Scope& scope) {
  auto value = expr::evaluate_expression(expression, scope);
  if (!value) return value.status();
  if (!value->is_boolean()) {
    return invalid_argument("hook expression '" + expression + "' evaluated to " + value->dump() +
                            ", not a boolean");
  }
  return value->get<bool>();
}

// Go's strconv.Quote: how Argo hands {{workflow.failures}} to templates so
// that the JSON's quotes survive substitution into a command line.
std::string go_quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

const char* workflow_status_of(Phase root_phase) {
  switch (root_phase) {
    case Phase::kPending: return "Pending";
    case Phase::kRunning: return "Running";
    case Phase::kFailed: return "Failed";
    case Phase::kError: return "Error";
    default: return "Succeeded";
  }
}

}  // namespace

bool has_node_hooks(const Json& holder) {
  if (!holder.is_object()) return false;
  if (!string_field(holder, "onExit").empty()) return true;
  auto hooks = holder.find("hooks");
  return hooks != holder.end() && hooks->is_object() && !hooks->empty();
}

Engine::Impl::HookProgress Engine::Impl::run_node_hooks(const Json& holder, const std::string& node_id,
                                                        const std::string& boundary_id, const TemplateSet& context,
                                                        const expr::Scope& scope, const std::string& prefix) {
  HookProgress progress;
  auto hooks = holder.find("hooks");
  if (hooks == holder.end() || !hooks->is_object()) return progress;
  const std::string parent_name = status.nodes.at(node_id).name;
  expr::Scope full = merged_scope(scope);
  // Argo walks the hooks of a map in no fixed order; name order is as good
  // and repeatable.
  for (const auto& [hook_name, hook] : hooks->items()) {
    if (hook_name == "exit" || !hook.is_object()) continue;
    const std::string node_name = parent_name + ".hooks." + hook_name;
    Node* existing = find_node_by_name(node_name);
    std::string expression = string_field(hook, "expression");
    if (expression.empty()) {
      progress.error = "Expression required for hook " + node_name;
      return progress;
    }
    auto fire = evaluate_hook_expression(expression, full);
    if (!fire) {
      progress.error = fire.status().message();
      return progress;
    }
    if (!*fire && !existing) continue;
    Json arguments = hook.value("arguments", Json());
    if (!arguments_empty(arguments)) {
      expr::Scope with_outputs = full;
      add_node_to_scope(with_outputs, prefix, status.nodes.at(node_id));
      if (Status st = expr::substitute_json(arguments, with_outputs, expr::Unresolved::kKeep); !st) {
        progress.error = st.message();
        return progress;
      }
    }
    Json target = hook_holder(hook);
    ExecuteRequest request = ExecuteRequest::of(node_name, display_name_in(node_name, boundary_id), boundary_id,
                                                target, context);
    request.arguments = arguments;
    request.hooked = true;
    Node* hook_node = execute_template(request);
    if (hook_node) add_child(parent_name, node_name);
    if (hook_node && !hook_node->fulfilled()) progress.done = false;
  }
  return progress;
}

Engine::Impl::HookProgress Engine::Impl::run_node_exit(const Json& holder, const std::string& node_id,
                                                       const std::string& boundary_id, const TemplateSet& context,
                                                       const expr::Scope& scope, const std::string& prefix) {
  HookProgress progress;
  Json hook = exit_hook_of(holder, spec.value("arguments", Json()));
  if (hook.is_null()) return progress;
  const Node& parent = status.nodes.at(node_id);
  const std::string node_name = parent.name + ".onExit";
  Node* existing = find_node_by_name(node_name);
  expr::Scope full = merged_scope(scope);
  add_node_to_scope(full, prefix, parent);
  if (std::string expression = string_field(hook, "expression"); !expression.empty() && !existing) {
    auto fire = evaluate_hook_expression(expression, full);
    if (!fire) {
      progress.error = fire.status().message();
      return progress;
    }
    if (!*fire) return progress;
  }
  Json arguments = hook.value("arguments", Json());
  if (Status st = expr::substitute_json(arguments, full, expr::Unresolved::kKeep); !st) {
    progress.error = st.message();
    return progress;
  }
  Json target = hook_holder(hook);
  const std::string parent_name = parent.name;
  ExecuteRequest request =
      ExecuteRequest::of(node_name, display_name_in(node_name, boundary_id), boundary_id, target, context);
  request.arguments = arguments;
  request.hooked = true;
  // Like the workflow's, a step's exit handler still starts after a Stop or
  // a passed deadline (its step was killed) and is left to finish.
  request.on_exit = true;
  Node* exit_node = execute_template(request);
  if (exit_node) add_child(parent_name, node_name);
  progress.done = !exit_node || exit_node->fulfilled();
  return progress;
}

bool Engine::Impl::run_workflow_hooks_and_exit() {
  Node* root = find_node_by_name(options.name);
  if (!root) return false;
  const std::string root_name = root->name;
  const Json hooks = spec.value("hooks", Json::object());
  const bool has_exit = !exit_hook_of(spec, Json()).is_null();
  if (!has_exit && (!hooks.is_object() || hooks.empty())) return true;

  globals["workflow.status"] = workflow_status_of(root->fulfilled() ? root->phase : Phase::kRunning);
  {
    // Failed and errored nodes, as Argo lists them for the exit handler.
    std::vector<const Node*> failed;
    for (const auto& [id, node] : status.nodes) {
      if (is_failed_or_error(node.phase)) failed.push_back(&node);
    }
    std::sort(failed.begin(), failed.end(), [](const Node* a, const Node* b) {
      if (a->finished_at != b->finished_at) return a->finished_at < b->finished_at;
      return a->name < b->name;
    });
    Json list = failed.empty() ? Json() : Json::array();
    for (const Node* node : failed) {
      std::string tmpl =
          node->template_ref.is_object() ? string_field(node->template_ref, "template") : node->template_name;
      list.push_back(Json{{"displayName", node->display_name},
                          {"message", node->message},
                          {"templateName", tmpl},
                          {"phase", to_string(node->phase)},
                          {"podName", argo_pod_name(options.name, node->name, tmpl)},
                          {"finishedAt", node->finished_at ? Json(format_rfc3339(*node->finished_at)) : Json()}});
    }
    // Go's encoding/json keeps struct field order; build the text by hand
    // so the keys are not sorted.
    std::string text;
    if (list.is_null()) {
      text = "null";
    } else {
      text = "[";
      for (size_t i = 0; i < list.size(); ++i) {
        const Json& f = list[i];
        text += i ? ",{" : "{";
        bool first = true;
        for (const char* key : {"displayName", "message", "templateName", "phase", "podName", "finishedAt"}) {
          text += (first ? "\"" : ",\"") + std::string(key) + "\":" + expr::format_go_json(f[key]);
          first = false;
        }
        text += "}";
      }
      text += "]";
    }
    globals["workflow.failures"] = go_quote(text);
  }

  bool hooks_done = true;
  if (hooks.is_object()) {
    for (const auto& [hook_name, hook] : hooks.items()) {
      if (hook_name == "exit" || !hook.is_object()) continue;
      const std::string node_name = root_name + ".hooks." + hook_name;
      Node* existing = find_node_by_name(node_name);
      std::string expression = string_field(hook, "expression");
      auto fire = expression.empty() ? Result<bool>(invalid_argument("Expression required for hook " + node_name))
                                     : evaluate_hook_expression(expression, globals);
      if (!fire) {
        set_phase(*find_node_by_name(root_name), Phase::kError, fire.status().message());
        continue;
      }
      if (!*fire && !existing) continue;
      Json target = hook_holder(hook);
      ExecuteRequest request = ExecuteRequest::of(node_name, node_name, "", target, templates.local());
      request.arguments = hook.value("arguments", Json());
      request.hooked = true;
      Node* hook_node = execute_template(request);
      if (hook_node) add_child(root_name, node_name);
      if (hook_node && !hook_node->fulfilled()) hooks_done = false;
    }
  }
  if (!hooks_done) return false;
  root = find_node_by_name(root_name);
  if (!root->fulfilled()) return false;

  Json hook = exit_hook_of(spec, spec.value("arguments", Json()));
  if (hook.is_null()) return true;
  const std::string node_name = root_name + ".onExit";
  Node* existing = find_node_by_name(node_name);
  if (!existing && shutdown == Shutdown::kTerminate) return true;
  Json target = hook_holder(hook);
  ExecuteRequest request = ExecuteRequest::of(node_name, node_name, "", target, templates.local());
  request.arguments = hook.value("arguments", Json());
  request.hooked = true;
  request.on_exit = true;
  Node* exit_node = execute_template(request);
  if (!exit_node) return true;
  workflow_exit_node_id = exit_node->id;
  return exit_node->fulfilled();
}

}  // namespace skiff::engine
