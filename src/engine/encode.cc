// The Workflow object in Argo's JSON shape.
#include "engine/internal.h"

namespace skiff::engine {

namespace {

Json node_json(const Node& node, const std::string& progress, const std::string& workflow_name) {
  Json j = Json::object();
  j["id"] = node.id;
  j["name"] = node.name;
  j["displayName"] = node.display_name;
  j["type"] = to_string(node.type);
  if (!node.template_name.empty()) j["templateName"] = node.template_name;
  if (!node.template_ref.is_null()) j["templateRef"] = node.template_ref;
  // The workflow's own templates are scoped by its name: "local/<workflow>".
  j["templateScope"] = node.template_scope == "local/" ? "local/" + workflow_name : node.template_scope;
  j["phase"] = to_string(node.phase);
  if (!node.boundary_id.empty()) j["boundaryID"] = node.boundary_id;
  if (!node.message.empty()) j["message"] = node.message;
  j["startedAt"] = format_rfc3339(node.started_at);
  j["finishedAt"] = node.finished_at ? Json(format_rfc3339(*node.finished_at)) : Json();
  if (!progress.empty()) j["progress"] = progress;
  if (!node.inputs.is_null()) j["inputs"] = node.inputs;
  if (!node.outputs.is_null()) j["outputs"] = node.outputs;
  if (!node.children.empty()) j["children"] = node.children;
  if (!node.outbound_nodes.empty()) j["outboundNodes"] = node.outbound_nodes;
  if (!node.host_node_name.empty()) j["hostNodeName"] = node.host_node_name;
  if (node.daemoned) j["daemoned"] = true;
  if (!node.pod_ip.empty()) j["podIP"] = node.pod_ip;
  if (!node.memoization.is_null()) j["memoizationStatus"] = node.memoization;
  if (node.resources_duration.is_object() && !node.resources_duration.empty()) {
    j["resourcesDuration"] = node.resources_duration;
  }
  if (node.hooked || node.retried) {
    Json flag = Json::object();
    if (node.hooked) flag["hooked"] = true;
    if (node.retried) flag["retried"] = true;
    j["nodeFlag"] = flag;
  }
  return j;
}

// Argo's "executable" nodes carry their own progress; suspends count too.
bool counts_for_progress(NodeType type) {
  return type == NodeType::kPod || type == NodeType::kContainer || type == NodeType::kHTTP ||
         type == NodeType::kSuspend;
}

}  // namespace

Json Engine::to_json(Time now) const {
  const Impl& s = *impl_;
  Json wf = s.workflow;
  wf["apiVersion"] = "argoproj.io/v1alpha1";
  wf["kind"] = "Workflow";
  Json& meta = wf["metadata"];
  meta["name"] = s.options.name;
  meta["namespace"] = s.options.namespace_;
  if (!s.options.uid.empty()) meta["uid"] = s.options.uid;
  if (s.status.started) meta["creationTimestamp"] = format_rfc3339(s.status.started_at);
  if (s.status.finished_at) {
    meta["labels"]["workflows.argoproj.io/completed"] = "true";
  }
  meta["labels"]["workflows.argoproj.io/phase"] = to_string(s.status.phase);

  Json status = Json::object();
  status["phase"] = to_string(s.status.phase);
  if (s.status.started) status["startedAt"] = format_rfc3339(s.status.started_at);
  status["finishedAt"] = s.status.finished_at ? Json(format_rfc3339(*s.status.finished_at)) : Json();
  if (!s.status.message.empty()) status["message"] = s.status.message;

  // Progress "done/total" over the workflow's pods, as Argo reports it.
  int done = 0, total = 0;
  for (const auto& [id, node] : s.status.nodes) {
    if (!counts_for_progress(node.type)) continue;
    ++total;
    if (node.phase == Phase::kSucceeded) ++done;
  }
  status["progress"] = std::to_string(done) + "/" + std::to_string(total);

  // Pods carry their own estimate; the sums are Argo's, made as it writes a status.
  const ResourceTotals resources = resources_duration_totals(s.status.nodes);
  if (!resources.workflow.empty()) status["resourcesDuration"] = resources.workflow;

  Json nodes = Json::object();
  for (const auto& [id, node] : s.status.nodes) {
    std::string node_progress;
    if (counts_for_progress(node.type)) {
      node_progress = node.phase == Phase::kSucceeded ? "1/1" : "0/1";
    }
    nodes[id] = node_json(node, node_progress, s.options.name);
    if (auto sum = resources.nodes.find(id); sum != resources.nodes.end()) nodes[id]["resourcesDuration"] = sum->second;
    if (auto waiting = s.waiting_lock.find(id); waiting != s.waiting_lock.end()) {
      nodes[id]["synchronizationStatus"] = Json{{"waiting", waiting->second}};
    }
  }
  if (!nodes.empty()) status["nodes"] = std::move(nodes);
  if (!s.status.outputs.is_null()) status["outputs"] = s.status.outputs;
  if (!s.locks.empty()) {
    Json sync = s.synchronization_json();
    if (!sync.empty()) status["synchronization"] = std::move(sync);
  }
  (void)now;
  wf["status"] = std::move(status);
  return wf;
}

}  // namespace skiff::engine
