// Runs one workflow to completion on this machine: engine + local runtime.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <fstream>

#include "base/naming.h"
#include "controller/artifact_staging.h"
#include "controller/controller.h"
#include "controller/launch_limit.h"
#include "controller/metrics.h"
#include "controller/time_zones.h"

namespace skiff::controller {

namespace {

Time clock_now() { return now_from(Clock::now()); }

void make_dirs(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      ::mkdir(path.substr(0, i).c_str(), 0755);
    }
  }
}

}  // namespace

LocalRun::LocalRun(runtime::Runtime& runtime, RunOptions options)
    : runtime_(runtime), options_(std::move(options)) {
  use_system_time_zones();
  if (options_.max_running == 0) options_.max_running = internal::steps_within_open_files();
}

LocalRun::~LocalRun() = default;

void LocalRun::request_terminate() {
  terminate_requested_.store(true);
  runtime_.wake();
}

Result<Json> LocalRun::run(const spec::Object& workflow, const std::vector<spec::Object>& library) {
  engine::Options engine_options = options_.engine;
  const std::string artifact_dir = (options_.run_dir.empty() ? std::string("/tmp") : options_.run_dir) + "/artifacts";
  auto opened = internal::open_artifacts(workflow, library, options_.artifacts, artifact_dir, &engine_options);
  if (!opened) return opened.status();
  store_ = std::move(opened->store);
  staging_ = std::move(opened->staging);
  auto created = engine::Engine::create(workflow, library, engine_options);
  if (!created) return created.status();
  library_ = &library;
  locks_ = std::make_unique<LockTable>(configmap_limits(library_));
  engine::Engine& engine = **created;
  if (!options_.run_dir.empty()) make_dirs(options_.run_dir + "/logs");

  // The live status for other processes: written when it changed, at most
  // once per interval; a change inside the interval is written when it ends.
  // A big workflow takes long to write: the gap grows with the cost, so the
  // writes never take more than a tenth of the run's time.
  const bool publishing = options_.publish_status && !options_.run_dir.empty();
  Time published_at{};
  Duration publish_gap = options_.publish_interval;
  std::optional<Time> publish_due;
  auto publish_if_due = [&](Time now, const Json* built) {
    if (!publish_due || now < *publish_due) return;
    publish_due.reset();
    // A status that cannot be written costs other terminals their view only.
    (void)(built ? write_workflow_file(options_.run_dir, *built) : write_workflow_file(options_.run_dir, engine, now));
    published_at = clock_now();
    publish_gap = std::max<Duration>(options_.publish_interval, 9 * (published_at - now));
  };
  auto notify = [&] {
    const Time now = clock_now();
    Json built;
    if (options_.on_change) {
      built = engine.to_json(now);
      options_.on_change(built);
    }
    if (!publishing) return;
    if (!publish_due) publish_due = std::max(now, published_at + publish_gap);
    publish_if_due(now, built.is_null() ? nullptr : &built);
  };
  auto wake_at = [&]() -> std::optional<Time> {
    std::optional<Time> at = engine.next_timer();
    if (publish_due && (!at || *publish_due < *at)) at = publish_due;
    return at;
  };

  std::unique_ptr<CommandMailbox> mailbox;
  if (options_.accept_commands && !options_.run_dir.empty()) {
    mailbox = std::make_unique<CommandMailbox>(options_.run_dir);
    SKIFF_RETURN_IF_ERROR(mailbox->open());
    runtime_.wake_on_readable(mailbox->fd());
  }

  carry_out(engine, engine.start(clock_now()));
  notify();
  bool terminate_sent = false;
  while (!engine.completed()) {
    if (mailbox && take_commands(engine, *mailbox)) {
      notify();
      continue;
    }
    if (terminate_requested_.load() && !terminate_sent) {
      terminate_sent = true;
      engine::Event event;
      event.kind = engine::Event::Kind::kTerminate;
      carry_out(engine, engine.handle(event, clock_now()));
      notify();
      continue;
    }
    std::vector<runtime::Completion> done = runtime_.wait(wake_at());
    publish_if_due(clock_now(), nullptr);
    std::vector<engine::Event> events;
    for (auto& id : runtime_.take_ready()) {
      engine::Event event;
      event.kind = engine::Event::Kind::kStepReady;
      event.pod_ip = runtime_.pod_ip(id);
      event.node_id = std::move(id);
      events.push_back(std::move(event));
    }
    for (auto& change : runtime_.take_container_changes()) events.push_back(container_event(change));
    for (auto& completion : done) {
      engine::Event event;
      event.kind = engine::Event::Kind::kStepFinished;
      event.node_id = completion.id;
      event.exit_code = completion.exit_code;
      event.killed = completion.killed;
      event.result = std::move(completion.result);
      event.files = std::move(completion.files);
      event.error = completion.error;
      event.host_node_name = "localhost";
      for (const auto& c : completion.containers) event.containers.push_back({c.name, c.exit_code});
      stopping_.erase(completion.id);
      std::string log_file = save_logs(engine, completion.id);
      if (auto launched = launched_.find(completion.id); launched != launched_.end()) {
        std::string artifact_error;
        event.artifacts = staging_->collect(launched->second, completion, log_file, &artifact_error);
        if (event.error.empty() && !artifact_error.empty()) event.error = artifact_error;
        launched_.erase(launched);
      }
      events.push_back(std::move(event));
      drop_pod_volumes(completion.id);
    }
    auto timer = engine.next_timer();
    if (events.empty() && !(timer && *timer <= clock_now())) {
      if (runtime_.running() == 0 && waiting_ids_.empty() && !timer && !terminate_requested_.load() &&
          !mailbox && !publish_due) {
        // Nothing runs and nothing is due: only a resume could move it on,
        // and this run takes no commands.
        break;
      }
      continue;
    }
    if (events.empty()) {
      engine::Event tick;
      tick.kind = engine::Event::Kind::kTimer;
      events.push_back(tick);
    }
    carry_out(engine, engine.handle_all(events, clock_now()));
    notify();
  }
  // Daemons stopped as their scope ended may still be shutting down: let
  // them end (the runtime kills them after their grace period), so that
  // their logs are kept and nothing they started outlives the run.
  while (!stopping_.empty() && !terminate_requested_.load()) {
    for (auto& completion : runtime_.wait(std::nullopt)) {
      stopping_.erase(completion.id);
      save_logs(engine, completion.id);
      drop_pod_volumes(completion.id);
    }
    runtime_.take_ready();  // too late to matter
  }
  write_metrics(engine);
  const Time end = clock_now();
  // Artifact GC marks what it deleted in the document, so it needs one.
  const bool collects_garbage =
      internal::mentions_artifact_gc(workflow.doc) || std::any_of(library.begin(), library.end(), [](const auto& o) {
        return internal::mentions_artifact_gc(o.doc);
      });
  if (!options_.result_nodes && !collects_garbage) {
    if (!options_.run_dir.empty()) {
      if (Status written = write_workflow_file(options_.run_dir, engine, end); !written) return written;
    }
    if (mailbox) take_commands(engine, *mailbox);
    return engine.to_json(end, /*with_nodes=*/false);
  }
  Json final_workflow = engine.to_json(end);
  // A local run is never deleted: OnWorkflowDeletion artifacts stay.
  for (const std::string& problem : staging_->collect_garbage(&final_workflow, "OnWorkflowCompletion")) {
    std::fprintf(stderr, "skiff: artifact GC: %s\n", problem.c_str());
  }
  if (!options_.result_nodes && !options_.run_dir.empty()) {
    if (Status written = write_workflow_file(options_.run_dir, final_workflow); !written) return written;
    final_workflow["status"].erase("nodes");
    if (mailbox) take_commands(engine, *mailbox);
    return final_workflow;
  }
  if (mailbox || publishing) {
    // Written while the run still holds its lock, so that a client never
    // sees the run neither running nor finished; late commands are answered.
    (void)write_workflow_file(options_.run_dir, final_workflow);
    if (mailbox) take_commands(engine, *mailbox);
  }
  return final_workflow;
}

// The run's custom metrics, as a Prometheus scrape of them would read, and
// the emission errors Argo's controller would log.
void LocalRun::write_metrics(const engine::Engine& engine) {
  const auto& samples = engine.status().metrics;
  if (options_.run_dir.empty() || samples.empty()) return;
  MetricRegistry registry;
  for (const auto& sample : samples) registry.add(sample);
  std::ofstream out(options_.run_dir + "/metrics.prom");
  for (const auto& error : registry.errors()) out << "# error: " << error << "\n";
  out << registry.prometheus_text();
}

bool LocalRun::take_commands(engine::Engine& engine, CommandMailbox& mailbox) {
  bool changed = false;
  for (auto& received : mailbox.take()) {
    Status outcome = received.command.status();
    std::string verb = received.command ? verb_name(received.command->verb) : "command";
    if (received.command) {
      auto actions = apply(engine, *received.command, clock_now());
      outcome = actions.status();
      if (actions) {
        carry_out(engine, std::move(*actions));
        changed = true;
      }
    }
    mailbox.reply(received.id, outcome);
    if (options_.on_command) options_.on_command(verb, outcome);
  }
  return changed;
}

void LocalRun::carry_out(engine::Engine& engine, std::vector<engine::Action> actions) {
  std::vector<engine::Event> started;
  for (auto& action : actions) {
    if (action.kind == engine::Action::Kind::kCancel) {
      if (!waiting_ids_.erase(action.node_id)) {
        runtime_.cancel(action.node_id);
        stopping_.insert(action.node_id);
        continue;
      }
      started.push_back(cancelled_before_start(action.node_id));
      continue;
    }
    if (action.kind == engine::Action::Kind::kCacheLookup) {
      started.push_back(cache_answer(options_.cache_dir, action, clock_now()));
      continue;
    }
    if (action.kind == engine::Action::Kind::kCacheSave) {
      // A cache that cannot be written costs a later run its hit, nothing more.
      (void)cache_store(options_.cache_dir, action, clock_now());
      continue;
    }
    if (action.kind == engine::Action::Kind::kAcquireLocks) {
      const std::string workflow = options_.engine.namespace_ + "/" + engine.name();
      started.push_back(locks_->acquire("", workflow, action.node_id, action.locks).event);
      continue;
    }
    if (action.kind == engine::Action::Kind::kReleaseLocks) {
      for (auto& answer : locks_->release("", action.node_id)) started.push_back(std::move(answer.event));
      continue;
    }
    waiting_ids_.insert(action.node_id);
    waiting_.push_back(std::move(action));
  }
  while (!waiting_.empty() && runtime_.running() < options_.max_running) {
    engine::Action action = std::move(waiting_.front());
    waiting_.pop_front();
    if (!waiting_ids_.erase(action.node_id)) continue;  // cancelled while it waited
    auto spec = pod_step_spec(action.launch, VolumeHost{options_.run_dir, library_, options_.artifact_root, store_.get(),
                                                              options_.engine.namespace_});
    Status launched = spec ? staging_->stage(action.launch.tmpl, *spec) : spec.status();
    if (launched) launched = runtime_.launch(*spec);
    if (launched) launched_[action.node_id] = action.launch.tmpl;
    engine::Event event;
    event.node_id = action.node_id;
    event.host_node_name = "localhost";
    if (launched) {
      event.kind = engine::Event::Kind::kStepStarted;
      event.pod_ip = runtime_.pod_ip(spec->id);
    } else {
      event.kind = engine::Event::Kind::kStepFinished;
      event.error = launched.message();
    }
    started.push_back(std::move(event));
  }
  if (!started.empty()) {
    auto more = engine.handle_all(started, clock_now());
    if (!more.empty()) carry_out(engine, std::move(more));
  }
}

void LocalRun::drop_pod_volumes(const std::string& node_id) {
  if (options_.run_dir.empty()) return;
  std::error_code ignored;  // nothing to remove is the common case
  std::filesystem::remove_all(pod_volumes_dir(options_.run_dir, node_id), ignored);
}

std::string LocalRun::save_logs(const engine::Engine& engine, const std::string& node_id) {
  if (options_.run_dir.empty()) return "";
  auto logs = runtime_.logs(node_id);
  if (!logs) return "";
  const auto& nodes = engine.status().nodes;
  auto it = nodes.find(node_id);
  std::string pod = it == nodes.end() ? node_id
                                      : argo_pod_name(engine.name(), it->second.name, it->second.template_name);
  std::string path = options_.run_dir + "/logs/" + pod + ".log";
  std::ofstream out(path, std::ios::binary);
  out << *logs;
  return path;
}

}  // namespace skiff::controller
