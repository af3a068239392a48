// ListIndex: each workflow's list item kept as serialised JSON pieces, and
// lists rendered from them as fields.cc would project the item.
#include "server/list_index.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <iterator>

#include "controller/service.h"

namespace skiff::server {

namespace {

// A value larger than this is not kept: a list that shows it reads the
// store. Keeps a workflow with a huge spec or status from costing its
// whole size again in memory.
constexpr size_t kMaxPieceBytes = 4096;

// One member of a JSON object, serialised: `"name":value`.
struct Leaf {
  std::string name;
  std::string text;        // empty when oversized
  bool container = false;  // an object or array: a projection could go inside it
  bool oversized = false;
};

// One member of the item. An object member (metadata, spec, status) is
// split at its own members, so a projection picks among them without
// parsing anything.
struct Member {
  std::string head;  // `"name":`, for a split member
  Leaf whole;        // the member when not split (name always set)
  std::vector<Leaf> parts;
  bool split = false;
};

Leaf make_leaf(const std::string& name, const Json& value) {
  Leaf leaf;
  leaf.name = name;
  leaf.container = value.is_structured();
  std::string text = value.dump();
  if (text.size() > kMaxPieceBytes) {
    leaf.oversized = true;
    return leaf;
  }
  leaf.text = Json(name).dump();
  leaf.text += ':';
  leaf.text += text;
  leaf.text.shrink_to_fit();
  return leaf;
}

Member make_member(const std::string& name, const Json& value) {
  Member member;
  member.whole.name = name;
  if (!value.is_object()) {
    member.whole = make_leaf(name, value);
    return member;
  }
  member.split = true;
  member.head = Json(name).dump() + ":";
  member.parts.reserve(value.size());
  for (const auto& [key, part] : value.items()) member.parts.push_back(make_leaf(key, part));
  return member;
}

// Both vectors are sorted by name: nlohmann's objects are std::maps, and so
// are FieldTree's children, with the same ordering.
template <typename T, typename Name>
const T* find_named(const std::vector<T>& items, const std::string& name, Name name_of) {
  auto it = std::lower_bound(items.begin(), items.end(), name,
                             [&](const T& item, const std::string& key) { return name_of(item) < key; });
  return it != items.end() && name_of(*it) == name ? &*it : nullptr;
}

const Leaf* find_leaf(const std::vector<Leaf>& leaves, const std::string& name) {
  return find_named(leaves, name, [](const Leaf& l) -> const std::string& { return l.name; });
}

// A leaf under a projection that goes on below it (`sub` not a leaf):
// keep() and drop() leave a scalar as it is; looking inside a container
// would need it parsed, which the index does not do.
bool append_leaf(const Leaf& leaf, bool projected_inside, bool& first, std::string& out) {
  if (leaf.oversized || (projected_inside && leaf.container)) return false;
  if (!first) out += ',';
  first = false;
  out += leaf.text;
  return true;
}

// `{…}` of the leaves, without those `drop` (may be null) removes; as
// drop() in fields.cc.
bool render_drop(const std::vector<Leaf>& leaves, const FieldTree* drop, std::string& out) {
  out += '{';
  bool first = true;
  for (const Leaf& leaf : leaves) {
    const FieldTree* sub = nullptr;
    if (drop) {
      auto it = drop->children.find(leaf.name);
      if (it != drop->children.end()) sub = &it->second;
    }
    if (sub && sub->leaf) continue;
    if (!append_leaf(leaf, sub != nullptr, first, out)) return false;
  }
  out += '}';
  return true;
}

// `{…}` of the leaves `keep` names; as keep() in fields.cc.
bool render_keep(const std::vector<Leaf>& leaves, const FieldTree& keep, std::string& out) {
  out += '{';
  bool first = true;
  for (const auto& [name, sub] : keep.children) {
    const Leaf* leaf = find_leaf(leaves, name);
    if (leaf && !append_leaf(*leaf, !sub.leaf, first, out)) return false;
  }
  out += '}';
  return true;
}

}  // namespace

struct ListIndex::Entry {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string phase;
  int64_t created = 0;  // µs since the epoch, as the store's continue token has it
  int64_t version = 0;
  Json stored_labels;   // the record's own labels, to build the item again on an update
  Json labels;          // what label selectors see (controller::workflow_labels)
  std::vector<Member> item;  // sorted by name
  bool renderable = true;    // false: the item could not be serialised; lists read the store

  const Member* member(const std::string& key) const {
    return find_named(item, key, [](const Member& m) -> const std::string& { return m.whole.name; });
  }

  bool render(const FieldProjection& projection, const FieldTree* items, std::string& out) const {
    if (!renderable) return false;
    out += '{';
    bool first = true;
    auto append = [&](const Member& m, const FieldTree* sub, bool keep) {
      if (!m.split) return append_leaf(m.whole, sub && !sub->leaf, first, out);
      if (!first) out += ',';
      first = false;
      out += m.head;
      if (!sub || sub->leaf) return render_drop(m.parts, nullptr, out);  // the whole member
      return keep ? render_keep(m.parts, *sub, out) : render_drop(m.parts, sub, out);
    };
    if (!projection.exclude) {
      for (const auto& [key, sub] : items->children) {
        const Member* m = member(key);
        if (m && !append(*m, &sub, true)) return false;
      }
    } else {
      for (const Member& m : item) {
        const FieldTree* sub = nullptr;
        if (items) {
          auto it = items->children.find(m.whole.name);
          if (it != items->children.end()) sub = &it->second;
        }
        if (sub && sub->leaf) continue;
        if (!append(m, sub, false)) return false;
      }
    }
    out += '}';
    return true;
  }
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

std::shared_ptr<ListIndex::Entry> make_entry(const store::WorkflowRecord& record, int64_t version) {
  auto entry = std::make_shared<ListIndex::Entry>();
  entry->uid = record.uid;
  entry->namespace_ = record.namespace_;
  entry->name = record.name;
  entry->phase = record.phase;
  entry->created = micros(record.created_at);
  entry->version = version;
  entry->stored_labels = record.labels;
  entry->labels = controller::workflow_labels(record);
  try {
    store::WorkflowRecord versioned;
    const store::WorkflowRecord* source = &record;
    if (record.version != version) {
      versioned = record;
      versioned.version = version;
      source = &versioned;
    }
    Json object = controller::workflow_object(*source, nullptr);
    entry->item.reserve(object.size());
    for (const auto& [key, value] : object.items()) entry->item.push_back(make_member(key, value));
  } catch (const Json::exception&) {
    // Text the store path could not serialise either (invalid UTF-8):
    // lists that include it go there and answer as they always did.
    entry->item.clear();
    entry->renderable = false;
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

void ListIndex::put(const store::WorkflowRecord& record, int64_t version) { insert(make_entry(record, version)); }

bool ListIndex::apply(const store::WorkflowUpdate& update, int64_t version) {
  std::shared_ptr<const Entry> old;
  {
    std::shared_lock lock(mu_);
    auto known = by_uid_.find(update.uid);
    if (known == by_uid_.end()) return false;
    old = ordered_.at(known->second);
  }
  if (!old->renderable) return false;
  // The record as the store now holds it, but for the parts an update
  // never changes (name, creation, labels) and, unless it replaced the
  // manifest, the manifest's metadata and spec: those are taken from the
  // held item rather than rebuilt.
  store::WorkflowRecord record;
  record.uid = old->uid;
  record.namespace_ = old->namespace_;
  record.name = old->name;
  record.phase = update.phase;
  record.created_at = Time(Duration(old->created));
  record.started_at = update.started_at;
  record.finished_at = update.finished_at;
  record.labels = old->stored_labels;
  record.status = update.status;
  record.manifest = update.manifest ? *update.manifest : Json::object();
  record.version = version;
  auto entry = make_entry(record, version);
  if (!update.manifest && entry->renderable) {
    for (Member& m : entry->item) {
      const Member* held = old->member(m.whole.name);
      if (m.whole.name == "spec" && held) m = *held;
      if (m.whole.name != "metadata" || !held || !m.split || !held->split) continue;
      // workflow_object() sets name, uid, labels, resourceVersion… over the
      // manifest's metadata: the rebuilt members win, the rest are held.
      std::vector<Leaf> merged;
      std::vector<Leaf>& fresh = m.parts;
      std::merge(fresh.begin(), fresh.end(), held->parts.begin(), held->parts.end(), std::back_inserter(merged),
                 [](const Leaf& a, const Leaf& b) { return a.name < b.name; });
      // std::merge puts an equal fresh leaf first: drop the held one after it.
      auto last = std::unique(merged.begin(), merged.end(),
                              [](const Leaf& a, const Leaf& b) { return a.name == b.name; });
      merged.erase(last, merged.end());
      fresh = std::move(merged);
    }
  }
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
    if (!page[i]->render(projection, items, out)) return std::nullopt;
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
