// Writing what changed in a workflow: its status and nodes to the store
// (with the journal entries since the last write), the watch event, its
// metrics and timer, and artifact GC at its end and at its deletion.
#include "controller/service_internal.h"

namespace skiff::controller {

using internal::LiveWorkflow;

void Service::Impl::record_metrics(LiveWorkflow& wf) {
  const auto& samples = wf.engine->status().metrics;
  if (wf.metrics_seen >= samples.size()) return;
  std::vector<std::string> errors;
  {
    std::lock_guard lock(metrics_mu);
    for (size_t i = wf.metrics_seen; i < samples.size(); ++i) metrics.add(samples[i], wf.record.uid);
    errors = metrics.take_errors();
  }
  wf.metrics_seen = samples.size();
  // Argo's controller logs what it could not emit.
  for (const auto& error : errors) {
    std::fprintf(stderr, "skiff server: workflow %s/%s: %s\n", wf.record.namespace_.c_str(), wf.record.name.c_str(),
                 error.c_str());
  }
}

void Service::Impl::index_timer(LiveWorkflow& wf) {
  std::optional<Time> next = wf.engine->next_timer();
  if (next == wf.timer) return;
  if (wf.timer) timers.erase({*wf.timer, wf.record.uid});
  if (next) timers.insert({*next, wf.record.uid});
  wf.timer = next;
}

void Service::Impl::persist(LiveWorkflow& wf, Time now) {
  index_timer(wf);
  record_metrics(wf);
  persist_object(wf, wf.engine->to_json(now), now);
}

void Service::Impl::persist_object(LiveWorkflow& wf, const Json& object, Time now) {
  Json status = object.value("status", Json::object());
  Json nodes = status.contains("nodes") ? status["nodes"] : Json::object();
  status.erase("nodes");

  store::WorkflowUpdate update;
  update.uid = wf.record.uid;
  update.expected_version = wf.record.version;
  update.phase = status.value("phase", "");
  update.started_at = parse_rfc3339(status.value("startedAt", "")).value_or(Time{});
  if (status.contains("finishedAt") && status["finishedAt"].is_string()) {
    update.finished_at = parse_rfc3339(status["finishedAt"].get<std::string>()).value_or(Time{});
    // A workflow whose steps are still being stopped is not finished yet.
    if (!wf.running.empty()) update.finished_at = Time{};
  }
  update.status = status;
  // suspend/resume change the spec itself, as in Argo.
  const Json& spec = object.value("spec", Json::object());
  const bool suspended = spec.is_object() && spec.value("suspend", false);
  const Json& stored_spec = wf.record.manifest.value("spec", Json::object());
  const bool stored_suspended = stored_spec.is_object() && stored_spec.value("suspend", false);
  if (suspended != stored_suspended) {
    Json manifest = wf.record.manifest;
    if (suspended) manifest["spec"]["suspend"] = true;
    else manifest["spec"].erase("suspend");
    update.manifest = manifest;
    // A replay starts from the spec as submitted; the journal's commands
    // bring it where it is.
    if (!wf.record.run_options.contains("submittedSuspend")) {
      Json run_options = wf.record.run_options.is_object() ? wf.record.run_options : Json::object();
      run_options["submittedSuspend"] = stored_suspended;
      update.run_options = run_options;
    }
  }
  if (wf.nodes_removed) {
    // A retry removed nodes: their rows go too.
    for (auto it = wf.written_nodes.begin(); it != wf.written_nodes.end();) {
      if (nodes.contains(it->first)) {
        ++it;
        continue;
      }
      update.removed_nodes.push_back(it->first);
      it = wf.written_nodes.erase(it);
    }
    wf.nodes_removed = false;
  }
  for (auto& [id, body] : nodes.items()) {
    auto written = wf.written_nodes.find(id);
    if (written != wf.written_nodes.end() && written->second == body) continue;
    update.nodes.push_back({id, body});
    wf.written_nodes[id] = body;
  }
  if (update.nodes.empty() && update.removed_nodes.empty() && wf.journal.empty() && update.phase == wf.record.phase &&
      status == wf.record.status && !update.manifest) {
    return;
  }
  update.events = std::move(wf.journal);
  wf.journal.clear();
  const bool was_finished = wf.record.finished();
  auto version = store.update_workflow(update);
  if (!version) {
    std::fprintf(stderr, "skiff server: workflow %s/%s: %s\n", wf.record.namespace_.c_str(),
                 wf.record.name.c_str(), version.status().message().c_str());
    return;
  }
  wf.record.version = *version;
  if (update.manifest) wf.record.manifest = std::move(*update.manifest);
  if (update.run_options) wf.record.run_options = std::move(*update.run_options);
  wf.record.phase = update.phase;
  wf.record.status = update.status;
  wf.record.started_at = update.started_at;
  wf.record.finished_at = update.finished_at;
  if (watched()) publish({"MODIFIED", wf.record.namespace_, wf.record.name, object_of(wf, now)});
  after_persist(wf, update.nodes, !was_finished && wf.record.finished(), now);
}

bool internal::collects_garbage(const store::WorkflowRecord& record) {
  return mentions_artifact_gc(record.manifest) || mentions_artifact_gc(record.run_options.value("library", Json()));
}

void Service::Impl::collect_garbage_on_completion(LiveWorkflow& wf, Time now) {
  if (!wf.collects_garbage) return;
  Json object = wf.engine->to_json(now);
  for (const std::string& problem : wf.artifacts.staging->collect_garbage(&object, "OnWorkflowCompletion")) {
    std::fprintf(stderr, "skiff server: workflow %s/%s: artifact GC: %s\n", wf.record.namespace_.c_str(),
                 wf.record.name.c_str(), problem.c_str());
  }
  persist_object(wf, object, now);
}

Status Service::Impl::collect_garbage_on_deletion(const std::string& uid, Json* last, bool force) {
  auto record = store.get_workflow_by_uid(uid);
  if (!record) return record.status();
  if (!internal::collects_garbage(*record)) return Status::ok();
  internal::WorkflowArtifacts* artifacts = nullptr;
  std::unique_ptr<LiveWorkflow> built;
  if (auto it = live.find(uid); it != live.end()) {
    artifacts = &it->second->artifacts;
  } else {
    auto made = build_live(*record);
    // A workflow that can no longer be read has no artifacts to find.
    if (!made) return Status::ok();
    built = std::move(*made);
    artifacts = &built->artifacts;
  }
  std::vector<std::string> problems = artifacts->staging->collect_garbage(last, "OnWorkflowDeletion");
  if (problems.empty() || force || internal::gc_failure_allowed(*last)) return Status::ok();
  std::string message;
  for (const auto& problem : problems) message += (message.empty() ? "" : "; ") + problem;
  if (!live.count(uid)) {
    // Kept as Argo keeps it behind its finalizer: with the condition and
    // what was deleted marked, so that a retry deletes only the rest.
    auto nodes = store.nodes(uid);
    store::WorkflowUpdate update;
    update.uid = uid;
    update.expected_version = record->version;
    update.phase = record->phase;
    update.started_at = record->started_at;
    update.finished_at = record->finished_at;
    update.status = last->value("status", Json::object());
    update.status.erase("nodes");
    const Json all = last->value("status", Json::object()).value("nodes", Json::object());
    if (nodes) {
      for (const auto& node : *nodes) {
        auto now_body = all.find(node.id);
        if (now_body != all.end() && *now_body != node.body) update.nodes.push_back({node.id, *now_body});
      }
    }
    // Watchers see the refusal as Argo's do: the workflow MODIFIED with
    // its ArtifactGCError condition.
    if (store.update_workflow(update) && watched()) {
      publish({"MODIFIED", record->namespace_, record->name, *last});
    }
  }
  return failed_precondition("artifact garbage collection failed, the workflow is kept: " + message +
                             " (delete with force, or set spec.artifactGC.forceFinalizerRemoval, to remove it anyway)");
}

}  // namespace skiff::controller
