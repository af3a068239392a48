// Steps and DAG nodes bound once: a running group keeps the template it was
// bound to, so an event inside a long sequence does not resolve and
// substitute the whole template again.
#include "engine/internal.h"

namespace skiff::engine {

// A bound template is kept only when binding it again could not give
// anything else: no globals that move with every event, no expression
// (which may read the clock or random functions), and none of the blocks
// that are re-checked on each visit (locks, memoization, retries).
bool Engine::Impl::can_keep_bound(const Json& raw_tmpl, const Json& bound_tmpl) {
  for (const char* rechecked : {"synchronization", "memoize", "retryStrategy"}) {
    if (bound_tmpl.contains(rechecked)) return false;
  }
  const std::string text = raw_tmpl.dump();
  for (const char* moving : {"workflow.duration", "workflow.status", "workflow.failures", "{{="}) {
    if (text.find(moving) != std::string::npos) return false;
  }
  return true;
}

Node* Engine::Impl::run_bound(Node& node, NodeType type, const Json& tmpl, const ResolvedTemplate& resolved,
                              const ExecuteRequest& request) {
  if (!request.attempt) note_metrics(node, tmpl);
  if (type == NodeType::kSteps || type == NodeType::kDAG) {
    inner_scopes[node.id] = resolved.set->scope;
    limit_children(node, tmpl);
  }

  switch (type) {
    case NodeType::kSteps:
    case NodeType::kDAG: {
      const std::string id = node.id;
      Node* done = type == NodeType::kSteps ? execute_steps(node, tmpl, *resolved.set)
                                            : execute_dag(node, tmpl, *resolved.set);
      // Daemons live as long as the steps or DAG that started them.
      if (done && done->fulfilled()) {
        kill_daemoned_children(done->id);
        bound_groups.erase(id);
      }
      return done;
    }
    case NodeType::kSuspend: return execute_suspend(node, tmpl);
    default: return execute_pod(node, tmpl);
  }
}

}  // namespace skiff::engine
