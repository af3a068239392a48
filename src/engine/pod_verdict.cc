// How a pod's containers decide its node's phase, as Argo reads a pod's
// container statuses: a failed init container fails the pod before its main
// container runs; a failed main container (any container of a containerSet)
// fails it; a sidecar fails it only when it failed on its own, not when it
// was stopped after the main container (exit 137 or 143).
#include "engine/pod_verdict.h"

#include "engine/internal.h"

namespace skiff::engine {

namespace {

const Event::ContainerExit* find_exit(const Event& event, const std::string& name) {
  for (const auto& c : event.containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> names_of(const Json& containers) {
  std::vector<std::string> out;
  if (!containers.is_array()) return out;
  for (const auto& c : containers) out.push_back(string_field(c, "name"));
  return out;
}

bool stopped_by_signal(int exit_code) { return exit_code == 137 || exit_code == 143; }

}  // namespace

bool is_daemon(const Json& tmpl) {
  auto d = tmpl.find("daemon");
  return d != tmpl.end() && d->is_boolean() && d->get<bool>();
}

std::string container_exit_message(int exit_code) {
  return "Error (exit code " + std::to_string(exit_code) + ")";
}

std::vector<std::string> main_container_names(const Json& tmpl) {
  if (auto set = tmpl.find("containerSet"); set != tmpl.end() && set->is_object()) {
    return names_of(set->value("containers", Json::array()));
  }
  return {"main"};
}

PodVerdict assess_pod(const Json& tmpl, const Event& event) {
  PodVerdict verdict;
  const std::vector<std::string> mains = main_container_names(tmpl);
  const bool is_set = tmpl.contains("containerSet");

  if (event.containers.empty()) {
    // A lone main container: the event is its exit.
    verdict.main_ran = true;
    verdict.main_exit_code = event.exit_code;
    verdict.has_main = true;
    if (event.exit_code != 0) verdict.failure = container_exit_message(event.exit_code);
    return verdict;
  }

  const Event::ContainerExit* main = find_exit(event, "main");
  verdict.has_main = !is_set || main != nullptr;
  verdict.main_ran = main != nullptr;
  if (main) verdict.main_exit_code = main->exit_code;

  for (const auto& name : names_of(tmpl.value("initContainers", Json::array()))) {
    const auto* exit = find_exit(event, name);
    if (exit && exit->exit_code != 0) {
      verdict.failure = container_exit_message(exit->exit_code);
      return verdict;
    }
  }
  for (const auto& name : mains) {
    const auto* exit = find_exit(event, name);
    if (exit && exit->exit_code != 0) {
      verdict.failure = container_exit_message(exit->exit_code);
      return verdict;
    }
  }
  for (const auto& name : names_of(tmpl.value("sidecars", Json::array()))) {
    const auto* exit = find_exit(event, name);
    if (exit && exit->exit_code != 0 && !stopped_by_signal(exit->exit_code)) {
      verdict.failure = container_exit_message(exit->exit_code);
      return verdict;
    }
  }
  return verdict;
}

void Engine::Impl::create_container_nodes(const Node& pod, const Json& tmpl) {
  const Json set = tmpl.value("containerSet", Json::object());
  const Json containers = set.value("containers", Json::array());
  const std::string pod_name = pod.name;
  const std::string pod_id = pod.id;
  const Node snapshot = pod;  // create_node may rehash the node map
  for (const auto& c : containers) {
    const std::string name = string_field(c, "name");
    const std::string node_name = pod_name + "." + name;
    if (find_node_by_name(node_name)) continue;
    Node& child = create_node(node_name, name, NodeType::kContainer, Phase::kPending, pod_id);
    child.template_name = snapshot.template_name;
    child.template_ref = snapshot.template_ref;
    child.template_scope = snapshot.template_scope;
  }
  // Containers without dependencies hang off the pod, the others off each
  // container they depend on.
  for (const auto& c : containers) {
    const std::string node_name = pod_name + "." + string_field(c, "name");
    const Json deps = c.value("dependencies", Json::array());
    if (!deps.is_array() || deps.empty()) {
      add_child(pod_name, node_name);
      continue;
    }
    for (const auto& dep : deps) {
      if (dep.is_string()) add_child(pod_name + "." + dep.get<std::string>(), node_name);
    }
  }
}

void Engine::Impl::finish_container_nodes(const Node& pod, const Json& tmpl, const Event& event) {
  const Json set = tmpl.value("containerSet", Json::object());
  const bool pod_failed = is_failed_or_error(pod.phase);
  for (const auto& c : set.value("containers", Json::array())) {
    const std::string name = string_field(c, "name");
    Node* node = find_node_by_name(pod.name + "." + name);
    if (!node || node->fulfilled()) continue;
    const auto* exit = find_exit(event, name);
    if (!exit) {
      // Never started, or its pod was stopped before it ended.
      if (pod_failed) set_phase(*node, Phase::kFailed, "Pod Failed whilst container running");
      continue;
    }
    finish_container_node(*node, exit->exit_code);
  }
}

void Engine::Impl::finish_container_node(Node& node, int exit_code) {
  // Argo's container message: "<reason> (exit code N): <termination message>".
  const std::string message = container_exit_message(exit_code) + ": ";
  if (exit_code == 0) {
    set_phase(node, Phase::kSucceeded);
  } else if (exit_code == 64) {
    // The executor's own failure (a dependency failed, the command could
    // not start), not the program's.
    set_phase(node, Phase::kError, message);
  } else {
    set_phase(node, Phase::kFailed, message);
  }
}

void Engine::Impl::follow_container(const Event& event) {
  if (event.containers.empty() || !running_pods.count(event.node_id)) return;  // stale
  auto pod = status.nodes.find(event.node_id);
  if (pod == status.nodes.end()) return;
  Node* node = find_node_by_name(pod->second.name + "." + event.containers.front().name);
  if (!node || node->type != NodeType::kContainer || node->fulfilled()) return;
  if (event.kind == Event::Kind::kContainerStarted) {
    if (node->phase == Phase::kPending) set_phase(*node, Phase::kRunning);
    return;
  }
  finish_container_node(*node, event.containers.front().exit_code);
}

}  // namespace skiff::engine
