// `argo retry`: the status a completed workflow runs again from. The nodes
// that failed (and everything under them) are removed so that they run
// anew, the nodes that hold them (their step or task groups, the steps or
// DAG nodes they belong to, a Retry node whose attempts all failed) go
// back to Running, and everything that succeeded is kept: the walk that
// follows finds it done and does not run it again.
#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "engine/internal.h"

namespace skiff::engine {

namespace {

bool is_execution(NodeType type) {
  return type == NodeType::kPod || type == NodeType::kContainer || type == NodeType::kHTTP;
}

bool is_group(NodeType type) {
  return type == NodeType::kSteps || type == NodeType::kStepGroup || type == NodeType::kDAG ||
         type == NodeType::kTaskGroup;
}

// The tree as Argo's retry sees it: each node's parent is the node (of
// highest ID, when several) that lists it among its children. In a steps
// or DAG node the children links also run from a step or task to those
// after it, so a parent is not always the boundary.
class Tree {
 public:
  Tree(const std::unordered_map<std::string, Node>& nodes, const std::string& workflow_name)
      : nodes_(nodes), workflow_name_(workflow_name) {
    std::vector<std::string> ids;
    ids.reserve(nodes.size());
    for (const auto& [id, node] : nodes) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
      for (const auto& child : nodes.at(id).children) parents_[child] = id;
    }
  }

  Status check() const {
    for (const auto& [id, node] : nodes_) {
      if (!parents_.count(id) && node.name != workflow_name_ && !is_exit_handler(node)) {
        return internal_error("couldn't find parent node for " + id);
      }
      for (const auto& child : node.children) {
        if (!nodes_.count(child)) return internal_error("couldn't obtain child " + child);
      }
    }
    return Status::ok();
  }

  // The workflow's own exit handler and everything inside it.
  bool is_exit_handler(const Node& node) const { return node.name.rfind(workflow_name_ + ".onExit", 0) == 0; }

  const Node* get(const std::string& id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second;
  }
  const Node* parent(const Node& node) const {
    auto it = parents_.find(node.id);
    return it == parents_.end() ? nullptr : get(it->second);
  }
  const Node* root() const {
    for (const auto& [id, node] : nodes_) {
      if (node.name == workflow_name_) return &node;
    }
    return nullptr;
  }

  // Breadth first from the root: a node comes after every node above it.
  std::vector<const Node*> top_down() const {
    std::vector<const Node*> order;
    const Node* start = root();
    if (!start) return order;
    std::set<std::string> seen{start->id};
    std::deque<const Node*> queue{start};
    while (!queue.empty()) {
      const Node* node = queue.front();
      queue.pop_front();
      order.push_back(node);
      for (const auto& child : node->children) {
        if (seen.insert(child).second) queue.push_back(get(child));
      }
    }
    return order;
  }

  void add_descendants(const Node& node, std::set<std::string>& into) const {
    std::deque<const Node*> queue{&node};
    while (!queue.empty()) {
      const Node* at = queue.front();
      queue.pop_front();
      for (const auto& child : at->children) {
        if (into.insert(child).second) queue.push_back(get(child));
      }
    }
  }

  // Whether anything below `node` succeeded (and is not to be restarted).
  bool succeeded_below(const Node& node, const std::set<std::string>& restarted) const {
    std::set<std::string> seen;
    std::deque<const Node*> queue{&node};
    while (!queue.empty()) {
      const Node* at = queue.front();
      queue.pop_front();
      for (const auto& child_id : at->children) {
        const Node* child = get(child_id);
        if (!child || !seen.insert(child_id).second) continue;
        if (child->phase == Phase::kSucceeded && !restarted.count(child_id)) return true;
        queue.push_back(child);
      }
    }
    return false;
  }

  // The Retry node an attempt belongs to.
  const Node* retry_of(const Node& attempt) const {
    for (const auto& [id, node] : nodes_) {
      if (node.type != NodeType::kRetry) continue;
      if (std::find(node.children.begin(), node.children.end(), attempt.id) != node.children.end()) return &node;
    }
    return nullptr;
  }

 private:
  const std::unordered_map<std::string, Node>& nodes_;
  std::string workflow_name_;
  std::unordered_map<std::string, std::string> parents_;
};

// What one node to run again takes with it: itself and everything below
// are removed; on the way up, the nodes that must run again to reach it
// are reset.
class Plan {
 public:
  explicit Plan(const Tree& tree) : tree_(tree) {}

  std::set<std::string> removed;
  std::set<std::string> reset;

  Status rerun(const Node& start) {
    removed.insert(start.id);
    tree_.add_descendants(start, removed);
    if (&start == tree_.root()) return Status::ok();
    const Node* at = &start;
    while (at) {
      if (is_group(at->type)) {
        reset.insert(at->id);
        auto up = reset_boundaries(*at);
        if (!up) return up.status();
        at = *up;
        continue;
      }
      if (at->type == NodeType::kRetry && is_failed_or_error(at->phase)) reset.insert(at->id);
      if (at->type == NodeType::kContainer) {
        // A container runs again with its whole pod.
        const Node* pod = at;
        while (pod && pod->type != NodeType::kPod) pod = tree_.parent(*pod);
        if (!pod) return internal_error("was seeking node but ran out of nodes to explore");
        removed.insert(pod->id);
        tree_.add_descendants(*pod, removed);
        at = pod;
      }
      at = tree_.parent(*at);
    }
    return Status::ok();
  }

 private:
  // From a group node up through the boundaries that enclose it; returns
  // where the walk goes on (null at the top).
  Result<const Node*> reset_boundaries(const Node& from) {
    const Node* at = &from;
    while (at) {
      const Node* parent = tree_.parent(*at);
      if (parent && parent->type == NodeType::kRetry) {
        reset.insert(parent->id);
        at = parent;
        parent = tree_.parent(*at);
      }
      if (parent && (parent->type == NodeType::kStepGroup || parent->type == NodeType::kTaskGroup)) {
        reset.insert(parent->id);
      }
      const std::string boundary = at->boundary_id;
      if (boundary.empty()) return parent;
      const Node* seek = at;
      while (seek && seek->id != boundary) seek = tree_.parent(*seek);
      if (!seek) return internal_error("was seeking node but ran out of nodes to explore");
      reset.insert(seek->id);
      at = seek;
    }
    return at;
  }

  const Tree& tree_;
};

// A node on the way to one that runs again: running again itself.
Node reset_node(Node node, Time now) {
  if (node.type == NodeType::kSuspend && node.outputs.is_object() && node.outputs.contains("parameters")) {
    // Its supplied outputs are to be supplied again.
    for (auto& param : node.outputs["parameters"]) {
      param = Json{{"name", param.value("name", "")}, {"valueFrom", {{"supplied", Json::object()}}}};
    }
  }
  if (node.phase != Phase::kSkipped) node.phase = Phase::kRunning;
  node.message.clear();
  node.started_at = now;
  node.finished_at.reset();
  node.resources_duration.clear();
  node.daemoned = false;
  return node;
}

}  // namespace

Result<WorkflowStatus> retry_status(const WorkflowStatus& status, const std::string& workflow_name,
                                    const RetryRequest& request, Time now) {
  const bool restart = request.restart_successful && !request.node_field_selector.empty();
  switch (status.phase) {
    case Phase::kFailed:
    case Phase::kError:
      break;
    case Phase::kSucceeded:
      if (!restart) {
        return invalid_argument("To retry a succeeded workflow, set the options restartSuccessful and nodeFieldSelector");
      }
      break;
    default:
      return invalid_argument(std::string("Cannot retry a workflow in phase ") +
                              (status.started ? to_string(status.phase) : ""));
  }
  if (!status.finished_at) {
    return invalid_argument(std::string("Cannot retry a workflow in phase ") + to_string(Phase::kRunning));
  }

  // Succeeded nodes the caller asked to run again.
  std::set<std::string> restarted;
  if (restart) {
    auto terms = parse_field_selector(request.node_field_selector);
    if (!terms) return terms.status();
    for (const auto& [id, node] : status.nodes) {
      if (selector_matches(*terms, node)) restarted.insert(id);
    }
  }
  Tree tree(status.nodes, workflow_name);
  SKIFF_RETURN_IF_ERROR(tree.check());

  // Failed steps run again, unless something after them succeeded (a
  // failure the workflow went on past). An attempt of a Retry node is
  // judged by its Retry node.
  std::set<std::string> to_rerun = restarted;
  for (const auto& [id, node] : status.nodes) {
    if (!is_failed_or_error(node.phase) || !is_execution(node.type)) continue;
    const Node* judged = &node;
    if (node.retried) {
      if (const Node* retry = tree.retry_of(node)) judged = retry;
    }
    if (!tree.succeeded_below(*judged, restarted)) to_rerun.insert(id);
  }

  Plan plan(tree);
  for (const Node* node : tree.top_down()) {
    if (!to_rerun.count(node->id) || plan.removed.count(node->id)) continue;
    SKIFF_RETURN_IF_ERROR(plan.rerun(*node));
  }
  // New parameter values may change what a group expands to: its members
  // are made again.
  if (!request.parameters.empty()) {
    for (const auto& id : std::set<std::string>(plan.reset)) {
      if (plan.removed.count(id)) continue;
      const Node& node = status.nodes.at(id);
      if (node.type == NodeType::kStepGroup || node.type == NodeType::kTaskGroup) {
        tree.add_descendants(node, plan.removed);
      }
    }
  }

  WorkflowStatus out;
  out.phase = Phase::kRunning;
  out.started = true;
  out.started_at = now;
  out.outputs = status.outputs;
  out.metrics = status.metrics;
  auto kept = [&](const std::vector<std::string>& ids) {
    std::vector<std::string> out_ids;
    for (const auto& id : ids) {
      if (!plan.removed.count(id)) out_ids.push_back(id);
    }
    return out_ids;
  };
  for (const auto& [id, node] : status.nodes) {
    if (plan.removed.count(id) || tree.is_exit_handler(node)) continue;
    Node copy = plan.reset.count(id) ? reset_node(node, now) : node;
    copy.children = kept(node.children);
    copy.outbound_nodes = kept(node.outbound_nodes);
    out.nodes.emplace(id, std::move(copy));
  }
  return out;
}

}  // namespace skiff::engine

namespace skiff::engine {

namespace {

std::optional<Duration> active_deadline(const Json& spec) {
  auto d = spec.find("activeDeadlineSeconds");
  if (d == spec.end()) return std::nullopt;
  if (d->is_number()) return std::chrono::seconds(d->get<long long>());
  return parse_duration(d->is_string() ? d->get<std::string>() : "");
}

}  // namespace

void Engine::Impl::forget_derived_state() {
  auto gone = [&](const std::string& id) { return !status.nodes.count(id); };
  auto drop_gone = [&](auto& map) {
    for (auto it = map.begin(); it != map.end();) it = gone(it->first) ? map.erase(it) : std::next(it);
  };
  // Whatever was derived from the nodes is derived again by a full walk.
  running_pods.clear();
  pod_deadlines.clear();
  pods_past_deadline.clear();
  bound_groups.clear();
  group_progress.clear();
  steps_progress.clear();
  children_index.clear();
  timers.clear();
  dirty.clear();
  dirty_next.clear();
  full_walk_next = true;
  drop_gone(inner_scopes);
  drop_gone(memo);
  drop_gone(pending_metrics);
  drop_gone(limited_children);
  for (auto& [id, children] : limited_children) std::erase_if(children, gone);
  std::erase_if(exit_nodes, gone);
  for (auto it = collided_ids.begin(); it != collided_ids.end();) {
    it = gone(it->second) ? collided_ids.erase(it) : std::next(it);
  }
  // A completed workflow released every lock it held or waited for.
  lock_claims.clear();
  if (gone(workflow_exit_node_id)) workflow_exit_node_id.clear();
  workflow_metrics_emitted = false;
}

void Engine::Impl::resume_rewritten(const std::vector<std::pair<std::string, std::string>>& parameters) {
  forget_derived_state();
  // Not shutting down any more; the deadline counts from now.
  shutdown = Shutdown::kNone;
  terminating = false;
  main_tree_stopped = false;
  shutdown_node_message.clear();
  shutdown_workflow_message.clear();
  Json& own_spec = workflow["spec"];
  own_spec.erase("shutdown");
  for (Json* s : {&own_spec, &spec}) {
    if (auto d = active_deadline(*s); d && d->count() == 0) s->erase("activeDeadlineSeconds");
  }
  workflow_deadline.reset();
  if (auto d = active_deadline(spec)) {
    workflow_deadline = now + *d;
    timers.insert(*workflow_deadline);
  }
  if (auto sync = spec.find("synchronization"); sync != spec.end() && sync->is_object()) {
    (void)claim_locks(options.name, *sync);
  }

  // New values for the workflow's parameters; names it does not declare
  // are ignored, as by Argo.
  for (const auto& [name, value] : parameters) {
    bool declared = false;
    for (Json* s : {&own_spec, &spec}) {
      if (!s->contains("arguments") || !(*s)["arguments"].contains("parameters")) continue;
      for (auto& p : (*s)["arguments"]["parameters"]) {
        if (string_field(p, "name") != name) continue;
        p["value"] = value;
        p.erase("valueFrom");
        declared = true;
      }
    }
    if (declared) globals["workflow.parameters." + name] = value;
  }
  if (!parameters.empty()) ++globals_version;
}

Result<std::vector<Action>> Engine::retry(const RetryRequest& request, Time now) {
  Impl& s = *impl_;
  auto rewritten = retry_status(s.status, s.options.name, request, now);
  if (!rewritten) return rewritten.status();
  s.now = now;
  s.actions.clear();
  s.status = std::move(*rewritten);
  s.resume_rewritten(request.parameters);
  s.advance_unless_waiting();
  return std::move(s.actions);
}

}  // namespace skiff::engine
