// The workflow state machine.
//
// (workflow, status, event, now) -> (new status, actions). The engine owns a
// workflow's status and changes it only in handle(); it does no I/O, starts no
// threads and reads no clock: time arrives with every call. Everything it
// wants done in the world (start a step, stop a step) comes back as Actions
// for the controller to carry out; what happened in the world comes back in
// as Events.
//
// Node names, IDs, types, phases, messages, boundaries, children and outbound
// nodes follow Argo's rules so that Argo's tools can read the status.
//
// Thread-safety: none; one Engine is driven by one thread at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/time.h"
#include "spec/spec.h"

namespace skiff::engine {

using Json = nlohmann::json;

enum class NodeType { kPod, kSteps, kStepGroup, kDAG, kTaskGroup, kRetry, kSkipped, kSuspend, kContainer, kHTTP };
enum class Phase { kPending, kRunning, kSucceeded, kFailed, kError, kSkipped, kOmitted };

const char* to_string(NodeType type);
const char* to_string(Phase phase);

// Completed: reached a final phase. Fulfilled (Argo's word) is the same for
// everything but daemons, which are fulfilled while still running.
bool is_completed(Phase phase);
bool is_failed_or_error(Phase phase);

// A pod's resourcesDuration: seconds of each resource ("cpu", "memory", …),
// sorted by name. Numbers, not a JSON object: every finished pod keeps one,
// and a two-entry JSON object costs ~250 B of heap where this costs ~100.
using ResourceSeconds = std::vector<std::pair<std::string, int64_t>>;

struct Node {
  std::string id;
  std::string name;
  std::string display_name;
  NodeType type = NodeType::kPod;
  std::string template_name;
  Json template_ref;                  // {name, template, clusterScope} when resolved via templateRef
  std::string template_scope = "local/";
  Phase phase = Phase::kPending;
  std::string boundary_id;
  std::string message;
  Time started_at{};
  std::optional<Time> finished_at;
  std::vector<std::string> children;
  std::vector<std::string> outbound_nodes;
  Json inputs;   // {"parameters": [...]} or null
  Json outputs;  // {"parameters": [...], "artifacts": [...], "result": "...", "exitCode": "0"} or null
  std::string host_node_name;
  // A daemon step whose pod is running and ready: the steps after it may
  // proceed, and it is stopped when its enclosing steps/DAG completes.
  bool daemoned = false;
  std::string pod_ip;  // set while daemoned
  // Argo's nodeFlag: run by a lifecycle hook or exit handler / one attempt of
  // a Retry node.
  bool hooked = false;
  bool retried = false;
  // memoizationStatus {hit, key, cacheName} for a memoized template, or null.
  Json memoization;
  // A pod: when its step reported it running, and once it ended Argo's
  // resourcesDuration estimate (empty before). Other nodes' sums are worked
  // out when the status is written.
  std::optional<Time> running_since;
  ResourceSeconds resources_duration;

  bool fulfilled() const { return is_completed(phase) || (daemoned && phase != Phase::kPending); }
};

// A step the controller should start. `tmpl` is the template with every
// reference resolved (inputs, globals, pod name): container/script fields are
// ready to run.
struct LaunchAction {
  std::string node_id;
  std::string node_name;
  std::string pod_name;
  Json tmpl;
  // The volumes the pod may mount, by name: the workflow's `volumes`, a
  // `persistentVolumeClaim` for each of its `volumeClaimTemplates` (claim
  // "<workflow>-<name>", as Argo names it), then the template's own.
  Json volumes = Json::array();
  // What a runtime that makes real pods needs besides the template: the
  // pod's labels and annotations (spec.podMetadata, the template's
  // `metadata` over it), and the pod spec patches to apply in order (the
  // workflow's podSpecPatch, then the template's). Both resolved.
  Json pod_metadata = Json::object();
  std::vector<std::string> pod_spec_patches;
};

// One lock a `synchronization` block names, as Argo keys it.
struct LockRequest {
  std::string key;  // "<namespace>/Mutex/<name>" or "<namespace>/ConfigMap/<name>/<key>"
  bool mutex = true;
  // A semaphore's limit is this ConfigMap key (the controller reads it).
  std::string namespace_;
  std::string configmap;
  std::string configmap_key;
};

// Synchronization goes through the controller too, which owns the one lock
// table every workflow it runs shares (a mutex or semaphore belongs to the
// namespace, not to a workflow):
//  - kAcquireLocks asks for all of `locks` at once on behalf of `node_id`
//    (a node ID, or the workflow's name for spec.synchronization); the
//    controller answers with a kLockAnswer event, at once or later. Until
//    the locks are acquired the node (or the whole workflow) waits Pending.
//  - kReleaseLocks: the holder is done (its node, or the workflow,
//    completed); a request still waiting is withdrawn.
// Memoization goes through the controller, which owns the caches (Argo's
// ConfigMap caches; a file per cache locally, a table on a server):
//  - kCacheLookup asks for `cache_key` in cache `cache_name` on behalf of
//    node `node_id`; the controller answers with a kCacheAnswer event (at
//    once or later). Until then the node waits Pending and nothing runs.
//  - kCacheSave asks to store `outputs` under `cache_key` in `cache_name`
//    (a memoized node succeeded after a miss). No answer is expected.
// The engine decides whether an entry is fresh enough (memoize.maxAge).
struct Action {
  enum class Kind { kLaunch, kCancel, kCacheLookup, kCacheSave, kAcquireLocks, kReleaseLocks };
  Kind kind = Kind::kLaunch;
  LaunchAction launch;  // kLaunch
  // kCancel, kCacheLookup, kCacheSave, kAcquireLocks, kReleaseLocks (the
  // holder), and kLaunch (same as launch.node_id)
  std::string node_id;
  std::string cache_name;  // kCacheLookup, kCacheSave
  std::string cache_key;
  Json outputs;            // kCacheSave
  std::vector<LockRequest> locks;  // kAcquireLocks
};

// What happened in the world.
struct Event {
  enum class Kind {
    kStepStarted,   // the step's process is running
    kStepReady,     // the step's readiness probe passed (daemons wait for it)
    kStepFinished,  // the step's process ended, or could not be started
    // One container of a running pod started, or ended (`containers` holds
    // it: name, and exit code when it ended); a containerSet's Container
    // node follows it, as Argo's follow the pod's container statuses.
    kContainerStarted,
    kContainerFinished,
    kTimer,         // a time the engine asked for (next_timer) has come
    kCacheAnswer,   // the answer to a kCacheLookup for node_id
    kLockAnswer,    // the answer to a kAcquireLocks for node_id (the holder)
    // A user's command (see Engine::command), as `argo <verb>` has it:
    kTerminate,  // shutdown with strategy Terminate: running steps cancelled, no exit handler runs
    kStop,       // shutdown with strategy Stop: as Terminate, but exit handlers still run
    kSuspend,    // spec.suspend: nothing new starts until resumed
    kResume,     // clears spec.suspend and succeeds suspend nodes (only the selected ones with a selector)
    kSetNode,    // `argo node set`: phase, message and supplied outputs of selected suspend nodes
  };
  Kind kind = Kind::kTimer;
  std::string node_id;
  // kStepFinished:
  int exit_code = 0;
  bool killed = false;
  // stdout, one trailing newline removed. For an http template: the HTTP
  // agent's JSON report {"statusCode", "headers", "body"} or {"error"}; for
  // a data template, the data agent's {"paths": [...]} or {"error"}.
  std::string result;
  std::map<std::string, std::string> files;  // output file path -> content
  std::string error;                         // the step could not run at all
  // Output artifacts the controller stored: Argo's records (name, path,
  // location). A missing non-optional output is reported in `error`.
  Json artifacts;
  std::string host_node_name;
  // kStepStarted, kStepReady: the address other steps reach the step at,
  // as the runtime gave it (a daemon's podIP, `{{steps.X.ip}}`).
  std::string pod_ip;
  // A pod with more than one container (containerSet, init containers,
  // sidecars): how each container that ran ended; a container that never
  // started is absent. exit_code/result above are the main container's.
  struct ContainerExit {
    std::string name;
    int exit_code = 0;
  };
  std::vector<ContainerExit> containers;
  // kCacheAnswer: whether the key was found, and the entry's outputs and
  // creation time.
  bool cache_hit = false;
  Json cache_outputs;
  Time cache_created{};
  // kLockAnswer: acquired, or refused (`error`, e.g. a semaphore without
  // a limit), or waiting: Argo's message ("Waiting for <lock> lock. Lock
  // status: <free>/<limit>"), the lock waited for and who holds it now
  // ("<namespace>/<workflow>" or "<namespace>/<workflow>/<node id>").
  bool lock_acquired = false;
  std::string lock_key;
  std::vector<std::string> lock_holders;
  // Commands:
  std::string node_field_selector;  // kResume, kStop, kSetNode: `--node-field-selector`
  std::string phase;                // kSetNode: Succeeded, Failed or Error
  std::string message;              // kSetNode, kStop (with a selector), kLockAnswer (waiting)
  std::vector<std::pair<std::string, std::string>> output_parameters;  // kSetNode

  bool is_command() const {
    return kind == Kind::kTerminate || kind == Kind::kStop || kind == Kind::kSuspend || kind == Kind::kResume ||
           kind == Kind::kSetNode;
  }
};

struct Options {
  std::string name;       // the workflow's name (already generated when the spec has generateName)
  std::string namespace_ = "default";
  std::string uid;
  std::string service_account;  // overrides spec.serviceAccountName when set
  std::string entrypoint;       // overrides spec.entrypoint when set
  std::vector<std::pair<std::string, std::string>> parameters;  // overrides spec.arguments
  // The default artifact repository's keyFormat; empty: Argo's default,
  // "{{workflow.name}}/{{pod.name}}".
  std::string artifact_key_format;
  // The repository's archiveLogs: every pod's log is stored as its
  // "main-logs" output artifact (a template's archiveLocation may ask too).
  bool archive_logs = false;
  // Walk the whole tree on every advance instead of only what changed since
  // the last one: slower, and the reference the incremental walk is tested
  // against.
  bool walk_everything = false;
};

// One custom metric a template's or the workflow's `metrics.prometheus`
// emitted, evaluated as Argo does when the node (or the workflow) completes:
// name, help, labels and `when` substituted with the emitter's variables
// ({{status}}, {{duration}}, {{exitCode}}, {{inputs.parameters.*}},
// {{outputs.*}}; {{workflow.status}}, {{workflow.duration}} at workflow
// level), then the value. A metric Argo would refuse (no help, a `when` that
// does not evaluate, a value that is not a number) is kept with `error` set
// and no value: Argo logs such errors and emits nothing. The controller
// folds samples into its registry by name and labels: a counter adds the
// value, a gauge takes it, a histogram observes it.
struct MetricSample {
  std::string node_id;  // empty for the workflow's own metrics
  std::string name;
  std::string help;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string type;  // "counter", "gauge" or "histogram"
  double value = 0;
  std::vector<double> buckets;  // histogram
  std::string error;
  // A realtime gauge ({{duration}} or {{workflow.duration}} with
  // `realtime: true`): emitted when its node (or the workflow) starts, its
  // value is the time from `since` to when it is read, and emitted again
  // when it completes with `until`, which fixes it. `value` is the value at
  // emission.
  bool realtime = false;
  Time since{};
  std::optional<Time> until;
};

struct WorkflowStatus {
  Phase phase = Phase::kPending;
  bool started = false;
  Time started_at{};
  std::optional<Time> finished_at;
  std::string message;
  Json outputs;  // global outputs, or null
  // Node ID -> node. Iteration order is not Argo's concern; IDs are stable.
  std::unordered_map<std::string, Node> nodes;
  // Custom metrics emitted so far, in the order they were.
  std::vector<MetricSample> metrics;
};

// `argo retry`: what to run again of a completed workflow.
struct RetryRequest {
  // With a selector, succeeded nodes it matches run again too.
  bool restart_successful = false;
  std::string node_field_selector;
  // New values of the workflow's parameters (names it does not declare are
  // ignored); the groups that run again are expanded anew.
  std::vector<std::pair<std::string, std::string>> parameters;
};

// The status a Failed or Error workflow (or a Succeeded one with
// restart_successful and a selector) runs again from, as Argo's retry
// makes it: every failed or errored pod (an attempt: its Retry node) that
// nothing after it succeeded, and every selected node, is removed with all
// below it; the step/task groups, steps/DAG nodes and failed Retry nodes
// that hold them go back to Running (started now, message cleared); the
// workflow's exit handler nodes are removed; the rest is kept as it was.
// The workflow is Running, started now, with no message. Pure. Errors as
// Argo's: kInvalidArgument for a workflow in another phase.
Result<WorkflowStatus> retry_status(const WorkflowStatus& status, const std::string& workflow_name,
                                    const RetryRequest& request, Time now);

// `argo resubmit --memoized`: the status a new workflow `name` starts from,
// carrying over what the Failed or Error workflow `previous_name` achieved:
// retry_status() of it (no node restarted), every node renamed and
// re-identified for the new workflow. Pure. kInvalidArgument ("workflow
// must be Failed/Error to resubmit in memoized mode") for another phase.
Result<WorkflowStatus> memoized_status(const WorkflowStatus& previous, const std::string& previous_name,
                                       const std::string& name, Time now);

// A status as Argo's JSON has it (status without nodes, and status.nodes)
// back in the engine's terms; errors name the field.
Result<WorkflowStatus> status_from_json(const Json& status, const Json& nodes, const std::string& workflow_name);

class Engine {
 public:
  // Validates what the engine needs (entrypoint, templates resolvable at the
  // top level) and prepares the workflow; no node exists yet.
  static Result<std::unique_ptr<Engine>> create(const spec::Object& workflow,
                                                std::vector<spec::Object> library,
                                                const Options& options);
  ~Engine();

  // Starts the workflow (creates the root node). Returns what to do.
  std::vector<Action> start(Time now);
  // Starts the workflow from a status carried over (memoized_status()):
  // what it holds is not run again.
  std::vector<Action> start_from(WorkflowStatus carried, Time now);
  // Applies one event and advances the workflow as far as it can go now.
  std::vector<Action> handle(const Event& event, Time now);
  // Applies several events, then advances once: cheaper for bursts. A
  // command that does not apply is ignored here; use command() to learn why.
  std::vector<Action> handle_all(const std::vector<Event>& events, Time now);
  // Applies a user's command: all of it, or nothing and Argo's message
  // saying why (no matching suspend node, an output that is not supplied,
  // a completed workflow...). Then advances like handle().
  Result<std::vector<Action>> command(const Event& event, Time now);

  // Runs a completed workflow again from retry_status(): what it kept is
  // not run again and its outputs stay visible to what runs. Returns what
  // to do, or Argo's reason for refusing (nothing changes then).
  Result<std::vector<Action>> retry(const RetryRequest& request, Time now);

  bool completed() const;
  const WorkflowStatus& status() const;
  const std::string& name() const;
  // When the engine next needs a kTimer event, if ever.
  std::optional<Time> next_timer() const;

  // The locks this workflow holds or asked for, by holder: what a
  // controller's lock table is rebuilt from after a restart (replaying the
  // journal rebuilds them here).
  struct LockClaim {
    std::string holder;
    std::vector<LockRequest> locks;
    Time requested_at{};
    bool answered = false;  // a kLockAnswer came
    bool held = false;
  };
  std::vector<LockClaim> lock_claims() const;

  // The whole Workflow object in Argo's shape: metadata, spec, status.
  Json to_json(Time now) const;
  // The same without status.nodes (with_nodes false).
  Json to_json(Time now, bool with_nodes) const;
  // The same object as JSON text, exactly to_json(now).dump(), handed to
  // `sink` in pieces: one node at a time, so that writing a workflow of a
  // million nodes never holds its whole document (a few KB per node as
  // JSON objects) in memory.
  void write_json(Time now, const std::function<void(std::string_view)>& sink) const;

  struct Impl;  // opaque outside the engine

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::engine
