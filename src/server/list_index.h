// Workflow lists answered from memory (internal).
//
// A list of thousands of workflows read from the store decodes every row's
// JSON and builds, projects and serialises every Workflow object again, on
// every request. ListIndex keeps each workflow's list item instead, already
// serialised and split at its members (metadata, spec and status, each cut
// again at its own members), so a list with Argo's `fields` is mostly string
// concatenation. IndexedStore keeps it current: every workflow write that
// goes through it reaches the index once it has committed.
//
// The index answers only what it can answer byte for byte as the store
// path would (list_from_store()): a list that needs status.nodes (no
// `fields`, or fields that keep them), looks inside a member it does not
// split, or needs a member too large to keep in memory is left to the store.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/api.h"
#include "store/store.h"

namespace skiff::server {

// What a workflow list asks for: GET /api/v1/workflows[/{namespace}].
struct ListRequest {
  std::string namespace_;  // empty: every namespace
  Selector labels;         // listOptions.labelSelector
  Selector fields;         // listOptions.fieldSelector
  size_t limit = 0;        // listOptions.limit; 0: no limit
  std::string continue_token;
  std::string projection;  // Argo's `fields`
};

// The list's JSON body read from the store (every row decoded).
Result<std::string> list_from_store(store::Store& store, const ListRequest& request);
// Does Argo's `fields` keep status.nodes of the items (no `fields` does)?
// Loading them is the expensive part of a list, and the index has none.
bool list_needs_nodes(const std::string& projection);

class ListIndex {
 public:
  ListIndex();
  ~ListIndex();

  // Fills the index with every workflow in `store`; called once before any
  // other writer uses the store.
  Status load(store::Store& store);

  // The workflow as stored at `version`: added, or replacing an older
  // version of it.
  void put(const store::WorkflowRecord& record, int64_t version);
  // Applies a committed update that made `version`; false when the
  // workflow is not in the index (the caller puts it whole).
  bool apply(const store::WorkflowUpdate& update, int64_t version);
  void remove(const std::string& uid);

  // The list's JSON body, byte for byte what list_from_store() answers;
  // nullopt when the index cannot answer it (the caller asks the store).
  std::optional<std::string> list(const ListRequest& request) const;

  size_t size() const;

  struct Entry;

 private:
  // Newest first, then uid: the store's listing order.
  using Key = std::pair<int64_t, std::string>;  // (-created_at µs, uid)
  void insert(std::shared_ptr<const Entry> entry);

  mutable std::shared_mutex mu_;
  std::map<Key, std::shared_ptr<const Entry>> ordered_;
  std::unordered_map<std::string, Key> by_uid_;
};

// A Store that forwards every call to `inner` and tells `index` about each
// workflow create, update and delete once it has committed.
class IndexedStore final : public store::Store {
 public:
  IndexedStore(std::unique_ptr<store::Store> inner, ListIndex& index) : inner_(std::move(inner)), index_(index) {}

  Status create_workflow(const store::WorkflowRecord& workflow) override;
  Result<store::WorkflowRecord> get_workflow(const std::string& namespace_, const std::string& name) override {
    return inner_->get_workflow(namespace_, name);
  }
  Result<store::WorkflowRecord> get_workflow_by_uid(const std::string& uid) override {
    return inner_->get_workflow_by_uid(uid);
  }
  Result<store::WorkflowPage> list_workflows(const store::WorkflowQuery& query) override {
    return inner_->list_workflows(query);
  }
  Result<int64_t> update_workflow(const store::WorkflowUpdate& update) override;
  Status delete_workflow(const std::string& uid) override;
  Result<std::vector<store::NodeRecord>> nodes(const std::string& uid) override { return inner_->nodes(uid); }
  Result<std::vector<store::EventRecord>> events(const std::string& uid) override { return inner_->events(uid); }

  Result<store::ObjectRecord> put_object(store::ObjectKind kind, const store::ObjectRecord& object,
                                         bool replace) override {
    return inner_->put_object(kind, object, replace);
  }
  Result<store::ObjectRecord> get_object(store::ObjectKind kind, const std::string& namespace_,
                                         const std::string& name) override {
    return inner_->get_object(kind, namespace_, name);
  }
  Result<std::vector<store::ObjectRecord>> list_objects(store::ObjectKind kind,
                                                        const std::string& namespace_) override {
    return inner_->list_objects(kind, namespace_);
  }
  Status delete_object(store::ObjectKind kind, const std::string& namespace_, const std::string& name) override {
    return inner_->delete_object(kind, namespace_, name);
  }

  Status archive_workflow(const store::ArchivedRecord& record) override { return inner_->archive_workflow(record); }
  Result<std::vector<store::ArchivedRecord>> list_archived(const store::ArchiveQuery& query) override {
    return inner_->list_archived(query);
  }
  Result<store::ArchivedRecord> get_archived(const std::string& uid) override { return inner_->get_archived(uid); }
  Status delete_archived(const std::string& uid) override { return inner_->delete_archived(uid); }

  Status put_log(const std::string& workflow_uid, const store::LogRecord& log) override {
    return inner_->put_log(workflow_uid, log);
  }
  Result<std::vector<store::LogRecord>> logs(const std::string& workflow_uid) override {
    return inner_->logs(workflow_uid);
  }

 private:
  std::unique_ptr<store::Store> inner_;
  ListIndex& index_;
  // Held across a write and its index update, so the index sees the
  // writes of one workflow in the order they committed.
  std::mutex write_mu_;
};

}  // namespace skiff::server
