// Workflow templates, cluster workflow templates and cron workflows: stored
// objects with create, list, get, update, delete and lint.
#include "server/api.h"

namespace skiff::server {

namespace {

struct Resource {
  store::ObjectKind kind;
  const char* kind_name;   // "WorkflowTemplate"
  const char* body_key;    // where create/update bodies carry the object
  bool cluster_scoped;
};

const Resource kWorkflowTemplate{store::ObjectKind::kWorkflowTemplate, "WorkflowTemplate", "template", false};
const Resource kClusterTemplate{store::ObjectKind::kClusterWorkflowTemplate, "ClusterWorkflowTemplate", "template",
                                true};
const Resource kCronWorkflow{store::ObjectKind::kCronWorkflow, "CronWorkflow", "cronWorkflow", false};

Json present(const Resource& r, const store::ObjectRecord& record) {
  Json object = record.body;
  object["apiVersion"] = "argoproj.io/v1alpha1";
  object["kind"] = r.kind_name;
  Json& meta = object["metadata"];
  meta["name"] = record.name;
  if (!r.cluster_scoped) meta["namespace"] = record.namespace_;
  meta["uid"] = record.uid;
  meta["resourceVersion"] = std::to_string(record.version);
  meta["generation"] = record.version;
  meta["creationTimestamp"] = format_rfc3339(record.created_at);
  return object;
}

Status scope(const Resource& r, const Request& request, std::string* ns) {
  *ns = r.cluster_scoped ? "" : request.param("namespace");
  if (r.cluster_scoped) return Status::ok();
  return check_namespace(request, *ns);
}

// The object in a create/update body, checked as `argo template lint` would.
Result<Json> object_from(Context& ctx, const Resource& r, const Request& request, const std::string& ns) {
  auto body = parse_body(request);
  if (!body) return body.status();
  if (!body->contains(r.body_key) || !(*body)[r.body_key].is_object()) {
    return invalid_argument(std::string(r.body_key) + ": required");
  }
  Json object = (*body)[r.body_key];
  object["apiVersion"] = "argoproj.io/v1alpha1";
  object["kind"] = r.kind_name;
  if (!object.contains("metadata") || !object["metadata"].is_object()) object["metadata"] = Json::object();
  if (!r.cluster_scoped) object["metadata"]["namespace"] = ns;
  Json meta = object["metadata"];
  if (meta.value("name", "").empty()) {
    if (meta.value("generateName", "").empty()) return invalid_argument("metadata.name: required");
  }
  SKIFF_RETURN_IF_ERROR(ctx.service.validate(object, ns));
  if (r.kind == store::ObjectKind::kCronWorkflow) SKIFF_RETURN_IF_ERROR(controller::check_cron(object));
  if (meta.value("name", "").empty()) object["metadata"]["name"] = controller::generate_name(meta.value("generateName", ""));
  for (const char* server_owned : {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}) {
    object["metadata"].erase(server_owned);
  }
  return object;
}

Handler create(const Resource& r) {
  return [&r](Context& ctx, const Request& request) {
    std::string ns;
    if (Status st = scope(r, request, &ns); !st) return error_response(st);
    auto object = object_from(ctx, r, request, ns);
    if (!object) return error_response(object.status());
    store::ObjectRecord record;
    record.namespace_ = ns;
    record.name = (*object)["metadata"]["name"];
    record.created_at = now_from(Clock::now());
    record.body = *object;
    auto stored = ctx.store.put_object(r.kind, record, /*replace=*/false);
    if (!stored) return error_response(stored.status());
    if (r.kind == store::ObjectKind::kCronWorkflow) ctx.service.crons_changed();
    return json_response(present(r, *stored));
  };
}

Handler update(const Resource& r) {
  return [&r](Context& ctx, const Request& request) {
    std::string ns;
    if (Status st = scope(r, request, &ns); !st) return error_response(st);
    auto object = object_from(ctx, r, request, ns);
    if (!object) return error_response(object.status());
    std::string name = request.param("name");
    if ((*object)["metadata"]["name"] != name) {
      return error_response(invalid_argument("metadata.name: \"" + (*object)["metadata"].value("name", "") +
                                             "\" does not match the path's \"" + name + "\""));
    }
    store::ObjectRecord record;
    record.namespace_ = ns;
    record.name = name;
    record.body = *object;
    auto stored = ctx.store.put_object(r.kind, record, /*replace=*/true);
    if (!stored) return error_response(stored.status());
    if (r.kind == store::ObjectKind::kCronWorkflow) ctx.service.crons_changed();
    return json_response(present(r, *stored));
  };
}

Handler get(const Resource& r) {
  return [&r](Context& ctx, const Request& request) {
    std::string ns;
    if (Status st = scope(r, request, &ns); !st) return error_response(st);
    auto record = ctx.store.get_object(r.kind, ns, request.param("name"));
    if (!record) return error_response(record.status());
    return json_response(project_fields(present(r, *record), request.query_value("fields")));
  };
}

Handler list(const Resource& r) {
  return [&r](Context& ctx, const Request& request) {
    std::string ns;
    if (Status st = scope(r, request, &ns); !st) return error_response(st);
    if (!r.cluster_scoped && ns.empty() && request.namespaces) {
      return error_response(Status(Code::kPermissionDenied, "the token may not list every namespace"));
    }
    auto labels = Selector::labels(request.query_value("listOptions.labelSelector"));
    if (!labels) return error_response(labels.status());
    auto records = ctx.store.list_objects(r.kind, ns);
    if (!records) return error_response(records.status());
    Json items = Json::array();
    for (const auto& record : *records) {
      Json object = present(r, record);
      if (!labels->matches(object["metadata"].value("labels", Json::object()))) continue;
      items.push_back(std::move(object));
    }
    Json out = {{"metadata", {{"resourceVersion", "0"}}}, {"items", std::move(items)}};
    return json_response(project_fields(out, request.query_value("fields")));
  };
}

Handler remove(const Resource& r) {
  return [&r](Context& ctx, const Request& request) {
    std::string ns;
    if (Status st = scope(r, request, &ns); !st) return error_response(st);
    Status removed = ctx.store.delete_object(r.kind, ns, request.param("name"));
    if (!removed) return error_response(removed);
    if (r.kind == store::ObjectKind::kCronWorkflow) ctx.service.crons_changed();
    return json_response(Json::object());
  };
}

Handler lint(const Resource& r) {
  return [&r](Context& ctx, const Request& request) {
    std::string ns;
    if (Status st = scope(r, request, &ns); !st) return error_response(st);
    auto object = object_from(ctx, r, request, ns);
    if (!object) return error_response(object.status());
    return json_response(*object);
  };
}

// PUT …/cron-workflows/{namespace}/{name}/suspend and /resume.
Handler set_suspend(bool suspend) {
  return [suspend](Context& ctx, const Request& request) {
    std::string ns;
    if (Status st = scope(kCronWorkflow, request, &ns); !st) return error_response(st);
    auto record = ctx.store.get_object(store::ObjectKind::kCronWorkflow, ns, request.param("name"));
    if (!record) return error_response(record.status());
    record->body["spec"]["suspend"] = suspend;
    auto stored = ctx.store.put_object(store::ObjectKind::kCronWorkflow, *record, /*replace=*/true);
    if (!stored) return error_response(stored.status());
    ctx.service.crons_changed();
    return json_response(present(kCronWorkflow, *stored));
  };
}

void add_crud(Router& router, const Resource& r, const std::string& base) {
  const std::string collection = r.cluster_scoped ? base : base + "/{namespace}";
  router.add("POST", collection, create(r));
  router.add("GET", collection, list(r));
  router.add("POST", collection + "/lint", lint(r));
  router.add("GET", collection + "/{name}", get(r));
  router.add("PUT", collection + "/{name}", update(r));
  router.add("DELETE", collection + "/{name}", remove(r));
}

}  // namespace

void add_template_routes(Router& router) {
  add_crud(router, kWorkflowTemplate, "/api/v1/workflow-templates");
  add_crud(router, kClusterTemplate, "/api/v1/cluster-workflow-templates");
  add_crud(router, kCronWorkflow, "/api/v1/cron-workflows");
  router.add("PUT", "/api/v1/cron-workflows/{namespace}/{name}/suspend", set_suspend(true));
  router.add("PUT", "/api/v1/cron-workflows/{namespace}/{name}/resume", set_suspend(false));
}

}  // namespace skiff::server
