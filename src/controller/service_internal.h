// The workflow service's state (internal to the controller layer).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "controller/artifact_staging.h"
#include "controller/control.h"
#include "controller/controller.h"
#include "controller/cron.h"
#include "controller/lock_table.h"
#include "controller/metrics.h"
#include "controller/service.h"
#include "engine/engine.h"
#include "runtime/runtime.h"

namespace skiff::controller::internal {

// Journal entries: what the engine was given, and when.
Json encode_event(const engine::Event& event);
engine::Event decode_event(const Json& body);

// True when the stored workflow or a template it uses sets an artifactGC.
bool collects_garbage(const store::WorkflowRecord& record);

// One workflow the loop is driving.
struct LiveWorkflow {
  store::WorkflowRecord record;  // identity, manifest, version as last written
  std::unique_ptr<engine::Engine> engine;
  std::vector<spec::Object> library;
  bool started = false;
  int64_t next_seq = 1;
  std::vector<store::EventRecord> journal;        // written with the next update
  std::map<std::string, Json> written_nodes;      // node id -> body as stored
  std::set<std::string> running;                  // node ids the runtime runs
  size_t metrics_seen = 0;                        // engine metric samples already in the registry
  bool nodes_removed = false;                     // a retry removed nodes: persist() drops their rows
  WorkflowArtifacts artifacts;
  bool collects_garbage = false;  // sets an artifactGC: completion and deletion look for artifacts
  std::map<std::string, Json> launched_templates;  // node id -> resolved template, for its outputs
  // Steps run again after a restart keep the pod IP the journal gave them
  // (the engine and the steps after them know them by it).
  std::map<std::string, std::string> kept_pod_ips;  // node id -> pod IP
  // node id -> the process of a running step that outlives the server,
  // journalled with its start so that the next server can take it over.
  std::map<std::string, runtime::StepProcess> processes;
  std::optional<Time> timer;                      // as indexed in Impl::timers
};

// A step the engine asked for that waits for a free slot (see launch_limit.h).
struct HeldLaunch {
  std::string uid;
  engine::LaunchAction action;
};

// A request from another thread, answered through `done`.
struct Job {
  enum class Kind { kStart, kRemove, kCommand, kRetry } kind;
  std::string uid;
  std::shared_ptr<std::promise<Status>> done;
  Command command;              // kCommand
  engine::RetryRequest retry;   // kRetry
  bool force = false;           // kRemove: even when artifact GC fails
};

// Where each step stands according to a workflow's journal.
struct StepLedger;

}  // namespace skiff::controller::internal

namespace skiff::controller {

struct CronState {
  std::string namespace_, name;
  std::vector<internal::CronSchedule> schedules;
  std::shared_ptr<const internal::TimeZone> zone;
  std::optional<Time> next;
};

struct Service::Impl {
  Impl(store::Store& s, ServiceOptions o) : store(s), options(std::move(o)) {}

  // --- shared with other threads (under mu)
  store::Store& store;
  const ServiceOptions options;
  std::mutex mu;
  std::deque<internal::Job> jobs;
  bool stopping = false;
  std::map<int, std::function<void(const WorkflowEvent&)>> listeners;
  int next_listener = 1;
  runtime::Runtime* runtime_for_wake = nullptr;  // set once the loop runs
  std::condition_variable ready_cv;
  bool ready = false;
  Status start_status;
  std::thread loop;
  // Custom metrics of the workflows run here, read by scrapes.
  std::mutex metrics_mu;
  MetricRegistry metrics;

  // --- the loop thread only
  std::unique_ptr<runtime::Runtime> runtime;
  std::unordered_map<std::string, std::unique_ptr<internal::LiveWorkflow>> live;  // by uid
  std::deque<std::string> queued;  // uids waiting for a parallelism slot, oldest first
  std::unordered_map<std::string, std::pair<std::string, std::string>> steps;  // runtime id -> (uid, node id)
  // Steps beyond max_running wait here, oldest first, Pending as a pod
  // waiting for a node; held_ids drops the ones cancelled meanwhile.
  // The next timer of every started workflow, soonest first, so the loop
  // never scans every live workflow; entries of removed ones are dropped
  // when they come due.
  std::set<std::pair<Time, std::string>> timers;  // (when, uid)
  size_t max_running = 0;
  size_t taken_over = 0;  // steps of the previous server adopted by recover()
  std::deque<internal::HeldLaunch> held;
  std::set<std::pair<std::string, std::string>> held_ids;  // (uid, node id)
  std::map<std::string, CronState> crons;  // "namespace/name"
  std::atomic<bool> crons_dirty{true};
  artifacts::Context artifact_base;  // the configured repositories, set before the loop starts
  // The configuration's `load` objects (ConfigMaps for semaphore limits),
  // and the lock table every workflow shares. A release answers other
  // workflows' engines: those answers wait here, by uid, until the loop
  // delivers them (never from inside another workflow's carry_out).
  std::vector<spec::Object> loaded;
  std::unique_ptr<LockTable> locks;
  std::map<std::string, std::vector<engine::Event>> lock_answers;
  // Lifecycle after completion (service_lifecycle.cc): when each finished
  // workflow's ttlStrategy is due (rechecked against the store when due),
  // step directories waiting for podGC's deleteDelayDuration, and when the
  // archive next holds a workflow older than archiveTTL.
  std::multimap<Time, std::string> expiries;                 // -> uid
  std::multimap<Time, std::string> pod_gc_due;               // -> step directory id
  std::optional<Time> archive_sweep_at;
  bool retention_due = false;                                // a workflow finished since the last check
  // Step directories of deleted workflows whose steps were still being
  // stopped: removed when the runtime reports them ended.
  std::set<std::string> discarded_steps;                     // runtime step ids

  void run_loop();
  // A stored-to-be workflow from a submitted object: checked, named, with
  // workflowDefaults and the templates it uses. Touches no loop state.
  Result<store::WorkflowRecord> prepare(const Json& workflow, const std::string& namespace_);
  void terminate_now(const std::string& uid, Time now);
  // Deletes the workflow (stopping its steps, collecting its artifacts as
  // artifactGC asks: a failed collection keeps it unless `force`) and
  // publishes DELETED.
  Status remove_now(const std::string& uid, Time now, bool force = false);
  // Lifecycle: reads what a restart must still do (finished workflows'
  // TTLs, the archive's oldest entry, archiving what finished just before
  // a crash).
  void recover_lifecycle(Time now);
  // Archives a finished workflow when the configuration asks for it.
  void archive(const store::WorkflowRecord& record, const Json& object);
  // A deleted workflow's step directories (logs included: its pods are
  // gone, as on Kubernetes) and its volume directory. `last` is its last
  // object; steps in `running` are removed once they have ended.
  void discard_step_dirs(const std::string& uid, const Json& last, const std::set<std::string>& running);
  // After a stored change: podGC of steps that just ended; when the
  // workflow has just finished, archiving, ttlStrategy, podGC of the
  // workflow's steps and retentionPolicy.
  void after_persist(internal::LiveWorkflow& wf, const std::vector<store::NodeRecord>& changed, bool just_finished,
                     Time now);
  std::optional<Time> next_lifecycle() const;
  void run_lifecycle(Time now);
  // retentionPolicy: the oldest finished workflows past each limit are deleted.
  void apply_retention(Time now);
  void reload_crons(Time now);
  std::optional<Time> next_cron() const;
  void run_due_crons(Time now);
  void run_cron(CronState& state, Time scheduled, Time now);
  // A workflow a cron started finished: its CronWorkflow's status.succeeded
  // or status.failed counts it (what `when` and stopStrategy read).
  void count_cron_child(const store::WorkflowRecord& child);
  void wake();
  Status recover();
  Status load(const store::WorkflowRecord& record, bool replay);
  // After a restart: the workflow rebuilt from its journal, its steps not
  // yet resumed; then resume() runs again what died with the last process.
  Status load_replayed(const store::WorkflowRecord& record, internal::StepLedger& ledger);
  void resume(const std::string& uid, internal::StepLedger& ledger);
  // Lock answers for other workflows, delivered by deliver_lock_answers().
  void defer_lock_answers(std::vector<LockTable::Answer> answers);
  void deliver_lock_answers(Time now);
  // A workflow's engine as submitted, not started, with its artifacts.
  Result<std::unique_ptr<internal::LiveWorkflow>> build_live(const store::WorkflowRecord& record);
  // Applies the journal to a workflow's engine.
  Status replay(internal::LiveWorkflow& wf, internal::StepLedger& ledger);
  // `argo retry` of a completed workflow: rebuilt from its journal, its
  // status rewritten by the engine, and running again.
  Status retry_now(const std::string& uid, const engine::RetryRequest& request, Time now);
  // Artifact GC of a workflow that completed (OnWorkflowCompletion).
  void collect_garbage_on_completion(internal::LiveWorkflow& wf, Time now);
  // Artifact GC before the workflow goes (OnWorkflowDeletion); an error
  // keeps it.
  Status collect_garbage_on_deletion(const std::string& uid, Json* last, bool force);
  void admit(Time now);
  bool may_start(const internal::LiveWorkflow& wf) const;
  void begin(internal::LiveWorkflow& wf, Time now);
  // Starts the engine: from the status a resubmit --memoized carried, if any.
  std::vector<engine::Action> start_engine(internal::LiveWorkflow& wf, Time now);
  void apply(internal::LiveWorkflow& wf, const std::vector<engine::Event>& events, Time now);
  void carry_out(internal::LiveWorkflow& wf, std::vector<engine::Action> actions, Time now);
  // Starts the step now, or holds it while max_running steps run.
  void launch(internal::LiveWorkflow& wf, const engine::LaunchAction& launch_action, std::vector<engine::Event>* out);
  void start_step(internal::LiveWorkflow& wf, const engine::LaunchAction& launch_action,
                  std::vector<engine::Event>* out);
  // Takes over a step the previous server left running (its process as
  // journalled); when that fails, `out` gets the step's end with the reason.
  void adopt_step(internal::LiveWorkflow& wf, const engine::LaunchAction& launch_action,
                  const runtime::StepProcess& process, std::vector<engine::Event>* out);
  // The journal form of a batch of events: a step's start carries its
  // process (see LiveWorkflow::processes).
  Json journal_events(const internal::LiveWorkflow& wf, const std::vector<engine::Event>& events) const;
  // Starts held steps while slots are free.
  void release_held(Time now);
  // Journals what starting steps produced and lets the engine act on it.
  void report_started(internal::LiveWorkflow& wf, std::vector<engine::Event> started, Time now);
  void persist(internal::LiveWorkflow& wf, Time now);
  // Writes `object` (the engine's Workflow, maybe amended) where it changed.
  void persist_object(internal::LiveWorkflow& wf, const Json& object, Time now);
  void index_timer(internal::LiveWorkflow& wf);
  bool watched();
  // Folds the engine's new metric samples into the registry.
  void record_metrics(internal::LiveWorkflow& wf);
  void finish_if_done(const std::string& uid);
  void handle(internal::Job& command, Time now);
  void publish(const WorkflowEvent& event);
  Json object_of(const internal::LiveWorkflow& wf, Time now) const;
  std::string step_log(const std::string& step) const { return options.steps_dir + "/" + step + "/log"; }
  std::string step_id(const internal::LiveWorkflow& wf, const std::string& node_id) const {
    return wf.record.uid + "_" + node_id;
  }
};

}  // namespace skiff::controller
