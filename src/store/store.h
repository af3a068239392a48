// Durable state: workflows, their nodes and events, templates, cron
// workflows, the archive and where step logs are kept.
//
// The Store interface is what the controller and server use; SQLite is the
// embedded backend, and a PostgreSQL backend implements the same contract.
// Writes are incremental: a workflow's changed nodes and new events are
// written with its status summary in one transaction, never the whole
// status document, and a version check refuses a stale writer.
//
// Thread-safety: a Store may be used from several threads; each call is
// atomic. Errors are Status values (kNotFound, kAlreadyExists,
// kFailedPrecondition for a version conflict, kInternal for I/O).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/time.h"

namespace skiff::store {

using Json = nlohmann::json;

struct WorkflowRecord {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string phase;        // "" until the controller starts it
  Time created_at{};
  Time started_at{};        // epoch when not started
  Time finished_at{};       // epoch while unfinished
  Json labels = Json::object();
  Json manifest;            // {"metadata": …, "spec": …} as submitted
  Json status = Json::object();       // status without nodes
  Json run_options = Json::object();  // controller-private: how it is run
  int64_t version = 0;

  bool finished() const { return finished_at.time_since_epoch().count() != 0; }
};

struct NodeRecord {
  std::string id;
  Json body;
};

struct EventRecord {
  int64_t seq = 0;  // 1, 2, 3… per workflow
  Time at{};
  Json body;
};

// One step of a workflow's life, written atomically.
struct WorkflowUpdate {
  std::string uid;
  int64_t expected_version = 0;  // the version read; a mismatch is kFailedPrecondition
  std::string phase;
  Time started_at{};
  Time finished_at{};
  Json status = Json::object();
  std::vector<NodeRecord> nodes;     // changed or new nodes only
  std::vector<std::string> removed_nodes;
  std::vector<EventRecord> events;   // appended; seq must continue the journal
  std::optional<Json> run_options;   // replaced when set
  std::optional<Json> manifest;      // replaced when set (spec.suspend by suspend/resume)
};

// Listing, newest first (created_at descending, then name).
struct WorkflowQuery {
  std::string namespace_;  // empty: every namespace
  std::vector<std::string> phases;  // empty: any phase ("" is "not started")
  std::optional<Time> created_after;
  std::optional<bool> finished;
  // Applied to each row in order; rows it rejects are skipped (labels,
  // fields). Paging counts only accepted rows.
  std::function<bool(const WorkflowRecord&)> filter;
  size_t limit = 0;             // 0: no limit
  std::string continue_token;   // from a previous page
  bool with_manifest = true;    // false: leave manifest/run_options empty (cheaper)
  bool with_run_options = true; // false: leave run_options empty (what API listings show)
};

struct WorkflowPage {
  std::vector<WorkflowRecord> items;
  std::string continue_token;  // empty when this was the last page
  // Accepted rows after this page (Argo's remainingItemCount); counted only
  // when a limit cut the page short.
  std::optional<int64_t> remaining;
};

// Stored objects other than workflows: kept whole, keyed by namespace and
// name (cluster-scoped objects use an empty namespace).
enum class ObjectKind { kWorkflowTemplate, kClusterWorkflowTemplate, kCronWorkflow };

struct ObjectRecord {
  std::string namespace_;
  std::string name;
  std::string uid;
  Time created_at{};
  int64_t version = 0;  // resourceVersion
  Json body;
};

struct ArchivedRecord {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string phase;
  Time started_at{};
  Time finished_at{};
  Json labels = Json::object();
  Json body;  // the whole Workflow; omitted from listings unless asked
};

struct ArchiveQuery {
  std::string namespace_;
  std::function<bool(const ArchivedRecord&)> filter;
  size_t limit = 0;
  size_t offset = 0;
  bool with_body = false;
};

struct LogRecord {
  std::string node_id;
  std::string pod_name;
  std::string path;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- workflows
  virtual Status create_workflow(const WorkflowRecord& workflow) = 0;  // kAlreadyExists on (namespace, name)
  virtual Result<WorkflowRecord> get_workflow(const std::string& namespace_, const std::string& name) = 0;
  virtual Result<WorkflowRecord> get_workflow_by_uid(const std::string& uid) = 0;
  virtual Result<WorkflowPage> list_workflows(const WorkflowQuery& query) = 0;
  // Returns the new version.
  virtual Result<int64_t> update_workflow(const WorkflowUpdate& update) = 0;
  // Removes the workflow with its nodes, events and log index.
  virtual Status delete_workflow(const std::string& uid) = 0;
  virtual Result<std::vector<NodeRecord>> nodes(const std::string& uid) = 0;
  virtual Result<std::vector<EventRecord>> events(const std::string& uid) = 0;

  // --- templates and cron workflows
  // Creates (kAlreadyExists when present) or, with `replace`, overwrites.
  // Returns the stored record (uid, created_at and version filled in).
  virtual Result<ObjectRecord> put_object(ObjectKind kind, const ObjectRecord& object, bool replace) = 0;
  virtual Result<ObjectRecord> get_object(ObjectKind kind, const std::string& namespace_, const std::string& name) = 0;
  // Sorted by namespace then name; empty namespace: all.
  virtual Result<std::vector<ObjectRecord>> list_objects(ObjectKind kind, const std::string& namespace_) = 0;
  virtual Status delete_object(ObjectKind kind, const std::string& namespace_, const std::string& name) = 0;

  // --- archive
  virtual Status archive_workflow(const ArchivedRecord& record) = 0;  // replaces by uid
  virtual Result<std::vector<ArchivedRecord>> list_archived(const ArchiveQuery& query) = 0;
  virtual Result<ArchivedRecord> get_archived(const std::string& uid) = 0;
  virtual Status delete_archived(const std::string& uid) = 0;

  // --- logs index
  virtual Status put_log(const std::string& workflow_uid, const LogRecord& log) = 0;
  virtual Result<std::vector<LogRecord>> logs(const std::string& workflow_uid) = 0;
};

struct SqliteOptions {
  std::string path;  // the database file; created with its directory when missing
};

// Opens (creating and migrating as needed) a SQLite store: WAL journal,
// synchronous=NORMAL, foreign keys on.
Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options);

// The schema version a store at `path` would be migrated to.
int latest_schema_version();

}  // namespace skiff::store
