// Memoization: a template with `memoize` first asks the controller for its
// key (Action kCacheLookup). Its node waits Pending with
// memoizationStatus {hit: false, key, cacheName} until the answer comes; a
// fresh entry (younger than memoize.maxAge, when given) completes the node
// Succeeded with the cached outputs and starts nothing, else the template
// runs and, once it succeeds, its outputs are stored (Action kCacheSave).
#include "base/naming.h"
#include "engine/internal.h"

namespace skiff::engine {

Node& Engine::Impl::create_waiting_node(const ExecuteRequest& request, const ResolvedTemplate& resolved,
                                        const Json& tmpl, const Json& inputs, const std::string& message) {
  NodeType type = NodeType::kPod;
  if (tmpl.contains("retryStrategy")) type = NodeType::kRetry;
  else if (tmpl.contains("steps")) type = NodeType::kSteps;
  else if (tmpl.contains("dag")) type = NodeType::kDAG;
  else if (tmpl.contains("suspend")) type = NodeType::kSuspend;
  Node& node = create_node(request.node_name, request.display_name, type, Phase::kPending, request.boundary_id,
                           message);
  node.template_name = resolved.template_ref.is_null() ? resolved.template_name : "";
  node.template_ref = resolved.template_ref;
  node.template_scope = request.context->scope;
  node.inputs = inputs;
  adopt(node, request);
  return node;
}

std::optional<Node*> Engine::Impl::check_memo(const ExecuteRequest& request, const ResolvedTemplate& resolved,
                                              const Json& tmpl, const Json& inputs, const Json& memoize) {
  Node* node = find_node_by_name(request.node_name);
  if (node && node->fulfilled()) return node;
  const std::string id = node ? node->id : free_node_id(request.node_name);
  auto lookup = memo.find(id);
  if (lookup == memo.end()) {
    if (!node && (!may_start(request) || !parallelism_allows(request))) return nullptr;
    MemoLookup m;
    m.key = string_field(memoize, "key");
    m.cache = string_field(memoize.value("cache", Json::object()).value("configMap", Json::object()), "name");
    std::string error;
    if (m.key.empty()) error = "memoize.key is required";
    else if (m.cache.empty()) error = "memoize.cache.configMap.name is required";
    if (std::string age = string_field(memoize, "maxAge"); error.empty() && !age.empty()) {
      m.max_age = parse_duration(age);
      if (!m.max_age) error = "invalid maxAge: " + age;
    }
    if (!node) node = &create_waiting_node(request, resolved, tmpl, inputs, "");
    if (!error.empty()) {
      set_phase(*node, Phase::kError, error);
      return node;
    }
    node->memoization = Json{{"hit", false}, {"key", m.key}, {"cacheName", m.cache}};
    Action ask;
    ask.kind = Action::Kind::kCacheLookup;
    ask.node_id = id;
    ask.cache_name = m.cache;
    ask.cache_key = m.key;
    actions.push_back(std::move(ask));
    memo.emplace(id, std::move(m));
    return node;
  }
  if (!lookup->second.answered || lookup->second.hit) return node;
  // A miss: the template runs as it would have.
  if (node && node->phase == Phase::kPending && node->type != NodeType::kPod) set_phase(*node, Phase::kRunning);
  return std::nullopt;
}

void Engine::Impl::answer_memo(const Event& event) {
  auto lookup = memo.find(event.node_id);
  auto it = status.nodes.find(event.node_id);
  if (lookup == memo.end() || lookup->second.answered || it == status.nodes.end()) return;
  MemoLookup& m = lookup->second;
  m.answered = true;
  m.hit = event.cache_hit && (!m.max_age || now - event.cache_created <= *m.max_age);
  progressed = true;
  if (!m.hit) return;
  Node& node = it->second;
  node.outputs = event.cache_outputs;
  node.memoization["hit"] = true;
  set_phase(node, Phase::kSucceeded);
  if (node.outputs.is_object()) publish_global_outputs(node.outputs);
}

void Engine::Impl::save_memo(const Node& node) {
  auto lookup = memo.find(node.id);
  if (lookup == memo.end() || !lookup->second.answered || lookup->second.hit) return;
  Action save;
  save.kind = Action::Kind::kCacheSave;
  save.node_id = node.id;
  save.cache_name = lookup->second.cache;
  save.cache_key = lookup->second.key;
  save.outputs = node.outputs.is_null() ? Json::object() : node.outputs;
  actions.push_back(std::move(save));
}

}  // namespace skiff::engine
