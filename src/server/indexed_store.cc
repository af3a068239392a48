// IndexedStore: the workflow writes of the store, seen by the list index
// once they committed.
#include "server/list_index.h"

namespace skiff::server {

Status IndexedStore::create_workflow(const store::WorkflowRecord& workflow) {
  std::lock_guard lock(write_mu_);
  Status created = inner_->create_workflow(workflow);
  // A new row is at version 1 whatever the record says (the store's
  // update_workflow() counts on from there).
  if (created) index_.put(workflow, 1);
  return created;
}

Result<int64_t> IndexedStore::update_workflow(const store::WorkflowUpdate& update) {
  std::lock_guard lock(write_mu_);
  auto version = inner_->update_workflow(update);
  if (!version) return version;
  if (!index_.apply(update, *version)) {
    // Not held, or held without a usable item: index it as stored.
    auto stored = inner_->get_workflow_by_uid(update.uid);
    if (stored) index_.put(*stored, stored->version);
  }
  return version;
}

Status IndexedStore::delete_workflow(const std::string& uid) {
  std::lock_guard lock(write_mu_);
  Status deleted = inner_->delete_workflow(uid);
  if (deleted) index_.remove(uid);
  return deleted;
}

}  // namespace skiff::server
