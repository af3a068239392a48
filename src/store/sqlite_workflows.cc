// Workflows, nodes and events in SQLite.
#include <sys/stat.h>

#include "migrations.h"
#include "sqlite_store.h"

namespace skiff::store {
namespace internal {
namespace {

Json parse_json(const std::string& text) {
  if (text.empty()) return nullptr;
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

const char* const kWorkflowColumns =
    "uid, namespace, name, phase, created_at, started_at, finished_at, labels, status, version, manifest, "
    "run_options";
const char* const kWorkflowColumnsLight =
    "uid, namespace, name, phase, created_at, started_at, finished_at, labels, status, version, '', ''";
const char* const kWorkflowColumnsShown =
    "uid, namespace, name, phase, created_at, started_at, finished_at, labels, status, version, manifest, ''";

WorkflowRecord read_workflow(const Statement& row) {
  WorkflowRecord w;
  w.uid = row.text(0);
  w.namespace_ = row.text(1);
  w.name = row.text(2);
  w.phase = row.text(3);
  w.created_at = from_micros(row.integer(4));
  w.started_at = from_micros(row.integer(5));
  w.finished_at = from_micros(row.integer(6));
  w.labels = parse_json(row.text(7));
  w.status = parse_json(row.text(8));
  w.version = row.integer(9);
  w.manifest = parse_json(row.text(10));
  Json options = parse_json(row.text(11));
  w.run_options = options.is_null() ? Json::object() : options;
  return w;
}

// "<created_at>:<uid>" of the last row returned: the next page starts after it.
std::string make_token(const WorkflowRecord& w) {
  return std::to_string(micros(w.created_at)) + ":" + w.uid;
}

bool read_token(const std::string& token, int64_t* created, std::string* uid) {
  auto colon = token.find(':');
  if (colon == std::string::npos) return false;
  char* end = nullptr;
  *created = std::strtoll(token.c_str(), &end, 10);
  if (end != token.c_str() + colon) return false;
  *uid = token.substr(colon + 1);
  return true;
}

}  // namespace

int64_t micros(Time t) { return t.time_since_epoch().count(); }
Time from_micros(int64_t us) { return Time(Duration(us)); }

Status SqliteStore::migrate() {
  std::lock_guard lock(mu_);
  SKIFF_RETURN_IF_ERROR(db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  auto version = db_->prepare("PRAGMA user_version");
  if (!version) return version.status();
  int64_t current = (*version)->next() ? (*version)->integer(0) : 0;
  version->reset();
  for (const Migration& m : migrations()) {
    if (m.number <= current) continue;
    Transaction tx(*db_);
    SKIFF_RETURN_IF_ERROR(tx.begun());
    Status applied = db_->exec(m.sql);
    if (!applied) return applied.with_context("migration " + m.file);
    SKIFF_RETURN_IF_ERROR(db_->exec("PRAGMA user_version=" + std::to_string(m.number)));
    SKIFF_RETURN_IF_ERROR(tx.commit());
  }
  return Status::ok();
}

Status SqliteStore::create_workflow(const WorkflowRecord& w) {
  std::lock_guard lock(mu_);
  auto insert = db_->prepare(
      "INSERT INTO workflows (uid, namespace, name, phase, created_at, started_at, finished_at, labels, manifest, "
      "status, run_options, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)");
  if (!insert) return insert.status();
  Status status = (*insert)
                      ->bind(1, w.uid).bind(2, w.namespace_).bind(3, w.name).bind(4, w.phase)
                      .bind(5, micros(w.created_at)).bind(6, micros(w.started_at)).bind(7, micros(w.finished_at))
                      .bind(8, w.labels.dump()).bind(9, w.manifest.dump()).bind(10, w.status.dump())
                      .bind(11, w.run_options.dump())
                      .run();
  if (status.code() == Code::kAlreadyExists) {
    return Status(Code::kAlreadyExists, "workflows.argoproj.io \"" + w.name + "\" already exists");
  }
  return status;
}

Result<WorkflowRecord> SqliteStore::get_workflow_where(const std::string& where, const std::string& a,
                                                       const std::string& b) {
  std::lock_guard lock(mu_);
  auto select = db_->prepare(std::string("SELECT ") + kWorkflowColumns + " FROM workflows WHERE " + where);
  if (!select) return select.status();
  (*select)->bind(1, a);
  if (!b.empty()) (*select)->bind(2, b);
  if (!(*select)->next()) {
    if (!(*select)->status().is_ok()) return (*select)->status();
    return not_found("workflows.argoproj.io \"" + (b.empty() ? a : b) + "\" not found");
  }
  return read_workflow(**select);
}

Result<WorkflowRecord> SqliteStore::get_workflow(const std::string& namespace_, const std::string& name) {
  return get_workflow_where("namespace = ?1 AND name = ?2", namespace_, name);
}

Result<WorkflowRecord> SqliteStore::get_workflow_by_uid(const std::string& uid) {
  return get_workflow_where("uid = ?1", uid, "");
}

Result<WorkflowPage> SqliteStore::list_workflows(const WorkflowQuery& query) {
  const char* columns = !query.with_manifest      ? kWorkflowColumnsLight
                        : query.with_run_options ? kWorkflowColumns
                                                 : kWorkflowColumnsShown;
  std::string sql = std::string("SELECT ") + columns + " FROM workflows WHERE 1=1";
  int64_t after_created = 0;
  std::string after_uid;
  if (!query.continue_token.empty() && !read_token(query.continue_token, &after_created, &after_uid)) {
    return invalid_argument("continue: not a token this server issued: \"" + query.continue_token + "\"");
  }
  if (!query.namespace_.empty()) sql += " AND namespace = ?1";
  if (!query.continue_token.empty()) sql += " AND (created_at < ?2 OR (created_at = ?2 AND uid > ?3))";
  if (query.created_after) sql += " AND created_at >= ?4";
  if (query.finished) sql += *query.finished ? " AND finished_at != 0" : " AND finished_at = 0";
  if (!query.phases.empty()) {
    sql += " AND phase IN (";
    for (size_t i = 0; i < query.phases.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(10 + i);
    sql += ")";
  }
  sql += " ORDER BY created_at DESC, uid ASC";

  std::unique_lock lock(reader_ ? read_mu_ : mu_);
  auto select = (reader_ ? reader_ : db_)->prepare(sql);
  if (!select) return select.status();
  Statement& rows = **select;
  if (!query.namespace_.empty()) rows.bind(1, query.namespace_);
  if (!query.continue_token.empty()) rows.bind(2, after_created).bind(3, after_uid);
  if (query.created_after) rows.bind(4, micros(*query.created_after));
  for (size_t i = 0; i < query.phases.size(); ++i) rows.bind(static_cast<int>(10 + i), query.phases[i]);

  WorkflowPage page;
  int64_t remaining = 0;
  bool cut = false;
  while (rows.next()) {
    if (cut && !query.filter) {
      ++remaining;  // counted, never decoded
      continue;
    }
    WorkflowRecord w = read_workflow(rows);
    if (query.filter && !query.filter(w)) continue;
    if (cut) {
      ++remaining;
      continue;
    }
    if (query.limit != 0 && page.items.size() == query.limit) {
      cut = true;
      page.continue_token = make_token(page.items.back());
      remaining = 1;
      continue;
    }
    page.items.push_back(std::move(w));
  }
  if (!rows.status().is_ok()) return rows.status();
  if (cut) page.remaining = remaining;
  return page;
}

Result<int64_t> SqliteStore::update_workflow(const WorkflowUpdate& u) {
  std::lock_guard lock(mu_);
  Transaction tx(*db_);
  SKIFF_RETURN_IF_ERROR(tx.begun());
  auto update = db_->prepare(
      "UPDATE workflows SET phase = ?2, started_at = ?3, finished_at = ?4, status = ?5, "
      "run_options = COALESCE(?6, run_options), manifest = COALESCE(?8, manifest), version = version + 1 "
      "WHERE uid = ?1 AND version = ?7");
  if (!update) return update.status();
  (*update)->bind(1, u.uid).bind(2, u.phase).bind(3, micros(u.started_at)).bind(4, micros(u.finished_at))
      .bind(5, u.status.dump()).bind(7, u.expected_version);
  if (u.run_options) (*update)->bind(6, u.run_options->dump()); else (*update)->bind_null(6);
  if (u.manifest) (*update)->bind(8, u.manifest->dump()); else (*update)->bind_null(8);
  SKIFF_RETURN_IF_ERROR((*update)->run());
  if (db_->changes() == 0) {
    return failed_precondition("workflow " + u.uid + ": changed by another writer (expected version " +
                               std::to_string(u.expected_version) + ") or deleted");
  }
  if (!u.nodes.empty()) {
    auto upsert = db_->prepare(
        "INSERT INTO nodes (workflow_uid, node_id, body) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (workflow_uid, node_id) DO UPDATE SET body = excluded.body");
    if (!upsert) return upsert.status();
    for (const NodeRecord& node : u.nodes) {
      auto row = codec_.encode(node.body.dump());
      if (!row) return row.status().with_context("workflow " + u.uid + ": node " + node.id);
      SKIFF_RETURN_IF_ERROR((*upsert)->bind(1, u.uid).bind(2, node.id).bind_blob(3, *row).run());
    }
  }
  if (!u.removed_nodes.empty()) {
    auto remove = db_->prepare("DELETE FROM nodes WHERE workflow_uid = ?1 AND node_id = ?2");
    if (!remove) return remove.status();
    for (const std::string& id : u.removed_nodes) {
      SKIFF_RETURN_IF_ERROR((*remove)->bind(1, u.uid).bind(2, id).run());
    }
  }
  if (!u.events.empty()) {
    auto insert = db_->prepare("INSERT INTO events (workflow_uid, seq, at, body) VALUES (?1, ?2, ?3, ?4)");
    if (!insert) return insert.status();
    for (const EventRecord& event : u.events) {
      Status status = (*insert)->bind(1, u.uid).bind(2, event.seq).bind(3, micros(event.at))
                          .bind(4, event.body.dump()).run();
      if (!status) {
        return failed_precondition("workflow " + u.uid + ": event " + std::to_string(event.seq) +
                                   " already journaled");
      }
    }
  }
  SKIFF_RETURN_IF_ERROR(tx.commit());
  return u.expected_version + 1;
}

Status SqliteStore::delete_workflow(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto remove = db_->prepare("DELETE FROM workflows WHERE uid = ?1");
  if (!remove) return remove.status();
  SKIFF_RETURN_IF_ERROR((*remove)->bind(1, uid).run());
  if (db_->changes() == 0) return not_found("workflow " + uid + " not found");
  return Status::ok();
}

Result<std::vector<NodeRecord>> SqliteStore::nodes(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto select = db_->prepare("SELECT node_id, body FROM nodes WHERE workflow_uid = ?1");
  if (!select) return select.status();
  (*select)->bind(1, uid);
  std::vector<NodeRecord> out;
  while ((*select)->next()) {
    std::string id = (*select)->text(0);
    const std::string_view row = (*select)->bytes(1);
    auto text = codec_.decode(row);
    Json body = text ? parse_json(*text) : Json();
    if (NodeBodyCodec::is_compressed(row) && (!text || body.is_discarded())) {
      // A body that cannot be read is not passed on as null: the controller
      // would take the node for absent and run it again.
      std::string why = text ? "compressed row inflates to text that is not JSON" : text.status().message();
      return internal_error("workflow " + uid + ": node " + id + ": stored body cannot be read: " + why);
    }
    out.push_back({std::move(id), std::move(body)});
  }
  if (!(*select)->status().is_ok()) return (*select)->status();
  return out;
}

Result<std::vector<EventRecord>> SqliteStore::events(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto select = db_->prepare("SELECT seq, at, body FROM events WHERE workflow_uid = ?1 ORDER BY seq");
  if (!select) return select.status();
  (*select)->bind(1, uid);
  std::vector<EventRecord> out;
  while ((*select)->next()) {
    out.push_back({(*select)->integer(0), from_micros((*select)->integer(1)), parse_json((*select)->text(2))});
  }
  if (!(*select)->status().is_ok()) return (*select)->status();
  return out;
}

}  // namespace internal

int latest_schema_version() { return internal::migrations().empty() ? 0 : internal::migrations().back().number; }

Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options) {
  std::string dir = options.path.substr(0, options.path.rfind('/'));
  if (options.path.find('/') != std::string::npos && !dir.empty()) {
    std::string partial;
    for (size_t i = 1; i <= dir.size(); ++i) {
      if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0755);
    }
  }
  auto db = internal::Database::open(options.path);
  if (!db) return db.status();
  auto store = std::make_unique<internal::SqliteStore>(std::move(*db));
  Status migrated = store->migrate();
  if (!migrated) return migrated.with_context(options.path);
  // A database in memory is private to its connection: a reader would see
  // another, empty one.
  const bool in_memory = options.path.empty() || options.path == ":memory:" ||
                         options.path.rfind("file::memory:", 0) == 0;
  if (!in_memory) {
    auto reader = internal::Database::open(options.path);
    if (!reader) return reader.status();
    store->set_reader(std::move(*reader));
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace skiff::store
