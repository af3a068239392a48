// ListIndex: each workflow's list item kept serialised (list_item.h), in
// the store's listing order, and lists chosen and paged as the store does.
#include "server/list_index.h"

#include <climits>
#include <cstdlib>
#include <functional>

#include "controller/service.h"
#include "server/list_item.h"

namespace skiff::server {

namespace {

// A value larger than this is not kept: a list that shows it reads the
// store. Keeps a workflow with a huge spec or status from costing its
// whole size again in memory.
constexpr size_t kMaxValueBytes = 4096;

}  // namespace

struct ListIndex::Entry {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string phase;
  int64_t created = 0;  // µs since the epoch, as the store's continue token has it
  int64_t version = 0;
  std::string stored_labels;  // the record's own labels, to build the item again on an update
  Json labels;                // what label selectors see (controller::workflow_labels)
  ItemText item;
};

namespace {

int64_t micros(Time t) { return t.time_since_epoch().count(); }

// The store's continue token, "<created_at µs>:<uid>"; false when it is not
// one (the store answers that with its own error).
bool read_token(const std::string& token, int64_t* created, std::string* uid) {
  auto colon = token.find(':');
  if (colon == std::string::npos) return false;
  char* end = nullptr;
  *created = std::strtoll(token.c_str(), &end, 10);
  if (end != token.c_str() + colon || *created == LLONG_MIN) return false;  // negated as a key below
  *uid = token.substr(colon + 1);
  return true;
}

// The entry for `record` as stored at `version`, its item built from
// `item`: workflow_object() of it, or of what an update changed.
std::shared_ptr<ListIndex::Entry> make_entry(const store::WorkflowRecord& record, int64_t version,
                                             const std::function<ItemText(Json&)>& item) {
  auto entry = std::make_shared<ListIndex::Entry>();
  entry->uid = record.uid;
  entry->namespace_ = record.namespace_;
  entry->name = record.name;
  entry->phase = record.phase;
  entry->created = micros(record.created_at);
  entry->version = version;
  entry->labels = controller::workflow_labels(record);
  try {
    entry->stored_labels = record.labels.dump();
    Json object = controller::workflow_object(record, nullptr);
    object["metadata"]["resourceVersion"] = std::to_string(version);
    entry->item = item(object);
  } catch (const Json::exception&) {
    // Text the store path could not serialise either (invalid UTF-8):
    // lists that include it go there and answer as they always did.
    entry->item = ItemText();
    entry->stored_labels.clear();
  }
  return entry;
}

}  // namespace

ListIndex::ListIndex() = default;
ListIndex::~ListIndex() = default;

Status ListIndex::load(store::Store& store) {
  store::WorkflowQuery query;
  query.with_manifest = true;
  query.with_run_options = false;
  query.limit = 500;  // a page at a time: never every decoded workflow at once
  for (;;) {
    auto page = store.list_workflows(query);
    if (!page) return page.status();
    for (const auto& record : page->items) put(record, record.version);
    if (page->continue_token.empty()) return Status::ok();
    query.continue_token = page->continue_token;
  }
}

void ListIndex::insert(std::shared_ptr<const Entry> entry) {
  Key key{-entry->created, entry->uid};
  std::unique_lock lock(mu_);
  auto known = by_uid_.find(entry->uid);
  if (known != by_uid_.end()) {
    auto held = ordered_.find(known->second);
    if (held != ordered_.end() && held->second->version > entry->version) return;  // a newer one is held
    if (known->second != key) ordered_.erase(known->second);
  }
  by_uid_[entry->uid] = key;
  ordered_[key] = std::move(entry);
}

void ListIndex::put(const store::WorkflowRecord& record, int64_t version) {
  insert(make_entry(record, version, [](Json& object) { return ItemText::from(object, kMaxValueBytes); }));
}

bool ListIndex::apply(const store::WorkflowUpdate& update, int64_t version) {
  std::shared_ptr<const Entry> old;
  {
    std::shared_lock lock(mu_);
    auto known = by_uid_.find(update.uid);
    if (known == by_uid_.end()) return false;
    old = ordered_.at(known->second);
  }
  if (!old->item.usable()) return false;
  // The record as the store now holds it, but for what an update never
  // changes (name, creation, labels) and, unless it replaced the manifest,
  // the manifest's metadata and spec: those stay as the held item has them
  // rather than being built again.
  store::WorkflowRecord record;
  record.uid = old->uid;
  record.namespace_ = old->namespace_;
  record.name = old->name;
  record.phase = update.phase;
  record.created_at = Time(Duration(old->created));
  record.started_at = update.started_at;
  record.finished_at = update.finished_at;
  record.labels = Json::parse(old->stored_labels, nullptr, /*allow_exceptions=*/false);
  record.status = update.status;
  record.manifest = update.manifest ? *update.manifest : Json::object();
  auto entry = make_entry(record, version, [&](Json& object) {
    if (update.manifest) return ItemText::from(object, kMaxValueBytes);
    // workflow_object() set name, uid, labels, resourceVersion… over an
    // empty manifest: those are taken afresh, the rest of metadata is held.
    return ItemText::updated(object, old->item, "spec", "metadata", kMaxValueBytes);
  });
  insert(std::move(entry));
  return true;
}

void ListIndex::remove(const std::string& uid) {
  std::unique_lock lock(mu_);
  auto known = by_uid_.find(uid);
  if (known == by_uid_.end()) return;
  ordered_.erase(known->second);
  by_uid_.erase(known);
}

size_t ListIndex::size() const {
  std::shared_lock lock(mu_);
  return ordered_.size();
}

std::optional<std::string> ListIndex::list(const ListRequest& request) const {
  if (list_needs_nodes(request.projection)) return std::nullopt;
  int64_t after_created = 0;
  std::string after_uid;
  const bool resumed = !request.continue_token.empty();
  if (resumed && !read_token(request.continue_token, &after_created, &after_uid)) return std::nullopt;
  const bool filtered = !request.labels.empty() || !request.fields.empty();
  auto accepts = [&](const Entry& e) {
    if (!request.labels.matches(e.labels)) return false;
    Json values = {{"metadata.name", e.name}, {"metadata.namespace", e.namespace_},
                   {"status.phase", e.phase}, {"metadata.uid", e.uid}};
    return request.fields.matches(values);
  };

  // Chosen under the lock, rendered after it: entries are immutable, and a
  // writer replaces an entry rather than changing it.
  std::vector<std::shared_ptr<const Entry>> page;
  std::string next_token;
  int64_t remaining = 0;
  bool cut = false;
  {
    std::shared_lock lock(mu_);
    auto it = resumed ? ordered_.upper_bound(Key{-after_created, after_uid}) : ordered_.begin();
    for (; it != ordered_.end(); ++it) {
      const Entry& e = *it->second;
      if (!request.namespace_.empty() && e.namespace_ != request.namespace_) continue;
      if (filtered && !accepts(e)) continue;
      if (cut) {
        ++remaining;
        continue;
      }
      if (request.limit != 0 && page.size() == request.limit) {
        cut = true;
        next_token = std::to_string(page.back()->created) + ":" + page.back()->uid;
        remaining = 1;
        continue;
      }
      page.push_back(it->second);
    }
  }

  Json meta = Json::object();
  meta["resourceVersion"] = "0";
  if (!next_token.empty()) meta["continue"] = next_token;
  if (cut) meta["remainingItemCount"] = remaining;
  Json envelope = project_fields(Json{{"metadata", meta}, {"items", Json::array()}}, request.projection);
  const bool with_items = envelope.is_object() && envelope.erase("items") > 0;
  std::string rest = envelope.dump();
  if (!with_items) return rest;

  const FieldProjection projection = parse_fields(request.projection);
  const FieldTree* items = nullptr;
  if (auto it = projection.paths.children.find("items"); it != projection.paths.children.end()) items = &it->second;
  // Whole items carry status.nodes: list_needs_nodes() sent those away.
  if (projection.all || (!projection.exclude && (!items || items->leaf))) return std::nullopt;

  std::string out;
  out.reserve(64 + page.size() * 384);
  out += "{\"items\":[";
  for (size_t i = 0; i < page.size(); ++i) {
    if (i) out += ',';
    if (!page[i]->item.render(projection.exclude, items, out)) return std::nullopt;
  }
  out += ']';
  // The envelope's other members ("metadata") follow "items" in key order.
  if (rest.size() > 2) {
    out += ',';
    out.append(rest, 1, rest.size() - 2);
  }
  out += '}';
  return out;
}

}  // namespace skiff::server
