// Leaf templates: pods (container, script, containerSet; with init
// containers and sidecars) and suspend.
#include "base/naming.h"
#include "base/strings.h"
#include "engine/internal.h"
#include "engine/pod_verdict.h"

namespace skiff::engine {

Node* Engine::Impl::execute_pod(Node& node, const Json& tmpl) {
  if (node.fulfilled() || running_pods.count(node.id)) return &node;
  if (!may_run_pod(node)) {
    // Argo creates no pod once a user shut the workflow down and fails the
    // node (with one space after the colon, unlike a killed pod's message).
    // Past the deadline the node waits Pending until the tree is stopped.
    if (shutdown != Shutdown::kDeadline) {
      set_phase(node, Phase::kFailed, std::string("workflow shutdown with strategy: ") + shutdown_name());
    }
    return &node;
  }
  Action launch;
  launch.kind = Action::Kind::kLaunch;
  launch.node_id = node.id;
  launch.launch.node_id = node.id;
  launch.launch.node_name = node.name;
  // A templateRef node has no templateName; Argo names its pod after the
  // referenced template.
  const std::string pod_template =
      node.template_ref.is_object() ? string_field(node.template_ref, "template") : node.template_name;
  launch.launch.pod_name = argo_pod_name(options.name, node.name, pod_template);
  launch.launch.tmpl = tmpl;
  locate_pod_outputs(launch.launch.tmpl, launch.launch.pod_name);
  add_pod_settings(launch.launch);
  actions.push_back(std::move(launch));
  running_pods.emplace(node.id, tmpl);
  mark_dirty(node);
  // Argo adds a containerSet's Container nodes once its pod exists.
  if (tmpl.contains("containerSet")) create_container_nodes(node, tmpl);
  // activeDeadlineSeconds (seconds) or timeout (a duration) bounds the pod.
  std::optional<Duration> limit;
  if (auto d = tmpl.find("activeDeadlineSeconds"); d != tmpl.end()) {
    limit = d->is_number() ? std::optional<Duration>(std::chrono::seconds(d->get<long long>()))
                           : parse_duration(d->is_string() ? d->get<std::string>() : "");
  }
  if (auto t = tmpl.find("timeout"); !limit && t != tmpl.end() && t->is_string()) limit = parse_duration(t->get<std::string>());
  if (limit) {
    pod_deadlines[node.id] = now + *limit;
    timers.insert(now + *limit);
  }
  progressed = true;
  return &node;
}

void Engine::Impl::finish_pod(const Event& event) {
  auto pod = running_pods.find(event.node_id);
  auto it = status.nodes.find(event.node_id);
  if (pod == running_pods.end() || it == status.nodes.end()) return;  // stale or duplicate report
  Json tmpl = std::move(pod->second);
  running_pods.erase(pod);
  Node& node = it->second;
  if (!event.host_node_name.empty()) node.host_node_name = event.host_node_name;
  if (node.type == NodeType::kPod) {
    node.resources_duration = pod_resources_duration(tmpl, node.running_since ? now - *node.running_since : Duration{});
  }
  // A daemon stopped because its scope completed has already ended as Argo
  // ends it; what its process did when stopped does not matter.
  if (node.fulfilled() && !node.daemoned) return;
  node.daemoned = false;
  node.pod_ip.clear();
  if (tmpl.contains("http") || tmpl.contains("data")) {
    pod_deadlines.erase(node.id);
    pods_past_deadline.erase(node.id);
    if (tmpl.contains("http")) finish_http(node, tmpl, event);
    else finish_data(node, tmpl, event);
    return;
  }

  if (!event.error.empty()) {
    set_phase(node, Phase::kError, event.error);
    finish_container_nodes(node, tmpl, event);
    return;
  }

  const PodVerdict verdict = assess_pod(tmpl, event);
  Json outputs = Json::object();
  // The result and exit code are the main container's; a containerSet
  // without one named "main" has neither.
  if (verdict.main_ran && verdict.has_main) {
    outputs["result"] = event.result;
    outputs["exitCode"] = std::to_string(verdict.main_exit_code);
  }

  std::string output_error;
  const Json declared = tmpl.contains("outputs") ? tmpl["outputs"].value("parameters", Json::array()) : Json::array();
  Json params = Json::array();
  for (const auto& param : declared) {
    std::string name = string_field(param, "name");
    Json out = Json{{"name", name}};
    const Json value_from = param.value("valueFrom", Json::object());
    std::string path = string_field(value_from, "path");
    if (!path.empty()) {
      auto file = event.files.find(path);
      if (file != event.files.end()) {
        out["value"] = trim_one_trailing_newline(file->second);
      } else if (value_from.contains("default")) {
        out["value"] = string_field(value_from, "default");
      } else if (output_error.empty()) {
        output_error = "open " + path + ": no such file or directory";
      }
    } else if (param.contains("value")) {
      out["value"] = string_field(param, "value");
    } else if (value_from.contains("default")) {
      out["value"] = string_field(value_from, "default");
    }
    if (param.contains("globalName")) out["globalName"] = param["globalName"];
    if (out.contains("value")) params.push_back(std::move(out));
  }
  if (!params.empty()) outputs["parameters"] = params;
  if (event.artifacts.is_array() && !event.artifacts.empty()) outputs["artifacts"] = event.artifacts;
  if (!outputs.empty()) node.outputs = outputs;

  const bool past_deadline = pods_past_deadline.erase(node.id) > 0;
  pod_deadlines.erase(node.id);
  const bool spared = shutdown != Shutdown::kTerminate && exit_nodes.count(node.id) > 0;
  if (event.killed && terminating && !spared) {
    set_phase(node, Phase::kFailed, shutdown_node_message);
  } else if (past_deadline) {
    set_phase(node, Phase::kFailed, "Pod was active on the node longer than the specified deadline");
  } else if (!verdict.failure.empty()) {
    set_phase(node, Phase::kFailed, verdict.failure);
  } else if (is_daemon(tmpl)) {
    // A daemon is meant to run until its scope ends: ending on its own,
    // even successfully, fails it.
    set_phase(node, Phase::kFailed);
  } else if (!output_error.empty()) {
    set_phase(node, Phase::kError, output_error);
  } else {
    set_phase(node, Phase::kSucceeded);
    publish_global_outputs(outputs);
  }
  finish_container_nodes(node, tmpl, event);
}

Node* Engine::Impl::execute_suspend(Node& node, const Json& tmpl) {
  if (node.fulfilled()) return &node;
  if (node.outputs.is_null()) {
    // The outputs a user supplies (`argo node set`) wait on the node.
    Json supplied = Json::array();
    const Json declared = tmpl.contains("outputs") ? tmpl["outputs"].value("parameters", Json::array()) : Json::array();
    for (const auto& param : declared) {
      if (param.contains("valueFrom") && param["valueFrom"].is_object() && param["valueFrom"].contains("supplied")) {
        supplied.push_back(param);
      }
    }
    if (!supplied.empty()) node.outputs = Json{{"parameters", supplied}};
  }
  std::string duration_text;
  const Json& suspend = tmpl["suspend"];
  if (suspend.is_object() && suspend.contains("duration")) {
    const Json& d = suspend["duration"];
    duration_text = d.is_string() ? d.get<std::string>() : d.dump();
  }
  if (duration_text.empty()) return &node;  // waits to be resumed
  auto duration = parse_duration(duration_text);
  if (!duration) {
    set_phase(node, Phase::kError, "invalid suspend duration '" + duration_text + "'");
    return &node;
  }
  Time due = node.started_at + *duration;
  if (now >= due) {
    Status defaulted = default_supplied_outputs(&node.outputs);
    if (!defaulted) {
      set_phase(node, Phase::kError, defaulted.message());
      return &node;
    }
    publish_global_outputs(node.outputs);
    set_phase(node, Phase::kSucceeded);
  } else {
    timers.insert(due);
  }
  return &node;
}

}  // namespace skiff::engine
