// Submitting workflows to the service, and the Workflow object as stored.
#include <set>

#include "controller/service_internal.h"

namespace skiff::controller {

namespace {

const char* kind_name(engine::Event::Kind kind) {
  switch (kind) {
    case engine::Event::Kind::kStepStarted: return "started";
    case engine::Event::Kind::kStepReady: return "ready";
    case engine::Event::Kind::kStepFinished: return "finished";
    case engine::Event::Kind::kContainerStarted: return "container-started";
    case engine::Event::Kind::kContainerFinished: return "container-finished";
    case engine::Event::Kind::kTimer: return "timer";
    case engine::Event::Kind::kTerminate: return "terminate";
    case engine::Event::Kind::kStop: return "stop";
    case engine::Event::Kind::kCacheAnswer: return "cache";
    case engine::Event::Kind::kLockAnswer: return "lock";
    case engine::Event::Kind::kSuspend: return "suspend";
    case engine::Event::Kind::kResume: return "resume";
    case engine::Event::Kind::kSetNode: return "set";
  }
  return "timer";
}

// Objects in `over` win; everything else comes from `under` (workflowDefaults).
Json merge_under(const Json& under, const Json& over) {
  if (!under.is_object() || !over.is_object()) return over.is_null() ? under : over;
  Json out = under;
  for (auto& [key, value] : over.items()) out[key] = out.contains(key) ? merge_under(out[key], value) : value;
  return out;
}

// Names of templates referenced from `doc` (templateRef, workflowTemplateRef).
void collect_refs(const Json& doc, std::set<std::pair<bool, std::string>>* refs) {
  if (doc.is_object()) {
    for (auto& [key, value] : doc.items()) {
      if ((key == "templateRef" || key == "workflowTemplateRef") && value.is_object() &&
          value.contains("name") && value["name"].is_string()) {
        refs->insert({value.value("clusterScope", false), value["name"].get<std::string>()});
      }
      collect_refs(value, refs);
    }
  } else if (doc.is_array()) {
    for (const auto& item : doc) collect_refs(item, refs);
  }
}

}  // namespace

namespace internal {

Json encode_event(const engine::Event& e) {
  Json j = {{"k", kind_name(e.kind)}};
  if (!e.node_id.empty()) j["node"] = e.node_id;
  if (e.kind == engine::Event::Kind::kContainerStarted || e.kind == engine::Event::Kind::kContainerFinished) {
    j["containers"] = Json::array({{{"name", e.containers.front().name}, {"exit", e.containers.front().exit_code}}});
  }
  if (e.kind == engine::Event::Kind::kStepFinished) {
    j["exit"] = e.exit_code;
    if (e.killed) j["killed"] = true;
    if (!e.result.empty()) j["result"] = e.result;
    if (!e.files.empty()) j["files"] = e.files;
    if (!e.error.empty()) j["error"] = e.error;
    if (!e.artifacts.is_null()) j["artifacts"] = e.artifacts;
    if (!e.containers.empty()) {
      Json containers = Json::array();
      for (const auto& c : e.containers) containers.push_back({{"name", c.name}, {"exit", c.exit_code}});
      j["containers"] = containers;
    }
  }
  if (e.kind == engine::Event::Kind::kCacheAnswer) {
    j["hit"] = e.cache_hit;
    if (!e.cache_outputs.is_null()) j["outputs"] = e.cache_outputs;
    j["created"] = e.cache_created.time_since_epoch().count();
  }
  if (e.kind == engine::Event::Kind::kLockAnswer) {
    if (e.lock_acquired) j["acquired"] = true;
    if (!e.error.empty()) j["error"] = e.error;
    if (!e.message.empty()) j["message"] = e.message;
    if (!e.lock_key.empty()) j["lock"] = e.lock_key;
    if (!e.lock_holders.empty()) j["holders"] = e.lock_holders;
  }
  if (!e.host_node_name.empty()) j["host"] = e.host_node_name;
  if (!e.pod_ip.empty()) j["ip"] = e.pod_ip;
  if (e.is_command()) {
    if (!e.node_field_selector.empty()) j["selector"] = e.node_field_selector;
    if (!e.phase.empty()) j["phase"] = e.phase;
    if (!e.message.empty()) j["message"] = e.message;
    if (!e.output_parameters.empty()) j["parameters"] = e.output_parameters;
  }
  return j;
}

engine::Event decode_event(const Json& j) {
  engine::Event e;
  std::string kind = j.value("k", "timer");
  e.kind = kind == "started"     ? engine::Event::Kind::kStepStarted
           : kind == "ready"     ? engine::Event::Kind::kStepReady
           : kind == "finished"  ? engine::Event::Kind::kStepFinished
           : kind == "container-started"  ? engine::Event::Kind::kContainerStarted
           : kind == "container-finished" ? engine::Event::Kind::kContainerFinished
           : kind == "terminate" ? engine::Event::Kind::kTerminate
           : kind == "stop"      ? engine::Event::Kind::kStop
           : kind == "cache"     ? engine::Event::Kind::kCacheAnswer
           : kind == "lock"      ? engine::Event::Kind::kLockAnswer
           : kind == "suspend"   ? engine::Event::Kind::kSuspend
           : kind == "resume"    ? engine::Event::Kind::kResume
           : kind == "set"       ? engine::Event::Kind::kSetNode
                                 : engine::Event::Kind::kTimer;
  e.node_id = j.value("node", "");
  e.exit_code = j.value("exit", 0);
  e.killed = j.value("killed", false);
  e.result = j.value("result", "");
  if (j.contains("files")) e.files = j["files"].get<std::map<std::string, std::string>>();
  e.error = j.value("error", "");
  if (j.contains("artifacts")) e.artifacts = j["artifacts"];
  e.host_node_name = j.value("host", "");
  e.pod_ip = j.value("ip", "");
  for (const auto& c : j.value("containers", Json::array())) e.containers.push_back({c.value("name", ""), c.value("exit", 0)});
  e.lock_acquired = j.value("acquired", false);
  e.lock_key = j.value("lock", "");
  if (j.contains("holders")) e.lock_holders = j["holders"].get<std::vector<std::string>>();
  e.cache_hit = j.value("hit", false);
  if (j.contains("outputs")) e.cache_outputs = j["outputs"];
  e.cache_created = Time(Duration(j.value("created", int64_t{0})));
  e.node_field_selector = j.value("selector", "");
  e.phase = j.value("phase", "");
  e.message = j.value("message", "");
  if (j.contains("parameters")) {
    e.output_parameters = j["parameters"].get<std::vector<std::pair<std::string, std::string>>>();
  }
  return e;
}

}  // namespace internal

Result<engine::WorkflowStatus> carried_status(const Json& carried) {
  return engine::status_from_json(carried.value("status", Json::object()), carried.value("nodes", Json::object()),
                                  carried.value("from", ""));
}

Result<engine::WorkflowStatus> carried_start(const Json& carried, const std::string& name, Time now) {
  auto previous = carried_status(carried);
  if (!previous) return previous.status();
  auto retry = carried.find("retry");
  if (retry == carried.end()) return engine::memoized_status(*previous, carried.value("from", ""), name, now);
  engine::RetryRequest request;
  request.restart_successful = retry->value("restartSuccessful", false);
  request.node_field_selector = retry->value("nodeFieldSelector", "");
  return engine::retry_status(*previous, name, request, now);
}

Json workflow_labels(const store::WorkflowRecord& record) {
  Json labels = record.labels.is_object() ? record.labels : Json::object();
  if (!record.phase.empty()) labels["workflows.argoproj.io/phase"] = record.phase;
  labels["workflows.argoproj.io/completed"] = record.finished() ? "true" : "false";
  return labels;
}

Json workflow_object(const store::WorkflowRecord& record, const std::vector<store::NodeRecord>* nodes) {
  Json wf = Json::object();
  wf["apiVersion"] = "argoproj.io/v1alpha1";
  wf["kind"] = "Workflow";
  Json meta = record.manifest.is_object() ? record.manifest.value("metadata", Json::object()) : Json::object();
  meta["name"] = record.name;
  meta["namespace"] = record.namespace_;
  meta["uid"] = record.uid;
  meta["resourceVersion"] = std::to_string(record.version);
  meta["creationTimestamp"] = format_rfc3339(record.created_at);
  meta["labels"] = workflow_labels(record);
  wf["metadata"] = std::move(meta);
  wf["spec"] = record.manifest.is_object() ? record.manifest.value("spec", Json::object()) : Json::object();
  Json status = record.status.is_object() ? record.status : Json::object();
  if (nodes && !nodes->empty()) {
    Json map = Json::object();
    for (const auto& node : *nodes) map[node.id] = node.body;
    status["nodes"] = std::move(map);
  }
  wf["status"] = std::move(status);
  return wf;
}

Result<std::vector<Json>> Service::library(const std::string& namespace_) {
  std::vector<Json> out;
  auto templates = impl_->store.list_objects(store::ObjectKind::kWorkflowTemplate, namespace_);
  if (!templates) return templates.status();
  for (auto& t : *templates) out.push_back(std::move(t.body));
  auto cluster = impl_->store.list_objects(store::ObjectKind::kClusterWorkflowTemplate, "");
  if (!cluster) return cluster.status();
  for (auto& t : *cluster) out.push_back(std::move(t.body));
  return out;
}

std::string generate_name(const std::string& prefix) {
  spec::Object named;
  named.kind = "Workflow";
  named.doc = {{"metadata", {{"generateName", prefix}}}};
  return workflow_name(named);
}

namespace {

Result<std::vector<spec::Object>> parse_all(const std::vector<Json>& docs) {
  std::vector<spec::Object> out;
  for (const Json& d : docs) {
    auto lib = spec::parse_documents(d.dump(), d.value("kind", "") + "/" + d["metadata"].value("name", ""));
    if (lib) {
      for (auto& o : *lib) out.push_back(std::move(o));
    }
  }
  return out;
}

}  // namespace

Status Service::validate(const Json& object, const std::string& namespace_) {
  std::string label = object.value("kind", "object") + "/" +
                      (object.contains("metadata") ? object["metadata"].value("name", "") : std::string());
  auto parsed = spec::parse_documents(object.dump(), label);
  if (!parsed) return parsed.status();
  if (parsed->size() != 1) return invalid_argument(label + ": expected one object");
  auto docs = library(namespace_);
  if (!docs) return docs.status();
  auto objects = parse_all(*docs);
  if (!objects) return objects.status();
  return spec::lint(parsed->front(), *objects);
}

Result<store::WorkflowRecord> Service::Impl::prepare(const Json& input, const std::string& namespace_) {
  if (!input.is_object()) return invalid_argument("workflow: expected an object");
  Json doc = merge_under(options.config.workflow_defaults.is_object()
                             ? options.config.workflow_defaults
                             : Json::object(),
                         input);
  doc["apiVersion"] = "argoproj.io/v1alpha1";
  doc["kind"] = "Workflow";
  doc["metadata"]["namespace"] = namespace_;
  if (doc.contains("status")) doc.erase("status");
  auto parsed = spec::parse_documents(doc.dump(), "workflow");
  if (!parsed) return parsed.status();
  if (parsed->size() != 1) return invalid_argument("workflow: expected one Workflow");
  const spec::Object& object = parsed->front();

  std::vector<Json> library_docs;
  auto templates = store.list_objects(store::ObjectKind::kWorkflowTemplate, namespace_);
  if (!templates) return templates.status();
  for (auto& t : *templates) library_docs.push_back(std::move(t.body));
  auto cluster = store.list_objects(store::ObjectKind::kClusterWorkflowTemplate, "");
  if (!cluster) return cluster.status();
  for (auto& t : *cluster) library_docs.push_back(std::move(t.body));
  const std::vector<Json>* docs = &library_docs;
  auto library_objects = parse_all(*docs);
  if (!library_objects) return library_objects.status();
  SKIFF_RETURN_IF_ERROR(spec::lint(object, *library_objects));

  // Keep the templates this workflow uses, as they are now: a later edit of
  // a template does not change a workflow already submitted (Argo stores
  // them in status.storedTemplates for the same reason).
  std::set<std::pair<bool, std::string>> wanted, done;
  collect_refs(doc, &wanted);
  Json snapshot = Json::array();
  while (!wanted.empty()) {
    auto ref = *wanted.begin();
    wanted.erase(wanted.begin());
    if (!done.insert(ref).second) continue;
    for (const Json& d : *docs) {
      bool cluster = d.value("kind", "") == "ClusterWorkflowTemplate";
      if (cluster == ref.first && d["metadata"].value("name", "") == ref.second) {
        snapshot.push_back(d);
        std::set<std::pair<bool, std::string>> more;
        collect_refs(d, &more);
        for (auto& m : more) {
          if (!done.count(m)) wanted.insert(m);
        }
      }
    }
  }

  store::WorkflowRecord record;
  record.uid = random_uid();
  record.namespace_ = namespace_;
  record.name = workflow_name(object);
  record.created_at = now_from(Clock::now());
  Json meta = doc["metadata"];
  meta.erase("namespace");
  meta.erase("generateName");
  meta.erase("resourceVersion");
  meta.erase("uid");
  meta.erase("creationTimestamp");
  if (doc["metadata"].contains("generateName")) meta["generateName"] = doc["metadata"]["generateName"];
  record.labels = meta.value("labels", Json::object());
  record.manifest = {{"metadata", meta}, {"spec", doc.value("spec", Json::object())}};
  record.run_options = {{"library", snapshot}};
  return record;
}

Result<Json> Service::submit(const Json& input, const std::string& namespace_, bool dry_run, const Json* carried) {
  auto prepared = impl_->prepare(input, namespace_);
  if (!prepared) return prepared.status();
  store::WorkflowRecord record = std::move(*prepared);
  if (carried) {
    // Refused now rather than when it starts: the same rewrite runs then.
    auto seeded = carried_start(*carried, record.name, now_from(Clock::now()));
    if (!seeded) return seeded.status();
    record.run_options["memoized"] = *carried;
  }
  if (dry_run) return workflow_object(record, nullptr);

  // A generated name can be taken: five characters from 27 collide often
  // among thousands of workflows. Kubernetes draws again in that case.
  const Json& meta = record.manifest["metadata"];
  const bool generated = meta.value("name", "").empty() && meta.contains("generateName") &&
                         meta["generateName"].is_string();
  Status created = impl_->store.create_workflow(record);
  for (int attempt = 0; generated && created.code() == Code::kAlreadyExists && attempt < 8; ++attempt) {
    record.name = generate_name(meta["generateName"].get<std::string>());
    created = impl_->store.create_workflow(record);
  }
  SKIFF_RETURN_IF_ERROR(created);
  impl_->publish({"ADDED", record.namespace_, record.name, workflow_object(record, nullptr)});
  auto done_promise = std::make_shared<std::promise<Status>>();
  auto started = done_promise->get_future();
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return Status(Code::kUnavailable, "the server is shutting down");
    impl_->jobs.push_back({internal::Job::Kind::kStart, record.uid, done_promise});
  }
  impl_->wake();
  Status status = started.get();
  if (!status.is_ok()) {
    (void)impl_->store.delete_workflow(record.uid);
    return status;
  }
  auto stored = impl_->store.get_workflow_by_uid(record.uid);
  if (!stored) return workflow_object(record, nullptr);
  return workflow_object(*stored, nullptr);
}

}  // namespace skiff::controller
