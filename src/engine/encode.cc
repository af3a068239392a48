// The Workflow object in Argo's JSON shape.
#include <algorithm>

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
  if (!node.resources_duration.empty()) j["resourcesDuration"] = resources_duration_json(node.resources_duration);
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

Json Engine::Impl::object_without_nodes() const {
  Json wf = workflow;
  wf["apiVersion"] = "argoproj.io/v1alpha1";
  wf["kind"] = "Workflow";
  Json& meta = wf["metadata"];
  meta["name"] = options.name;
  meta["namespace"] = options.namespace_;
  if (!options.uid.empty()) meta["uid"] = options.uid;
  if (status.started) meta["creationTimestamp"] = format_rfc3339(status.started_at);
  if (status.finished_at) {
    meta["labels"]["workflows.argoproj.io/completed"] = "true";
  }
  meta["labels"]["workflows.argoproj.io/phase"] = to_string(status.phase);

  Json out = Json::object();
  out["phase"] = to_string(status.phase);
  if (status.started) out["startedAt"] = format_rfc3339(status.started_at);
  out["finishedAt"] = status.finished_at ? Json(format_rfc3339(*status.finished_at)) : Json();
  if (!status.message.empty()) out["message"] = status.message;

  // Progress "done/total" over the workflow's pods, as Argo reports it.
  int done = 0, total = 0;
  for (const auto& [id, node] : status.nodes) {
    if (!counts_for_progress(node.type)) continue;
    ++total;
    if (node.phase == Phase::kSucceeded) ++done;
  }
  out["progress"] = std::to_string(done) + "/" + std::to_string(total);
  if (!status.outputs.is_null()) out["outputs"] = status.outputs;
  if (!lock_claims.empty()) {
    Json sync = synchronization_json();
    if (!sync.empty()) out["synchronization"] = std::move(sync);
  }
  wf["status"] = std::move(out);
  return wf;
}

Json Engine::Impl::node_object(const Node& node, const ResourceTotals& resources) const {
  std::string progress;
  if (counts_for_progress(node.type)) progress = node.phase == Phase::kSucceeded ? "1/1" : "0/1";
  Json j = node_json(node, progress, options.name);
  if (auto sum = resources.nodes.find(node.id); sum != resources.nodes.end()) j["resourcesDuration"] = sum->second;
  if (auto claim = lock_claims.find(node.id);
      claim != lock_claims.end() && !claim->second.held && !claim->second.waiting_key.empty()) {
    j["synchronizationStatus"] = Json{{"waiting", claim->second.waiting_key}};
  }
  return j;
}

Json Engine::to_json(Time now) const { return to_json(now, true); }

Json Engine::to_json(Time now, bool with_nodes) const {
  const Impl& s = *impl_;
  (void)now;
  Json wf = s.object_without_nodes();
  if (!with_nodes) {
    Json sum = workflow_resources_duration(s.status.nodes);
    if (!sum.empty()) wf["status"]["resourcesDuration"] = std::move(sum);
    return wf;
  }
  // Pods carry their own estimate; the sums are Argo's, made as it writes a status.
  const ResourceTotals resources = resources_duration_totals(s.status.nodes);
  if (!resources.workflow.empty()) wf["status"]["resourcesDuration"] = resources.workflow;
  Json nodes = Json::object();
  for (const auto& [id, node] : s.status.nodes) nodes[id] = s.node_object(node, resources);
  if (!nodes.empty()) wf["status"]["nodes"] = std::move(nodes);
  return wf;
}

void Engine::write_json(Time now, const std::function<void(std::string_view)>& sink) const {
  const Impl& s = *impl_;
  (void)now;
  Json wf = s.object_without_nodes();
  const ResourceTotals resources = resources_duration_totals(s.status.nodes);
  if (!resources.workflow.empty()) wf["status"]["resourcesDuration"] = resources.workflow;
  if (s.status.nodes.empty()) {
    sink(wf.dump());
    return;
  }
  // The nodes go where the serializer puts status.nodes, in its key order.
  // In serialized text every quote inside a string is escaped, so this
  // placeholder can only be found where it was put.
  static const std::string kPlaceholder = "skiff:status-nodes";
  wf["status"]["nodes"] = kPlaceholder;
  const std::string text = wf.dump();
  wf = Json();
  const std::string marker = "\"nodes\":\"" + kPlaceholder + "\"";
  const size_t at = text.find(marker);
  sink(std::string_view(text).substr(0, at));
  sink("\"nodes\":{");
  std::vector<const Node*> ordered;
  ordered.reserve(s.status.nodes.size());
  for (const auto& [id, node] : s.status.nodes) ordered.push_back(&node);
  std::sort(ordered.begin(), ordered.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
  std::string piece;
  for (size_t i = 0; i < ordered.size(); ++i) {
    piece.clear();
    if (i > 0) piece += ',';
    piece += Json(ordered[i]->id).dump();
    piece += ':';
    piece += s.node_object(*ordered[i], resources).dump();
    sink(piece);
  }
  sink("}");
  sink(std::string_view(text).substr(at + marker.size()));
}

}  // namespace skiff::engine
