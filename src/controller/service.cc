// The service's loop: one thread drives every live workflow's engine and
// the runtime, reacting to step completions, timers and jobs.
#include <algorithm>
#include <filesystem>

#include "base/naming.h"
#include "controller/launch_limit.h"
#include "controller/service_internal.h"
#include "controller/time_zones.h"

namespace skiff::controller {

using internal::Job;
using internal::LiveWorkflow;

namespace {

Time clock_now() { return now_from(Clock::now()); }

}  // namespace

Result<std::unique_ptr<Service>> Service::start(store::Store& store, ServiceOptions options) {
  use_system_time_zones();
  auto impl = std::make_unique<Impl>(store, std::move(options));
  auto artifacts = artifact_context(impl->options.config, impl->options.artifact_root);
  if (!artifacts) return artifacts.status();
  impl->artifact_base = std::move(*artifacts);
  // The configuration's `load` objects: the ConfigMaps semaphore limits
  // are read from.
  const config::Config& config = impl->options.config;
  for (const std::string& path : config.load) {
    const size_t slash = config.path.rfind('/');
    const bool relative = !path.empty() && path[0] != '/' && slash != std::string::npos;
    auto objects = spec::load_supporting(relative ? config.path.substr(0, slash + 1) + path : path);
    if (!objects) return objects.status();
    impl->loaded.insert(impl->loaded.end(), objects->begin(), objects->end());
  }
  impl->locks = std::make_unique<LockTable>(configmap_limits(&impl->loaded));
  Impl* raw = impl.get();
  raw->loop = std::thread([raw] { raw->run_loop(); });
  {
    std::unique_lock lock(raw->mu);
    raw->ready_cv.wait(lock, [raw] { return raw->ready; });
    if (!raw->start_status.is_ok()) {
      Status failed = raw->start_status;
      lock.unlock();
      raw->loop.join();
      return failed;
    }
  }
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake();
  impl_->loop.join();
}

int Service::subscribe(std::function<void(const WorkflowEvent&)> listener) {
  std::lock_guard lock(impl_->mu);
  int id = impl_->next_listener++;
  impl_->listeners[id] = std::move(listener);
  return id;
}

void Service::unsubscribe(int id) {
  std::lock_guard lock(impl_->mu);
  impl_->listeners.erase(id);
}

namespace {

Status send(Service::Impl& impl, Job::Kind kind, const std::string& uid, Command command = {},
            engine::RetryRequest retry = {}, bool force = false) {
  auto done = std::make_shared<std::promise<Status>>();
  auto result = done->get_future();
  {
    std::lock_guard lock(impl.mu);
    if (impl.stopping) return Status(Code::kUnavailable, "the server is shutting down");
    impl.jobs.push_back({kind, uid, done, std::move(command), std::move(retry), force});
  }
  impl.wake();
  return result.get();
}

}  // namespace

Status Service::remove(const std::string& namespace_, const std::string& name, bool force) {
  auto record = impl_->store.get_workflow(namespace_, name);
  if (!record) return record.status();
  return send(*impl_, Job::Kind::kRemove, record->uid, {}, {}, force);
}

Status Service::command(const std::string& namespace_, const std::string& name, const Command& command) {
  auto record = impl_->store.get_workflow(namespace_, name);
  if (!record) return record.status();
  if (record->finished()) return answer_when_completed(command, name, namespace_);
  return send(*impl_, Job::Kind::kCommand, record->uid, command);
}

Status Service::retry(const std::string& namespace_, const std::string& name, const engine::RetryRequest& request) {
  auto record = impl_->store.get_workflow(namespace_, name);
  if (!record) return record.status();
  return send(*impl_, Job::Kind::kRetry, record->uid, {}, request);
}

Status Service::terminate(const std::string& namespace_, const std::string& name) {
  Command command;
  command.verb = Command::Verb::kTerminate;
  return this->command(namespace_, name, command);
}

std::string Service::metrics_text() {
  std::lock_guard lock(impl_->metrics_mu);
  return impl_->metrics.prometheus_text(clock_now());
}

Result<Json> Service::get(const std::string& namespace_, const std::string& name) {
  auto record = impl_->store.get_workflow(namespace_, name);
  if (!record) return record.status();
  auto nodes = impl_->store.nodes(record->uid);
  if (!nodes) return nodes.status();
  return workflow_object(*record, &*nodes);
}

void Service::Impl::wake() {
  std::lock_guard lock(mu);
  if (runtime_for_wake) runtime_for_wake->wake();
}

bool Service::Impl::watched() {
  std::lock_guard lock(mu);
  return !listeners.empty();
}

void Service::Impl::publish(const WorkflowEvent& event) {
  std::lock_guard lock(mu);
  for (auto& [id, listener] : listeners) listener(event);
}

namespace {
constexpr char kLostStepMessage[] = "pod deleted";
}  // namespace

void Service::Impl::run_loop() {
  std::error_code ignored;
  std::filesystem::create_directories(options.steps_dir, ignored);
  runtime::LocalOptions local;
  local.root = options.steps_dir;
  local.self_exe = options.self_exe;
  local.sandbox = options.sandbox;
  // Steps outlive the server, even a kill -9 of it; the next one takes
  // them over (see load()).
  local.steps_die_with_runtime = false;
  runtime = runtime::make_local_runtime(local);
  max_running = options.max_running != 0 ? options.max_running : internal::steps_within_open_files();
  Status recovered = recover();
  if (taken_over > 0) {
    std::fprintf(stderr, "skiff server: took over %zu steps the previous server started\n", taken_over);
  }
  {
    std::lock_guard lock(mu);
    runtime_for_wake = runtime.get();
    start_status = recovered;
    ready = true;
  }
  ready_cv.notify_all();
  if (!recovered.is_ok()) return;
  // After start() returned: reading every finished workflow may take a while.
  recover_lifecycle(clock_now());

  while (true) {
    std::deque<Job> todo;
    {
      std::lock_guard lock(mu);
      if (stopping) break;
      todo.swap(jobs);
    }
    Time now = clock_now();
    for (Job& command : todo) handle(command, now);
    run_due_crons(now);
    run_lifecycle(now);
    admit(now);
    deliver_lock_answers(now);

    std::optional<Time> until;
    if (!timers.empty()) until = timers.begin()->first;
    if (auto cron = next_cron(); cron && (!until || *cron < *until)) until = cron;
    if (auto due = next_lifecycle(); due && (!until || *due < *until)) until = due;
    std::vector<runtime::Completion> done = runtime->wait(until);
    now = clock_now();

    std::map<std::string, std::vector<engine::Event>> events;  // by uid
    for (auto& id : runtime->take_ready()) {
      auto owner = steps.find(id);
      if (owner == steps.end()) continue;
      engine::Event event;
      event.kind = engine::Event::Kind::kStepReady;
      event.node_id = owner->second.second;
      event.pod_ip = runtime->pod_ip(id);
      events[owner->second.first].push_back(std::move(event));
    }
    for (auto& change : runtime->take_container_changes()) {
      auto owner = steps.find(change.pod_id);
      if (owner == steps.end()) continue;
      change.pod_id = owner->second.second;
      events[owner->second.first].push_back(container_event(change));
    }
    for (auto& completion : done) {
      auto owner = steps.find(completion.id);
      if (owner == steps.end()) {  // its workflow was removed
        if (discarded_steps.erase(completion.id)) {
          std::error_code ignored;
          std::filesystem::remove_all(std::filesystem::path(options.steps_dir) / completion.id, ignored);
        }
        continue;
      }
      auto [uid, node_id] = owner->second;
      steps.erase(owner);
      auto it = live.find(uid);
      if (it == live.end()) continue;
      internal::LiveWorkflow& wf = *it->second;
      wf.running.erase(node_id);
      wf.processes.erase(node_id);
      engine::Event event;
      event.kind = engine::Event::Kind::kStepFinished;
      event.node_id = node_id;
      event.exit_code = completion.exit_code;
      event.killed = completion.killed;
      event.result = std::move(completion.result);
      event.files = std::move(completion.files);
      event.error = std::move(completion.error);
      // Gone without a word (the machine went down under it): what Argo
      // says of a pod that disappeared. retryStrategy decides whether it
      // runs again (retryPolicy OnError or Always).
      if (completion.lost) event.error = kLostStepMessage;
      event.host_node_name = "localhost";
      for (const auto& c : completion.containers) event.containers.push_back({c.name, c.exit_code});
      if (auto launched = wf.launched_templates.find(node_id); launched != wf.launched_templates.end()) {
        std::string artifact_error;
        event.artifacts =
            wf.artifacts.staging->collect(launched->second, completion, step_log(completion.id), &artifact_error);
        if (event.error.empty() && !artifact_error.empty()) event.error = artifact_error;
        wf.launched_templates.erase(launched);
      }
      events[uid].push_back(std::move(event));
    }
    for (auto due = timers.begin(); due != timers.end() && due->first <= now;) {
      auto it = live.find(due->second);
      if (it == live.end() || it->second->timer != due->first) {
        due = timers.erase(due);  // its workflow is gone
        continue;
      }
      if (!events.count(due->second)) events[due->second].push_back(engine::Event{});  // kTimer
      ++due;
    }
    for (auto& [uid, batch] : events) {
      auto it = live.find(uid);
      if (it == live.end()) continue;
      apply(*it->second, batch, now);
      finish_if_done(uid);
    }
    release_held(now);
  }

  // Shutting down: running steps go on; the next server takes them over.
  std::lock_guard lock(mu);
  runtime_for_wake = nullptr;
  for (Job& command : jobs) command.done->set_value(Status(Code::kUnavailable, "the server is shutting down"));
  jobs.clear();
}

void Service::Impl::handle(Job& command, Time now) {
  auto it = live.find(command.uid);
  switch (command.kind) {
    case Job::Kind::kStart: {
      if (it == live.end()) {
        auto record = store.get_workflow_by_uid(command.uid);
        Status loaded = record ? load(*record, /*replay=*/false) : record.status();
        if (loaded.is_ok()) queued.push_back(command.uid);
        command.done->set_value(loaded);
      } else {
        command.done->set_value(Status::ok());
      }
      return;
    }
    case Job::Kind::kCommand: {
      if (it == live.end()) {
        auto record = store.get_workflow_by_uid(command.uid);
        command.done->set_value(record ? answer_when_completed(command.command, record->name, record->namespace_)
                                       : record.status());
        return;
      }
      LiveWorkflow& wf = *it->second;
      if (!wf.started) begin(wf, now);
      // Journalled only once the engine accepted it: a refused command
      // changed nothing, and a replay must not apply it either.
      auto actions = controller::apply(*wf.engine, command.command, now);
      if (!actions) {
        command.done->set_value(actions.status());
        return;
      }
      Json events = Json::array();
      events.push_back(internal::encode_event(to_event(command.command)));
      wf.journal.push_back({wf.next_seq++, now, Json{{"events", std::move(events)}}});
      carry_out(wf, std::move(*actions), now);
      persist(wf, now);
      finish_if_done(command.uid);
      command.done->set_value(Status::ok());
      return;
    }
    case Job::Kind::kRetry:
      command.done->set_value(retry_now(command.uid, command.retry, now));
      return;
    case Job::Kind::kRemove:
      command.done->set_value(remove_now(command.uid, now, command.force));
      return;
  }
}

Status Service::Impl::remove_now(const std::string& uid, Time now, bool force) {
  auto it = live.find(uid);
  Json last;
  std::string ns, name;
  auto record = store.get_workflow_by_uid(uid);
  if (it != live.end()) {
    last = it->second->started ? it->second->engine->to_json(now) : workflow_object(it->second->record, nullptr);
  } else if (record) {
    auto nodes = store.nodes(uid);
    last = workflow_object(*record, nodes ? &*nodes : nullptr);
  }
  if (Status gc = collect_garbage_on_deletion(uid, &last, force); !gc) return gc;
  std::set<std::string> running;
  if (it != live.end()) {
    running = it->second->running;
    for (const std::string& node_id : it->second->running) {
      std::string id = step_id(*it->second, node_id);
      runtime->cancel(id);
      steps.erase(id);
    }
    last = object_of(*it->second, now);
    ns = it->second->record.namespace_;
    name = it->second->record.name;
    live.erase(it);
    queued.erase(std::remove(queued.begin(), queued.end(), uid), queued.end());
    // Whatever it held goes to the next in line; whatever it waited for, it
    // no longer does.
    defer_lock_answers(locks->release_workflow(uid));
  } else if (record) {
    ns = record->namespace_;
    name = record->name;
  }
  {
    std::lock_guard lock(metrics_mu);
    metrics.drop_realtime(uid);
  }
  Status removed = store.delete_workflow(uid);
  if (!removed.is_ok()) return removed;
  discard_step_dirs(uid, last, running);
  publish({"DELETED", ns, name, last});
  return removed;
}

void Service::Impl::terminate_now(const std::string& uid, Time now) {
  auto it = live.find(uid);
  if (it == live.end()) return;
  LiveWorkflow& wf = *it->second;
  if (!wf.started) begin(wf, now);
  engine::Event event;
  event.kind = engine::Event::Kind::kTerminate;
  apply(wf, {event}, now);
  finish_if_done(uid);
}

bool Service::Impl::may_start(const LiveWorkflow& wf) const {
  const int overall = options.config.parallelism;
  const int per_namespace = options.config.namespace_parallelism;
  if (overall == 0 && per_namespace == 0) return true;
  int running = 0, in_namespace = 0;
  for (const auto& [uid, other] : live) {
    if (!other->started) continue;
    ++running;
    if (other->record.namespace_ == wf.record.namespace_) ++in_namespace;
  }
  return (overall == 0 || running < overall) && (per_namespace == 0 || in_namespace < per_namespace);
}

void Service::Impl::admit(Time now) {
  for (auto it = queued.begin(); it != queued.end();) {
    auto found = live.find(*it);
    if (found == live.end()) {
      it = queued.erase(it);
      continue;
    }
    if (!may_start(*found->second)) {
      ++it;
      continue;
    }
    std::string uid = *it;
    it = queued.erase(it);
    begin(*found->second, now);
    finish_if_done(uid);
  }
}

void Service::Impl::finish_if_done(const std::string& uid) {
  auto it = live.find(uid);
  if (it == live.end() || !it->second->started) return;
  if (it->second->engine->completed() && it->second->running.empty()) {
    collect_garbage_on_completion(*it->second, clock_now());
    if (it->second->timer) timers.erase({*it->second->timer, uid});
    live.erase(it);
    defer_lock_answers(locks->release_workflow(uid));
  }
}

Json Service::Impl::object_of(const LiveWorkflow& wf, Time now) const {
  if (!wf.started) return workflow_object(wf.record, nullptr);
  Json object = wf.engine->to_json(now);
  store::WorkflowRecord shown = wf.record;
  Json nodes = object["status"].contains("nodes") ? object["status"]["nodes"] : Json::object();
  object["status"].erase("nodes");
  shown.status = object["status"];
  shown.phase = object["status"].value("phase", "");
  std::vector<store::NodeRecord> rows;
  for (auto& [id, body] : nodes.items()) rows.push_back({id, body});
  return workflow_object(shown, &rows);
}

}  // namespace skiff::controller
