// Daemon steps and tasks (`daemon: true`): once the pod runs and is ready
// the node is "daemoned" (Running, yet fulfilled, so what follows it
// proceeds) and takes the pod IP the runtime reported with that event; when
// the steps or DAG around it completes, the pod is stopped and the node
// ends Succeeded, as Argo ends it.
#include "engine/internal.h"
#include "engine/pod_verdict.h"

namespace skiff::engine {

namespace {

// The address of a daemon whose event names none (a journal written before
// runtimes reported one): the host's, where such daemons listened.
constexpr char kHostPodIp[] = "127.0.0.1";

bool has_readiness_probe(const Json& tmpl) {
  for (const char* kind : {"container", "script"}) {
    if (auto c = tmpl.find(kind); c != tmpl.end() && c->is_object() && c->contains("readinessProbe")) return true;
  }
  for (const char* list : {"sidecars"}) {
    for (const auto& c : tmpl.value(list, Json::array())) {
      if (c.is_object() && c.contains("readinessProbe")) return true;
    }
  }
  if (auto set = tmpl.find("containerSet"); set != tmpl.end() && set->is_object()) {
    for (const auto& c : set->value("containers", Json::array())) {
      if (c.is_object() && c.contains("readinessProbe")) return true;
    }
  }
  return false;
}

}  // namespace

void Engine::Impl::mark_ready(Node& node, bool readiness_passed, const std::string& pod_ip) {
  auto pod = running_pods.find(node.id);
  if (pod == running_pods.end() || !is_daemon(pod->second) || node.daemoned) return;
  // A pod with a readiness probe is ready when the runtime says the probe
  // passed; one without is ready as soon as it runs.
  if (!readiness_passed && has_readiness_probe(pod->second)) return;
  if (node.phase != Phase::kRunning) set_phase(node, Phase::kRunning);
  node.daemoned = true;
  node.pod_ip = pod_ip.empty() ? kHostPodIp : pod_ip;
  progressed = true;
}

void Engine::Impl::kill_daemoned_children(const std::string& boundary_id) {
  for (auto& [id, node] : status.nodes) {
    if (node.boundary_id != boundary_id || !node.daemoned) continue;
    if (running_pods.count(id)) {
      Action cancel;
      cancel.kind = Action::Kind::kCancel;
      cancel.node_id = id;
      actions.push_back(cancel);
    }
    node.daemoned = false;
    node.pod_ip.clear();
    set_phase(node, Phase::kSucceeded);
  }
}

}  // namespace skiff::engine
