// Node bookkeeping: creation with Argo's IDs, phases, parent/child links and
// outbound nodes.
#include <algorithm>
#include <cctype>

#include "base/naming.h"
#include "engine/internal.h"

namespace skiff::engine {

const char* to_string(NodeType type) {
  switch (type) {
    case NodeType::kPod: return "Pod";
    case NodeType::kSteps: return "Steps";
    case NodeType::kStepGroup: return "StepGroup";
    case NodeType::kDAG: return "DAG";
    case NodeType::kTaskGroup: return "TaskGroup";
    case NodeType::kRetry: return "Retry";
    case NodeType::kSkipped: return "Skipped";
    case NodeType::kSuspend: return "Suspend";
    case NodeType::kContainer: return "Container";
    case NodeType::kHTTP: return "HTTP";
  }
  return "";
}

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::kPending: return "Pending";
    case Phase::kRunning: return "Running";
    case Phase::kSucceeded: return "Succeeded";
    case Phase::kFailed: return "Failed";
    case Phase::kError: return "Error";
    case Phase::kSkipped: return "Skipped";
    case Phase::kOmitted: return "Omitted";
  }
  return "";
}

bool is_completed(Phase phase) {
  return phase == Phase::kSucceeded || phase == Phase::kFailed || phase == Phase::kError ||
         phase == Phase::kSkipped || phase == Phase::kOmitted;
}

bool is_failed_or_error(Phase phase) { return phase == Phase::kFailed || phase == Phase::kError; }

std::string Engine::Impl::node_id_of(const std::string& name) const {
  if (!collided_ids.empty()) {
    if (auto it = collided_ids.find(name); it != collided_ids.end()) return it->second;
  }
  return argo_node_id(options.name, name);
}

std::string Engine::Impl::free_node_id(const std::string& name) const {
  std::string id = node_id_of(name);
  // Argo's IDs are a 32-bit hash of the name: among tens of thousands of
  // nodes two names share one. The later node takes the first free ID
  // derived from its name, so that neither overwrites the other.
  for (int k = 1;; ++k) {
    auto taken = status.nodes.find(id);
    if (taken == status.nodes.end() || taken->second.name == name) return id;
    id = argo_node_id(options.name, name + "\n" + std::to_string(k));
  }
}

Node* Engine::Impl::find_node_by_name(const std::string& name) {
  auto it = status.nodes.find(node_id_of(name));
  return it == status.nodes.end() || it->second.name != name ? nullptr : &it->second;
}

Node& Engine::Impl::create_node(const std::string& name, const std::string& display_name, NodeType type,
                                Phase phase, const std::string& boundary_id, const std::string& message) {
  std::string id = free_node_id(name);
  if (id != argo_node_id(options.name, name)) collided_ids[name] = id;
  Node& node = status.nodes[id];
  node.id = id;
  node.name = name;
  node.display_name = display_name;
  node.type = type;
  node.phase = phase;
  node.boundary_id = boundary_id;
  if (auto scope = inner_scopes.find(boundary_id); scope != inner_scopes.end()) node.template_scope = scope->second;
  if (exit_nodes.count(boundary_id)) exit_nodes.insert(id);
  if (child_limits.count(boundary_id)) limited_children[boundary_id].push_back(id);
  node.message = message;
  node.started_at = now;
  if (is_completed(phase)) node.finished_at = now;
  progressed = true;
  mark_dirty(node);
  return node;
}

void record_named_template(Node& node, const Json& holder) {
  node.template_name = string_field(holder, "template");
  if (auto ref = holder.find("templateRef"); ref != holder.end() && ref->is_object()) node.template_ref = *ref;
}

void Engine::Impl::add_child(const std::string& parent_name, const std::string& child_name) {
  Node* parent = find_node_by_name(parent_name);
  if (!parent) return;
  std::string child_id = node_id_of(child_name);
  auto& children = parent->children;
  if (children.size() < kIndexedChildren) {
    if (std::find(children.begin(), children.end(), child_id) != children.end()) return;
  } else {
    // A loop's group has up to 100,000 children: searching them for every
    // one added would be quadratic.
    auto [index, made] = children_index.try_emplace(parent->id);
    if (made) index->second.insert(children.begin(), children.end());
    if (!index->second.insert(child_id).second) return;
  }
  children.push_back(child_id);
  progressed = true;
  mark_dirty(*parent);
}

void Engine::Impl::set_phase(Node& node, Phase phase, const std::string& message) {
  if (node.phase == phase && (message.empty() || node.message == message)) return;
  node.phase = phase;
  if (!message.empty()) node.message = message;
  if (is_completed(phase) && !node.finished_at) node.finished_at = now;
  if (is_completed(phase) && !lock_claims.empty()) release_locks(node.id);
  if (phase == Phase::kSucceeded && !memo.empty()) save_memo(node);
  if (is_completed(phase) && !children_index.empty()) children_index.erase(node.id);
  progressed = true;
  mark_dirty(node);
}

void Engine::Impl::mark_dirty(const Node& node) {
  // A marked node's boundaries were marked with it: stop at the first one.
  for (const Node* n = &node; n && dirty_next.insert(n->id).second;) {
    if (n->boundary_id.empty()) break;
    auto it = status.nodes.find(n->boundary_id);
    n = it == status.nodes.end() ? nullptr : &it->second;
  }
}

// A pod is its own outbound node, except a containerSet's: there the leaf
// containers are, and a container whose child lies outside the pod (the
// next step or task) is the last of its branch.
std::vector<std::string> Engine::Impl::pod_outbound_nodes(const Node& node) const {
  auto child_of = [&](const std::string& id) -> const Node* {
    auto it = status.nodes.find(id);
    return it == status.nodes.end() ? nullptr : &it->second;
  };
  if (node.type == NodeType::kPod) {
    bool has_containers = false;
    for (const auto& id : node.children) {
      const Node* child = child_of(id);
      has_containers = has_containers || (child && child->type == NodeType::kContainer && child->boundary_id == node.id);
    }
    if (!has_containers) return {node.id};
  }
  if (node.children.empty()) return {node.id};
  std::vector<std::string> out;
  for (const auto& id : node.children) {
    const Node* child = child_of(id);
    if (!child) continue;
    if (node.type == NodeType::kContainer && child->boundary_id != node.boundary_id) {
      out.push_back(node.id);
    } else {
      auto more = outbound_nodes(id);
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  return out;
}

std::vector<std::string> Engine::Impl::attempts_of(const Node& retry) const {
  std::vector<std::string> out;
  for (const auto& id : retry.children) {
    auto it = status.nodes.find(id);
    if (it != status.nodes.end() && !it->second.hooked) out.push_back(id);
  }
  return out;
}

const Node* Engine::Impl::last_attempt(const Node& retry) const {
  for (auto id = retry.children.rbegin(); id != retry.children.rend(); ++id) {
    auto it = status.nodes.find(*id);
    if (it != status.nodes.end() && !it->second.hooked) return &it->second;
  }
  return nullptr;
}

bool Engine::Impl::hooks_fulfilled(const Node& node) const {
  for (const auto& id : node.children) {
    auto it = status.nodes.find(id);
    if (it != status.nodes.end() && it->second.hooked && !it->second.fulfilled()) return false;
  }
  return true;
}

std::string Engine::Impl::display_name_in(const std::string& name, const std::string& boundary_id) const {
  auto boundary = status.nodes.find(boundary_id);
  if (boundary == status.nodes.end() || name.compare(0, boundary->second.name.size(), boundary->second.name) != 0) {
    return name;
  }
  std::string rest = name.substr(boundary->second.name.size());
  size_t i = 0;
  if (i < rest.size() && rest[i] == '[') {
    size_t close = rest.find(']');
    bool digits = close != std::string::npos && close > 1;
    for (size_t k = 1; digits && k < close; ++k) digits = std::isdigit(static_cast<unsigned char>(rest[k])) != 0;
    if (digits && close + 1 < rest.size() && rest[close + 1] == '.') i = close + 1;
  }
  if (i < rest.size() && rest[i] == '.') return rest.substr(i + 1);
  return rest;
}

std::vector<std::string> Engine::Impl::outbound_nodes(const std::string& node_id) const {
  auto it = status.nodes.find(node_id);
  if (it == status.nodes.end()) return {};
  const Node& node = it->second;
  switch (node.type) {
    case NodeType::kSkipped:
    case NodeType::kSuspend:
    case NodeType::kHTTP:
      return {node.id};
    case NodeType::kPod:
    case NodeType::kContainer:
      return pod_outbound_nodes(node);
    case NodeType::kRetry:
      if (const Node* last = last_attempt(node)) return {last->id};
      return {node.id};
    case NodeType::kTaskGroup:
      // A loop's outbound nodes are its iterations'.
      if (node.outbound_nodes.empty()) {
        std::vector<std::string> out;
        for (const auto& child : node.children) {
          auto more = outbound_nodes(child);
          out.insert(out.end(), more.begin(), more.end());
        }
        if (out.empty()) out.push_back(node.id);
        return out;
      }
      break;
    default:
      break;
  }
  std::vector<std::string> out;
  for (const auto& id : node.outbound_nodes) {
    auto more = outbound_nodes(id);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

}  // namespace skiff::engine
