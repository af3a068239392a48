// Private to the engine: the state behind Engine and the functions that
// implement each kind of template. Not part of the public contract.
#pragma once

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

struct Engine::Impl {
  Options options;
  Json workflow;  // the submitted object (metadata, spec)
  Json spec;      // the effective spec (workflowTemplateRef merged in)
  Templates templates;
  WorkflowStatus status;
  expr::Scope globals;
  std::string entrypoint;

  // Per advance:
  Time now{};
  std::vector<Action> actions;
  bool progressed = false;  // something changed; advance again

  // Resolved templates of pods launched and not yet finished (for outputs).
  std::unordered_map<std::string, Json> running_pods;
  std::set<Time> timers;
  // Shutting down (terminate, or the workflow's deadline passed): running
  // pods are cancelled, nothing new starts, unfinished nodes end Failed.
  bool terminating = false;
  std::string shutdown_node_message;
  std::string shutdown_workflow_message;
  // Template deadlines (activeDeadlineSeconds, timeout) of running pods, and
  // the pods cancelled because theirs passed.
  std::unordered_map<std::string, Time> pod_deadlines;
  std::unordered_set<std::string> pods_past_deadline;
  std::optional<Time> workflow_deadline;
  // Steps/DAG node ID -> the template scope its children resolve in (Argo's
  // templateScope of every node created inside it).
  std::unordered_map<std::string, std::string> inner_scopes;

  // --- nodes (nodes.cc)
  Node* find_node_by_name(const std::string& name);
  Node& create_node(const std::string& name, const std::string& display_name, NodeType type,
                    Phase phase, const std::string& boundary_id, const std::string& message = "");
  void add_child(const std::string& parent_name, const std::string& child_name);
  void set_phase(Node& node, Phase phase, const std::string& message = "");
  std::vector<std::string> outbound_nodes(const std::string& node_id) const;
  std::vector<std::string> pod_outbound_nodes(const Node& node) const;

  // --- execution (operate.cc, steps.cc, dag.cc, pod.cc)
  void advance();
  void advance_passes();
  Node* execute_template(const ExecuteRequest& request);
  Node* execute_steps(Node& node, const Json& tmpl, const TemplateSet& context);
  Node* execute_dag(Node& node, const Json& tmpl, const TemplateSet& context);
  Node* execute_pod(Node& node, const Json& tmpl);
  Node* execute_suspend(Node& node, const Json& tmpl);
  Node* execute_retry(const ExecuteRequest& request, const ResolvedTemplate& resolved, const Json& tmpl,
                      const Json& inputs);
  void finish_pod(const Event& event);
  // Pod shapes (pod_verdict.cc, daemon.cc, volumes.cc, http.cc).
  void create_container_nodes(const Node& pod, const Json& tmpl);
  void finish_container_nodes(const Node& pod, const Json& tmpl, const Event& event);
  void mark_ready(Node& node, bool readiness_passed);
  void kill_daemoned_children(const std::string& boundary_id);
  Json pod_volumes(const Json& tmpl) const;
  void add_pod_settings(LaunchAction& launch) const;
  void finish_http(Node& node, const Json& tmpl, const Event& event);

  // --- scope (scope.cc)
  void add_node_to_scope(expr::Scope& scope, const std::string& prefix, const Node& node) const;
  // A loop's outputs: results and parameters as JSON lists in index order.
  void add_loop_to_scope(expr::Scope& scope, const std::string& prefix,
                         const std::vector<std::string>& iteration_ids) const;
  expr::Scope merged_scope(const expr::Scope& local) const;
  Result<Json> outputs_from_scope(const Json& tmpl, const expr::Scope& scope) const;
  void publish_global_outputs(const Json& outputs);

  void finish_workflow_if_done();
  void begin_shutdown(const std::string& node_message, const std::string& workflow_message);
  void enforce_deadlines();
};

// The template with spec.templateDefaults merged in (template_defaults.cc).
Json with_template_defaults(const Json& tmpl, const Json& defaults);

// Inputs: merges arguments into the template's declared inputs and
// substitutes them (and globals) through the template. On success `inputs`
// holds the node's inputs record.
Result<Json> bind_inputs(const Json& tmpl, const Json& arguments, const expr::Scope& globals,
                         const expr::Scope& extra, Json* inputs);

// Whether a `when` (already substituted) lets the step run.
Result<bool> should_execute(const std::string& when);

// Reads a string field, "" when absent or not a string.
std::string string_field(const Json& object, const char* key);

// Records the template a step or task names (template / templateRef) on a
// node that never ran it (skipped, omitted, errored), as Argo does.
void record_named_template(Node& node, const Json& holder);

}  // namespace skiff::engine
