// Steps templates: groups run in order, the steps of a group in parallel.
#include "engine/internal.h"

namespace skiff::engine {

namespace {

std::string group_name(const std::string& steps_name, size_t i) {
  return steps_name + "[" + std::to_string(i) + "]";
}

}  // namespace

void GroupProgress::add(const Node& child, const Json& step) {
  Child entry;
  const Json on = step.value("continueOn", Json::object());
  entry.continue_failed = on.value("failed", false);
  entry.continue_error = on.value("error", false);
  entry.done = child.fulfilled();
  if (child.type != NodeType::kPod) entry.holder = step;
  auto [it, added] = children.emplace(child.id, std::move(entry));
  if (!added) return;
  if (child.type != NodeType::kPod) structural.push_back(child.id);
  if (!it->second.done) ++unfinished;
}

bool GroupProgress::continues(const Node& child) const {
  auto it = children.find(child.id);
  if (it == children.end()) return false;
  return (child.phase == Phase::kFailed && it->second.continue_failed) ||
         (child.phase == Phase::kError && it->second.continue_error);
}

bool Engine::Impl::follow_group(GroupProgress& group, const std::string& steps_id, const TemplateSet& context) {
  auto settle = [&](GroupProgress::Child& child, const Node& node) {
    if (child.done || !node.fulfilled()) return;
    child.done = true;
    --group.unfinished;
  };
  // Children that are templates of their own (steps, DAG, retry, suspend)
  // are advanced on every visit; pods change only through events, which
  // mark them dirty.
  for (const auto& id : group.structural) {
    auto& child = group.children[id];
    if (child.done) continue;
    Node& node = status.nodes[id];
    if (!node.fulfilled()) {
      execute_template(ExecuteRequest::of(node.name, node.display_name, steps_id, child.holder, context));
    }
    settle(child, status.nodes[id]);
  }
  for (const auto& id : dirty) {
    auto it = group.children.find(id);
    if (it != group.children.end()) settle(it->second, status.nodes[id]);
  }
  return group.unfinished == 0;
}

bool Engine::Impl::assess_group(Node& group, const GroupProgress& progress) {
  for (const auto& child_id : group.children) {
    if (!status.nodes[child_id].fulfilled()) return false;
  }
  std::string failure;
  for (const auto& child_id : group.children) {
    const Node& child = status.nodes[child_id];
    if (is_failed_or_error(child.phase) && !progress.continues(child)) {
      failure = "child '" + child_id + "' failed";
      break;
    }
  }
  if (failure.empty()) set_phase(group, Phase::kSucceeded);
  else set_phase(group, Phase::kFailed, failure);
  return true;
}

const expr::Scope& Engine::Impl::steps_full_scope(StepsProgress& progress) {
  if (!progress.full_built || progress.full_globals_version != globals_version) {
    progress.full = merged_scope(progress.scope);
    progress.full_globals_version = globals_version;
    progress.full_built = true;
    return progress.full;
  }
  // The globals that move on every event, as merged_scope would give them.
  for (const char* moving : {"workflow.duration", "workflow.status", "workflow.failures"}) {
    if (progress.scope.count(moving)) continue;
    if (auto g = globals.find(moving); g != globals.end()) {
      progress.full[moving] = g->second;
    } else {
      progress.full.erase(moving);
    }
  }
  return progress.full;
}

Node* Engine::Impl::execute_steps(Node& node, const Json& tmpl, const TemplateSet& context) {
  if (node.fulfilled()) return &node;
  const std::string node_name = node.name;
  const std::string node_id = node.id;
  const Json& groups = tmpl["steps"];
  // The groups finished on earlier visits and the scope they built are kept,
  // so a visit costs the group that runs, not every group before it.
  StepsProgress& progress = steps_progress[node_id];
  if (full_walk) progress = StepsProgress{};
  expr::Scope& scope = progress.scope;

  for (size_t i = progress.groups_done; i < groups.size(); ++i) {
    const std::string sg_name = group_name(node_name, i);
    Node* sg = find_node_by_name(sg_name);
    const bool created = !sg;
    if (!sg) sg = &create_node(sg_name, "[" + std::to_string(i) + "]", NodeType::kStepGroup, Phase::kRunning, node_id);
    if (i == 0) {
      add_child(node_name, sg_name);
    } else if (created || full_walk) {
      // The previous group's outbound nodes lead into this group.
      Node* prev = find_node_by_name(group_name(node_name, i - 1));
      if (prev->children.empty()) {
        add_child(prev->name, sg_name);
      } else {
        for (const auto& child : std::vector<std::string>(prev->children)) {
          for (const auto& out : outbound_nodes(child)) add_child(status.nodes[out].name, sg_name);
        }
      }
    }

    // Execute the group (idempotent once fulfilled).
    auto followed = full_walk ? group_progress.end() : group_progress.find(sg->id);
    if (!sg->fulfilled() && followed != group_progress.end()) {
      // Every step of the group has its node: follow what changed instead
      // of expanding the steps (and their loops) again.
      if (!follow_group(followed->second, node_id, context) || !assess_group(*sg, followed->second)) {
        return &status.nodes[node_id];
      }
      group_progress.erase(followed);
    } else if (!sg->fulfilled()) {
      group_progress.erase(sg->id);
      // Only a group whose steps all have their nodes and no hooks or exit
      // handlers is followed on later visits: hooks are evaluated, and steps
      // held back by parallelism started, only by expanding the group again.
      GroupProgress followable;
      bool plain = true;
      const Json& steps = groups[i].is_array() ? groups[i] : Json::array();
      const expr::Scope& full = steps_full_scope(progress);
      std::vector<std::pair<std::string, Json>> started;  // child name -> step
      std::string error;  // the first child error makes the whole group errored
      bool held_back = false;
      auto fail_child = [&](const std::string& child_name, const std::string& display, const std::string& why) {
        Node* existing_child = find_node_by_name(child_name);
        Node& child = existing_child ? *existing_child
                                     : create_node(child_name, display, NodeType::kSkipped, Phase::kError, node_id);
        set_phase(child, Phase::kError, why);
        add_child(sg_name, child_name);
        if (error.empty()) error = why;
      };
      for (const auto& raw_step : steps) {
        Json step = raw_step;
        const std::string step_name = string_field(step, "name");
        const std::string base_name = sg_name + "." + step_name;
        Status st = expr::substitute_json(step, full, expr::Unresolved::kKeep);
        if (st) st = resolve_artifact_expressions(step, full);
        if (!st) {
          fail_child(base_name, step_name, st.message());
          continue;
        }
        // One instance, or one per loop item.
        std::vector<std::pair<std::string, Json>> instances;  // display name -> step
        auto loop = expand_loop(step);
        if (!loop) {
          fail_child(base_name, step_name, loop.status().message());
          continue;
        }
        if (!loop->has_value()) {
          instances.emplace_back(step_name, step);
        } else if ((*loop)->empty()) {
          if (!find_node_by_name(base_name)) {
            Node& skipped = create_node(base_name, step_name, NodeType::kSkipped, Phase::kSkipped, node_id,
                                        "Skipped, empty params");
            record_named_template(skipped, step);
            add_child(sg_name, base_name);
          }
        } else {
          for (size_t k = 0; k < (*loop)->size(); ++k) {
            auto instance = instantiate(step, (**loop)[k]);
            if (!instance) {
              fail_child(base_name, step_name, instance.status().message());
              break;
            }
            instances.emplace_back(iteration_name(step_name, k, (**loop)[k]), std::move(*instance));
          }
        }
        for (auto& [display, instance] : instances) {
          const std::string child_name = sg_name + "." + display;
          if (!find_node_by_name(child_name)) {
            auto proceed = should_execute(string_field(instance, "when"));
            if (!proceed) {
              fail_child(child_name, display, proceed.status().message());
              continue;
            }
            if (!*proceed) {
              Node& skipped = create_node(child_name, display, NodeType::kSkipped, Phase::kSkipped, node_id,
                                          "when '" + string_field(instance, "when") + "' evaluated false");
              record_named_template(skipped, instance);
              add_child(sg_name, child_name);
              continue;
            }
          }
          Node* child = execute_template(ExecuteRequest::of(child_name, display, node_id, instance, context));
          if (child) add_child(sg_name, child_name);
          else held_back = true;  // not started yet (parallelism): the group is not done
          started.emplace_back(child_name, instance);
          if (child) followable.add(*child, instance);
          if (has_node_hooks(instance)) plain = false;
          // The child's template could not be set up (not found, inputs not
          // bound): Argo errors the group at once, naming the child.
          if (child && child->type == NodeType::kSkipped && child->phase == Phase::kError) {
            error = "step group deemed errored due to child " + child_name + " error: " + child->message;
            break;
          }
        }
        if (!error.empty()) break;  // Argo stops starting steps at a group's first error
      }
      sg = find_node_by_name(sg_name);
      if (error.empty()) {
        // Hooks and exit handlers of the group's steps, as each step's state
        // allows; the group waits for those that run.
        bool all_done = true;
        // By name: searching `started` for every child was quadratic in a loop's size.
        std::unordered_map<std::string_view, const Json*> started_by_name;
        for (const auto& [name, s] : started) started_by_name[name] = &s;
        for (const auto& child_id : std::vector<std::string>(sg->children)) {
          const Node& child = status.nodes[child_id];
          auto found = started_by_name.find(child.name);
          const Json* step = found == started_by_name.end() ? nullptr : found->second;
          if (!step || (!step->contains("hooks") && !step->contains("onExit"))) {
            all_done = all_done && child.fulfilled();
            continue;
          }
          const std::string prefix = "steps." + child.display_name;
          expr::Scope local = scope;
          local[prefix + ".status"] = to_string(child.phase);
          HookProgress hooks = run_node_hooks(*step, child_id, node_id, context, local, prefix);
          if (hooks.error.empty() && !hooks.done) return &status.nodes[node_id];
          if (hooks.error.empty() && status.nodes[child_id].fulfilled()) {
            hooks = run_node_exit(*step, child_id, node_id, context, local, prefix);
            all_done = all_done && hooks.done;
          }
          all_done = all_done && status.nodes[child_id].fulfilled();
          if (!hooks.error.empty()) {
            error = hooks.error;
            break;
          }
        }
        if (error.empty() && (!all_done || held_back)) {
          if (plain && !held_back) group_progress[sg->id] = std::move(followable);
          return &status.nodes[node_id];
        }
      }
      if (!error.empty()) {
        set_phase(*sg, Phase::kError, error);
      } else {
        assess_group(*sg, followable);
      }
    }
    if (!sg->fulfilled()) return &status.nodes[node_id];
    if (is_failed_or_error(sg->phase)) {
      Node& self = status.nodes[node_id];
      std::vector<std::string> outbound;
      for (const auto& child : sg->children) {
        auto more = outbound_nodes(child);
        outbound.insert(outbound.end(), more.begin(), more.end());
      }
      self.outbound_nodes = outbound;
      set_phase(self, Phase::kFailed, sg->message);
      steps_progress.erase(node_id);
      return &self;
    }
    // The group's results become visible to the groups after it.
    for (const auto& step : groups[i]) {
      std::string step_name = string_field(step, "name");
      if (Node* child = find_node_by_name(sg_name + "." + step_name)) {
        add_node_to_scope(scope, "steps." + step_name, *child);
        if (progress.full_built) add_node_to_scope(progress.full, "steps." + step_name, *child);
      } else {
        auto ids = iteration_ids(status.nodes, *sg, sg_name + "." + step_name);
        add_loop_to_scope(scope, "steps." + step_name, ids);
        if (progress.full_built) add_loop_to_scope(progress.full, "steps." + step_name, ids);
      }
    }
    progress.groups_done = i + 1;
  }

  Node& self = status.nodes[node_id];
  std::vector<std::string> outbound;
  if (!groups.empty()) {
    Node* last = find_node_by_name(group_name(node_name, groups.size() - 1));
    for (const auto& child : last->children) {
      auto more = outbound_nodes(child);
      outbound.insert(outbound.end(), more.begin(), more.end());
    }
  }
  self.outbound_nodes = outbound;
  auto outputs = outputs_from_scope(tmpl, scope);
  steps_progress.erase(node_id);
  if (!outputs) {
    set_phase(self, Phase::kError, outputs.status().message());
    return &self;
  }
  if (!outputs->is_null()) {
    self.outputs = *outputs;
    publish_global_outputs(*outputs);
  }
  set_phase(self, Phase::kSucceeded);
  return &self;
}

}  // namespace skiff::engine
