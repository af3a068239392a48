// One workflow's life inside the service: building its engine (replaying
// the journal after a restart), applying events and launching steps.
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
  std::map<std::string, Time> asked_at;                  // when each launched one was asked for
  std::set<std::string> started;
  std::set<std::string> cancelled;
  std::map<std::string, std::string> pod_ips;  // started -> the address it was given
  std::map<std::string, runtime::StepProcess> processes;  // started steps that outlive the server

  void events(const std::vector<engine::Event>& events, const Json& encoded) {
    for (size_t i = 0; i < events.size(); ++i) {
      const engine::Event& e = events[i];
      if (e.kind == engine::Event::Kind::kStepStarted) {
        started.insert(e.node_id);
        process(e.node_id, encoded[i]);
      }
      if ((e.kind == engine::Event::Kind::kStepStarted || e.kind == engine::Event::Kind::kStepReady) &&
          !e.pod_ip.empty()) {
        pod_ips[e.node_id] = e.pod_ip;
      }
      if (e.kind == engine::Event::Kind::kStepFinished) {
        launched.erase(e.node_id);
        started.erase(e.node_id);
        cancelled.erase(e.node_id);
        pod_ips.erase(e.node_id);
        processes.erase(e.node_id);
      }
    }
  }
  // A start's process, if it has one; a start without one (a pod's, which
  // dies with the server) replaces an older one.
  void process(const std::string& node_id, const Json& encoded) {
    if (encoded.contains("pid")) {
      processes[node_id] = {encoded.value("pid", int64_t{0}), encoded.value("ticks", uint64_t{0})};
    } else {
      processes.erase(node_id);
    }
  }
  void actions(const std::vector<engine::Action>& actions, Time at) {
    for (const auto& a : actions) {
      if (a.kind == engine::Action::Kind::kLaunch) {
        launched[a.node_id] = a.launch;
        asked_at[a.node_id] = at;
      }
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
  // The configuration's `load` objects are every workflow's, as `skiff run
  // --load` gives them to its run: Secrets and ConfigMaps for container
  // env, volumes, parameters, artifact credentials and repository refs.
  library->insert(library->end(), loaded.begin(), loaded.end());
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
      ledger.actions(start_engine(wf, entry.at), entry.at);
      continue;
    }
    if (auto retry = entry.body.find("retry"); retry != entry.body.end()) {
      auto actions = wf.engine->retry(decode_retry(*retry), entry.at);
      if (!actions) return internal_error("the journal's retry at seq " + std::to_string(entry.seq) +
                                          " does not apply again: " + actions.status().message());
      ledger.actions(*actions, entry.at);
      continue;
    }
    if (auto processes = entry.body.find("processes"); processes != entry.body.end()) {
      for (const auto& [node_id, process] : processes->items()) ledger.process(node_id, process);
      continue;
    }
    const Json encoded = entry.body.value("events", Json::array());
    std::vector<engine::Event> events;
    for (const Json& e : encoded) events.push_back(internal::decode_event(e));
    ledger.events(events, encoded);
    ledger.actions(wf.engine->handle_all(events, entry.at), entry.at);
  }
  return Status::ok();
}

Status Service::Impl::load(const store::WorkflowRecord& record, bool replay) {
  if (replay) {
    StepLedger ledger;
    SKIFF_RETURN_IF_ERROR(load_replayed(record, ledger));
    resume(record.uid, ledger);
    return Status::ok();
  }
  auto built = build_live(record);
  if (!built) return built.status();
  live[record.uid] = std::move(*built);
  return Status::ok();
}

Status Service::Impl::load_replayed(const store::WorkflowRecord& record, StepLedger& ledger) {
  auto built = build_live(record);
  if (!built) return built.status();
  std::unique_ptr<LiveWorkflow> wf = std::move(*built);
  SKIFF_RETURN_IF_ERROR(this->replay(*wf, ledger));
  live[record.uid] = std::move(wf);
  return Status::ok();
}

void Service::Impl::resume(const std::string& uid, StepLedger& ledger) {
  auto it = live.find(uid);
  if (it == live.end()) return;
  LiveWorkflow& restored = *it->second;
  if (!restored.started) {
    queued.push_back(uid);
    return;
  }
  // Steps the journal left unfinished: those started with a process of
  // their own may still run (or have ended, and recorded how): they are
  // taken over first, and count against the limit of running steps.
  // Others never started or died with the previous server (a pod's
  // containers): cancelled ones are reported stopped, the others run
  // again.
  Time now = now_from(Clock::now());
  std::vector<engine::Event> report;
  std::set<std::string> taken_over;
  for (auto& [node_id, action] : ledger.launched) {
    const bool started = ledger.started.count(node_id) > 0;
    // Started before the journal could say so: its directory tells (what
    // it noted before this launch was asked for is an earlier run's).
    std::optional<runtime::StepProcess> process =
        runtime->find_process(step_id(restored, node_id), ledger.asked_at[node_id]);
    if (auto journalled = ledger.processes.find(node_id); started && journalled != ledger.processes.end()) {
      process = journalled->second;
    }
    if (!process) continue;
    taken_over.insert(node_id);
    std::vector<engine::Event> ended;
    adopt_step(restored, action, *process, &ended);
    if (!started && ended.empty()) {
      engine::Event event;
      event.kind = engine::Event::Kind::kStepStarted;
      event.node_id = node_id;
      event.host_node_name = "localhost";
      event.pod_ip = runtime->pod_ip(step_id(restored, node_id));
      report.push_back(std::move(event));
    }
    for (auto& e : ended) report.push_back(std::move(e));
    if (ledger.cancelled.count(node_id) && restored.running.count(node_id)) {
      runtime->cancel(step_id(restored, node_id));
    }
  }
  Json relaunched = Json::object();
  for (auto& [node_id, action] : ledger.launched) {
    if (taken_over.count(node_id)) continue;
    if (ledger.cancelled.count(node_id)) {
      report.push_back(cancelled_before_start(node_id));
      continue;
    }
    std::vector<engine::Event> started;
    if (auto ip = ledger.pod_ips.find(node_id); ip != ledger.pod_ips.end() && ledger.started.count(node_id)) {
      restored.kept_pod_ips[node_id] = ip->second;
    }
    launch(restored, action, &started);
    if (!ledger.started.count(node_id)) {
      for (auto& e : started) report.push_back(std::move(e));
      continue;
    }
    // Its start is journalled already; its new process is, apart.
    for (auto& e : started) {
      if (e.kind == engine::Event::Kind::kStepFinished) report.push_back(std::move(e));
    }
    if (auto p = restored.processes.find(node_id); p != restored.processes.end()) {
      relaunched[node_id] = {{"pid", p->second.pid}, {"ticks", p->second.start_ticks}};
    }
  }
  if (!relaunched.empty()) {
    restored.journal.push_back({restored.next_seq++, now, Json{{"processes", std::move(relaunched)}}});
  }
  if (!report.empty()) apply(restored, report, now);
  persist(restored, now);
  finish_if_done(uid);
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
  // Oldest first, so they keep their order for parallelism slots. Every
  // workflow is rebuilt before any moves on, so that the lock table holds
  // all their claims, in the order they were made, before one is released.
  std::vector<std::pair<std::string, StepLedger>> rebuilt;
  for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
    StepLedger ledger;
    Status loaded = load_replayed(*it, ledger);
    if (loaded.is_ok()) rebuilt.emplace_back(it->uid, std::move(ledger));
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
  struct Restored {
    Time requested_at;
    size_t order;
    std::string uid;
    engine::Engine::LockClaim claim;
  };
  std::vector<Restored> claims;
  for (size_t i = 0; i < rebuilt.size(); ++i) {
    const LiveWorkflow& wf = *live[rebuilt[i].first];
    if (!wf.started) continue;
    for (auto& claim : wf.engine->lock_claims()) claims.push_back({claim.requested_at, i, wf.record.uid, claim});
  }
  std::stable_sort(claims.begin(), claims.end(), [](const Restored& a, const Restored& b) {
    if (a.claim.held != b.claim.held) return a.claim.held;  // holders first: they hold whatever the order
    return a.requested_at < b.requested_at;
  });
  for (const auto& r : claims) {
    const auto& record = live[r.uid]->record;
    locks->restore(r.uid, record.namespace_ + "/" + record.name, r.claim);
  }
  defer_lock_answers(locks->settle());
  for (auto& [uid, ledger] : rebuilt) resume(uid, ledger);
  return Status::ok();
}

std::vector<engine::Action> Service::Impl::start_engine(LiveWorkflow& wf, Time now) {
  auto carried = wf.record.run_options.find("memoized");
  if (carried == wf.record.run_options.end()) return wf.engine->start(now);
  // Checked when submitted; the same rewrite gives the same status on a replay.
  auto seeded = carried_start(*carried, wf.record.name, now);
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

Json Service::Impl::journal_events(const LiveWorkflow& wf, const std::vector<engine::Event>& events) const {
  Json encoded = Json::array();
  for (const auto& e : events) {
    Json j = internal::encode_event(e);
    if (e.kind == engine::Event::Kind::kStepStarted) {
      if (auto p = wf.processes.find(e.node_id); p != wf.processes.end()) {
        j["pid"] = p->second.pid;
        j["ticks"] = p->second.start_ticks;
      }
    }
    encoded.push_back(std::move(j));
  }
  return encoded;
}

void Service::Impl::apply(LiveWorkflow& wf, const std::vector<engine::Event>& events, Time now) {
  wf.journal.push_back({wf.next_seq++, now, Json{{"events", journal_events(wf, events)}}});
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
    if (action.kind == engine::Action::Kind::kAcquireLocks) {
      const std::string workflow = wf.record.namespace_ + "/" + wf.record.name;
      started.push_back(locks->acquire(wf.record.uid, workflow, action.node_id, action.locks).event);
      continue;
    }
    if (action.kind == engine::Action::Kind::kReleaseLocks) {
      std::vector<LockTable::Answer> others;
      for (auto& answer : locks->release(wf.record.uid, action.node_id)) {
        if (answer.uid == wf.record.uid) started.push_back(std::move(answer.event));
        else others.push_back(std::move(answer));
      }
      defer_lock_answers(std::move(others));
      continue;
    }
    launch(wf, action.launch, &started);
  }
  report_started(wf, std::move(started), now);
}

void Service::Impl::defer_lock_answers(std::vector<LockTable::Answer> answers) {
  for (auto& answer : answers) lock_answers[answer.uid].push_back(std::move(answer.event));
}

void Service::Impl::deliver_lock_answers(Time now) {
  // Delivering may release more locks (a workflow that was given its lock
  // may finish at once), which queues more answers: until none is left.
  while (!lock_answers.empty()) {
    std::map<std::string, std::vector<engine::Event>> batch;
    batch.swap(lock_answers);
    for (auto& [uid, events] : batch) {
      auto it = live.find(uid);
      if (it == live.end() || !it->second->started) continue;
      apply(*it->second, events, now);
      finish_if_done(uid);
    }
  }
}

void Service::Impl::report_started(LiveWorkflow& wf, std::vector<engine::Event> started, Time now) {
  if (started.empty()) return;
  wf.journal.push_back({wf.next_seq++, now, Json{{"events", journal_events(wf, started)}}});
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
                                              options.artifact_root, wf.artifacts.store.get(), wf.record.namespace_});
  runtime::StepSpec spec = pod ? *pod : runtime::StepSpec{};
  spec.id = step_id(wf, action.node_id);
  if (auto kept = wf.kept_pod_ips.find(action.node_id); kept != wf.kept_pod_ips.end()) {
    spec.pod_ip = kept->second;
    wf.kept_pod_ips.erase(kept);
  }
  Status launched = pod ? wf.artifacts.staging->stage(action.tmpl, spec) : pod.status();
  if (launched) launched = runtime->launch(spec);
  engine::Event event;
  event.node_id = action.node_id;
  event.host_node_name = "localhost";
  if (launched) {
    event.kind = engine::Event::Kind::kStepStarted;
    event.pod_ip = runtime->pod_ip(spec.id);
    wf.running.insert(action.node_id);
    wf.launched_templates[action.node_id] = action.tmpl;
    steps[spec.id] = {wf.record.uid, action.node_id};
    if (auto process = runtime->process_of(spec.id)) wf.processes[action.node_id] = *process;
    else wf.processes.erase(action.node_id);
    (void)store.put_log(wf.record.uid, {action.node_id, action.pod_name, step_log(spec.id)});
  } else {
    event.kind = engine::Event::Kind::kStepFinished;
    event.error = launched.message();
  }
  out->push_back(std::move(event));
}

void Service::Impl::adopt_step(LiveWorkflow& wf, const engine::LaunchAction& action,
                               const runtime::StepProcess& process, std::vector<engine::Event>* out) {
  auto pod = pod_step_spec(action, VolumeHost{options.steps_dir + "/" + wf.record.uid, &wf.library,
                                              options.artifact_root, wf.artifacts.store.get(), wf.record.namespace_});
  runtime::StepSpec spec = pod ? *pod : runtime::StepSpec{};
  spec.id = step_id(wf, action.node_id);
  // The same places as at launch; nothing is fetched again under a
  // running step.
  Status adopted = pod ? wf.artifacts.staging->stage(action.tmpl, spec, /*fetch=*/false) : pod.status();
  if (adopted) adopted = runtime->adopt(spec, process);
  if (adopted) {
    ++taken_over;
    // Its start may not have been recorded before the crash, its log's
    // place with it.
    (void)store.put_log(wf.record.uid, {action.node_id, action.pod_name, step_log(spec.id)});
    wf.running.insert(action.node_id);
    wf.launched_templates[action.node_id] = action.tmpl;
    wf.processes[action.node_id] = process;
    steps[spec.id] = {wf.record.uid, action.node_id};
    return;
  }
  engine::Event event;
  event.kind = engine::Event::Kind::kStepFinished;
  event.node_id = action.node_id;
  event.host_node_name = "localhost";
  event.error = "the step could not be taken over after a restart: " + adopted.message();
  out->push_back(std::move(event));
}

}  // namespace skiff::controller
