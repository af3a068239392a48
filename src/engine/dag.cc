// DAG templates: tasks run when their dependencies allow, the DAG's phase
// follows its target tasks.
#include <algorithm>
#include <deque>
#include <map>
#include <unordered_set>

#include "base/naming.h"
#include "engine/internal.h"

namespace skiff::engine {

namespace {

struct Task {
  const Json* spec;
  std::string name;
  std::vector<std::string> dependencies;
  std::string depends;  // the effective logic: `depends`, or built from `dependencies`
};

bool continues_on(const Json& task, Phase phase) {
  const Json on = task.value("continueOn", Json::object());
  return (phase == Phase::kFailed && on.value("failed", false)) ||
         (phase == Phase::kError && on.value("error", false));
}

class DagRun {
 public:
  DagRun(Engine::Impl& engine, Node& node, const Json& tmpl, const TemplateSet& context)
      : e_(engine), name_(node.name), id_(node.id), tmpl_(tmpl), context_(context) {
    const Json& dag = tmpl_["dag"];
    static const Json kNoTasks = Json::array();
    const Json& task_list = dag.contains("tasks") && dag["tasks"].is_array() ? dag["tasks"] : kNoTasks;
    for (const auto& t : task_list) {
      Task task{&t, string_field(t, "name"), {}, string_field(t, "depends")};
      tasks_.emplace(task.name, std::move(task));
      order_.push_back(string_field(t, "name"));
    }
    for (auto& [name, task] : tasks_) {
      if (!task.depends.empty()) {
        task.dependencies = expr::depends_task_names(task.depends);
      } else if (auto deps = task.spec->find("dependencies"); deps != task.spec->end() && deps->is_array()) {
        std::string logic;
        for (const auto& d : *deps) {
          if (!d.is_string()) continue;
          task.dependencies.push_back(d.get<std::string>());
          if (!logic.empty()) logic += " && ";
          logic += d.get<std::string>();
        }
        task.depends = logic;
      }
    }
    fail_fast_ = dag.value("failFast", true);
  }

  Node* run() {
    std::vector<std::string> targets = target_tasks();
    for (const auto& t : targets) {
      execute_task(t);
      // A target done in this very pass is not visited again: its hooks and
      // exit handler start here (both are idempotent).
      if (Node* n = task_node(t); n && tasks_.count(t)) {
        if (run_hooks(tasks_.at(t), n->id) && e_.status.nodes[n->id].fulfilled()) run_exit(tasks_.at(t), n->id);
      }
    }
    Phase phase = assess(targets);
    Node& self = e_.status.nodes[id_];
    if (phase == Phase::kRunning) return &self;
    set_outbound(targets);
    if (is_failed_or_error(phase)) {
      e_.set_phase(self, phase);
      return &self;
    }
    expr::Scope scope;
    for (const auto& name : order_) add_task_to_scope(scope, name);
    auto outputs = e_.outputs_from_scope(tmpl_, scope);
    if (!outputs) {
      e_.set_phase(self, Phase::kError, outputs.status().message());
      return &self;
    }
    if (!outputs->is_null()) {
      self.outputs = *outputs;
      e_.publish_global_outputs(*outputs);
    }
    e_.set_phase(self, Phase::kSucceeded);
    return &self;
  }

 private:
  std::vector<std::string> target_tasks() const {
    std::string target = string_field(tmpl_["dag"], "target");
    std::vector<std::string> out;
    if (!target.empty()) {
      size_t i = 0;
      while (i < target.size()) {
        size_t j = target.find(' ', i);
        if (j == std::string::npos) j = target.size();
        if (j > i) out.push_back(target.substr(i, j - i));
        i = j + 1;
      }
      return out;
    }
    std::unordered_set<std::string> depended_on;
    for (const auto& [name, task] : tasks_) {
      for (const auto& d : task.dependencies) depended_on.insert(d);
    }
    for (const auto& name : order_) {
      if (!depended_on.count(name)) out.push_back(name);
    }
    // Argo walks implicit targets in name order, which fixes the order of
    // the DAG's children and outbound nodes.
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string task_node_name(const std::string& task) const { return name_ + "." + task; }
  Node* task_node(const std::string& task) { return e_.find_node_by_name(task_node_name(task)); }

  void connect(const Task& task, const std::string& child_name) {
    if (task.dependencies.empty()) {
      e_.add_child(name_, child_name);
      return;
    }
    for (const auto& dep : task.dependencies) {
      Node* dep_node = task_node(dep);
      if (!dep_node) continue;
      for (const auto& out : e_.outbound_nodes(dep_node->id)) e_.add_child(e_.status.nodes[out].name, child_name);
    }
  }

  // What evaluate_depends needs to know of each task a depends names.
  Json task_results(const std::string& depends) {
    Json results = Json::object();
    for (const auto& name : expr::depends_task_names(depends)) {
      auto it = tasks_.find(name);
      Node* n = task_node(name);
      Phase p = n ? n->phase : Phase::kPending;
      const Json on = it == tasks_.end() ? Json::object() : it->second.spec->value("continueOn", Json::object());
      Json r = {{"Succeeded", p == Phase::kSucceeded}, {"Failed", p == Phase::kFailed},
                {"Errored", p == Phase::kError},       {"Skipped", p == Phase::kSkipped},
                {"Omitted", p == Phase::kOmitted},     {"Daemoned", n && n->daemoned},
                {"ContinueOnFailed", on.value("failed", false)},
                {"ContinueOnError", on.value("error", false)}};
      // Only a loop's TaskGroup answers AnySucceeded / AllFailed from its
      // iterations; other nodes' children are their dependents.
      const bool group = n && n->type == NodeType::kTaskGroup;
      bool any = false, all = group && !n->children.empty();
      if (group) {
        for (const auto& c : n->children) {
          auto child = e_.status.nodes.find(c);
          if (child == e_.status.nodes.end()) continue;
          Phase cp = child->second.phase;
          any = any || cp == Phase::kSucceeded;
          all = all && cp == Phase::kFailed;
        }
      }
      r["AnySucceeded"] = any;
      r["AllFailed"] = all;
      results[name] = std::move(r);
    }
    return results;
  }

  void execute_task(const std::string& name) {
    if (!visited_.insert(name).second) return;
    auto it = tasks_.find(name);
    if (it == tasks_.end()) return;
    const Task& task = it->second;
    const std::string node_name = task_node_name(name);
    Node* existing = task_node(name);
    if (existing && (existing->fulfilled() || existing->phase == Phase::kRunning)) {
      if (!run_hooks(task, existing->id)) return;
      if (existing->fulfilled()) {
        run_exit(task, existing->id);
        return;
      }
    }
    // Nothing to do until a running pod reports; a loop whose iterations all
    // have their nodes follows what changed instead of expanding again.
    if (existing && existing->type == NodeType::kPod && e_.running_pods.count(existing->id)) return;
    if (existing && existing->type == NodeType::kTaskGroup && !e_.full_walk) {
      auto followed = e_.group_progress.find(existing->id);
      if (followed != e_.group_progress.end()) {
        if (e_.follow_group(followed->second, id_, context_) && settle_group(*existing)) {
          e_.group_progress.erase(followed);
        }
        return;
      }
    }

    if (!existing) {
      for (const auto& dep : task.dependencies) execute_task(dep);
      for (const auto& dep : task.dependencies) {
        Node* d = task_node(dep);
        // A task waits for its dependencies and for their hooks and exit handlers.
        if (!d || !d->fulfilled() || !e_.hooks_fulfilled(*d)) return;  // not ready yet
      }
      if (!task.depends.empty()) {
        auto run = expr::evaluate_depends(task.depends, task_results(task.depends));
        if (!run) {
          record_named_template(
              e_.create_node(node_name, name, NodeType::kSkipped, Phase::kError, id_, run.status().message()),
              *task.spec);
          connect(task, node_name);
          return;
        }
        if (!*run) {
          record_named_template(e_.create_node(node_name, name, NodeType::kSkipped, Phase::kOmitted, id_,
                                               "omitted: depends condition not met"),
                                *task.spec);
          connect(task, node_name);
          return;
        }
      }
    }

    Json spec = *task.spec;
    expr::Scope scope;
    // Only tasks the spec can name: adding every finished task, with each
    // loop's aggregated outputs, made starting w tasks of m iterations cost
    // O(w^2 * m). A name found anywhere in the text is enough (a false match
    // costs only time).
    const std::string text = spec.dump();
    for (const auto& other : order_) {
      if (text.find(other) != std::string::npos) add_task_to_scope(scope, other);
    }
    Status st = expr::substitute_json(spec, e_.merged_scope(scope), expr::Unresolved::kKeep);
    if (st) st = resolve_artifact_expressions(spec, e_.merged_scope(scope));
    auto loop = st ? expand_loop(spec) : Result<std::optional<std::vector<LoopItem>>>(st);
    if (!loop) {
      if (!existing) {
        e_.create_node(node_name, name, NodeType::kSkipped, Phase::kError, id_, loop.status().message());
        connect(task, node_name);
      }
      return;
    }
    if (!loop->has_value()) {
      if (!existing) {
        connect(task, node_name);
        if (!check_when(spec, node_name, name)) return;
      }
      run_instance(spec, node_name, name);
      if (Node* n = task_node(name); n && n->fulfilled()) run_exit(task, n->id);
      return;
    }
    // A loop: a TaskGroup node whose children are the iterations.
    Node* group = existing;
    if (!group) {
      connect(task, node_name);
      group = &e_.create_node(node_name, name, NodeType::kTaskGroup, Phase::kRunning, id_);
    }
    const std::string group_name = group->name;
    const std::string group_id = group->id;
    e_.group_progress.erase(group_id);
    GroupProgress progress;
    bool all_created = true;
    for (size_t k = 0; k < (*loop)->size(); ++k) {
      auto instance = instantiate(spec, (**loop)[k]);
      if (!instance) {
        e_.set_phase(*e_.find_node_by_name(group_name), Phase::kError, instance.status().message());
        return;
      }
      std::string display = iteration_name(name, k, (**loop)[k]);
      std::string child_name = task_node_name(display);
      if (!e_.find_node_by_name(child_name) && !check_when(*instance, child_name, display)) {
        e_.add_child(group_name, child_name);
        continue;
      }
      run_instance(*instance, child_name, display);
      Node* n = e_.find_node_by_name(child_name);
      if (!n) {
        all_created = false;  // held back (parallelism); a later pass starts it
        continue;
      }
      e_.add_child(group_name, child_name);
      progress.add(*n, *instance);
      if (n->fulfilled()) run_exit(task, n->id);
    }
    if (!all_created) return;
    // Followed on later visits only when every iteration has its node and
    // none has an exit handler to start once it ends.
    if (!settle_group(e_.status.nodes[group_id]) && !has_node_hooks(*task.spec)) {
      e_.group_progress[group_id] = std::move(progress);
    }
  }

  // A TaskGroup whose iterations are all fulfilled takes the phase of the
  // last one that failed, else Succeeded; false while one still runs.
  bool settle_group(Node& group) {
    Phase phase = Phase::kSucceeded;
    for (const auto& c : group.children) {
      const Node& child = e_.status.nodes[c];
      if (!child.fulfilled()) return false;
      if (is_failed_or_error(child.phase)) phase = child.phase;
    }
    e_.set_phase(group, phase);
    return true;
  }

  // Creates a Skipped (or Error) node when the `when` says so; true to run.
  bool check_when(const Json& spec, const std::string& node_name, const std::string& display) {
    auto proceed = should_execute(string_field(spec, "when"));
    if (!proceed) {
      record_named_template(
          e_.create_node(node_name, display, NodeType::kSkipped, Phase::kError, id_, proceed.status().message()),
          spec);
      return false;
    }
    if (!*proceed) {
      record_named_template(e_.create_node(node_name, display, NodeType::kSkipped, Phase::kSkipped, id_,
                                           "when '" + string_field(spec, "when") + "' evaluated false"),
                            spec);
      return false;
    }
    return true;
  }

  void run_instance(const Json& spec, const std::string& node_name, const std::string& display) {
    const bool is_new = e_.find_node_by_name(node_name) == nullptr;
    Node* node = e_.execute_template(ExecuteRequest::of(node_name, display, id_, spec, context_));
    // A task whose template cannot be set up (not found, inputs not bound):
    // Argo's message names the task.
    if (is_new && node && node->type == NodeType::kSkipped && node->phase == Phase::kError) {
      node->message = "task '" + node_name + "' errored: " + node->message;
    }
  }

  // The scope a task's hooks and exit handler see: every task done so far and
  // the task's own status.
  expr::Scope hook_scope(const Task& task, const Node& node) {
    expr::Scope scope;
    for (const auto& other : order_) add_task_to_scope(scope, other);
    scope["tasks." + task.name + ".status"] = to_string(node.phase);
    return scope;
  }

  // Runs the task's hooks; false while one that fired still runs.
  bool run_hooks(const Task& task, const std::string& node_id) {
    if (!has_node_hooks(*task.spec)) return true;  // its scope is costly to build for nothing
    const Node& node = e_.status.nodes[node_id];
    auto progress = e_.run_node_hooks(*task.spec, node_id, id_, context_, hook_scope(task, node), "tasks." + task.name);
    if (!progress.error.empty()) e_.set_phase(e_.status.nodes[node_id], Phase::kError, progress.error);
    return progress.done;
  }

  void run_exit(const Task& task, const std::string& node_id) {
    if (!has_node_hooks(*task.spec)) return;
    const Node& node = e_.status.nodes[node_id];
    auto progress = e_.run_node_exit(*task.spec, node_id, id_, context_, hook_scope(task, node), "tasks." + task.name);
    if (!progress.error.empty()) e_.set_phase(e_.status.nodes[node_id], Phase::kError, progress.error);
  }

  void add_task_to_scope(expr::Scope& scope, const std::string& task) {
    Node* n = task_node(task);
    if (!n || !n->fulfilled()) return;
    if (n->type == NodeType::kTaskGroup) {
      e_.add_loop_to_scope(scope, "tasks." + task, iteration_ids(e_.status.nodes, *n, n->name));
    } else {
      e_.add_node_to_scope(scope, "tasks." + task, *n);
    }
  }

  // Argo's rule: walk the DAG from its roots carrying each branch's last
  // completed phase; omitted/skipped targets inherit their branch's phase.
  Phase assess(const std::vector<std::string>& targets) {
    // Every task node is reachable from the DAG's roots, so the walk below
    // would stop at the first one that runs: skip walking while one does.
    if (any_running()) return Phase::kRunning;
    std::map<std::string, Phase> target_phase;
    std::map<std::string, bool> target_seen;
    for (const auto& t : targets) target_seen[node_id_of(t)] = false;
    Node& self = e_.status.nodes[id_];
    std::deque<std::pair<std::string, Phase>> queue;
    std::unordered_set<std::string> queued;
    for (const auto& c : self.children) {
      if (queued.insert(c).second) queue.emplace_back(c, Phase::kSucceeded);
    }
    while (!queue.empty()) {
      auto [id, branch] = queue.front();
      queue.pop_front();
      auto it = e_.status.nodes.find(id);
      if (it == e_.status.nodes.end()) continue;
      const Node& n = it->second;
      if (!n.fulfilled()) return Phase::kRunning;
      if (n.phase != Phase::kSkipped && n.phase != Phase::kOmitted) branch = n.phase;
      if (target_seen.count(n.id)) {
        auto prev = target_phase.find(n.id);
        if (prev == target_phase.end() || !is_failed_or_error(prev->second)) target_phase[n.id] = branch;
        target_seen[n.id] = true;
      }
      std::vector<std::string> next = n.children;
      if (n.type == NodeType::kRetry) {
        // A Retry node is as its last attempt: go on from that attempt's
        // children and from the hooks hung on the Retry node.
        next.clear();
        for (auto c = n.children.rbegin(); c != n.children.rend(); ++c) {
          const Node& child = e_.status.nodes[*c];
          if (child.hooked) next.push_back(*c);
        }
        if (const Node* last = e_.last_attempt(n)) next.insert(next.end(), last->children.begin(), last->children.end());
      }
      for (const auto& c : next) {
        if (queued.insert(c).second) queue.emplace_back(c, branch);
      }
    }
    Phase result = Phase::kSucceeded;
    for (const auto& t : targets) {
      auto it = target_phase.find(node_id_of(t));
      if (it == target_phase.end()) {
        result = Phase::kRunning;
        if (!fail_fast_) break;
        continue;
      }
      if (is_failed_or_error(it->second)) {
        auto task = tasks_.find(t);
        if (task != tasks_.end() && continues_on(*task->second.spec, it->second)) continue;
        result = it->second;
        if (fail_fast_) break;
      }
    }
    // A target that was never created (its dependencies did not allow it)
    // while nothing runs any more: the DAG cannot progress.
    if (result == Phase::kRunning && !any_running()) result = Phase::kFailed;
    return result;
  }

  bool any_running() {
    for (const auto& name : order_) {
      Node* n = task_node(name);
      if (n && !n->fulfilled()) return true;
    }
    return false;
  }

  std::string node_id_of(const std::string& task) const {
    return e_.node_id_of(task_node_name(task));
  }

  void set_outbound(const std::vector<std::string>& targets) {
    std::vector<std::string> outbound;
    for (const auto& t : targets) {
      Node* n = task_node(t);
      if (!n) continue;
      auto more = e_.outbound_nodes(n->id);
      outbound.insert(outbound.end(), more.begin(), more.end());
    }
    e_.status.nodes[id_].outbound_nodes = outbound;
  }

  Engine::Impl& e_;
  std::string name_;
  std::string id_;
  const Json& tmpl_;
  const TemplateSet& context_;
  std::map<std::string, Task> tasks_;
  std::vector<std::string> order_;
  std::unordered_set<std::string> visited_;
  bool fail_fast_ = true;
};

}  // namespace

Node* Engine::Impl::execute_dag(Node& node, const Json& tmpl, const TemplateSet& context) {
  if (node.fulfilled()) return &node;
  return DagRun(*this, node, tmpl, context).run();
}

}  // namespace skiff::engine
