// Private to the engine: the state behind Engine and the functions that
// implement each kind of template. Not part of the public contract.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/engine.h"
#include "expr/expr.h"

namespace skiff::engine {

// A set of templates names resolve against: the workflow's own, or those of
// one WorkflowTemplate / ClusterWorkflowTemplate.
struct TemplateSet {
  std::string scope;  // Argo's templateScope: "local/", "namespaced/<name>", "cluster/<name>"
  Json templates;     // the array of templates
  std::unordered_map<std::string, size_t> by_name;
};

// What executing a step or task resolves to.
struct ResolvedTemplate {
  Json tmpl;
  const TemplateSet* set = nullptr;  // where its own references resolve
  std::string template_name;         // empty for inline templates
  Json template_ref;                 // the templateRef used, or null
};

class Templates {
 public:
  // Indexes the workflow's templates and every template object in library.
  Status load(const Json& workflow_templates, const std::vector<spec::Object>& library);
  const TemplateSet& local() const { return *sets_.at("local/"); }
  const TemplateSet* find_set(const std::string& scope) const;
  // Resolves a step, task or entrypoint holder ({template}, {templateRef} or
  // {inline}) in the context of `from`.
  Result<ResolvedTemplate> resolve(const Json& holder, const TemplateSet& from) const;
  // The WorkflowTemplate / ClusterWorkflowTemplate object, for workflowTemplateRef.
  const spec::Object* find_object(const std::string& kind, const std::string& name) const;

 private:
  Status add_set(const std::string& scope, const Json& templates);
  std::unordered_map<std::string, std::unique_ptr<TemplateSet>> sets_;
  std::vector<spec::Object> library_;
};

// One iteration of a loop: the item's text in the node name and the
// variables ({{item}}, {{item.key}}) it binds.
struct LoopItem {
  std::string label;
  expr::Scope vars;
};

// withItems / withParam / withSequence of a step or task (already
// substituted); no value when the holder is not a loop.
Result<std::optional<std::vector<LoopItem>>> expand_loop(const Json& holder);
// The step or task for one iteration: loop fields removed, item bound.
Result<Json> instantiate(const Json& holder, const LoopItem& item);
// "<base>(<index>:<label>)"
std::string iteration_name(const std::string& base, size_t index, const LoopItem& item);
// IDs of the children of `parent` whose names are iterations of `base`, in index order.
std::vector<std::string> iteration_ids(const std::unordered_map<std::string, Node>& nodes, const Node& parent,
                                       const std::string& base);

// How a step or task asks for its template to run.
struct ExecuteRequest {
  std::string node_name;
  std::string display_name;
  std::string boundary_id;
  const Json* holder = nullptr;  // the step/task (after substitution)
  const TemplateSet* context = nullptr;
  Json arguments;  // {"parameters": [...]} or null
  std::optional<int> attempt;  // set for one attempt of a retried template
  bool hooked = false;         // run by a lifecycle hook or an exit handler
  bool on_exit = false;        // an exit handler: it runs even while the workflow stops

  // A step or task (after substitution) running as node `name` under `boundary`.
  static ExecuteRequest of(const std::string& name, const std::string& display, const std::string& boundary,
                           const Json& holder, const TemplateSet& context) {
    ExecuteRequest r;
    r.node_name = name;
    r.display_name = display;
    r.boundary_id = boundary;
    r.holder = &holder;
    r.context = &context;
    r.arguments = holder.value("arguments", Json());
    return r;
  }
};

// A step group every step of which has its node: what later passes need to
// follow it without expanding its steps (and their loops) again.
struct GroupProgress {
  struct Child {
    Json holder;  // the step, kept for children that are re-executed (not pods)
    bool continue_failed = false;
    bool continue_error = false;
    bool done = false;  // fulfilled, and counted
  };
  std::unordered_map<std::string, Child> children;  // by node ID
  std::vector<std::string> structural;              // IDs of the children that are not pods
  size_t unfinished = 0;

  void add(const Node& child, const Json& step);
  // Whether the group goes on past this failed child (continueOn).
  bool continues(const Node& child) const;
};

struct ResourceTotals;

struct Engine::Impl {
  Options options;
  Json workflow;  // the submitted object (metadata, spec)
  Json spec;      // the effective spec (workflowTemplateRef merged in)
  Templates templates;
  WorkflowStatus status;
  expr::Scope globals;
  // Bumped when a global a template may name changes after the start (a
  // published output); workflow.duration/status/failures are not counted:
  // templates that name them are never bound ahead (BoundGroup).
  uint64_t globals_version = 0;
  std::string entrypoint;

  // Per advance:
  Time now{};
  std::vector<Action> actions;
  bool progressed = false;  // something changed; advance again

  // Resolved templates of pods launched and not yet finished (for outputs).
  std::unordered_map<std::string, Json> running_pods;
  std::set<Time> timers;
  // Shutting down (stop, terminate, or the workflow's deadline passed):
  // running pods are cancelled, nothing new starts, unfinished nodes end
  // Failed. Only Terminate also skips the exit handlers; the others let them
  // start and run to their end.
  enum class Shutdown { kNone, kStop, kTerminate, kDeadline };
  Shutdown shutdown = Shutdown::kNone;
  bool terminating = false;  // shutdown != kNone
  bool main_tree_stopped = false;  // unfinished nodes outside exit handlers were failed
  std::string shutdown_node_message;
  std::string shutdown_workflow_message;
  // spec.suspend: steps that finish are recorded, nothing new is evaluated.
  bool suspended = false;
  // Template deadlines (activeDeadlineSeconds, timeout) of running pods, and
  // the pods cancelled because theirs passed.
  std::unordered_map<std::string, Time> pod_deadlines;
  std::unordered_set<std::string> pods_past_deadline;
  std::optional<Time> workflow_deadline;
  // Steps/DAG node ID -> the template scope its children resolve in (Argo's
  // templateScope of every node created inside it).
  std::unordered_map<std::string, std::string> inner_scopes;
  // A running Steps or DAG node's template as bound when the node started:
  // re-resolving and re-substituting a long template on every event made a
  // sequence of n steps cost O(n^2). Valid while globals_version stays.
  struct BoundGroup {
    uint64_t globals_version = 0;
    ResolvedTemplate resolved;  // its tmpl is the bound template
    Json inputs;
  };
  std::unordered_map<std::string, BoundGroup> bound_groups;
  // Whether a bound Steps/DAG template can be kept (bound_groups).
  static bool can_keep_bound(const Json& raw_tmpl, const Json& bound_tmpl);
  // Runs an existing or new Steps/DAG/Suspend/Pod node with its bound template.
  Node* run_bound(Node& node, NodeType type, const Json& tmpl, const ResolvedTemplate& resolved,
                  const ExecuteRequest& request);
  // Nodes that belong to an exit handler (its node and everything inside):
  // they may start while the workflow shuts down (not when terminated).
  std::unordered_set<std::string> exit_nodes;
  // The workflow's own exit handler node, once it exists.
  std::string workflow_exit_node_id;
  // Parallelism: spec.parallelism bounds the pods running at once in the
  // workflow; a steps/DAG template's parallelism bounds the children of its
  // node (pods, steps, DAGs) running at once. Limited nodes' children are
  // indexed so that counting them stays cheap.
  std::optional<long long> workflow_parallelism;
  std::unordered_map<std::string, long long> child_limits;
  std::unordered_map<std::string, std::vector<std::string>> limited_children;
  // Synchronization (sync.cc): what each holder (a node ID, or the
  // workflow's name for its own locks) asked the controller's lock table
  // for, and what it answered.
  struct LockClaim {
    std::vector<LockRequest> locks;
    Time requested_at{};
    bool answered = false;
    bool held = false;
    bool taken_up = false;        // a node that waited has started its run
    std::string error;            // refused
    std::string waiting_message;  // Argo's, while waiting
    std::string waiting_key;      // the lock waited for
    std::vector<std::string> waiting_holders;
  };
  std::map<std::string, LockClaim> lock_claims;
  // Memoization (memo.cc): node ID -> its cache lookup.
  struct MemoLookup {
    std::string cache;
    std::string key;
    std::optional<Duration> max_age;
    bool answered = false;
    bool hit = false;
  };
  std::unordered_map<std::string, MemoLookup> memo;

  // Incremental advancing. A pass walks into an unfinished Steps or DAG node
  // only when something inside it changed since the pass before (the node is
  // dirty), or when everything must be looked at again (start, timers,
  // shutdown: full_walk). Every change to a node marks it and its boundaries
  // up to the root dirty for the next pass, so a workflow of n nodes costs
  // O(depth) per event instead of O(n).
  std::unordered_set<std::string> dirty;       // consulted by the current pass
  std::unordered_set<std::string> dirty_next;  // collected for the next pass
  bool full_walk = true;                       // the current pass walks everything
  bool full_walk_next = true;                  // the next pass must
  // StepGroup or TaskGroup ID -> its progress, while the group runs.
  std::unordered_map<std::string, GroupProgress> group_progress;
  // Steps node ID -> the groups it finished and the scope they built.
  struct StepsProgress {
    size_t groups_done = 0;
    expr::Scope scope;
    // The globals with `scope` over them, grown with it: merging them anew
    // for each group made a sequence of n steps cost O(n^2).
    expr::Scope full;
    uint64_t full_globals_version = 0;
    bool full_built = false;
  };
  // `progress.full` brought up to date with the globals.
  const expr::Scope& steps_full_scope(StepsProgress& progress);
  std::unordered_map<std::string, StepsProgress> steps_progress;

  // Unfinished nodes with many children -> those children, for add_child.
  static constexpr size_t kIndexedChildren = 64;
  std::unordered_map<std::string, std::unordered_set<std::string>> children_index;
  // Names whose Argo ID was already another node's -> the ID they got.
  std::unordered_map<std::string, std::string> collided_ids;

  // --- nodes (nodes.cc)
  // The ID of the node with this name (Argo's, unless it collided).
  std::string node_id_of(const std::string& name) const;
  // The ID a node of this name gets when it is created now.
  std::string free_node_id(const std::string& name) const;
  Node* find_node_by_name(const std::string& name);
  Node& create_node(const std::string& name, const std::string& display_name, NodeType type,
                    Phase phase, const std::string& boundary_id, const std::string& message = "");
  void add_child(const std::string& parent_name, const std::string& child_name);
  void set_phase(Node& node, Phase phase, const std::string& message = "");
  // Records that node changed: it and its boundaries are walked next pass.
  void mark_dirty(const Node& node);
  std::vector<std::string> outbound_nodes(const std::string& node_id) const;
  std::vector<std::string> pod_outbound_nodes(const Node& node) const;
  // A Retry node's attempts: its children without the hook nodes hung on it.
  std::vector<std::string> attempts_of(const Node& retry) const;
  // The last attempt of a Retry node, or null.
  const Node* last_attempt(const Node& retry) const;
  // Whether every hook / exit handler node hung on `node` is fulfilled.
  bool hooks_fulfilled(const Node& node) const;
  // Argo's display name for a node created inside `boundary_id`: its name
  // without the boundary's name and the "[i]." or "." that follows.
  std::string display_name_in(const std::string& name, const std::string& boundary_id) const;

  // --- execution (operate.cc, steps.cc, dag.cc, pod.cc)
  void advance();
  void advance_passes();

  // --- custom metrics (metrics.cc)
  // Node ID -> its template's metrics.prometheus, until the node is fulfilled.
  std::map<std::string, Json> pending_metrics;
  bool workflow_metrics_emitted = false;
  bool workflow_realtime_emitted = false;
  // The clocks realtime gauges may read, by variable: since, until.
  using RealtimeClock = std::map<std::string, std::pair<Time, std::optional<Time>>>;
  RealtimeClock::value_type workflow_clock() const;
  void note_metrics(const Node& node, const Json& tmpl);
  // Emits the metrics of nodes fulfilled since the last call, then the
  // workflow's own once it has finished.
  void emit_due_metrics();
  // Emits the metrics of `list`; realtime gauges read `clock`. With
  // realtime_only, only the realtime gauges (as their emitter starts).
  void emit_metrics(const Json& list, const expr::Scope& scope, const std::string& node_id,
                    const RealtimeClock* clock, bool realtime_only);
  Node* execute_template(const ExecuteRequest& request);
  // Whether a new node may be created now: always, but for exit handlers
  // once the workflow is terminated (shutdown.cc).
  bool may_start(const ExecuteRequest& request) const;
  // Whether a pod node may start its pod now: not while shutting down,
  // unless it belongs to an exit handler a Stop or a deadline lets run.
  bool may_run_pod(const Node& node) const;
  // Records on a node just created what the request says of it (nodeFlag,
  // membership of an exit handler).
  void adopt(Node& node, const ExecuteRequest& request);
  // Whether workflow and template parallelism let a new node start now
  // (parallelism.cc); a node held back is simply not created yet, as in Argo.
  bool parallelism_allows(const ExecuteRequest& request) const;
  // Records the parallelism of a steps/DAG node's template before its
  // children start.
  void limit_children(const Node& node, const Json& tmpl);
  // The claim of `holder` on every lock a `synchronization` block names,
  // asked of the controller (kAcquireLocks) the first time; an error for a
  // block that names a lock badly or a claim the controller refused.
  Result<LockClaim*> claim_locks(const std::string& holder, const Json& sync);
  // The holder is done with its locks (or no longer waits for them).
  void release_locks(const std::string& holder);
  void answer_locks(const Event& event);
  // The workflow's own locks (spec.synchronization) are not held yet: it
  // waits Pending, or fails when they were refused. True while it waits.
  bool workflow_waits_for_locks();
  // advance(), unless the workflow is complete or waits for its own locks.
  void advance_unless_waiting();
  // Before a template with `synchronization` runs as the request's node:
  // nothing when its locks are held (go on), else the node to return while
  // it waits Pending (or errored, or null when it may not be created yet).
  std::optional<Node*> hold_for_locks(const ExecuteRequest& request, const ResolvedTemplate& resolved,
                                      const Json& tmpl, const Json& inputs, const Json& sync);
  // Before a template with `memoize` runs (memo.cc): nothing once the cache
  // missed (go on), else the node to return: Pending while the controller
  // looks the key up, Succeeded with the cached outputs on a hit.
  std::optional<Node*> check_memo(const ExecuteRequest& request, const ResolvedTemplate& resolved,
                                   const Json& tmpl, const Json& inputs, const Json& memoize);
  void answer_memo(const Event& event);
  // A memoized node that ran after a miss succeeded: store its outputs.
  void save_memo(const Node& node);
  // A node created Pending for a template that waits (lock, cache lookup).
  Node& create_waiting_node(const ExecuteRequest& request, const ResolvedTemplate& resolved, const Json& tmpl,
                            const Json& inputs, const std::string& message);
  // status.synchronization as Argo reports it ({} when nothing is held).
  Json synchronization_json() const;
  // encode.cc: the Workflow object without status.nodes, and one node as
  // status.nodes shows it.
  Json object_without_nodes() const;
  Json node_object(const Node& node, const ResourceTotals& resources) const;
  Node* execute_steps(Node& node, const Json& tmpl, const TemplateSet& context);
  // Advances a group's running children; true when none is left unfinished.
  bool follow_group(GroupProgress& group, const std::string& steps_id, const TemplateSet& context);
  // Gives a group whose children are all fulfilled its phase; false if one is not.
  bool assess_group(Node& group, const GroupProgress& progress);
  Node* execute_dag(Node& node, const Json& tmpl, const TemplateSet& context);
  Node* execute_pod(Node& node, const Json& tmpl);
  Node* execute_suspend(Node& node, const Json& tmpl);
  Node* execute_retry(const ExecuteRequest& request, const ResolvedTemplate& resolved, const Json& tmpl,
                      const Json& inputs);
  void finish_pod(const Event& event);
  // Pod shapes (pod_verdict.cc, daemon.cc, volumes.cc, http.cc, data.cc).
  void create_container_nodes(const Node& pod, const Json& tmpl);
  void finish_container_nodes(const Node& pod, const Json& tmpl, const Event& event);
  // A container of a running pod started or ended (kContainerStarted/Finished).
  void follow_container(const Event& event);
  void finish_container_node(Node& node, int exit_code);
  void mark_ready(Node& node, bool readiness_passed, const std::string& pod_ip);
  void kill_daemoned_children(const std::string& boundary_id);
  Json pod_volumes(const Json& tmpl) const;
  void add_pod_settings(LaunchAction& launch) const;
  void finish_http(Node& node, const Json& tmpl, const Event& event);
  void finish_data(Node& node, const Json& tmpl, const Event& event);

  // --- scope (scope.cc)
  void add_node_to_scope(expr::Scope& scope, const std::string& prefix, const Node& node) const;
  void add_skipped_outputs(expr::Scope& scope, const std::string& prefix, const Node& node) const;
  // A loop's outputs: results and parameters as JSON lists in index order.
  void add_loop_to_scope(expr::Scope& scope, const std::string& prefix,
                         const std::vector<std::string>& iteration_ids) const;
  expr::Scope merged_scope(const expr::Scope& local) const;
  Result<Json> outputs_from_scope(const Json& tmpl, const expr::Scope& scope) const;
  void publish_global_outputs(const Json& outputs);
  void publish_global_artifacts(const Json& artifacts);
  // Gives a pod's outputs their keys in the default repository (under its
  // keyFormat) and adds the log artifact when logs are archived.
  void locate_pod_outputs(Json& tmpl, const std::string& pod_name) const;

  // --- lifecycle hooks and exit handlers (hooks.cc)
  struct HookProgress {
    bool done = true;   // every hook that fired has finished
    std::string error;  // a hook could not be evaluated: errors the caller's node
  };
  // The hooks of a step or task (all but `exit`) for its node `node`;
  // `scope` holds what the step or task sees plus its own `.status`.
  HookProgress run_node_hooks(const Json& holder, const std::string& node_id, const std::string& boundary_id,
                              const TemplateSet& context, const expr::Scope& scope, const std::string& prefix);
  // The exit handler (onExit or hooks.exit) of a step or task whose node has
  // completed; done once the handler has run.
  HookProgress run_node_exit(const Json& holder, const std::string& node_id, const std::string& boundary_id,
                             const TemplateSet& context, const expr::Scope& scope, const std::string& prefix);
  // After the entrypoint's walk: workflow hooks, then spec.onExit once the
  // entrypoint is done. True when the workflow may finish.
  bool run_workflow_hooks_and_exit();
  // --- user commands (control.cc)
  Status apply_command(const Event& event);
  // "Stop" or "Terminate", for Argo's messages.
  const char* shutdown_name() const;
  // Argo's updateSuspendedNode: phase, message and supplied outputs of the
  // running suspend nodes the selector matches, all or nothing.
  Status update_suspend_nodes(const std::string& selector, const std::string& phase, const std::string& message,
                              const std::vector<std::pair<std::string, std::string>>& outputs);
  Status resume_all();

  void finish_workflow_if_done();
  // Drops what was derived from nodes that are no longer in the status;
  // the next walk is full and derives it again.
  void forget_derived_state();
  // After the status was rewritten to run again (retry): drops what was
  // derived from nodes that are gone, ends any shutdown, restarts the
  // deadline and takes the new parameter values. The next walk is full.
  void resume_rewritten(const std::vector<std::pair<std::string, std::string>>& parameters);
  // Entry point for every way a workflow stops early: a Stop (exit handlers
  // still run), a Terminate (they do not), or the workflow's deadline.
  void begin_shutdown(Shutdown kind);
  void stop_main_tree_if_idle();
  void enforce_deadlines();
};

// Argo's resourcesDuration of a pod that ran for `ran` (resources.cc), a
// pod's record added to a sum, and the record as Argo writes it (an object
// of whole seconds by resource) and read back.
ResourceSeconds pod_resources_duration(const Json& tmpl, Duration ran);
Json add_resources_duration(Json sum, const ResourceSeconds& more);
Json resources_duration_json(const ResourceSeconds& seconds);
ResourceSeconds resources_duration_of(const Json& object);
// What status.resourcesDuration and each completed non-pod node report.
struct ResourceTotals {
  Json workflow;                                // the sum over every pod
  std::unordered_map<std::string, Json> nodes;  // node id -> sum (absent: none)
};
ResourceTotals resources_duration_totals(const std::unordered_map<std::string, Node>& nodes);
// Only status.resourcesDuration (the per-node sums walk the tree).
Json workflow_resources_duration(const std::unordered_map<std::string, Node>& nodes);

// The template with spec.templateDefaults merged in (template_defaults.cc).
Json with_template_defaults(const Json& tmpl, const Json& defaults);

// Inputs: merges arguments into the template's declared inputs and
// substitutes them (and globals) through the template. On success `inputs`
// holds the node's inputs record.
Result<Json> bind_inputs(const Json& tmpl, const Json& arguments, const expr::Scope& globals,
                         const expr::Scope& extra, Json* inputs);

// Artifacts (artifacts.cc). A reference to another node's artifact is that
// artifact's JSON once substituted; the controller moves the bytes.
// arguments.artifacts[].fromExpression -> `from`, evaluated in the step's scope.
Status resolve_artifact_expressions(Json& holder, const expr::Scope& scope);
// Replaces the template's declared input artifacts with located ones (from
// the arguments or the template), binds {{inputs.artifacts.X.path}}, and
// records the located ones in `recorded` ("artifacts").
Status bind_input_artifacts(const Json& arguments, Json& tmpl, expr::Scope& scope, Json* recorded);
// A steps/DAG template's output artifacts (`from` references), or null.
Result<Json> artifacts_from_scope(const Json& tmpl, const expr::Scope& scope);

// Whether a `when` (already substituted) lets the step run.
Result<bool> should_execute(const std::string& when);

// Globals Argo derives from the workflow: workflow.creationTimestamp with its
// strftime forms (.Y, .m, ... .s, .RFC3339), and from metadata and spec the
// labels, annotations (and their .json), scheduledTime, priority and
// parameters (.json). parameters are the effective spec.arguments.parameters.
void add_creation_globals(expr::Scope& globals, Time created);
void add_metadata_globals(expr::Scope& globals, const Json& metadata, const Json& spec, const Json& parameters);
// A node field selector (`--node-field-selector`): Kubernetes field-selector
// syntax, terms `field=value`, `field==value` or `field!=value` joined by
// commas (all must hold); `\,`, `\=` and `\\` escape.
struct FieldTerm {
  std::string field;
  bool equals = true;
  std::string value;
};
Result<std::vector<FieldTerm>> parse_field_selector(const std::string& text);
// The fields Argo lets a selector see: id, name, displayName, templateName,
// phase, templateRef.name, templateRef.template, inputs.parameters.<n>.value.
bool selector_matches(const std::vector<FieldTerm>& terms, const Node& node);

// A suspend node's supplied outputs still unset take their defaults (when
// it is resumed or its duration runs out); without a default, an error.
Status default_supplied_outputs(Json* outputs);

// Whether a step or task has lifecycle hooks or an exit handler.
bool has_node_hooks(const Json& holder);

// Reads a string field, "" when absent or not a string.
std::string string_field(const Json& object, const char* key);

// Records the template a step or task names (template / templateRef) on a
// node that never ran it (skipped, omitted, errored), as Argo does.
void record_named_template(Node& node, const Json& holder);

}  // namespace skiff::engine
