// spec::lint: the workflow-level rules (entrypoint, workflowTemplateRef,
// arguments, onExit, hooks, podGC) and the global variables every template
// may use; the per-template rules live in lint_templates.cc and lint_graph.cc.
#include "spec/lint_rules.h"

namespace skiff::spec {

using namespace lint_internal;

namespace {

constexpr size_t kMaxObjectName = 63;
constexpr size_t kMaxCronWorkflowName = 52;  // leaves room for the "-<unix time>" suffix

void add_keys(const Json* map, const std::string& prefix, Scope& scope) {
  if (!map || !map->is_object()) return;
  for (auto it = map->begin(); it != map->end(); ++it) scope.add(prefix + it.key());
}

// Argument parameters of the workflow, with those of the referenced
// template filling in names the workflow does not set.
Json merged_arguments(const Json& spec, const Json* referenced_spec) {
  const Json* own = member(spec, "arguments");
  Json merged = own && own->is_object() ? *own : Json::object();
  const Json* theirs = referenced_spec ? member(*referenced_spec, "arguments") : nullptr;
  if (!theirs) return merged;
  for (const char* kind : {"parameters", "artifacts"}) {
    Json items = merged.contains(kind) && merged[kind].is_array() ? merged[kind] : Json::array();
    for (const auto& item : list(*theirs, kind)) {
      bool overridden = false;
      for (const auto& mine : items) overridden |= text(mine, "name") == text(item, "name");
      if (!overridden) items.push_back(item);
    }
    merged[kind] = std::move(items);
  }
  return merged;
}

void add_globals(Context& ctx, const Json& arguments) {
  Scope& globals = ctx.globals;
  for (const char* name : {"workflow.name", "workflow.namespace", "workflow.mainEntrypoint",
                           "workflow.serviceAccountName", "workflow.uid", "workflow.status", "workflow.failures",
                           "workflow.annotations", "workflow.annotations.json", "workflow.labels",
                           "workflow.labels.json"})
    globals.add(name);
  const Json& params = list(arguments, "parameters");
  if (!params.empty()) {
    globals.add("workflow.parameters");
    globals.add("workflow.parameters.json");
  }
  for (const auto& param : params) globals.add("workflow.parameters." + text(param, "name"));
  if (const Json* meta = member(ctx.object.doc, "metadata")) {
    add_keys(member(*meta, "annotations"), "workflow.annotations.", globals);
    add_keys(member(*meta, "labels"), "workflow.labels.", globals);
  }
  for (const Json* spec : {ctx.spec, ctx.referenced_spec}) {
    const Json* wf_meta = spec ? member(*spec, "workflowMetadata") : nullptr;
    if (!wf_meta) continue;
    add_keys(member(*wf_meta, "annotations"), "workflow.annotations.", globals);
    add_keys(member(*wf_meta, "labels"), "workflow.labels.", globals);
    add_keys(member(*wf_meta, "labelsFrom"), "workflow.labels.", globals);
  }
  if (has(*ctx.spec, "priority")) globals.add("workflow.priority");
  globals.open_workflow_parameters = ctx.template_validation;
  // Global outputs become visible as the templates exporting them are met;
  // allowing them everywhere keeps the result independent of that order.
  for (const Json* spec : {ctx.spec, ctx.referenced_spec}) {
    if (!spec) continue;
    for (const auto& tmpl : list(*spec, "templates")) {
      const Json* outputs = member(tmpl, "outputs");
      if (!outputs) continue;
      for (const char* kind : {"parameters", "artifacts"}) {
        for (const auto& item : list(*outputs, kind)) {
          std::string global = text(item, "globalName");
          if (global.empty()) continue;
          if (!contains_tag(global))
            globals.add(std::string("workflow.outputs.") + kind + "." + global);
          else if (kind == std::string_view("parameters"))
            globals.any_workflow_output_parameter = true;
          else
            globals.any_workflow_output_artifact = true;
        }
      }
    }
  }
}

std::string object_name_error(const Object& object) {
  std::string name = object.name();
  size_t limit = object.kind == "CronWorkflow" ? kMaxCronWorkflowName : kMaxObjectName;
  if (name.size() <= limit) return "";
  std::string what = object.kind == "Workflow"                  ? "workflow name"
                     : object.kind == "WorkflowTemplate"        ? "workflow template name"
                     : object.kind == "ClusterWorkflowTemplate" ? "cluster workflow template name"
                                                                : "cron workflow name";
  return what + " \"" + name + "\" must not be more than " + std::to_string(limit) +
         " characters long (currently " + std::to_string(name.size()) + ")";
}

// Finds the WorkflowTemplate behind spec.workflowTemplateRef.
void resolve_workflow_template_ref(Context& ctx) {
  const Json* ref = member(*ctx.spec, "workflowTemplateRef");
  if (!ref) return;
  std::string ref_pointer = child(ctx.spec_pointer, "workflowTemplateRef");
  if (!list(*ctx.spec, "templates").empty())
    ctx.problems.add(child(ctx.spec_pointer, "templates"),
                     "Templates is invalid field in spec if workflow referred WorkflowTemplate reference");
  const Json* cluster = member(*ref, "clusterScope");
  bool cluster_scope = cluster && cluster->is_boolean() && cluster->get<bool>();
  std::string kind = cluster_scope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
  std::string name = text(*ref, "name");
  for (const auto& object : ctx.library) {
    if (object.kind == kind && object.name() == name) {
      ctx.referenced_spec = member(object.doc, "spec");
      if (ctx.referenced_spec) return;
    }
  }
  ctx.problems.add(ref_pointer, std::string(cluster_scope ? "clusterworkflowtemplates" : "workflowtemplates") +
                                    ".argoproj.io \"" + name + "\" not found");
}

// The entrypoint and onExit templates: they must exist, and a Workflow's
// arguments must supply their inputs.
void check_entry(Context& ctx, const std::string& field, const Json& arguments, bool check_inputs) {
  std::string name = text(*ctx.spec, field);
  if (name.empty() && ctx.referenced_spec) name = text(*ctx.referenced_spec, field);
  std::string pointer = child(ctx.spec_pointer, field);
  if (name.empty()) {
    if (field == "entrypoint" && !ctx.template_validation && !has(*ctx.spec, "workflowTemplateRef"))
      ctx.problems.add(pointer, "spec.entrypoint is required");
    return;
  }
  const Json* tmpl = ctx.local_template(name);
  if (!tmpl) {
    const Json* ref = member(*ctx.spec, "workflowTemplateRef");
    if (ctx.referenced_spec)
      ctx.problems.add(pointer, "template reference " + text(*ref, "name") + "." + name + " not found");
    else if (!ref)  // an unresolved workflowTemplateRef is reported once, on its own
      ctx.problems.add(pointer, "template name '" + name + "' undefined");
    return;
  }
  if (check_inputs) {
    bool has_args = member(*ctx.spec, "arguments") != nullptr;
    ctx.check_supplied(*tmpl, &arguments, has_args ? child(ctx.spec_pointer, "arguments") : pointer, "");
  }
}

void check_workflow_fields(Context& ctx) {
  const Json& spec = *ctx.spec;
  if (const Json* gc = member(spec, "podGC")) {
    static const std::set<std::string> kStrategies = {"", "OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion",
                                                      "OnWorkflowSuccess"};
    std::string strategy = text(*gc, "strategy");
    if (!kStrategies.count(strategy))
      ctx.problems.add(child(child(ctx.spec_pointer, "podGC"), "strategy"),
                       "podGC.strategy unknown strategy '" + strategy + "'");
  }
  if (const Json* deadline = member(spec, "activeDeadlineSeconds"); deadline && deadline->is_number() &&
                                                                     deadline->get<double>() < 0)
    ctx.problems.add(child(ctx.spec_pointer, "activeDeadlineSeconds"),
                     "spec.activeDeadlineSeconds must be a positive integer or 0");
  check_hooks(ctx, spec, ctx.spec_pointer, "hooks");
}

void check_cron_fields(Context& ctx) {
  const Json& cron = ctx.object.doc["spec"];
  std::string policy = text(cron, "concurrencyPolicy");
  if (!policy.empty() && policy != "Allow" && policy != "Forbid" && policy != "Replace")
    ctx.problems.add("/spec/concurrencyPolicy", "'" + policy + "' is not a valid concurrencyPolicy");
  if (const Json* deadline = member(cron, "startingDeadlineSeconds");
      deadline && deadline->is_number() && deadline->get<double>() < 0)
    ctx.problems.add("/spec/startingDeadlineSeconds", "startingDeadlineSeconds must be positive");
  if (!text(cron, "schedule").empty() && !list(cron, "schedules").empty())
    ctx.problems.add("/spec/schedules",
                     "cron workflow cant be configured with both Spec.Schedule and Spec.Schedules");
}

}  // namespace

Status lint(const Object& object, const std::vector<Object>& library) {
  const std::string& kind = object.kind;
  bool cron = kind == "CronWorkflow";
  if (kind != "Workflow" && kind != "WorkflowTemplate" && kind != "ClusterWorkflowTemplate" && !cron)
    return Status::ok();
  Context ctx(object, library);
  ctx.template_validation = kind != "Workflow" && !cron;
  ctx.spec_pointer = cron ? "/spec/workflowSpec" : "/spec";
  const Json* outer = member(object.doc, "spec");
  ctx.spec = outer && cron ? member(*outer, "workflowSpec") : outer;
  if (!ctx.spec || !ctx.spec->is_object()) {
    ctx.problems.add(ctx.spec_pointer, ctx.spec_pointer.substr(1) + " is required");
    return ctx.problems.to_status();
  }
  if (std::string error = object_name_error(object); !error.empty()) ctx.problems.add("/metadata/name", error);
  if (cron) check_cron_fields(ctx);

  resolve_workflow_template_ref(ctx);
  std::string templates_pointer = child(ctx.spec_pointer, "templates");
  const Json& templates = list(*ctx.spec, "templates");
  check_names(templates, NameKind::kField, "spec.templates", templates_pointer, ctx.problems);
  Json arguments = merged_arguments(*ctx.spec, ctx.referenced_spec);
  if (const Json* own = member(*ctx.spec, "arguments"))
    check_arguments(*own, "spec.arguments.", child(ctx.spec_pointer, "arguments"), true, ctx.problems);
  add_globals(ctx, arguments);

  // A WorkflowTemplate's entrypoint gets its arguments from the workflow that
  // submits it, so only a Workflow's arguments are held to its inputs.
  check_entry(ctx, "entrypoint", arguments, !ctx.template_validation);
  check_entry(ctx, "onExit", arguments, true);
  check_workflow_fields(ctx);
  for (size_t i = 0; i < templates.size(); ++i) check_template(ctx, templates[i], child(templates_pointer, i));
  return ctx.problems.to_status();
}

}  // namespace skiff::spec
