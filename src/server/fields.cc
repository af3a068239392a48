// Argo's `fields` parameter: a comma-separated list of dotted paths to keep
// ("items.metadata.name,metadata.continue"), or, with a leading "-", to
// drop ("-items.status.nodes"). Arrays are looked through.
#include "base/strings.h"
#include "server/api.h"

namespace skiff::server {

namespace {

using PathTree = FieldTree;

void add_path(PathTree& tree, const std::string& path) {
  PathTree* at = &tree;
  for (const auto& part : split(path, '.')) at = &at->children[part];
  at->leaf = true;
}

Json keep(const Json& value, const PathTree& tree) {
  if (tree.leaf) return value;
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(keep(item, tree));
    return out;
  }
  if (!value.is_object()) return value;
  Json out = Json::object();
  for (const auto& [key, child] : tree.children) {
    auto it = value.find(key);
    if (it != value.end()) out[key] = keep(*it, child);
  }
  return out;
}

void drop(Json& value, const PathTree& tree) {
  if (value.is_array()) {
    for (auto& item : value) drop(item, tree);
    return;
  }
  if (!value.is_object()) return;
  for (const auto& [key, child] : tree.children) {
    auto it = value.find(key);
    if (it == value.end()) continue;
    if (child.leaf) {
      value.erase(it);
    } else {
      drop(*it, child);
    }
  }
}

}  // namespace

FieldProjection parse_fields(const std::string& fields) {
  FieldProjection out;
  std::string_view text = trim(fields);
  if (text.empty()) return out;
  out.all = false;
  out.exclude = text.front() == '-';
  if (out.exclude) text.remove_prefix(1);
  for (const auto& part : split(text, ',')) {
    std::string_view path = trim(part);
    if (!path.empty()) add_path(out.paths, std::string(path));
  }
  return out;
}

Json project_fields(const Json& value, const std::string& fields) {
  FieldProjection projection = parse_fields(fields);
  if (projection.all) return value;
  if (!projection.exclude) return keep(value, projection.paths);
  Json out = value;
  drop(out, projection.paths);
  return out;
}

}  // namespace skiff::server
