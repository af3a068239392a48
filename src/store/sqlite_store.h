// The SQLite backend of Store (internal). One connection behind a mutex:
// SQLite serialises writers anyway. Listings read through a second
// connection of their own, so a long list (WAL lets it read a snapshot
// while writes go on) never holds up the controller's writes.
#pragma once

#include <memory>
#include <mutex>

#include "sqlite_db.h"
#include "store/node_body_codec.h"
#include "store/store.h"

namespace skiff::store::internal {

int64_t micros(Time t);
Time from_micros(int64_t us);
std::string object_table(ObjectKind kind);

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Status migrate();
  // Listings read through `reader` from now on (after migrate: the reader
  // must see the schema).
  void set_reader(std::unique_ptr<Database> reader) { reader_ = std::move(reader); }

  Status create_workflow(const WorkflowRecord& workflow) override;
  Result<WorkflowRecord> get_workflow(const std::string& namespace_, const std::string& name) override;
  Result<WorkflowRecord> get_workflow_by_uid(const std::string& uid) override;
  Result<WorkflowPage> list_workflows(const WorkflowQuery& query) override;
  Result<int64_t> update_workflow(const WorkflowUpdate& update) override;
  Status delete_workflow(const std::string& uid) override;
  Result<std::vector<NodeRecord>> nodes(const std::string& uid) override;
  Result<std::vector<EventRecord>> events(const std::string& uid) override;

  Result<ObjectRecord> put_object(ObjectKind kind, const ObjectRecord& object, bool replace) override;
  Result<ObjectRecord> get_object(ObjectKind kind, const std::string& namespace_, const std::string& name) override;
  Result<std::vector<ObjectRecord>> list_objects(ObjectKind kind, const std::string& namespace_) override;
  Status delete_object(ObjectKind kind, const std::string& namespace_, const std::string& name) override;

  Status archive_workflow(const ArchivedRecord& record) override;
  Result<std::vector<ArchivedRecord>> list_archived(const ArchiveQuery& query) override;
  Result<ArchivedRecord> get_archived(const std::string& uid) override;
  Status delete_archived(const std::string& uid) override;

  Status put_log(const std::string& workflow_uid, const LogRecord& log) override;
  Result<std::vector<LogRecord>> logs(const std::string& workflow_uid) override;

 private:
  Result<WorkflowRecord> get_workflow_where(const std::string& where, const std::string& a, const std::string& b);

  std::mutex mu_;
  std::unique_ptr<Database> db_;
  NodeBodyCodec codec_;  // node rows, under mu_
  std::mutex read_mu_;
  std::unique_ptr<Database> reader_;  // null: listings use db_
};

}  // namespace skiff::store::internal
