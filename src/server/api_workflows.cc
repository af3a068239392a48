// /api/v1/workflows: create, list, get, delete, lint, submit, suspend, resume,
// stop, terminate, set, retry, resubmit.
#include "base/strings.h"
#include "server/api.h"
#include "server/list_index.h"

namespace skiff::server {

namespace {

std::string namespace_of(Context& ctx, const Request& request, const Json& body) {
  std::string ns = request.param("namespace");
  if (ns.empty() && body.is_object()) ns = body.value("namespace", "");
  if (ns.empty()) ns = ctx.managed_namespace.empty() ? "default" : ctx.managed_namespace;
  return ns;
}

bool wants_dry_run(const Json& body) {
  if (body.value("serverDryRun", false)) return true;
  const Json options = body.value("createOptions", Json::object());
  for (const auto& mode : options.value("dryRun", Json::array())) {
    if (mode == "All") return true;
  }
  return false;
}

// Does the caller's `fields` need status.nodes? Loading nodes for every
// workflow of a long list is the expensive part.
bool needs_nodes(const std::string& fields, const std::string& prefix) {
  if (trim(fields).empty()) return true;
  std::string_view text = trim(fields);
  bool exclude = text.front() == '-';
  if (exclude) text.remove_prefix(1);
  for (const auto& part : split(text, ',')) {
    std::string path(trim(part));
    bool covers_nodes = path == prefix + "status.nodes" || starts_with(path, prefix + "status.nodes.") ||
                        path == prefix + "status" || path == prefix.substr(0, prefix.size() - 1) ||
                        (prefix.empty() && path.empty());
    if (covers_nodes) return !exclude;
  }
  return exclude;
}

Response create(Context& ctx, const Request& request) {
  auto body = parse_body(request);
  if (!body) return error_response(body.status());
  std::string ns = namespace_of(ctx, request, *body);
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  if (!body->contains("workflow") || !(*body)["workflow"].is_object()) {
    return error_response(invalid_argument("workflow: required"));
  }
  auto created = ctx.service.submit((*body)["workflow"], ns, wants_dry_run(*body));
  if (!created) return error_response(created.status());
  return json_response(*created);
}

Response lint(Context& ctx, const Request& request) {
  auto body = parse_body(request);
  if (!body) return error_response(body.status());
  std::string ns = namespace_of(ctx, request, *body);
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  if (!body->contains("workflow") || !(*body)["workflow"].is_object()) {
    return error_response(invalid_argument("workflow: required"));
  }
  auto linted = ctx.service.submit((*body)["workflow"], ns, /*dry_run=*/true);
  if (!linted) return error_response(linted.status());
  return json_response(*linted);
}

Response list(Context& ctx, const Request& request) {
  ListRequest list;
  list.namespace_ = request.param("namespace");
  if (request.namespaces && list.namespace_.empty()) {
    return error_response(Status(Code::kPermissionDenied, "the token may not list every namespace"));
  }
  if (!list.namespace_.empty()) {
    if (Status st = check_namespace(request, list.namespace_); !st) return error_response(st);
  }
  auto labels = Selector::labels(request.query_value("listOptions.labelSelector"));
  if (!labels) return error_response(labels.status());
  list.labels = std::move(*labels);
  auto fields = Selector::fields(request.query_value("listOptions.fieldSelector"));
  if (!fields) return error_response(fields.status());
  list.fields = std::move(*fields);
  if (Status st = read_paging(request, &list.limit, &list.continue_token); !st) return error_response(st);
  list.projection = request.query_value("fields");
  Response response;
  if (ctx.list_index) {
    if (auto body = ctx.list_index->list(list)) {
      response.body = std::move(*body);
      return response;
    }
  }
  auto body = list_from_store(ctx.store, list);
  if (!body) return error_response(body.status());
  response.body = std::move(*body);
  return response;
}

Response get(Context& ctx, const Request& request) {
  std::string ns = request.param("namespace");
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  auto wf = ctx.service.get(ns, request.param("name"));
  if (!wf) return error_response(wf.status());
  return json_response(project_fields(*wf, request.query_value("fields")));
}

Response remove(Context& ctx, const Request& request) {
  std::string ns = request.param("namespace");
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  // Argo's `force`: delete even when the workflow's artifacts could not be.
  Status removed = ctx.service.remove(ns, request.param("name"), request.query_value("force") == "true");
  if (!removed) return error_response(removed);
  return json_response(Json::object());
}

// PUT …/{name}/suspend|resume|stop|terminate|set: the bodies of Argo's
// Workflow{Suspend,Resume,Stop,Terminate,Set}Request; the answer is the
// Workflow as it stands after the command.
Response run_command(Context& ctx, const Request& request, controller::Command::Verb verb) {
  std::string ns = request.param("namespace");
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  auto body = parse_body(request);
  if (!body) return error_response(body.status());
  auto text = [&](const char* key) {
    auto it = body->find(key);
    return it != body->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  controller::Command command;
  command.verb = verb;
  command.node_field_selector = text("nodeFieldSelector");
  command.message = text("message");
  command.phase = text("phase");
  if (std::string params = text("outputParameters"); !params.empty()) {
    // A JSON object of name -> value, as `argo node set` sends it.
    Json parsed = Json::parse(params, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return error_response(invalid_argument("outputParameters: expected a JSON object of name to value"));
    }
    for (auto& [name, value] : parsed.items()) {
      command.output_parameters.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  if (verb == controller::Command::Verb::kSetNode && command.node_field_selector.empty()) {
    return error_response(invalid_argument("nodeFieldSelector is required"));
  }
  Status done = ctx.service.command(ns, request.param("name"), command);
  if (!done) return error_response(done);
  auto wf = ctx.service.get(ns, request.param("name"));
  if (!wf) return error_response(wf.status());
  return json_response(*wf);
}

Response suspend(Context& ctx, const Request& r) { return run_command(ctx, r, controller::Command::Verb::kSuspend); }
Response resume(Context& ctx, const Request& r) { return run_command(ctx, r, controller::Command::Verb::kResume); }
Response stop(Context& ctx, const Request& r) { return run_command(ctx, r, controller::Command::Verb::kStop); }
Response terminate(Context& ctx, const Request& r) { return run_command(ctx, r, controller::Command::Verb::kTerminate); }
Response set(Context& ctx, const Request& r) { return run_command(ctx, r, controller::Command::Verb::kSetNode); }

// PUT …/{name}/retry, Argo's RetryWorkflowRequest: the workflow runs again
// in place; the answer is the Workflow as it stands after the retry.
Response retry(Context& ctx, const Request& request) {
  std::string ns = request.param("namespace");
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  auto body = parse_body(request);
  if (!body) return error_response(body.status());
  engine::RetryRequest retry;
  retry.restart_successful = body->value("restartSuccessful", false);
  if (auto selector = body->find("nodeFieldSelector"); selector != body->end() && selector->is_string()) {
    retry.node_field_selector = selector->get<std::string>();
  }
  auto parameters = parameter_pairs(*body);
  if (!parameters) return error_response(parameters.status());
  retry.parameters = std::move(*parameters);
  std::string name = request.param("name");
  if (Status done = ctx.service.retry(ns, name, retry); !done) return error_response(done);
  auto wf = ctx.service.get(ns, name);
  if (!wf) return error_response(wf.status());
  return json_response(*wf);
}

// A new workflow with the same spec, named after the old one, as `argo
// resubmit` makes it; with `memoized`, what the old one achieved is carried
// over and only the rest runs.
Response resubmit(Context& ctx, const Request& request) {
  std::string ns = request.param("namespace");
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  auto body = parse_body(request);
  if (!body) return error_response(body.status());
  auto record = ctx.store.get_workflow(ns, request.param("name"));
  if (!record) return error_response(record.status());
  std::vector<store::NodeRecord> nodes;
  if (body->value("memoized", false)) {
    auto loaded = ctx.store.nodes(record->uid);
    if (!loaded) return error_response(loaded.status());
    nodes = std::move(*loaded);
  }
  return resubmit_from(ctx, controller::workflow_object(*record, &nodes), *body);
}

}  // namespace

bool list_needs_nodes(const std::string& projection) { return needs_nodes(projection, "items."); }

Result<std::string> list_from_store(store::Store& store, const ListRequest& list) {
  store::WorkflowQuery query;
  query.namespace_ = list.namespace_;
  query.with_manifest = true;
  query.with_run_options = false;
  query.limit = list.limit;
  query.continue_token = list.continue_token;
  if (!list.labels.empty() || !list.fields.empty()) {
    query.filter = [&](const store::WorkflowRecord& w) {
      if (!list.labels.matches(controller::workflow_labels(w))) return false;
      Json values = {{"metadata.name", w.name}, {"metadata.namespace", w.namespace_},
                     {"status.phase", w.phase}, {"metadata.uid", w.uid}};
      return list.fields.matches(values);
    };
  }
  auto page = store.list_workflows(query);
  if (!page) return page.status();
  const bool with_nodes = list_needs_nodes(list.projection);
  Json items = Json::array();
  for (const auto& record : page->items) {
    std::vector<store::NodeRecord> nodes;
    if (with_nodes) {
      auto loaded = store.nodes(record.uid);
      if (loaded) nodes = std::move(*loaded);
    }
    items.push_back(controller::workflow_object(record, with_nodes ? &nodes : nullptr));
  }
  Json meta = Json::object();
  meta["resourceVersion"] = "0";
  if (!page->continue_token.empty()) meta["continue"] = page->continue_token;
  if (page->remaining) meta["remainingItemCount"] = *page->remaining;
  Json out = {{"metadata", meta}, {"items", std::move(items)}};
  return project_fields(out, list.projection).dump();
}

Result<std::vector<std::pair<std::string, std::string>>> parameter_pairs(const Json& body) {
  std::vector<std::pair<std::string, std::string>> out;
  const Json list = body.value("parameters", Json::array());
  if (!list.is_array()) return invalid_argument("parameters: expected a list of \"NAME=VALUE\" strings");
  for (const auto& p : list) {
    std::string text = p.is_string() ? p.get<std::string>() : p.dump();
    auto eq = text.find('=');
    if (!p.is_string() || eq == std::string::npos) {
      return invalid_argument("expected parameter of the form: NAME=VALUE. Received: " + text);
    }
    out.emplace_back(text.substr(0, eq), text.substr(eq + 1));
  }
  return out;
}

Json spec_to_run_again(const Json& old, const std::vector<std::pair<std::string, std::string>>& parameters) {
  Json spec = old.value("spec", Json::object());
  spec.erase("shutdown");
  // A deadline of 0 is how a stop was once recorded, not a deadline to keep.
  if (auto d = spec.find("activeDeadlineSeconds"); d != spec.end() && d->is_number() && d->get<double>() == 0) {
    spec.erase("activeDeadlineSeconds");
  }
  // New values for the parameters the workflow declares; others are ignored.
  if (spec.contains("arguments") && spec["arguments"].contains("parameters")) {
    for (auto& p : spec["arguments"]["parameters"]) {
      for (const auto& [key, value] : parameters) {
        if (p.value("name", "") != key) continue;
        p["value"] = value;
        p.erase("valueFrom");
      }
    }
  }
  return spec;
}

Response resubmit_from(Context& ctx, const Json& old, const Json& body) {
  auto parameters = parameter_pairs(body);
  if (!parameters) return error_response(parameters.status());
  const Json& old_meta = old.value("metadata", Json::object());
  const std::string ns = old_meta.value("namespace", "");
  const std::string name = old_meta.value("name", "");
  const Json old_status = old.value("status", Json::object());
  const std::string phase = old_status.value("phase", "");
  const bool memoized = body.value("memoized", false);
  if (memoized && phase != "Failed" && phase != "Error") {
    return error_response(invalid_argument("workflow must be Failed/Error to resubmit in memoized mode"));
  }
  Json meta = Json::object();
  meta["generateName"] = old_meta.value("generateName", name + "-");
  Json labels = old_meta.value("labels", Json::object());
  labels.erase("workflows.argoproj.io/phase");
  labels.erase("workflows.argoproj.io/completed");
  labels["workflows.argoproj.io/resubmitted-from-workflow"] = name;
  meta["labels"] = labels;
  if (old_meta.contains("annotations")) meta["annotations"] = old_meta["annotations"];
  Json wf = {{"metadata", meta}, {"spec", spec_to_run_again(old, *parameters)}};
  Json carried;
  if (memoized) {
    Json status = old_status;
    Json node_map = status.contains("nodes") ? status["nodes"] : Json::object();
    status.erase("nodes");
    carried = {{"from", name}, {"status", std::move(status)}, {"nodes", std::move(node_map)}};
  }
  auto created = ctx.service.submit(wf, ns, /*dry_run=*/false, memoized ? &carried : nullptr);
  if (!created) return error_response(created.status());
  return json_response(*created);
}

namespace {

// Submits a Workflow made from a WorkflowTemplate, ClusterWorkflowTemplate
// or CronWorkflow, as `argo submit --from` does.
Response submit(Context& ctx, const Request& request) {
  auto body = parse_body(request);
  if (!body) return error_response(body.status());
  std::string ns = namespace_of(ctx, request, *body);
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  std::string kind = body->value("resourceKind", "");
  std::string name = body->value("resourceName", "");
  if (name.empty()) return error_response(invalid_argument("resourceName: required"));
  store::ObjectKind object_kind;
  std::string lower;
  for (char c : kind) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "workflowtemplate") {
    object_kind = store::ObjectKind::kWorkflowTemplate;
  } else if (lower == "clusterworkflowtemplate") {
    object_kind = store::ObjectKind::kClusterWorkflowTemplate;
  } else if (lower == "cronworkflow") {
    object_kind = store::ObjectKind::kCronWorkflow;
  } else {
    return error_response(invalid_argument("resourceKind: \"" + kind + "\" is not supported"));
  }
  auto source = ctx.store.get_object(object_kind, object_kind == store::ObjectKind::kClusterWorkflowTemplate ? "" : ns,
                                     name);
  if (!source) return error_response(source.status());
  const Json options = body->value("submitOptions", Json::object());

  Json wf = {{"metadata", Json::object()}, {"spec", Json::object()}};
  Json& meta = wf["metadata"];
  if (object_kind == store::ObjectKind::kCronWorkflow) {
    wf["spec"] = source->body["spec"].value("workflowSpec", Json::object());
    meta = source->body["spec"].value("workflowMetadata", Json::object());
    meta["labels"]["workflows.argoproj.io/cron-workflow"] = name;
  } else {
    wf["spec"]["workflowTemplateRef"] = {{"name", name}};
    if (object_kind == store::ObjectKind::kClusterWorkflowTemplate) {
      wf["spec"]["workflowTemplateRef"]["clusterScope"] = true;
      meta["labels"]["workflows.argoproj.io/cluster-workflow-template"] = name;
    } else {
      meta["labels"]["workflows.argoproj.io/workflow-template"] = name;
    }
  }
  meta["generateName"] = options.value("generateName", name + "-");
  if (options.contains("name") && options["name"].is_string() && !options["name"].get<std::string>().empty()) {
    meta["name"] = options["name"];
  }
  if (options.contains("labels") && options["labels"].is_string()) {
    for (const auto& pair : split(options["labels"].get<std::string>(), ',')) {
      auto eq = pair.find('=');
      if (eq != std::string::npos) meta["labels"][std::string(trim(pair.substr(0, eq)))] = std::string(trim(pair.substr(eq + 1)));
    }
  }
  if (options.contains("entryPoint") && options["entryPoint"].is_string() &&
      !options["entryPoint"].get<std::string>().empty()) {
    wf["spec"]["entrypoint"] = options["entryPoint"];
  }
  if (options.contains("serviceAccount") && options["serviceAccount"].is_string() &&
      !options["serviceAccount"].get<std::string>().empty()) {
    wf["spec"]["serviceAccountName"] = options["serviceAccount"];
  }
  for (const auto& p : options.value("parameters", Json::array())) {
    if (!p.is_string()) return error_response(invalid_argument("submitOptions.parameters: expected \"name=value\" strings"));
    std::string text = p.get<std::string>();
    auto eq = text.find('=');
    if (eq == std::string::npos) {
      return error_response(invalid_argument("submitOptions.parameters: \"" + text + "\" is not name=value"));
    }
    Json& params = wf["spec"]["arguments"]["parameters"];
    if (!params.is_array()) params = Json::array();
    std::string key = text.substr(0, eq);
    bool replaced = false;
    for (auto& existing : params) {
      if (existing.value("name", "") == key) {
        existing["value"] = text.substr(eq + 1);
        replaced = true;
      }
    }
    if (!replaced) params.push_back({{"name", key}, {"value", text.substr(eq + 1)}});
  }
  bool dry_run = options.value("dryRun", false) || options.value("serverDryRun", false);
  auto created = ctx.service.submit(wf, ns, dry_run);
  if (!created) return error_response(created.status());
  return json_response(*created);
}

}  // namespace

void add_workflow_routes(Router& router) {
  router.add("POST", "/api/v1/workflows/{namespace}", create);
  router.add("GET", "/api/v1/workflows/{namespace}", list);
  router.add("GET", "/api/v1/workflows", list);
  router.add("POST", "/api/v1/workflows/{namespace}/lint", lint);
  router.add("POST", "/api/v1/workflows/{namespace}/submit", submit);
  router.add("GET", "/api/v1/workflows/{namespace}/{name}", get);
  router.add("DELETE", "/api/v1/workflows/{namespace}/{name}", remove);
  router.add("PUT", "/api/v1/workflows/{namespace}/{name}/suspend", suspend);
  router.add("PUT", "/api/v1/workflows/{namespace}/{name}/resume", resume);
  router.add("PUT", "/api/v1/workflows/{namespace}/{name}/stop", stop);
  router.add("PUT", "/api/v1/workflows/{namespace}/{name}/terminate", terminate);
  router.add("PUT", "/api/v1/workflows/{namespace}/{name}/set", set);
  router.add("PUT", "/api/v1/workflows/{namespace}/{name}/resubmit", resubmit);
  router.add("PUT", "/api/v1/workflows/{namespace}/{name}/retry", retry);
}

}  // namespace skiff::server
