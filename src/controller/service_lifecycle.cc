// What happens to a workflow after it finished, as Argo's controller does
// it: the archive (persistence.archive, archiveTTL), spec.ttlStrategy,
// spec.podGC and the controller's retentionPolicy.
//
// Everything due later is kept as a time in memory and rechecked against
// the store when due, so a retry that ran the workflow again, or a delete
// in between, is never acted on from a stale reading. A restart rebuilds
// the times from the store: what fell due while the server was down
// happens right after it starts.
//
// "Deleting a pod" here removes the step's directory under the steps
// directory except its log file, which the API keeps serving (the logs
// index points at it).
#include <filesystem>

#include "controller/service_internal.h"

namespace skiff::controller {

using internal::LiveWorkflow;

namespace {

bool failed_phase(const std::string& phase) { return phase == "Failed" || phase == "Error"; }

// The object at `key`, or null: read on every stored change, so no copies.
const Json* member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? &*it : nullptr;
}

// ttlStrategy's delay for a workflow that ended in `phase`, as Argo picks
// it: the phase-specific field first, then secondsAfterCompletion.
std::optional<Duration> ttl_after(const Json& manifest, const std::string& phase) {
  const Json* spec = member(manifest, "spec");
  const Json* ttl = spec ? member(*spec, "ttlStrategy") : nullptr;
  if (!ttl) return std::nullopt;
  auto seconds = [&](const char* key) -> std::optional<Duration> {
    auto it = ttl->find(key);
    if (it == ttl->end() || !it->is_number_integer()) return std::nullopt;
    return std::chrono::seconds(std::max<int64_t>(0, it->get<int64_t>()));
  };
  if (phase == "Succeeded") {
    if (auto d = seconds("secondsAfterSuccess")) return d;
  } else if (failed_phase(phase)) {
    if (auto d = seconds("secondsAfterFailure")) return d;
  }
  return seconds("secondsAfterCompletion");
}

struct PodGc {
  std::string strategy;  // "" when the workflow asks for none
  Duration delay{};
  Json label_selector;   // a Kubernetes LabelSelector; null: every pod
};

PodGc pod_gc_of(const Json& manifest, const config::Config& config) {
  PodGc gc;
  const Json* spec = member(manifest, "spec");
  const Json* found = spec ? member(*spec, "podGC") : nullptr;
  if (!found) return gc;
  const Json& pod_gc = *found;
  gc.strategy = pod_gc.value("strategy", "");
  // Argo's controller waits podGCDeleteDelayDuration (5s unless configured)
  // unless the workflow names its own delay.
  gc.delay = config.pod_gc_delete_delay.value_or(std::chrono::seconds(5));
  if (auto selector = pod_gc.find("labelSelector"); selector != pod_gc.end() && selector->is_object()) {
    gc.label_selector = *selector;
  }
  auto delay = pod_gc.find("deleteDelayDuration");
  if (delay != pod_gc.end() && delay->is_string()) {
    if (auto parsed = parse_duration(delay->get<std::string>())) gc.delay = *parsed;
  }
  return gc;
}

bool node_ended(const Json& node) {
  const std::string phase = node.value("phase", "");
  return phase == "Succeeded" || failed_phase(phase) || phase == "Skipped" || phase == "Omitted";
}

// A Kubernetes LabelSelector (matchLabels, matchExpressions with In,
// NotIn, Exists, DoesNotExist) against a pod's labels.
bool selects(const Json& selector, const Json& labels) {
  if (!selector.is_object()) return true;
  auto label = [&](const std::string& key) -> std::optional<std::string> {
    auto it = labels.find(key);
    if (it == labels.end()) return std::nullopt;
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  const Json match_labels = selector.value("matchLabels", Json::object());
  for (const auto& [key, value] : match_labels.items()) {
    if (label(key) != (value.is_string() ? value.get<std::string>() : value.dump())) return false;
  }
  const Json expressions = selector.value("matchExpressions", Json::array());
  for (const auto& e : expressions) {
    const auto have = label(e.value("key", ""));
    const std::string op = e.value("operator", "");
    bool listed = false;
    if (have) {
      for (const auto& v : e.value("values", Json::array())) listed = listed || (v.is_string() && v == *have);
    }
    if (op == "In" && !listed) return false;
    if (op == "NotIn" && listed) return false;
    if (op == "Exists" && !have) return false;
    if (op == "DoesNotExist" && have) return false;
  }
  return true;
}

// The labels a step's pod would carry: the workflow's podMetadata and its
// template's metadata (as written; expressions in them are not resolved),
// and the workflow's name as Argo labels every pod.
Json pod_labels(const store::WorkflowRecord& record, const Json& node) {
  Json labels = Json::object();
  const Json spec = record.manifest.value("spec", Json::object());
  auto add = [&](const Json& metadata) {
    if (!metadata.is_object() || !metadata.contains("labels") || !metadata["labels"].is_object()) return;
    for (const auto& [k, v] : metadata["labels"].items()) labels[k] = v;
  };
  add(spec.value("podMetadata", Json::object()));
  const std::string template_name = node.value("templateName", "");
  const Json templates = spec.value("templates", Json::array());
  for (const auto& t : templates) {
    if (t.is_object() && t.value("name", "") == template_name) add(t.value("metadata", Json::object()));
  }
  labels["workflows.argoproj.io/workflow"] = record.name;
  return labels;
}

void remove_step_dir(const std::filesystem::path& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().filename() == "log") continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

}  // namespace

void Service::Impl::recover_lifecycle(Time now) {
  const auto& persistence = options.config.persistence;
  // A workflow stored as finished whose archiving a crash cut short is
  // archived now; one already past archiveTTL would only be swept again.
  std::set<std::string> archived;
  if (persistence.archive) {
    if (auto all = store.list_archived(store::ArchiveQuery{})) {
      for (const auto& record : *all) archived.insert(record.uid);
    }
  }
  store::WorkflowQuery finished;
  finished.finished = true;
  if (auto page = store.list_workflows(finished)) {
    for (const auto& record : page->items) {
      if (auto ttl = ttl_after(record.manifest, record.phase)) expiries.emplace(record.finished_at + *ttl, record.uid);
      if (!persistence.archive || archived.count(record.uid) || live.count(record.uid)) continue;
      if (persistence.archive_ttl && record.finished_at + *persistence.archive_ttl <= now) continue;
      auto nodes = store.nodes(record.uid);
      archive(record, workflow_object(record, nodes ? &*nodes : nullptr));
    }
  }
  if (persistence.archive && persistence.archive_ttl) archive_sweep_at = now;
}

void Service::Impl::archive(const store::WorkflowRecord& record, const Json& object) {
  const auto& persistence = options.config.persistence;
  if (!persistence.archive || !selects(persistence.archive_label_selector, workflow_labels(record))) return;
  store::ArchivedRecord archived;
  archived.uid = record.uid;
  archived.namespace_ = record.namespace_;
  archived.name = record.name;
  archived.phase = record.phase;
  archived.started_at = record.started_at;
  archived.finished_at = record.finished_at;
  archived.labels = workflow_labels(record);
  archived.body = object;
  Status stored = store.archive_workflow(archived);
  if (!stored.is_ok()) {
    std::fprintf(stderr, "skiff server: workflow %s/%s: archiving: %s\n", record.namespace_.c_str(),
                 record.name.c_str(), stored.message().c_str());
  } else if (auto ttl = persistence.archive_ttl) {
    Time due = archived.finished_at + *ttl;
    if (!archive_sweep_at || due < *archive_sweep_at) archive_sweep_at = due;
  }
}

void Service::Impl::discard_step_dirs(const std::string& uid, const Json& last, const std::set<std::string>& running) {
  const std::filesystem::path root(options.steps_dir);
  std::error_code ignored;
  auto nodes = last.is_object() ? last.value("status", Json::object()).value("nodes", Json::object()) : Json();
  if (nodes.is_object()) {
    for (const auto& [id, node] : nodes.items()) {
      if (!node.is_object() || node.value("type", "") != "Pod") continue;
      const std::string step = uid + "_" + id;
      if (running.count(id)) discarded_steps.insert(step);
      else std::filesystem::remove_all(root / step, ignored);
    }
  }
  std::filesystem::remove_all(root / uid, ignored);
}

void Service::Impl::after_persist(LiveWorkflow& wf, const std::vector<store::NodeRecord>& changed,
                                  bool just_finished, Time now) {
  const PodGc gc = pod_gc_of(wf.record.manifest, options.config);
  auto collect = [&](const std::string& node_id, const Json& node) {
    if (!gc.label_selector.is_null() && !selects(gc.label_selector, pod_labels(wf.record, node))) return;
    const std::string dir = step_id(wf, node_id);
    if (gc.delay.count() <= 0) remove_step_dir(std::filesystem::path(options.steps_dir) / dir);
    else pod_gc_due.emplace(now + gc.delay, dir);
  };
  if (gc.strategy == "OnPodCompletion" || gc.strategy == "OnPodSuccess") {
    for (const auto& node : changed) {
      if (node.body.value("type", "") != "Pod" || !node_ended(node.body) || wf.running.count(node.id)) continue;
      if (gc.strategy == "OnPodSuccess" && node.body.value("phase", "") != "Succeeded") continue;
      collect(node.id, node.body);
    }
  }
  if (!just_finished) return;

  const std::string& phase = wf.record.phase;
  count_cron_child(wf.record);
  if (gc.strategy == "OnWorkflowCompletion" || (gc.strategy == "OnWorkflowSuccess" && phase == "Succeeded")) {
    for (const auto& [id, body] : wf.written_nodes) {
      if (body.value("type", "") == "Pod") collect(id, body);
    }
  }
  if (options.config.persistence.archive) archive(wf.record, object_of(wf, now));
  if (auto ttl = ttl_after(wf.record.manifest, phase)) expiries.emplace(wf.record.finished_at + *ttl, wf.record.uid);
  const auto& retention = options.config.retention_policy;
  if (retention.completed || retention.failed || retention.errored) retention_due = true;
}

std::optional<Time> Service::Impl::next_lifecycle() const {
  std::optional<Time> next;
  auto earlier = [&](Time t) {
    if (!next || t < *next) next = t;
  };
  if (!expiries.empty()) earlier(expiries.begin()->first);
  if (!pod_gc_due.empty()) earlier(pod_gc_due.begin()->first);
  if (archive_sweep_at) earlier(*archive_sweep_at);
  if (retention_due) earlier(Time{});
  return next;
}

void Service::Impl::run_lifecycle(Time now) {
  while (!pod_gc_due.empty() && pod_gc_due.begin()->first <= now) {
    remove_step_dir(std::filesystem::path(options.steps_dir) / pod_gc_due.begin()->second);
    pod_gc_due.erase(pod_gc_due.begin());
  }
  while (!expiries.empty() && expiries.begin()->first <= now) {
    const std::string uid = expiries.begin()->second;
    expiries.erase(expiries.begin());
    if (live.count(uid)) continue;  // running again (a retry): its next finish schedules anew
    auto record = store.get_workflow_by_uid(uid);
    if (!record || !record->finished()) continue;
    auto ttl = ttl_after(record->manifest, record->phase);
    if (!ttl) continue;
    if (record->finished_at + *ttl > now) {
      expiries.emplace(record->finished_at + *ttl, uid);
      continue;
    }
    (void)remove_now(uid, now);
  }
  if (retention_due) {
    retention_due = false;
    apply_retention(now);
  }
  if (archive_sweep_at && *archive_sweep_at <= now) {
    archive_sweep_at.reset();
    const Duration ttl = options.config.persistence.archive_ttl.value_or(Duration::zero());
    store::ArchiveQuery all;
    auto archived = store.list_archived(all);
    if (archived) {
      for (const auto& record : *archived) {
        Time due = record.finished_at + ttl;
        if (due <= now) (void)store.delete_archived(record.uid);
        else if (!archive_sweep_at || due < *archive_sweep_at) archive_sweep_at = due;
      }
    }
  }
}

void Service::Impl::apply_retention(Time now) {
  const auto& retention = options.config.retention_policy;
  auto keep_at_most = [&](const char* phase, std::optional<int> limit) {
    if (!limit) return;
    store::WorkflowQuery query;
    query.phases = {phase};
    query.finished = true;
    query.with_manifest = false;
    auto page = store.list_workflows(query);
    if (!page) return;
    // Newest first: what lies past the limit is the oldest.
    for (size_t i = static_cast<size_t>(std::max(0, *limit)); i < page->items.size(); ++i) {
      if (!live.count(page->items[i].uid)) (void)remove_now(page->items[i].uid, now);
    }
  };
  keep_at_most("Succeeded", retention.completed);
  keep_at_most("Failed", retention.failed);
  keep_at_most("Error", retention.errored);
}

}  // namespace skiff::controller
