// `argo resubmit --memoized`: a new workflow that carries over what a
// Failed or Error one achieved. It starts from the old status as a retry
// would leave it (failed pods and what hangs under them removed, the
// nodes holding them Running, the exit handler gone), renamed to the new
// workflow: its nodes get the new workflow's names and IDs, and the walk
// that follows runs only what is missing.
#include "base/naming.h"
#include "engine/internal.h"

namespace skiff::engine {

namespace {

std::optional<Phase> phase_named(const std::string& text) {
  for (Phase p : {Phase::kPending, Phase::kRunning, Phase::kSucceeded, Phase::kFailed, Phase::kError, Phase::kSkipped,
                  Phase::kOmitted}) {
    if (text == to_string(p)) return p;
  }
  return std::nullopt;
}

std::optional<NodeType> type_named(const std::string& text) {
  for (NodeType t : {NodeType::kPod, NodeType::kSteps, NodeType::kStepGroup, NodeType::kDAG, NodeType::kTaskGroup,
                     NodeType::kRetry, NodeType::kSkipped, NodeType::kSuspend, NodeType::kContainer, NodeType::kHTTP}) {
    if (text == to_string(t)) return t;
  }
  return std::nullopt;
}

std::vector<std::string> strings_of(const Json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

Result<Node> node_from_json(const std::string& id, const Json& j, const std::string& workflow_name) {
  const std::string where = "status.nodes." + id;
  if (!j.is_object()) return invalid_argument(where + ": expected an object");
  Node node;
  node.id = id;
  node.name = string_field(j, "name");
  node.display_name = string_field(j, "displayName");
  auto type = type_named(string_field(j, "type"));
  if (!type) return invalid_argument(where + ".type: unknown node type '" + string_field(j, "type") + "'");
  node.type = *type;
  auto phase = phase_named(string_field(j, "phase"));
  if (!phase) return invalid_argument(where + ".phase: unknown phase '" + string_field(j, "phase") + "'");
  node.phase = *phase;
  node.template_name = string_field(j, "templateName");
  if (j.contains("templateRef")) node.template_ref = j["templateRef"];
  node.template_scope = string_field(j, "templateScope");
  if (node.template_scope.empty() || node.template_scope == "local/" + workflow_name) node.template_scope = "local/";
  node.boundary_id = string_field(j, "boundaryID");
  node.message = string_field(j, "message");
  auto started = parse_rfc3339(string_field(j, "startedAt"));
  if (!started) return invalid_argument(where + ".startedAt: not an RFC 3339 time");
  node.started_at = *started;
  if (auto finished = parse_rfc3339(string_field(j, "finishedAt"))) node.finished_at = *finished;
  node.children = strings_of(j.value("children", Json()));
  node.outbound_nodes = strings_of(j.value("outboundNodes", Json()));
  if (j.contains("inputs")) node.inputs = j["inputs"];
  if (j.contains("outputs")) node.outputs = j["outputs"];
  node.host_node_name = string_field(j, "hostNodeName");
  node.daemoned = j.value("daemoned", false);
  node.pod_ip = string_field(j, "podIP");
  if (j.contains("memoizationStatus")) node.memoization = j["memoizationStatus"];
  // Only a pod's own estimate is kept: the sums are made again as written.
  if (node.type == NodeType::kPod && j.contains("resourcesDuration")) {
    node.resources_duration = resources_duration_of(j["resourcesDuration"]);
  }
  const Json flag = j.value("nodeFlag", Json::object());
  node.hooked = flag.is_object() && flag.value("hooked", false);
  node.retried = flag.is_object() && flag.value("retried", false);
  return node;
}

}  // namespace

Result<WorkflowStatus> status_from_json(const Json& status, const Json& nodes, const std::string& workflow_name) {
  WorkflowStatus out;
  auto phase = phase_named(string_field(status, "phase"));
  if (!phase) return invalid_argument("status.phase: unknown phase '" + string_field(status, "phase") + "'");
  out.phase = *phase;
  auto started = parse_rfc3339(string_field(status, "startedAt"));
  out.started = started.has_value();
  if (started) out.started_at = *started;
  if (auto finished = parse_rfc3339(string_field(status, "finishedAt"))) out.finished_at = *finished;
  out.message = string_field(status, "message");
  if (status.contains("outputs")) out.outputs = status["outputs"];
  if (nodes.is_object()) {
    for (const auto& [id, body] : nodes.items()) {
      auto node = node_from_json(id, body, workflow_name);
      if (!node) return node.status();
      out.nodes.emplace(id, std::move(*node));
    }
  }
  return out;
}

Result<WorkflowStatus> memoized_status(const WorkflowStatus& previous, const std::string& previous_name,
                                       const std::string& name, Time now) {
  if (previous.phase != Phase::kFailed && previous.phase != Phase::kError) {
    return invalid_argument("workflow must be Failed/Error to resubmit in memoized mode");
  }
  auto kept = retry_status(previous, previous_name, RetryRequest{}, now);
  if (!kept) return kept.status();
  auto renamed = [&](const std::string& node_name) {
    if (node_name.rfind(previous_name, 0) != 0) return node_name;
    return name + node_name.substr(previous_name.size());
  };
  std::unordered_map<std::string, std::string> new_ids;
  for (const auto& [id, node] : kept->nodes) new_ids[id] = argo_node_id(name, renamed(node.name));
  auto map_ids = [&](const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids) {
      if (auto it = new_ids.find(id); it != new_ids.end()) out.push_back(it->second);
    }
    return out;
  };
  WorkflowStatus out;
  out.phase = Phase::kRunning;
  out.started = true;
  out.started_at = now;
  for (const auto& [id, node] : kept->nodes) {
    Node copy = node;
    copy.id = new_ids[id];
    copy.name = renamed(node.name);
    if (auto it = new_ids.find(node.boundary_id); it != new_ids.end()) copy.boundary_id = it->second;
    copy.children = map_ids(node.children);
    copy.outbound_nodes = map_ids(node.outbound_nodes);
    out.nodes.emplace(copy.id, std::move(copy));
  }
  return out;
}

std::vector<Action> Engine::start_from(WorkflowStatus carried, Time now) {
  impl_->status = std::move(carried);
  impl_->forget_derived_state();
  return start(now);
}

}  // namespace skiff::engine
