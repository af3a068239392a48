// One workflow's life inside the service: building its engine (replaying
// the journal after a restart), applying events, launching steps and
// writing what changed.
#include "base/naming.h"
#include "controller/service_internal.h"

namespace skiff::controller {

using internal::LiveWorkflow;
using internal::StepLedger;

namespace {

Result<std::vector<spec::Object>> parse_library(const Json& docs) {
  std::vector<spec::Object> out;
  if (!docs.is_array()) return out;
  for (const Json& doc : docs) {
    std::string label = doc.value("kind", "") + "/" + doc["metadata"].value("name", "");
    auto parsed = spec::parse_documents(doc.dump(), label);
    if (!parsed) return parsed.status();
    for (auto& object : *parsed) out.push_back(std::move(object));
  }
  return out;
}

}  // namespace

namespace internal {

// Where each step stands according to the journal.
struct StepLedger {
  std::map<std::string, engine::LaunchAction> launched;  // asked for and not finished
  std::set<std::string> started;
  std::set<std::string> cancelled;

  void events(const std::vector<engine::Event>& events) {
    for (const auto& e : events) {
      if (e.kind == engine::Event::Kind::kStepStarted) started.insert(e.node_id);
      if (e.kind == engine::Event::Kind::kStepFinished) {
        launched.erase(e.node_id);
        started.erase(e.node_id);
        cancelled.erase(e.node_id);
      }
    }
  }
  void actions(const std::vector<engine::Action>& actions) {
    for (const auto& a : actions) {
      if (a.kind == engine::Action::Kind::kLaunch) launched[a.node_id] = a.launch;
      if (a.kind == engine::Action::Kind::kCancel) cancelled.insert(a.node_id);
      // Cache lookups were answered within the same journal entry's batch.
    }
  }
};

}  // namespace internal

namespace {

// The journal form of a retry, replayed as it was applied.
Json encode_retry(const engine::RetryRequest& request) {
  Json parameters = Json::array();
  for (const auto& [name, value] : request.parameters) parameters.push_back({name, value});
  return {{"restartSuccessful", request.restart_successful},
          {"nodeFieldSelector", request.node_field_selector},
          {"parameters", parameters}};
}

engine::RetryRequest decode_retry(const Json& body) {
  engine::RetryRequest request;
  request.restart_successful = body.value("restartSuccessful", false);
  request.node_field_selector = body.value("nodeFieldSelector", "");
  for (const auto& pair : body.value("parameters", Json::array())) {
    if (pair.is_array() && pair.size() == 2) request.parameters.emplace_back(pair[0], pair[1]);
  }
  return request;
}

}  // namespace

Result<std::unique_ptr<LiveWorkflow>> Service::Impl::build_live(const store::WorkflowRecord& record) {
  auto wf = std::make_unique<LiveWorkflow>();
  wf->record = record;
  Json doc = record.manifest;
  if (auto submitted = record.run_options.find("submittedSuspend"); submitted != record.run_options.end()) {
    if (submitted->is_boolean() && submitted->get<bool>()) doc["spec"]["suspend"] = true;
    else doc["spec"].erase("suspend");
  }
  doc["apiVersion"] = "argoproj.io/v1alpha1";
  doc["kind"] = "Workflow";
  auto parsed = spec::parse_documents(doc.dump(), "workflow " + record.namespace_ + "/" + record.name);
  if (!parsed) return parsed.status();
  if (parsed->size() != 1) return internal_error("stored workflow " + record.uid + " is not one document");
  auto library = parse_library(record.run_options.value("library", Json::array()));
  if (!library) return library.status();
  engine::Options engine_options;
  engine_options.name = record.name;
  engine_options.namespace_ = record.namespace_;
  engine_options.uid = record.uid;
  auto artifacts = internal::open_artifacts(parsed->front(), *library, artifact_base,
                                            options.steps_dir + "/" + record.uid + "/artifacts", &engine_options);
  if (!artifacts) return artifacts.status();
  wf->artifacts = std::move(*artifacts);
  wf->collects_garbage = internal::collects_garbage(record);
  auto engine = engine::Engine::create(parsed->front(), *library, engine_options);
  if (!engine) return engine.status();
  wf->engine = std::move(*engine);
  wf->library = std::move(*library);
  return wf;
}

// Rebuilds the engine's state from the journal; `ledger` learns where each
// step stands.
Status Service::Impl::replay(LiveWorkflow& wf, StepLedger& ledger) {
  auto journal = store.events(wf.record.uid);
  if (!journal) return journal.status();
  auto nodes = store.nodes(wf.record.uid);
  if (!nodes) return nodes.status();
  for (auto& node : *nodes) wf.written_nodes[node.id] = std::move(node.body);
  for (const auto& entry : *journal) {
    wf.next_seq = entry.seq + 1;
    if (entry.body.value("start", false)) {
      wf.started = true;
      ledger.actions(start_engine(wf, entry.at));
      continue;
    }
    if (auto retry = entry.body.find("retry"); retry != entry.body.end()) {
      auto actions = wf.engine->retry(decode_retry(*retry), entry.at);
      if (!actions) return internal_error("the journal's retry at seq " + std::to_string(entry.seq) +
                                          " does not apply again: " + actions.status().message());
      ledger.actions(*actions);
      continue;
    }
    std::vector<engine::Event> events;
    for (const Json& e : entry.body.value("events", Json::array())) events.push_back(internal::decode_event(e));
    ledger.events(events);
    ledger.actions(wf.engine->handle_all(events, entry.at));
  }
  return Status::ok();
}

Status Service::Impl::load(const store::WorkflowRecord& record, bool replay) {
  auto built = build_live(record);
  if (!built) return built.status();
  std::unique_ptr<LiveWorkflow> wf = std::move(*built);

  if (replay) {
    StepLedger ledger;
    SKIFF_RETURN_IF_ERROR(this->replay(*wf, ledger));
    std::string uid = record.uid;
    live[uid] = std::move(wf);
    LiveWorkflow& restored = *live[uid];
    if (!restored.started) {
      queued.push_back(uid);
      return Status::ok();
    }
    // Steps the journal left unfinished died with the previous process:
    // cancelled ones are reported stopped, the others run again.
    Time now = now_from(Clock::now());
    std::vector<engine::Event> report;
    for (auto& [node_id, action] : ledger.launched) {
      if (ledger.cancelled.count(node_id)) {
        report.push_back(cancelled_before_start(node_id));
        continue;
      }
      std::vector<engine::Event> started;
      launch(restored, action, &started);
      if (!ledger.started.count(node_id)) {
        for (auto& e : started) report.push_back(std::move(e));
      } else {
        for (auto& e : started) {
          if (e.kind == engine::Event::Kind::kStepFinished) report.push_back(std::move(e));
        }
      }
    }
    if (!report.empty()) apply(restored, report, now);
    persist(restored, now);
    finish_if_done(uid);
    return Status::ok();
  }
  live[record.uid] = std::move(wf);
  return Status::ok();
}

Status Service::Impl::retry_now(const std::string& uid, const engine::RetryRequest& request, Time now) {
  if (auto it = live.find(uid); it != live.end()) {
    const std::string phase = it->second->record.phase.empty() ? "Pending" : it->second->record.phase;
    if (it->second->started && it->second->engine->completed()) {
      return Status(Code::kUnavailable, "the workflow is still stopping its steps; retry it when they have ended");
    }
    return invalid_argument("Cannot retry a workflow in phase " + phase);
  }
  auto record = store.get_workflow_by_uid(uid);
  if (!record) return record.status();
  auto built = build_live(*record);
  if (!built) return built.status();
  LiveWorkflow& wf = **built;
  StepLedger ledger;
  SKIFF_RETURN_IF_ERROR(replay(wf, ledger));
  if (!wf.started || !wf.engine->completed()) {
    return invalid_argument("Cannot retry a workflow in phase " + (record->phase.empty() ? "Pending" : record->phase));
  }
  // Its metrics were counted when it ran; only what the retry emits is new.
  wf.metrics_seen = wf.engine->status().metrics.size();
  auto actions = wf.engine->retry(request, now);
  if (!actions) return actions.status();
  wf.journal.push_back({wf.next_seq++, now, Json{{"retry", encode_retry(request)}}});
  wf.nodes_removed = true;
  live[uid] = std::move(*built);
  LiveWorkflow& running = *live[uid];
  carry_out(running, std::move(*actions), now);
  persist(running, now);
  finish_if_done(uid);
  return Status::ok();
}

Status Service::Impl::recover() {
  store::WorkflowQuery unfinished;
  unfinished.finished = false;
  auto page = store.list_workflows(unfinished);
  if (!page) return page.status();
  // Oldest first, so they keep their order for parallelism slots.
  for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
    Status loaded = load(*it, /*replay=*/true);
    if (!loaded.is_ok()) {
      // A workflow that cannot be rebuilt is marked Error rather than
      // stopping the whole server.
      store::WorkflowUpdate failed;
      failed.uid = it->uid;
      failed.expected_version = it->version;
      failed.phase = "Error";
      failed.started_at = it->started_at;
      failed.finished_at = now_from(Clock::now());
      failed.status = it->status;
      failed.status["phase"] = "Error";
      failed.status["message"] = loaded.message();
      (void)store.update_workflow(failed);
      live.erase(it->uid);
    }
  }
  return Status::ok();
}

std::vector<engine::Action> Service::Impl::start_engine(LiveWorkflow& wf, Time now) {
  auto carried = wf.record.run_options.find("memoized");
  if (carried == wf.record.run_options.end()) return wf.engine->start(now);
  // Checked when submitted; the same rewrite gives the same status on a replay.
  auto previous = carried_status(*carried);
  auto seeded = previous ? engine::memoized_status(*previous, carried->value("from", ""), wf.record.name, now)
                         : Result<engine::WorkflowStatus>(previous.status());
  if (!seeded) {
    std::fprintf(stderr, "skiff server: workflow %s/%s: %s; it runs from the start\n", wf.record.namespace_.c_str(),
                 wf.record.name.c_str(), seeded.status().message().c_str());
    return wf.engine->start(now);
  }
  return wf.engine->start_from(std::move(*seeded), now);
}

void Service::Impl::begin(LiveWorkflow& wf, Time now) {
  wf.started = true;
  wf.journal.push_back({wf.next_seq++, now, Json{{"start", true}}});
  carry_out(wf, start_engine(wf, now), now);
  persist(wf, now);
}

void Service::Impl::apply(LiveWorkflow& wf, const std::vector<engine::Event>& events, Time now) {
  Json encoded = Json::array();
  for (const auto& e : events) encoded.push_back(internal::encode_event(e));
  wf.journal.push_back({wf.next_seq++, now, Json{{"events", std::move(encoded)}}});
  carry_out(wf, wf.engine->handle_all(events, now), now);
  persist(wf, now);
}

void Service::Impl::carry_out(LiveWorkflow& wf, std::vector<engine::Action> actions, Time now) {
  // The state that asked for these steps is committed before they start.
  persist(wf, now);
  std::vector<engine::Event> started;
  for (auto& action : actions) {
    if (action.kind == engine::Action::Kind::kCancel) {
      if (held_ids.erase({wf.record.uid, action.node_id})) {
        started.push_back(cancelled_before_start(action.node_id));
      } else if (wf.running.count(action.node_id)) {
        runtime->cancel(step_id(wf, action.node_id));
      }
      continue;
    }
    if (action.kind == engine::Action::Kind::kCacheLookup) {
      started.push_back(cache_answer(options.cache_dir, action, now));
      continue;
    }
    if (action.kind == engine::Action::Kind::kCacheSave) {
      // A cache that cannot be written costs a later run its hit, nothing more.
      (void)cache_store(options.cache_dir, action, now);
      continue;
    }
    launch(wf, action.launch, &started);
  }
  report_started(wf, std::move(started), now);
}

void Service::Impl::report_started(LiveWorkflow& wf, std::vector<engine::Event> started, Time now) {
  if (started.empty()) return;
  Json encoded = Json::array();
  for (const auto& e : started) encoded.push_back(internal::encode_event(e));
  wf.journal.push_back({wf.next_seq++, now, Json{{"events", std::move(encoded)}}});
  carry_out(wf, wf.engine->handle_all(started, now), now);
}

void Service::Impl::launch(LiveWorkflow& wf, const engine::LaunchAction& action, std::vector<engine::Event>* out) {
  if (!held.empty() || runtime->running() >= max_running) {
    if (held_ids.insert({wf.record.uid, action.node_id}).second) held.push_back({wf.record.uid, action});
    return;
  }
  start_step(wf, action, out);
}

void Service::Impl::release_held(Time now) {
  std::map<std::string, std::vector<engine::Event>> started;  // by uid
  while (!held.empty() && runtime->running() < max_running) {
    internal::HeldLaunch next = std::move(held.front());
    held.pop_front();
    if (!held_ids.erase({next.uid, next.action.node_id})) continue;  // cancelled while held
    auto it = live.find(next.uid);
    if (it == live.end()) continue;  // its workflow was removed
    start_step(*it->second, next.action, &started[next.uid]);
  }
  for (auto& [uid, events] : started) {
    auto it = live.find(uid);
    if (it == live.end()) continue;
    report_started(*it->second, std::move(events), now);
    persist(*it->second, now);
    finish_if_done(uid);
  }
}

void Service::Impl::start_step(LiveWorkflow& wf, const engine::LaunchAction& action,
                               std::vector<engine::Event>* out) {
  auto pod = pod_step_spec(action, VolumeHost{options.steps_dir + "/" + wf.record.uid, &wf.library,
                                              options.artifact_root, wf.artifacts.store.get()});
  runtime::StepSpec spec = pod ? *pod : runtime::StepSpec{};
  spec.id = step_id(wf, action.node_id);
  Status launched = pod ? wf.artifacts.staging->stage(action.tmpl, spec) : pod.status();
  if (launched) launched = runtime->launch(spec);
  engine::Event event;
  event.node_id = action.node_id;
  event.host_node_name = "localhost";
  if (launched) {
    event.kind = engine::Event::Kind::kStepStarted;
    wf.running.insert(action.node_id);
    wf.launched_templates[action.node_id] = action.tmpl;
    steps[spec.id] = {wf.record.uid, action.node_id};
    (void)store.put_log(wf.record.uid, {action.node_id, action.pod_name, step_log(spec.id)});
  } else {
    event.kind = engine::Event::Kind::kStepFinished;
    event.error = launched.message();
  }
  out->push_back(std::move(event));
}

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
    (void)store.update_workflow(update);
  }
  return failed_precondition("artifact garbage collection failed, the workflow is kept: " + message +
                             " (delete with force, or set spec.artifactGC.forceFinalizerRemoval, to remove it anyway)");
}

}  // namespace skiff::controller
