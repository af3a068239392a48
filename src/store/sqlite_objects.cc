// Templates, cron workflows, the archive and the logs index in SQLite.
#include <random>

#include "sqlite_store.h"

namespace skiff::store::internal {
namespace {

Json parse_json(const std::string& text) { return Json::parse(text, nullptr, /*allow_exceptions=*/false); }

const char* resource_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kWorkflowTemplate: return "workflowtemplates.argoproj.io";
    case ObjectKind::kClusterWorkflowTemplate: return "clusterworkflowtemplates.argoproj.io";
    case ObjectKind::kCronWorkflow: return "cronworkflows.argoproj.io";
  }
  return "";
}

std::string new_uid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const char* hex = "0123456789abcdef";
  std::string uid = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  for (char& c : uid) {
    if (c == 'x') c = hex[rng() % 16];
    else if (c == 'y') c = hex[8 + rng() % 4];
  }
  return uid;
}

ObjectRecord read_object(const Statement& row) {
  ObjectRecord o;
  o.namespace_ = row.text(0);
  o.name = row.text(1);
  o.uid = row.text(2);
  o.created_at = from_micros(row.integer(3));
  o.version = row.integer(4);
  o.body = parse_json(row.text(5));
  return o;
}

ArchivedRecord read_archived(const Statement& row, bool with_body) {
  ArchivedRecord a;
  a.uid = row.text(0);
  a.namespace_ = row.text(1);
  a.name = row.text(2);
  a.phase = row.text(3);
  a.started_at = from_micros(row.integer(4));
  a.finished_at = from_micros(row.integer(5));
  a.labels = parse_json(row.text(6));
  if (with_body) a.body = parse_json(row.text(7));
  return a;
}

}  // namespace

std::string object_table(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kWorkflowTemplate: return "workflow_templates";
    case ObjectKind::kClusterWorkflowTemplate: return "cluster_workflow_templates";
    case ObjectKind::kCronWorkflow: return "cron_workflows";
  }
  return "";
}

Result<ObjectRecord> SqliteStore::put_object(ObjectKind kind, const ObjectRecord& object, bool replace) {
  const std::string table = object_table(kind);
  std::lock_guard lock(mu_);
  Transaction tx(*db_);
  SKIFF_RETURN_IF_ERROR(tx.begun());
  ObjectRecord stored = object;
  auto existing = db_->prepare("SELECT uid, created_at, version FROM " + table + " WHERE namespace = ?1 AND name = ?2");
  if (!existing) return existing.status();
  (*existing)->bind(1, object.namespace_).bind(2, object.name);
  bool found = (*existing)->next();
  if (found) {
    if (!replace) {
      return Status(Code::kAlreadyExists,
                    std::string(resource_name(kind)) + " \"" + object.name + "\" already exists");
    }
    stored.uid = (*existing)->text(0);
    stored.created_at = from_micros((*existing)->integer(1));
    stored.version = (*existing)->integer(2) + 1;
  } else {
    if (replace) {
      return not_found(std::string(resource_name(kind)) + " \"" + object.name + "\" not found");
    }
    if (stored.uid.empty()) stored.uid = new_uid();
    stored.version = 1;
  }
  existing->reset();
  auto write = db_->prepare("INSERT OR REPLACE INTO " + table +
                            " (namespace, name, uid, created_at, version, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!write) return write.status();
  SKIFF_RETURN_IF_ERROR((*write)->bind(1, stored.namespace_).bind(2, stored.name).bind(3, stored.uid)
                            .bind(4, micros(stored.created_at)).bind(5, stored.version)
                            .bind(6, stored.body.dump()).run());
  SKIFF_RETURN_IF_ERROR(tx.commit());
  return stored;
}

Result<ObjectRecord> SqliteStore::get_object(ObjectKind kind, const std::string& namespace_,
                                             const std::string& name) {
  std::lock_guard lock(mu_);
  auto select = db_->prepare("SELECT namespace, name, uid, created_at, version, body FROM " + object_table(kind) +
                             " WHERE namespace = ?1 AND name = ?2");
  if (!select) return select.status();
  (*select)->bind(1, namespace_).bind(2, name);
  if (!(*select)->next()) {
    if (!(*select)->status().is_ok()) return (*select)->status();
    return not_found(std::string(resource_name(kind)) + " \"" + name + "\" not found");
  }
  return read_object(**select);
}

Result<std::vector<ObjectRecord>> SqliteStore::list_objects(ObjectKind kind, const std::string& namespace_) {
  std::lock_guard lock(mu_);
  std::string sql = "SELECT namespace, name, uid, created_at, version, body FROM " + object_table(kind);
  if (!namespace_.empty()) sql += " WHERE namespace = ?1";
  sql += " ORDER BY namespace, name";
  auto select = db_->prepare(sql);
  if (!select) return select.status();
  if (!namespace_.empty()) (*select)->bind(1, namespace_);
  std::vector<ObjectRecord> out;
  while ((*select)->next()) out.push_back(read_object(**select));
  if (!(*select)->status().is_ok()) return (*select)->status();
  return out;
}

Status SqliteStore::delete_object(ObjectKind kind, const std::string& namespace_, const std::string& name) {
  std::lock_guard lock(mu_);
  auto remove = db_->prepare("DELETE FROM " + object_table(kind) + " WHERE namespace = ?1 AND name = ?2");
  if (!remove) return remove.status();
  SKIFF_RETURN_IF_ERROR((*remove)->bind(1, namespace_).bind(2, name).run());
  if (db_->changes() == 0) return not_found(std::string(resource_name(kind)) + " \"" + name + "\" not found");
  return Status::ok();
}

Status SqliteStore::archive_workflow(const ArchivedRecord& a) {
  std::lock_guard lock(mu_);
  auto write = db_->prepare(
      "INSERT OR REPLACE INTO archived_workflows (uid, namespace, name, phase, started_at, finished_at, labels, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!write) return write.status();
  return (*write)->bind(1, a.uid).bind(2, a.namespace_).bind(3, a.name).bind(4, a.phase)
      .bind(5, micros(a.started_at)).bind(6, micros(a.finished_at)).bind(7, a.labels.dump())
      .bind(8, a.body.dump()).run();
}

Result<std::vector<ArchivedRecord>> SqliteStore::list_archived(const ArchiveQuery& query) {
  std::lock_guard lock(mu_);
  std::string sql = std::string("SELECT uid, namespace, name, phase, started_at, finished_at, labels, ") +
                    (query.with_body ? "body" : "''") + " FROM archived_workflows";
  if (!query.namespace_.empty()) sql += " WHERE namespace = ?1";
  sql += " ORDER BY started_at DESC, uid";
  auto select = db_->prepare(sql);
  if (!select) return select.status();
  if (!query.namespace_.empty()) (*select)->bind(1, query.namespace_);
  std::vector<ArchivedRecord> out;
  size_t skipped = 0;
  while ((*select)->next()) {
    ArchivedRecord a = read_archived(**select, query.with_body);
    if (query.filter && !query.filter(a)) continue;
    if (skipped < query.offset) {
      ++skipped;
      continue;
    }
    out.push_back(std::move(a));
    if (query.limit != 0 && out.size() == query.limit) break;
  }
  if (!(*select)->status().is_ok()) return (*select)->status();
  return out;
}

Result<ArchivedRecord> SqliteStore::get_archived(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto select = db_->prepare(
      "SELECT uid, namespace, name, phase, started_at, finished_at, labels, body FROM archived_workflows "
      "WHERE uid = ?1");
  if (!select) return select.status();
  (*select)->bind(1, uid);
  if (!(*select)->next()) {
    if (!(*select)->status().is_ok()) return (*select)->status();
    return not_found("archived workflow " + uid + " not found");
  }
  return read_archived(**select, true);
}

Status SqliteStore::delete_archived(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto remove = db_->prepare("DELETE FROM archived_workflows WHERE uid = ?1");
  if (!remove) return remove.status();
  SKIFF_RETURN_IF_ERROR((*remove)->bind(1, uid).run());
  if (db_->changes() == 0) return not_found("archived workflow " + uid + " not found");
  return Status::ok();
}

Status SqliteStore::put_log(const std::string& workflow_uid, const LogRecord& log) {
  std::lock_guard lock(mu_);
  auto write = db_->prepare(
      "INSERT OR REPLACE INTO logs (workflow_uid, node_id, pod_name, path) VALUES (?1, ?2, ?3, ?4)");
  if (!write) return write.status();
  return (*write)->bind(1, workflow_uid).bind(2, log.node_id).bind(3, log.pod_name).bind(4, log.path).run();
}

Result<std::vector<LogRecord>> SqliteStore::logs(const std::string& workflow_uid) {
  std::lock_guard lock(mu_);
  auto select = db_->prepare("SELECT node_id, pod_name, path FROM logs WHERE workflow_uid = ?1 ORDER BY node_id");
  if (!select) return select.status();
  (*select)->bind(1, workflow_uid);
  std::vector<LogRecord> out;
  while ((*select)->next()) out.push_back({(*select)->text(0), (*select)->text(1), (*select)->text(2)});
  if (!(*select)->status().is_ok()) return (*select)->status();
  return out;
}

}  // namespace skiff::store::internal
