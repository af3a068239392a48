// Cron workflows: the service starts a workflow at each scheduled time, as
// Argo's cron controller does (concurrencyPolicy, startingDeadlineSeconds,
// history limits, suspend, `when`), recording lastScheduledTime, the active
// workflows and how many children succeeded and failed in the
// CronWorkflow's status.
#include "controller/cron.h"
#include "controller/service_internal.h"
#include "expr/expr.h"

namespace skiff::controller {

using internal::CronSchedule;
using internal::TimeZone;

namespace {

const char kCronLabel[] = "workflows.argoproj.io/cron-workflow";

std::vector<std::string> schedule_texts(const Json& spec) {
  std::vector<std::string> out;
  if (spec.contains("schedule") && spec["schedule"].is_string() && !spec["schedule"].get<std::string>().empty()) {
    out.push_back(spec["schedule"]);
  }
  if (spec.contains("schedules") && spec["schedules"].is_array()) {
    for (const auto& s : spec["schedules"]) {
      if (s.is_string()) out.push_back(s);
    }
  }
  return out;
}

// The variables `when` sees, as Argo's cronworkflow.* (v3.6).
Json when_environment(const Json& cron) {
  auto object_at = [](const Json& parent, const char* key) {
    auto it = parent.find(key);
    return it != parent.end() && it->is_object() ? *it : Json::object();
  };
  const Json meta = object_at(cron, "metadata");
  const Json status = object_at(cron, "status");
  Json labels = object_at(meta, "labels");
  Json annotations = object_at(meta, "annotations");
  Json vars = {{"name", meta.value("name", "")},
               {"namespace", meta.value("namespace", "")},
               {"failed", status.value("failed", 0)},
               {"succeeded", status.value("succeeded", 0)},
               {"lastScheduledTime", nullptr}};
  if (auto last = parse_rfc3339(status.value("lastScheduledTime", ""))) {
    vars["lastScheduledTime"] = expr::time_value(*last);
  }
  // labels.json and annotations.json: the maps as JSON text (a label named
  // "json" wins, as a key of the map).
  const std::string labels_json = labels.dump(), annotations_json = annotations.dump();
  if (!labels.contains("json")) labels["json"] = labels_json;
  if (!annotations.contains("json")) annotations["json"] = annotations_json;
  vars["labels"] = std::move(labels);
  vars["annotations"] = std::move(annotations);
  return {{"cronworkflow", std::move(vars)}};
}

}  // namespace

Status check_cron(const Json& cron) {
  const Json spec = cron.value("spec", Json::object());
  auto texts = schedule_texts(spec);
  if (texts.empty()) return invalid_argument("spec.schedule: a cron workflow needs a schedule");
  for (const auto& text : texts) {
    auto parsed = CronSchedule::parse(text);
    if (!parsed) return parsed.status();
  }
  auto zone = TimeZone::load(spec.value("timezone", ""));
  if (!zone) return zone.status();
  if (auto when = spec.find("when"); when != spec.end()) {
    if (!when->is_string()) return invalid_argument("spec.when: expected a string");
    if (Status checked = expr::check_template_condition(when->get<std::string>()); !checked.is_ok()) {
      return invalid_argument("spec.when: " + checked.message());
    }
  }
  std::string policy = spec.value("concurrencyPolicy", "Allow");
  if (policy != "Allow" && policy != "Forbid" && policy != "Replace") {
    return invalid_argument("spec.concurrencyPolicy: \"" + policy + "\" is not one of Allow, Forbid, Replace");
  }
  return Status::ok();
}

void Service::crons_changed() {
  impl_->crons_dirty.store(true);
  impl_->wake();
}

void Service::Impl::reload_crons(Time now) {
  crons.clear();
  auto records = store.list_objects(store::ObjectKind::kCronWorkflow, "");
  if (!records) return;
  for (auto& record : *records) {
    CronState state;
    const Json spec = record.body.value("spec", Json::object());
    for (const auto& text : schedule_texts(spec)) {
      if (auto parsed = CronSchedule::parse(text); parsed) state.schedules.push_back(*parsed);
    }
    auto zone = TimeZone::load(spec.value("timezone", ""));
    if (!zone || state.schedules.empty()) continue;
    state.zone = *zone;
    state.namespace_ = record.namespace_;
    state.name = record.name;
    // Runs missed while the server was down start now if they are within
    // startingDeadlineSeconds, as Argo does; otherwise they are skipped.
    const Json status = record.body.value("status", Json::object());
    Time last = parse_rfc3339(status.value("lastScheduledTime", "")).value_or(record.created_at);
    if (spec.contains("startingDeadlineSeconds") && spec["startingDeadlineSeconds"].is_number()) {
      Time window = now - std::chrono::seconds(spec["startingDeadlineSeconds"].get<int64_t>());
      std::optional<Time> missed;
      for (const auto& schedule : state.schedules) {
        for (auto t = schedule.next(std::max(last, window - std::chrono::seconds(1)), *state.zone); t && *t <= now;
             t = schedule.next(*t, *state.zone)) {
          if (*t > last && (!missed || *t > *missed)) missed = t;
        }
      }
      if (missed) state.next = missed;
    }
    if (!state.next) {
      for (const auto& schedule : state.schedules) {
        auto t = schedule.next(std::max(now, last), *state.zone);
        if (t && (!state.next || *t < *state.next)) state.next = t;
      }
    }
    crons[record.namespace_ + "/" + record.name] = std::move(state);
  }
}

std::optional<Time> Service::Impl::next_cron() const {
  std::optional<Time> earliest;
  for (const auto& [key, state] : crons) {
    if (state.next && (!earliest || *state.next < *earliest)) earliest = state.next;
  }
  return earliest;
}

void Service::Impl::run_due_crons(Time now) {
  if (crons_dirty.exchange(false)) reload_crons(now);
  for (auto& [key, state] : crons) {
    if (!state.next || *state.next > now) continue;
    Time scheduled = *state.next;
    state.next.reset();
    for (const auto& schedule : state.schedules) {
      auto t = schedule.next(std::max(now, scheduled), *state.zone);
      if (t && (!state.next || *t < *state.next)) state.next = t;
    }
    run_cron(state, scheduled, now);
  }
}

void Service::Impl::run_cron(CronState& state, Time scheduled, Time now) {
  auto record = store.get_object(store::ObjectKind::kCronWorkflow, state.namespace_, state.name);
  if (!record) return;
  Json cron = record->body;
  const Json spec = cron.value("spec", Json::object());
  if (spec.value("suspend", false)) return;
  // `when` false skips this run altogether: lastScheduledTime stays that of
  // the last run, which is what conditions on it measure from.
  if (auto when = spec.find("when"); when != spec.end() && when->is_string() && !when->get<std::string>().empty()) {
    auto proceed = expr::evaluate_template_condition(when->get<std::string>(), when_environment(cron), now);
    if (!proceed || !*proceed) {
      Json conditions = Json::array();
      if (!proceed) {
        conditions.push_back({{"type", "SpecError"}, {"status", "True"},
                              {"message", "spec.when: " + proceed.status().message()}});
      }
      if (!cron["status"].is_object()) cron["status"] = Json::object();
      if (cron["status"].value("conditions", Json::array()) != conditions) {
        cron["status"]["conditions"] = conditions;
        store::ObjectRecord updated = *record;
        updated.body = cron;
        (void)store.put_object(store::ObjectKind::kCronWorkflow, updated, /*replace=*/true);
      }
      return;
    }
  }

  // The workflows this cron started that are still running.
  store::WorkflowQuery query;
  query.namespace_ = state.namespace_;
  query.with_manifest = false;
  const std::string name = state.name;
  query.filter = [&name](const store::WorkflowRecord& w) { return w.labels.value(kCronLabel, "") == name; };
  auto children = store.list_workflows(query);
  if (!children) return;
  std::vector<store::WorkflowRecord> active;
  for (const auto& child : children->items) {
    if (!child.finished()) active.push_back(child);
  }
  std::string policy = spec.value("concurrencyPolicy", "Allow");
  bool run = true;
  if (!active.empty() && policy == "Forbid") run = false;
  if (!active.empty() && policy == "Replace") {
    for (const auto& child : active) terminate_now(child.uid, now);
    active.clear();
  }

  if (run) {
    Json wf = {{"metadata", spec.value("workflowMetadata", Json::object())},
               {"spec", spec.value("workflowSpec", Json::object())}};
    int64_t unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(scheduled.time_since_epoch()).count();
    wf["metadata"]["name"] = state.name + "-" + std::to_string(unix_seconds);
    wf["metadata"]["labels"][kCronLabel] = state.name;
    wf["metadata"]["annotations"]["workflows.argoproj.io/scheduled-time"] = format_rfc3339(scheduled);
    auto prepared = prepare(wf, state.namespace_);
    if (prepared) {
      Status created = store.create_workflow(*prepared);
      // The same name means this scheduled time already ran (before a restart).
      auto stored = created.is_ok() ? store.get_workflow_by_uid(prepared->uid) : Result<store::WorkflowRecord>(created);
      if (stored && load(*stored, /*replay=*/false).is_ok()) {
        queued.push_back(prepared->uid);
        active.push_back(*prepared);
        publish({"ADDED", prepared->namespace_, prepared->name, workflow_object(*prepared, nullptr)});
      }
    } else {
      cron["status"]["conditions"] = Json::array(
          {{{"type", "SubmissionError"}, {"status", "True"}, {"message", prepared.status().message()}}});
    }
  }

  // Keep the newest finished children within the history limits.
  int keep_succeeded = spec.value("successfulJobsHistoryLimit", 3);
  int keep_failed = spec.value("failedJobsHistoryLimit", 1);
  for (const auto& child : children->items) {  // newest first
    if (!child.finished()) continue;
    int& budget = child.phase == "Succeeded" ? keep_succeeded : keep_failed;
    if (budget > 0) {
      --budget;
      continue;
    }
    // As any deletion: artifact GC, step directories, the DELETED event.
    (void)remove_now(child.uid, now);
  }

  cron["status"]["lastScheduledTime"] = format_rfc3339(scheduled);
  if (run && cron["status"].contains("conditions")) {
    Json kept = Json::array();
    for (const auto& c : cron["status"]["conditions"]) {
      if (c.value("type", "") != "SpecError") kept.push_back(c);
    }
    cron["status"]["conditions"] = kept;
  }
  Json refs = Json::array();
  for (const auto& child : active) {
    refs.push_back({{"kind", "Workflow"}, {"apiVersion", "argoproj.io/v1alpha1"}, {"name", child.name},
                    {"namespace", child.namespace_}, {"uid", child.uid}});
  }
  cron["status"]["active"] = refs;
  store::ObjectRecord updated = *record;
  updated.body = cron;
  (void)store.put_object(store::ObjectKind::kCronWorkflow, updated, /*replace=*/true);
}

void Service::Impl::count_cron_child(const store::WorkflowRecord& child) {
  const std::string cron_name = child.labels.value(kCronLabel, "");
  if (cron_name.empty() || (child.phase != "Succeeded" && child.phase != "Failed" && child.phase != "Error")) return;
  auto record = store.get_object(store::ObjectKind::kCronWorkflow, child.namespace_, cron_name);
  if (!record) return;
  store::ObjectRecord updated = *record;
  Json& status = updated.body["status"];
  if (!status.is_object()) status = Json::object();
  const char* counter = child.phase == "Succeeded" ? "succeeded" : "failed";
  status[counter] = status.value(counter, 0) + 1;
  (void)store.put_object(store::ObjectKind::kCronWorkflow, updated, /*replace=*/true);
}

}  // namespace skiff::controller
