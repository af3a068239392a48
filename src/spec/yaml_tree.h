// Internal to the spec layer: a YAML document as a small tree, read with
// libyaml. libyaml parses several times faster than yaml-cpp (a 10 MB
// workflow in about a second rather than many), and its event stream gives
// us exactly what decoding needs: each node's position, whether a scalar was
// quoted, and aliases as shared nodes rather than copies.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace skiff::spec::detail {

struct YamlNode {
  enum class Type : unsigned char { kNull, kScalar, kMap, kSequence };
  Type type = Type::kNull;
  // Written with quotes, as a block scalar (| or >) or tagged !!str: a
  // string whatever its text.
  bool quoted = false;
  bool merge_key = false;  // the plain key "<<"
  int line = 0;            // 1-based; 0 when unknown (rebuilt from JSON)
  int column = 0;
  std::string text;        // scalars (and null, as written: "", "~", "null")
  // Sequences: the items. Mappings: key, value, key, value...
  std::vector<const YamlNode*> children;

  bool is_map() const { return type == Type::kMap; }
  bool is_sequence() const { return type == Type::kSequence; }
  bool is_null() const { return type == Type::kNull; }
  bool is_scalar() const { return type == Type::kScalar || type == Type::kNull; }
};

// Every document of one text. Aliases point at the anchored node, so the
// tree is a graph; consumers bound their walk (see DecodeLimits).
class YamlStream {
 public:
  std::vector<const YamlNode*> documents;  // null entries for empty documents

  YamlNode* add() { return &nodes_.emplace_back(); }

 private:
  std::deque<YamlNode> nodes_;  // stable addresses
};

// Parses YAML text. Errors name file:line:col.
Status parse_yaml(std::string_view text, const std::string& file, YamlStream* out);

// Rebuilds a JSON value as a document of `out` (strings marked quoted).
// False when nested deeper than max_depth.
bool json_to_yaml_tree(const nlohmann::json& value, int max_depth, YamlStream* out);

}  // namespace skiff::spec::detail
