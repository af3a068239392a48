// A user's commands on a running workflow, with Argo's rules and messages:
// suspend/resume (spec.suspend and suspend nodes), stop/terminate
// (spec.shutdown) and node set. A command applies whole or not at all.
#include "engine/internal.h"

namespace skiff::engine {

namespace {

bool has_supplied(const Json& param) {
  auto from = param.find("valueFrom");
  return from != param.end() && from->is_object() && from->contains("supplied");
}

bool is_active_suspend(const Node& node) { return node.type == NodeType::kSuspend && node.phase == Phase::kRunning; }

std::optional<Phase> settable_phase(const std::string& text) {
  if (text == "Succeeded") return Phase::kSucceeded;
  if (text == "Failed") return Phase::kFailed;
  if (text == "Error") return Phase::kError;
  return std::nullopt;
}

}  // namespace

// A supplied output still unset takes its default, as when a suspend node
// is resumed or its duration runs out; without a default that is an error.
Status default_supplied_outputs(Json* outputs) {
  if (!outputs->is_object() || !outputs->contains("parameters")) return Status::ok();
  for (auto& param : (*outputs)["parameters"]) {
    if (!has_supplied(param)) continue;
    const Json& from = param["valueFrom"];
    if (!from.contains("default")) {
      return invalid_argument("raw output parameter '" + string_field(param, "name") +
                              "' has not been set and does not have a default value");
    }
    param["value"] = from["default"].is_string() ? from["default"] : Json(from["default"].dump());
    param.erase("valueFrom");
  }
  return Status::ok();
}

const char* Engine::Impl::shutdown_name() const { return shutdown == Shutdown::kStop ? "Stop" : "Terminate"; }

Status Engine::Impl::update_suspend_nodes(const std::string& selector, const std::string& phase_text,
                                          const std::string& message,
                                          const std::vector<std::pair<std::string, std::string>>& outputs) {
  auto terms = parse_field_selector(selector);
  if (!terms) return terms.status();
  std::optional<Phase> phase;
  if (!phase_text.empty()) {
    phase = settable_phase(phase_text);
    if (!phase) return invalid_argument(phase_text + " is an invalid phase to set to");
  }
  std::vector<Node*> matched;
  for (auto& [id, node] : status.nodes) {
    if (is_active_suspend(node) && selector_matches(*terms, node)) matched.push_back(&node);
  }
  // Check everything before changing anything.
  for (Node* node : matched) {
    if (outputs.empty()) continue;
    if (!node->outputs.is_object() || !node->outputs.contains("parameters")) {
      return invalid_argument("cannot set output parameters because node is not expecting any raw parameters");
    }
    for (const auto& [name, value] : outputs) {
      const Json* found = nullptr;
      for (const auto& param : node->outputs["parameters"]) {
        if (string_field(param, "name") == name) found = &param;
      }
      if (!found) return invalid_argument("node is not expecting output parameter '" + name + "'");
      if (!has_supplied(*found) || found->contains("value")) {
        return invalid_argument("cannot set output parameter '" + name +
                                "' because it does not use valueFrom.raw or it was already set");
      }
    }
  }
  bool updated = false;
  for (Node* node : matched) {
    for (const auto& [name, value] : outputs) {
      for (auto& param : node->outputs["parameters"]) {
        if (string_field(param, "name") != name) continue;
        param["value"] = value;
        param.erase("valueFrom");
        publish_global_outputs(Json{{"parameters", Json::array({param})}});
      }
      updated = true;
    }
    if (!message.empty()) {
      node->message = message;
      updated = true;
    }
    if (phase) {
      set_phase(*node, *phase);
      updated = true;
    }
  }
  if (!updated) {
    return invalid_argument("currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: " +
                            selector);
  }
  progressed = true;
  return Status::ok();
}

Status Engine::Impl::resume_all() {
  std::vector<Node*> active;
  for (auto& [id, node] : status.nodes) {
    if (!is_active_suspend(node)) continue;
    Json outputs = node.outputs;
    SKIFF_RETURN_IF_ERROR(default_supplied_outputs(&outputs));
    active.push_back(&node);
  }
  suspended = false;
  if (auto spec = workflow.find("spec"); spec != workflow.end()) spec->erase("suspend");
  for (Node* node : active) {
    (void)default_supplied_outputs(&node->outputs);  // checked above
    publish_global_outputs(node->outputs);
    // Argo appends who resumed it to a message already there.
    if (!node->message.empty()) node->message += "; ";
    set_phase(*node, Phase::kSucceeded);
  }
  progressed = true;
  return Status::ok();
}

Status Engine::Impl::apply_command(const Event& event) {
  const bool done = status.finished_at.has_value();
  // A command may concern any part of the tree: the next pass walks it all.
  full_walk_next = true;
  switch (event.kind) {
    case Event::Kind::kStop:
      if (!event.node_field_selector.empty()) {
        return update_suspend_nodes(event.node_field_selector, "Failed", event.message, {});
      }
      [[fallthrough]];
    case Event::Kind::kTerminate:
      if (done) {
        return failed_precondition("cannot shutdown a completed workflow: workflow: \"" + options.name +
                                   "\", namespace: \"" + options.namespace_ + "\"");
      }
      // The engine's one way to stop early (exit handlers still run under
      // Stop); the spec records it as `argo stop|terminate` patches it.
      begin_shutdown(event.kind == Event::Kind::kStop ? Shutdown::kStop : Shutdown::kTerminate);
      workflow["spec"]["shutdown"] = shutdown_name();
      return Status::ok();
    case Event::Kind::kSuspend:
      if (done) return failed_precondition("cannot suspend completed workflows");
      suspended = true;
      workflow["spec"]["suspend"] = true;
      return Status::ok();
    case Event::Kind::kResume:
      if (!event.node_field_selector.empty()) {
        return update_suspend_nodes(event.node_field_selector, "Succeeded", "", {});
      }
      return resume_all();
    case Event::Kind::kSetNode:
      return update_suspend_nodes(event.node_field_selector, event.phase, event.message, event.output_parameters);
    default:
      return invalid_argument("not a command");
  }
}

Result<std::vector<Action>> Engine::command(const Event& event, Time now) {
  Impl& s = *impl_;
  s.now = now;
  s.actions.clear();
  Status applied = s.apply_command(event);
  if (!applied) return applied;
  s.advance_unless_waiting();
  return std::move(s.actions);
}

}  // namespace skiff::engine
