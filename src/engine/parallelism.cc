// Parallelism as Argo applies it: a new node is not created while the
// workflow already runs spec.parallelism pods, or while its boundary (the
// steps/DAG node it belongs to) already runs as many children as its
// template's parallelism allows. Nodes held back start on a later pass, in
// the order the walk reaches them, once something finishes.
#include "engine/internal.h"

namespace skiff::engine {

namespace {

std::optional<long long> limit_of(const Json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_string()) {
    try {
      size_t used = 0;
      long long n = std::stoll(value.get<std::string>(), &used);
      if (used == value.get<std::string>().size()) return n;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

}  // namespace

void Engine::Impl::limit_children(const Node& node, const Json& tmpl) {
  if (child_limits.count(node.id)) return;
  auto p = tmpl.find("parallelism");
  if (p == tmpl.end()) return;
  if (auto limit = limit_of(*p)) child_limits[node.id] = *limit;
}

bool Engine::Impl::parallelism_allows(const ExecuteRequest& request) const {
  if (workflow_parallelism && static_cast<long long>(running_pods.size()) >= *workflow_parallelism) return false;
  auto limit = child_limits.find(request.boundary_id);
  if (limit == child_limits.end()) return true;
  long long active = 0;
  if (auto children = limited_children.find(request.boundary_id); children != limited_children.end()) {
    for (const auto& id : children->second) {
      auto it = status.nodes.find(id);
      if (it == status.nodes.end()) continue;
      const Node& child = it->second;
      bool counted = child.type == NodeType::kPod || child.type == NodeType::kSteps || child.type == NodeType::kDAG;
      if (counted && (child.phase == Phase::kPending || child.phase == Phase::kRunning)) ++active;
    }
  }
  return active < limit->second;
}

}  // namespace skiff::engine
