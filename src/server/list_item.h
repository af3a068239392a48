// One workflow's list item, serialised once and cut at its members
// (internal to the list index).
//
// The item's members (apiVersion, kind, metadata, spec, status) are kept
// as `"name":value` text in one string; an object member is cut again at
// its own members, so Argo's `fields` pick among them by name and a list
// is string concatenation. One string and a small array of offsets per
// workflow, rather than a string per member, keeps the index compact and
// its text close together in memory.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api.h"

namespace skiff::server {

class ItemText {
 public:
  // `item` as workflow_object() built it. Values larger than `max_value`
  // bytes are not kept: a list that shows one answers from the store.
  static ItemText from(const Json& item, size_t max_value);
  // `fresh` built from what an update changed, over `held`: the members
  // named in `kept` (a whole member, "spec") are taken from `held`, and
  // `merged` (an object member, "metadata") keeps held members `fresh`
  // does not set.
  static ItemText updated(const Json& fresh, const ItemText& held, std::string_view kept, std::string_view merged,
                          size_t max_value);

  // Appends the item as project_fields() leaves it, given the subtree of
  // the projection's `items` path (null when it names none); false when
  // that needs what is not kept here (an oversized value, or a path into
  // a value that is not cut).
  bool render(bool exclude, const FieldTree* items, std::string& out) const;

  // False when the item could not be kept at all (text the store path
  // could not serialise either): every list that shows it reads the store.
  bool usable() const { return usable_; }

 private:
  struct Piece {
    uint32_t begin = 0;      // of `"name":value` in text_
    uint32_t size = 0;       // of the whole; for an oversized value only `"name":`
    uint16_t name_size = 0;  // the name's length (names needing escapes are refused)
    uint16_t parts = 0;      // an object member cut again: its members follow it
    uint8_t flags = 0;
  };
  static constexpr uint8_t kContainer = 1;  // an object or array: paths could go inside
  static constexpr uint8_t kOversized = 2;
  static constexpr uint8_t kCut = 4;

  class Builder;

  std::string_view name(const Piece& p) const { return {text_.data() + p.begin + 1, p.name_size}; }
  std::string_view text(const Piece& p) const { return {text_.data() + p.begin, p.size}; }
  bool append_value(const Piece& p, bool projected_inside, bool& first, std::string& out) const;
  bool render_parts(std::span<const Piece> parts, bool exclude, const FieldTree* tree, std::string& out) const;
  void seal();  // drops what an unusable item holds, and spare capacity

  std::string text_;
  std::vector<Piece> pieces_;  // members in name order, each cut one followed by its parts
  bool usable_ = false;  // an item built by from() or updated() is, unless it failed
};

}  // namespace skiff::server
