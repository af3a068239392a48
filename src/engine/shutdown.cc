// Shutting a workflow down: a user's Stop or Terminate (a command, or
// spec.shutdown at submission) and the workflow's passed deadline. The walk
// goes on while shutting down, as Argo's does: nodes are still created, but
// a pod that may not run fails at once instead of starting, and what is left
// unfinished once no pod runs ends Failed.
#include "engine/internal.h"

namespace skiff::engine {

bool Engine::Impl::may_start(const ExecuteRequest& request) const {
  // Only a Terminate keeps exit handlers from being created; everything else
  // is created as usual and its pods fail instead of running (execute_pod).
  if (!terminating || shutdown != Shutdown::kTerminate) return true;
  return !request.on_exit && !exit_nodes.count(request.boundary_id);
}

bool Engine::Impl::may_run_pod(const Node& node) const {
  if (!terminating) return true;
  return shutdown != Shutdown::kTerminate && exit_nodes.count(node.id) > 0;
}

void Engine::Impl::stop_main_tree_if_idle() {
  if (!terminating || main_tree_stopped) return;
  // Wait for the killed pods to be reported and for the exit handlers that
  // still run (steps' ones: the workflow's own starts only after this).
  if (!running_pods.empty()) return;
  // Nor while the walk still moves on: what it creates now fails as Argo
  // fails it (a pod that may not start, a Retry node that may not retry).
  if (progressed) return;
  const bool spare_exit = shutdown != Shutdown::kTerminate;
  // Nothing of the workflow itself runs any more: every unfinished node ends
  // as Argo ends them. Exit handlers that may still run are left alone.
  for (auto& [id, node] : status.nodes) {
    if (node.fulfilled() || (spare_exit && exit_nodes.count(id))) continue;
    // A suspend node a user's Stop or Terminate ends says so, as in Argo.
    const bool user_shutdown = shutdown == Shutdown::kStop || shutdown == Shutdown::kTerminate;
    if (user_shutdown && node.type == NodeType::kSuspend) {
      set_phase(node, Phase::kFailed, std::string("Stopped with strategy '") + shutdown_name() + "'");
      continue;
    }
    set_phase(node, Phase::kFailed, shutdown_node_message);
  }
  main_tree_stopped = true;
  progressed = true;
}

void Engine::Impl::begin_shutdown(Shutdown kind) {
  // A Terminate overrides a Stop or a passed deadline (and kills their exit
  // handlers); anything else only starts a shutdown.
  if (terminating && !(kind == Shutdown::kTerminate && shutdown != Shutdown::kTerminate)) return;
  shutdown = kind;
  terminating = true;
  full_walk_next = true;
  switch (kind) {
    case Shutdown::kStop:
      shutdown_node_message = "workflow shutdown with strategy:  Stop";
      shutdown_workflow_message = "Stopped with strategy 'Stop'";
      break;
    case Shutdown::kTerminate:
      shutdown_node_message = "workflow shutdown with strategy:  Terminate";
      shutdown_workflow_message = "Stopped with strategy 'Terminate'";
      main_tree_stopped = false;  // exit handler nodes end too
      break;
    default:
      shutdown_node_message = "Step exceeded its deadline";
      shutdown_workflow_message = "Step exceeded its deadline";
      break;
  }
  for (const auto& [id, tmpl] : running_pods) {
    if (kind != Shutdown::kTerminate && exit_nodes.count(id)) continue;
    Action cancel;
    cancel.kind = Action::Kind::kCancel;
    cancel.node_id = id;
    actions.push_back(cancel);
  }
  progressed = true;
}

void Engine::Impl::enforce_deadlines() {
  if (workflow_deadline && now >= *workflow_deadline) {
    begin_shutdown(Shutdown::kDeadline);
  }
  for (const auto& [id, due] : pod_deadlines) {
    if (now < due || pods_past_deadline.count(id) || !running_pods.count(id)) continue;
    pods_past_deadline.insert(id);
    Action cancel;
    cancel.kind = Action::Kind::kCancel;
    cancel.node_id = id;
    actions.push_back(cancel);
  }
}

}  // namespace skiff::engine
