// The engine's entry points and the walk that advances a workflow: from the
// root template down, every call is idempotent, so advancing again after any
// event simply continues where the workflow stands.
#include <chrono>
#include <cstdio>

#include "base/naming.h"
#include "engine/internal.h"

namespace skiff::engine {

namespace {

// The spec a workflow runs: its own, over the referenced WorkflowTemplate's.
Result<Json> effective_spec(const Json& spec, const Templates& templates) {
  auto ref = spec.find("workflowTemplateRef");
  if (ref == spec.end() || !ref->is_object()) return spec;
  std::string name = string_field(*ref, "name");
  bool cluster = ref->value("clusterScope", false);
  const char* kind = cluster ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
  const spec::Object* object = templates.find_object(kind, name);
  if (!object) return not_found(std::string(kind) + " '" + name + "' not found");
  Json merged = object->doc.value("spec", Json::object());
  for (const auto& [key, value] : spec.items()) {
    if (key == "workflowTemplateRef") continue;
    if (key == "arguments" && merged.contains("arguments")) {
      // Parameters merge by name: the workflow's values win.
      Json params = merged["arguments"].value("parameters", Json::array());
      for (const auto& p : value.value("parameters", Json::array())) {
        bool replaced = false;
        for (auto& existing : params) {
          if (string_field(existing, "name") == string_field(p, "name")) {
            existing = p;
            replaced = true;
          }
        }
        if (!replaced) params.push_back(p);
      }
      merged["arguments"]["parameters"] = params;
      continue;
    }
    merged[key] = value;
  }
  return merged;
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(const spec::Object& workflow, std::vector<spec::Object> library,
                                               const Options& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->workflow = workflow.doc;
  Json spec = workflow.doc.value("spec", Json::object());

  // Templates of the referenced WorkflowTemplate are the workflow's own.
  SKIFF_RETURN_IF_ERROR(impl->templates.load(Json::array(), library));
  auto merged = effective_spec(spec, impl->templates);
  if (!merged) return merged.status();
  impl->spec = std::move(*merged);
  SKIFF_RETURN_IF_ERROR(impl->templates.load(impl->spec.value("templates", Json::array()), library));

  impl->entrypoint = options.entrypoint.empty() ? string_field(impl->spec, "entrypoint") : options.entrypoint;
  if (impl->entrypoint.empty()) return invalid_argument("spec.entrypoint is required");
  if (!impl->templates.local().by_name.count(impl->entrypoint)) {
    return invalid_argument("spec.entrypoint template " + impl->entrypoint + " not found");
  }

  // Global parameters: spec.arguments, overridden by the caller's.
  Json params = impl->spec.contains("arguments") ? impl->spec["arguments"].value("parameters", Json::array())
                                                 : Json::array();
  for (const auto& [name, value] : options.parameters) {
    bool found = false;
    for (auto& p : params) {
      if (string_field(p, "name") == name) {
        p["value"] = value;
        p.erase("valueFrom");
        found = true;
      }
    }
    if (!found) params.push_back(Json{{"name", name}, {"value", value}});
  }
  if (!params.empty()) impl->spec["arguments"]["parameters"] = params;

  expr::Scope& g = impl->globals;
  g["workflow.name"] = options.name;
  g["workflow.namespace"] = options.namespace_;
  g["workflow.uid"] = options.uid;
  // sprig's random functions draw from the workflow's uid, mixed by the
  // expression layer with the clock and the node's scope: values differ
  // between nodes and runs, yet a replay of the same events repeats them.
  expr::set_entropy(g, options.name + "/" + options.uid);
  g["workflow.mainEntrypoint"] = impl->entrypoint;
  std::string sa = options.service_account.empty() ? string_field(impl->spec, "serviceAccountName")
                                                   : options.service_account;
  g["workflow.serviceAccountName"] = sa.empty() ? "default" : sa;
  add_metadata_globals(g, workflow.doc.value("metadata", Json::object()), impl->spec, params);
  for (const auto& p : params) {
    std::string name = string_field(p, "name");
    if (!p.contains("value")) {
      if (p.contains("default")) {
        g["workflow.parameters." + name] = string_field(p, "default");
      } else if (p.contains("valueFrom")) {
        continue;  // resolved by the controller from ConfigMaps before create()
      } else {
        return invalid_argument("spec.arguments." + name + ".value is required");
      }
    } else {
      g["workflow.parameters." + name] = string_field(p, "value");
    }
  }
  if (auto p = impl->spec.find("parallelism"); p != impl->spec.end()) {
    if (p->is_number_integer()) impl->workflow_parallelism = p->get<long long>();
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::vector<Action> Engine::start(Time now) {
  impl_->now = now;
  impl_->status.started = true;
  impl_->status.started_at = now;
  impl_->status.phase = Phase::kRunning;
  add_creation_globals(impl_->globals, now);
  // Submitted suspended or already shut down: the same as the commands.
  const Json own_spec = impl_->workflow.value("spec", Json::object());
  if (auto suspend = own_spec.find("suspend"); suspend != own_spec.end() && *suspend == true) impl_->suspended = true;
  const std::string shutdown = string_field(own_spec, "shutdown");
  if (shutdown == "Stop") impl_->begin_shutdown(Impl::Shutdown::kStop);
  if (shutdown == "Terminate") impl_->begin_shutdown(Impl::Shutdown::kTerminate);
  if (auto d = impl_->spec.find("activeDeadlineSeconds"); d != impl_->spec.end()) {
    auto seconds = d->is_number() ? std::optional<Duration>(std::chrono::seconds(d->get<long long>()))
                                  : parse_duration(d->is_string() ? d->get<std::string>() : "");
    if (seconds) {
      impl_->workflow_deadline = now + *seconds;
      impl_->timers.insert(*impl_->workflow_deadline);
    }
  }
  // The workflow's own locks: it stays Pending, nothing of it walked, until
  // the controller's lock table gives them.
  impl_->actions.clear();
  if (auto sync = impl_->spec.find("synchronization"); sync != impl_->spec.end() && sync->is_object()) {
    auto claim = impl_->claim_locks(impl_->options.name, *sync);
    if (!claim) {
      impl_->status.phase = Phase::kFailed;
      impl_->status.message = "Failed to acquire the synchronization lock. " + claim.status().message();
      impl_->status.finished_at = now;
      return {};
    }
    impl_->status.phase = Phase::kPending;
    return std::move(impl_->actions);
  }
  impl_->advance();
  return std::move(impl_->actions);
}

std::vector<Action> Engine::handle(const Event& event, Time now) { return handle_all({event}, now); }

std::vector<Action> Engine::handle_all(const std::vector<Event>& events, Time now) {
  Impl& s = *impl_;
  s.now = now;
  s.actions.clear();
  for (const auto& event : events) {
    // A step's report changes its own node, which marks the way to it dirty;
    // anything else (a timer, a command) may concern any part of the tree.
    if (event.kind != Event::Kind::kStepStarted && event.kind != Event::Kind::kStepFinished &&
        event.kind != Event::Kind::kContainerStarted && event.kind != Event::Kind::kContainerFinished) {
      s.full_walk_next = true;
    }
    switch (event.kind) {
      case Event::Kind::kStepStarted: {
        auto it = s.status.nodes.find(event.node_id);
        if (it != s.status.nodes.end() && !it->second.running_since && !is_completed(it->second.phase)) {
          it->second.running_since = now;
        }
        if (it != s.status.nodes.end() && it->second.phase == Phase::kPending) {
          s.set_phase(it->second, Phase::kRunning);
          it->second.host_node_name = event.host_node_name;
          s.mark_ready(it->second, false, event.pod_ip);
        }
        break;
      }
      case Event::Kind::kStepReady: {
        auto it = s.status.nodes.find(event.node_id);
        if (it != s.status.nodes.end() && !is_completed(it->second.phase)) s.mark_ready(it->second, true, event.pod_ip);
        break;
      }
      case Event::Kind::kStepFinished:
        s.finish_pod(event);
        break;
      case Event::Kind::kContainerStarted:
      case Event::Kind::kContainerFinished:
        s.follow_container(event);
        break;
      case Event::Kind::kTimer:
        while (!s.timers.empty() && *s.timers.begin() <= now) s.timers.erase(s.timers.begin());
        break;
      case Event::Kind::kCacheAnswer:
        s.answer_memo(event);
        break;
      case Event::Kind::kLockAnswer:
        s.answer_locks(event);
        break;
      default:
        // A command that does not apply changes nothing (command() says why).
        if (event.is_command()) (void)s.apply_command(event);
        break;
    }
  }
  s.advance_unless_waiting();
  return std::move(s.actions);
}

bool Engine::completed() const { return impl_->status.finished_at.has_value(); }
const WorkflowStatus& Engine::status() const { return impl_->status; }
const std::string& Engine::name() const { return impl_->options.name; }

std::optional<Time> Engine::next_timer() const {
  if (impl_->timers.empty()) return std::nullopt;
  return *impl_->timers.begin();
}

void Engine::Impl::advance_unless_waiting() {
  if (status.finished_at || workflow_waits_for_locks() || status.finished_at) return;
  if (status.phase == Phase::kPending) {
    // The workflow's own locks were just given: it runs.
    status.phase = Phase::kRunning;
    status.message.clear();
  }
  advance();
}

void Engine::Impl::advance() {
  expr::set_clock(globals, now);  // what now() reads in this step's expressions
  try {
    advance_passes();
    emit_due_metrics();
  } catch (const std::exception& e) {
    // A bug must not take the process (and every other workflow) down: the
    // workflow ends in Error and says why.
    status.phase = Phase::kError;
    status.message = std::string("internal error: ") + e.what();
    status.finished_at = now;
  }
}

void Engine::Impl::advance_passes() {
  enforce_deadlines();
  // Each pass may complete nodes synchronously (skips, suspends that are due)
  // which lets the next pass go further; stop when a pass changes nothing.
  // Only the workflow's exit handler and hooks see the workflow's status and
  // failures, as in Argo where they are set after the entrypoint's walk.
  char duration[64];
  std::snprintf(duration, sizeof duration, "%f",
                std::chrono::duration<double>(now - status.started_at).count());
  globals["workflow.duration"] = duration;
  for (int pass = 0; pass < 1000; ++pass) {
    // A change that progressed without marking a node (none is known, but
    // being wrong must only cost time) makes the next pass a full one. A
    // slot under the workflow's parallelism, or a lock, freed in one part of
    // the tree lets a node start in any other: those walk everything.
    full_walk = options.walk_everything || full_walk_next || (pass > 0 && dirty_next.empty()) ||
                workflow_parallelism.has_value();
    full_walk_next = false;
    dirty.swap(dirty_next);
    dirty_next.clear();
    progressed = false;
    globals.erase("workflow.status");
    globals.erase("workflow.failures");
    Json root_holder = Json{{"template", entrypoint}};
    ExecuteRequest root;
    root.node_name = options.name;
    root.display_name = options.name;
    root.holder = &root_holder;
    root.context = &templates.local();
    root.arguments = spec.value("arguments", Json());
    // Suspended, nothing new is evaluated; a shutdown still goes ahead (and
    // still walks the tree, creating what Argo creates and failing it).
    const bool held = suspended && !terminating;
    if (!held) {
      execute_template(root);
    } else {
      // What changed while nothing was walked is not followed: the walk
      // after this one looks at everything.
      full_walk_next = true;
    }
    finish_workflow_if_done();
    if (!progressed || status.finished_at) break;
  }
}

Node* Engine::Impl::execute_template(const ExecuteRequest& request) {
  Node* existing = find_node_by_name(request.node_name);
  if (existing && existing->fulfilled()) {
    if (!bound_groups.empty()) bound_groups.erase(existing->id);
    return existing;
  }
  // Nothing to do until a running pod reports, or while nothing inside a
  // Steps or DAG node changed.
  if (existing && existing->type == NodeType::kPod && running_pods.count(existing->id)) return existing;
  if (existing && !full_walk && (existing->type == NodeType::kSteps || existing->type == NodeType::kDAG) &&
      !dirty.count(existing->id)) {
    return existing;
  }
  if (existing && !request.attempt) {
    auto bound = bound_groups.find(existing->id);
    if (bound != bound_groups.end() && bound->second.globals_version == globals_version) {
      return run_bound(*existing, existing->type, bound->second.resolved.tmpl, bound->second.resolved, request);
    }
  }

  auto fail = [&](NodeType type, const std::string& message) -> Node* {
    Node* node = existing;
    if (!node) {
      node = &create_node(request.node_name, request.display_name, type, Phase::kError, request.boundary_id, message);
      record_named_template(*node, *request.holder);
      adopt(*node, request);
    }
    set_phase(*node, Phase::kError, message);
    return node;
  };

  auto resolved = templates.resolve(*request.holder, *request.context);
  if (!resolved) return fail(NodeType::kSkipped, resolved.status().message());
  if (auto defaults = spec.find("templateDefaults"); defaults != spec.end()) {
    resolved->tmpl = with_template_defaults(resolved->tmpl, *defaults);
  }

  expr::Scope extra;
  extra["node.name"] = request.node_name;
  extra["pod.name"] = argo_pod_name(options.name, request.node_name, resolved->template_name);
  if (request.attempt) extra["retries"] = std::to_string(*request.attempt);
  // The running step's or task's own name.
  if (auto b = status.nodes.find(request.boundary_id); b != status.nodes.end() && request.holder->contains("name")) {
    if (b->second.type == NodeType::kSteps) extra["steps.name"] = string_field(*request.holder, "name");
    if (b->second.type == NodeType::kDAG) extra["tasks.name"] = string_field(*request.holder, "name");
  }
  Json inputs;
  auto bound = bind_inputs(resolved->tmpl, request.arguments, globals, extra, &inputs);
  // Argo never makes a node of the template's kind when its arguments do not
  // bind: the node is an errored Skipped node (a Pod for a retry's attempt).
  if (!bound) return fail(request.attempt ? NodeType::kPod : NodeType::kSkipped, bound.status().message());
  const Json& tmpl = *bound;
  if (!request.attempt) {
    if (auto sync = tmpl.find("synchronization"); sync != tmpl.end() && sync->is_object()) {
      if (auto held = hold_for_locks(request, *resolved, tmpl, inputs, *sync)) return *held;
      existing = find_node_by_name(request.node_name);
    }
    if (auto memoize = tmpl.find("memoize"); memoize != tmpl.end() && memoize->is_object()) {
      if (auto held = check_memo(request, *resolved, tmpl, inputs, *memoize)) return *held;
      existing = find_node_by_name(request.node_name);
    }
  }
  if (!request.attempt && tmpl.contains("retryStrategy") && tmpl["retryStrategy"].is_object()) {
    Node* retried = execute_retry(request, *resolved, tmpl, inputs);
    if (retried) note_metrics(*retried, tmpl);
    return retried;
  }

  NodeType type;
  if (tmpl.contains("steps")) type = NodeType::kSteps;
  else if (tmpl.contains("dag")) type = NodeType::kDAG;
  else if (tmpl.contains("suspend")) type = NodeType::kSuspend;
  else if (tmpl.contains("container") || tmpl.contains("script") || tmpl.contains("containerSet") ||
           tmpl.contains("data")) {
    type = NodeType::kPod;
  }
  else if (tmpl.contains("http")) type = NodeType::kHTTP;
  else return fail(NodeType::kPod, "template '" + resolved->template_name + "' has no kind this runtime supports");

  Node* node = existing;
  if (!node) {
    if (!may_start(request) || !parallelism_allows(request)) return nullptr;
    Phase initial = type == NodeType::kPod || type == NodeType::kHTTP ? Phase::kPending : Phase::kRunning;
    node = &create_node(request.node_name, request.display_name, type, initial, request.boundary_id);
    adopt(*node, request);
    node->template_name = resolved->template_name;
    node->template_ref = resolved->template_ref;
    if (!resolved->template_ref.is_null()) node->template_name.clear();
    // Argo records where the reference was resolved from, not where the
    // template lives: a templateRef node keeps its caller's scope.
    node->template_scope = request.context->scope;
    node->inputs = inputs;
  }
  if (!request.attempt && (type == NodeType::kSteps || type == NodeType::kDAG) &&
      can_keep_bound(resolved->tmpl, tmpl)) {
    BoundGroup& kept = bound_groups[node->id];
    kept.globals_version = globals_version;
    kept.resolved = *resolved;
    kept.resolved.tmpl = tmpl;
    kept.inputs = inputs;
    return run_bound(*node, type, kept.resolved.tmpl, kept.resolved, request);
  }
  return run_bound(*node, type, tmpl, *resolved, request);
}

void Engine::Impl::adopt(Node& node, const ExecuteRequest& request) {
  node.hooked = request.hooked;
  node.retried = request.attempt.has_value();
  if (request.on_exit || exit_nodes.count(request.boundary_id)) exit_nodes.insert(node.id);
}

void Engine::Impl::finish_workflow_if_done() {
  if (status.finished_at) return;
  stop_main_tree_if_idle();
  Node* root = find_node_by_name(options.name);
  if (!root) {
    if (!terminating) return;
    status.phase = Phase::kFailed;
    status.message = shutdown_workflow_message;
    status.finished_at = now;
    progressed = true;
    return;
  }
  if (!run_workflow_hooks_and_exit()) return;
  root = find_node_by_name(options.name);
  if (!root || !root->fulfilled() || !running_pods.empty()) return;
  const Node* exit_node = nullptr;
  if (auto it = status.nodes.find(workflow_exit_node_id); it != status.nodes.end()) exit_node = &it->second;
  switch (root->phase) {
    case Phase::kSucceeded:
    case Phase::kSkipped:
    case Phase::kOmitted:
      // A failing exit handler fails a workflow that had succeeded.
      if (exit_node && is_failed_or_error(exit_node->phase)) {
        status.phase = exit_node->phase;
        status.message = exit_node->message;
      } else {
        status.phase = Phase::kSucceeded;
      }
      break;
    case Phase::kError:
      status.phase = Phase::kError;
      status.message = terminating ? shutdown_workflow_message : root->message;
      break;
    default:
      status.phase = Phase::kFailed;
      status.message = terminating ? shutdown_workflow_message : root->message;
      break;
  }
  status.finished_at = now;
  // Whatever it still holds or waits for goes with it.
  std::vector<std::string> holders;
  for (const auto& [holder, claim] : lock_claims) holders.push_back(holder);
  for (const auto& holder : holders) release_locks(holder);
  progressed = true;
}

}  // namespace skiff::engine
