// ItemText: a list item as `"name":value` pieces of one string, and the
// projections of fields.cc applied to them without parsing.
#include "server/list_item.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

namespace skiff::server {

class ItemText::Builder {
 public:
  Builder(ItemText& item, size_t max_value) : item_(item), max_value_(max_value) {}

  // Appends `"name":` as a new piece; returns its index.
  size_t head(std::string_view name) {
    // Names are written as they are, not escaped: one that would need an
    // escape (or is not ASCII, which the store path may refuse) is left to
    // the store.
    for (char c : name) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\' || byte < 0x20 || byte >= 0x80) item_.usable_ = false;
    }
    if (name.size() > std::numeric_limits<uint16_t>::max()) item_.usable_ = false;
    Piece piece;
    piece.begin = static_cast<uint32_t>(item_.text_.size());
    piece.name_size = static_cast<uint16_t>(name.size());
    item_.text_ += '"';
    item_.text_ += name;
    item_.text_ += "\":";
    item_.pieces_.push_back(piece);
    finish(item_.pieces_.size() - 1);
    return item_.pieces_.size() - 1;
  }

  void value(std::string_view name, const Json& v) {
    size_t at = head(name);
    std::string text = v.dump();  // throws for text the store path cannot write either
    if (v.is_structured()) item_.pieces_[at].flags |= kContainer;
    if (text.size() > max_value_) {
      item_.pieces_[at].flags |= kOversized;
      return;
    }
    item_.text_ += text;
    finish(at);
  }

  // A member, cut at its own members when it is an object.
  void member(std::string_view name, const Json& member) {
    if (!member.is_object()) return value(name, member);
    size_t at = head(name);
    item_.pieces_[at].flags |= kCut | kContainer;
    for (const auto& [key, part] : member.items()) value(key, part);
    parts_end(at);
  }

  // A piece of `from`, copied as it is (with its parts).
  void copy(const ItemText& from, size_t index) {
    const Piece& piece = from.pieces_[index];
    for (size_t i = index; i <= index + piece.parts; ++i) {
      Piece copied = from.pieces_[i];
      copied.begin = static_cast<uint32_t>(item_.text_.size());
      item_.text_ += from.text(from.pieces_[i]);
      item_.pieces_.push_back(copied);
    }
  }

  void parts_end(size_t at) {
    size_t parts = item_.pieces_.size() - at - 1;
    if (parts > std::numeric_limits<uint16_t>::max()) item_.usable_ = false;
    item_.pieces_[at].parts = static_cast<uint16_t>(parts);
  }

 private:
  void finish(size_t at) {
    if (item_.text_.size() > std::numeric_limits<uint32_t>::max()) item_.usable_ = false;
    item_.pieces_[at].size = static_cast<uint32_t>(item_.text_.size() - item_.pieces_[at].begin);
  }

  ItemText& item_;
  size_t max_value_;
};

ItemText ItemText::from(const Json& item, size_t max_value) {
  ItemText out;
  out.usable_ = true;
  Builder build(out, max_value);
  try {
    for (const auto& [key, value] : item.items()) build.member(key, value);
  } catch (const Json::exception&) {
    out.usable_ = false;
  }
  out.seal();
  return out;
}

ItemText ItemText::updated(const Json& fresh, const ItemText& held, std::string_view kept, std::string_view merged,
                           size_t max_value) {
  ItemText out;
  out.usable_ = true;
  Builder build(out, max_value);
  auto find_held = [&](std::string_view key) -> std::optional<size_t> {
    for (size_t i = 0; i < held.pieces_.size(); i += 1 + held.pieces_[i].parts) {
      if (held.name(held.pieces_[i]) == key) return i;
    }
    return std::nullopt;
  };
  try {
    for (const auto& [key, value] : fresh.items()) {
      auto at = find_held(key);
      if (at && key == kept) {
        build.copy(held, *at);
        continue;
      }
      if (!at || key != merged || !value.is_object() || !(held.pieces_[*at].flags & kCut)) {
        build.member(key, value);
        continue;
      }
      // Both sides are in name order: walk them together; a member set
      // afresh replaces the held one.
      size_t head = build.head(key);
      out.pieces_[head].flags |= kCut | kContainer;
      size_t h = *at + 1;
      const size_t h_end = *at + 1 + held.pieces_[*at].parts;
      auto it = value.begin();
      while (it != value.end() || h < h_end) {
        const bool take_fresh =
            it != value.end() && (h == h_end || std::string_view(it.key()) <= held.name(held.pieces_[h]));
        if (take_fresh) {
          if (h < h_end && std::string_view(it.key()) == held.name(held.pieces_[h])) ++h;
          build.value(it.key(), it.value());
          ++it;
        } else {
          build.copy(held, h++);
        }
      }
      build.parts_end(head);
    }
  } catch (const Json::exception&) {
    out.usable_ = false;
  }
  if (!held.usable_) out.usable_ = false;
  out.seal();
  return out;
}

void ItemText::seal() {
  if (!usable_) {
    text_.clear();
    pieces_.clear();
  }
  text_.shrink_to_fit();
  pieces_.shrink_to_fit();
}

namespace {

// Names are compared for every piece of every item a list shows; they are
// short, and a loop over their bytes costs less than calls to memcmp.
// The order is std::string's (bytes as unsigned char), as the trees' maps
// and nlohmann's objects have it.
int compare_names(std::string_view a, std::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

}  // namespace

bool ItemText::append_value(const Piece& p, bool projected_inside, bool& first, std::string& out) const {
  // keep() and drop() leave a scalar as it is when the path goes on below
  // it; going into a container would need it parsed.
  if ((p.flags & kOversized) || (projected_inside && (p.flags & kContainer))) return false;
  if (!first) out += ',';
  first = false;
  out += text(p);
  return true;
}

// `{…}` of one level's members (a cut member is followed by its parts),
// kept (or with `exclude`, dropped) as `tree` says; as keep() and drop() in
// fields.cc do. A null tree keeps everything.
bool ItemText::render_parts(std::span<const Piece> level, bool exclude, const FieldTree* tree,
                            std::string& out) const {
  out += '{';
  bool first = true;
  std::map<std::string, FieldTree>::const_iterator child;
  if (tree) child = tree->children.begin();
  for (size_t i = 0; i < level.size(); i += 1 + level[i].parts) {
    const Piece& p = level[i];
    const std::string_view key = name(p);
    // The tree's children are in name order too.
    const FieldTree* sub = nullptr;
    for (; tree && child != tree->children.end(); ++child) {
      const int order = compare_names(child->first, key);
      if (order == 0) sub = &child->second;
      if (order >= 0) break;
    }
    if (exclude ? (sub && sub->leaf) : (tree && !sub)) continue;
    if (!(p.flags & kCut)) {
      if (!append_value(p, sub && !sub->leaf, first, out)) return false;
      continue;
    }
    if (!first) out += ',';
    first = false;
    out += text(p);  // `"name":`
    const auto parts = level.subspan(i + 1, p.parts);
    if (!sub || sub->leaf) {
      if (!render_parts(parts, false, nullptr, out)) return false;
    } else if (!render_parts(parts, exclude, sub, out)) {
      return false;
    }
  }
  out += '}';
  return true;
}

bool ItemText::render(bool exclude, const FieldTree* items, std::string& out) const {
  return usable_ && render_parts(pieces_, exclude, items, out);
}

}  // namespace skiff::server
