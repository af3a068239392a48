// Synchronization: mutexes and semaphores at workflow and template level.
//
// A lock is named as Argo names it: "<namespace>/Mutex/<name>" or
// "<namespace>/ConfigMap/<configmap>/<key>" (the semaphore's limit is that
// ConfigMap key, from the loaded objects). A template holding locks takes all
// of them or none; while it cannot, its node waits Pending with Argo's message
// "Waiting for <lock> lock. Lock status: <free>/<limit>", queued first come,
// first served. Locks are released when the holder's node completes.
//
// The table lives in the engine, so it covers the locks of one workflow: the
// template-level ones that make steps of one workflow wait for each other,
// and the workflow's own, which a lone workflow always gets.
#include <algorithm>

#include "base/naming.h"

#include "engine/internal.h"

namespace skiff::engine {

namespace {

struct LockRequest {
  std::string key;
  bool mutex = true;
  std::string configmap;  // semaphores: where the limit is
  std::string configmap_key;
};

Result<std::vector<LockRequest>> lock_requests(const Json& sync, const std::string& default_namespace) {
  std::vector<LockRequest> out;
  auto namespace_of = [&](const Json& item) {
    std::string ns = string_field(item, "namespace");
    return ns.empty() ? default_namespace : ns;
  };
  auto add_mutex = [&](const Json& m) -> Status {
    std::string name = string_field(m, "name");
    if (name.empty()) return invalid_argument("synchronization mutex needs a name");
    out.push_back(LockRequest{namespace_of(m) + "/Mutex/" + name, true, "", ""});
    return Status::ok();
  };
  auto add_semaphore = [&](const Json& s) -> Status {
    const Json ref = s.value("configMapKeyRef", Json());
    std::string name = string_field(ref, "name"), key = string_field(ref, "key");
    if (name.empty() || key.empty()) {
      return invalid_argument("synchronization semaphore needs configMapKeyRef.name and .key (database semaphores "
                              "are not available here)");
    }
    out.push_back(LockRequest{namespace_of(s) + "/ConfigMap/" + name + "/" + key, false, name, key});
    return Status::ok();
  };
  if (auto m = sync.find("mutex"); m != sync.end() && m->is_object()) SKIFF_RETURN_IF_ERROR(add_mutex(*m));
  if (auto ms = sync.find("mutexes"); ms != sync.end() && ms->is_array()) {
    for (const auto& m : *ms) SKIFF_RETURN_IF_ERROR(add_mutex(m));
  }
  if (auto s = sync.find("semaphore"); s != sync.end() && s->is_object()) SKIFF_RETURN_IF_ERROR(add_semaphore(*s));
  if (auto ss = sync.find("semaphores"); ss != sync.end() && ss->is_array()) {
    for (const auto& s : *ss) SKIFF_RETURN_IF_ERROR(add_semaphore(s));
  }
  return out;
}

}  // namespace

Result<std::string> Engine::Impl::acquire_locks(const std::string& holder, const Json& sync) {
  auto requests = lock_requests(sync, options.namespace_);
  if (!requests) return requests.status();
  std::string waiting;
  for (const auto& request : *requests) {
    auto it = locks.find(request.key);
    if (it == locks.end()) {
      SyncLock lock;
      lock.key = request.key;
      lock.mutex = request.mutex;
      if (!request.mutex) {
        const spec::Object* cm = templates.find_object("ConfigMap", request.configmap);
        const Json data = cm ? cm->doc.value("data", Json::object()) : Json::object();
        const Json value = data.value(request.configmap_key, Json());
        std::string text = value.is_string() ? value.get<std::string>() : value.is_number() ? value.dump() : "";
        try {
          size_t used = 0;
          lock.limit = std::stoll(text, &used);
          if (used != text.size()) throw std::invalid_argument(text);
        } catch (const std::exception&) {
          return invalid_argument("failed to get semaphore limit for " + request.key + ": ConfigMap '" +
                                  request.configmap + "' has no integer at key '" + request.configmap_key + "'");
        }
      }
      it = locks.emplace(request.key, std::move(lock)).first;
    }
    SyncLock& lock = it->second;
    if (std::find(lock.holders.begin(), lock.holders.end(), holder) != lock.holders.end()) continue;
    const bool full = static_cast<long long>(lock.holders.size()) >= lock.limit;
    const bool queued_behind = !lock.waiting.empty() && lock.waiting.front() != holder;
    if ((full || queued_behind) && waiting.empty()) {
      waiting = "Waiting for " + lock.key + " lock. Lock status: " +
                std::to_string(lock.limit - static_cast<long long>(lock.holders.size())) + "/" +
                std::to_string(lock.limit);
      waiting_lock[holder] = lock.key;
    }
  }
  for (const auto& request : *requests) {
    SyncLock& lock = locks.at(request.key);
    const bool holds = std::find(lock.holders.begin(), lock.holders.end(), holder) != lock.holders.end();
    const bool queued = std::find(lock.waiting.begin(), lock.waiting.end(), holder) != lock.waiting.end();
    if (!waiting.empty()) {
      if (!holds && !queued) lock.waiting.push_back(holder);
      continue;
    }
    if (!holds) lock.holders.push_back(holder);
    if (queued) lock.waiting.erase(std::find(lock.waiting.begin(), lock.waiting.end(), holder));
  }
  if (waiting.empty()) waiting_lock.erase(holder);
  return waiting;
}

void Engine::Impl::release_locks(const std::string& holder) {
  for (auto& [key, lock] : locks) {
    auto held = std::find(lock.holders.begin(), lock.holders.end(), holder);
    if (held != lock.holders.end()) {
      lock.holders.erase(held);
      progressed = true;
    }
    auto queued = std::find(lock.waiting.begin(), lock.waiting.end(), holder);
    if (queued != lock.waiting.end()) lock.waiting.erase(queued);
  }
  waiting_lock.erase(holder);
}

Json Engine::Impl::synchronization_json() const {
  Json mutex_holding = Json::array(), mutex_waiting = Json::array();
  Json semaphore_holding = Json::array(), semaphore_waiting = Json::array();
  for (const auto& [key, lock] : locks) {
    if (lock.mutex) {
      for (const auto& h : lock.holders) mutex_holding.push_back(Json{{"mutex", key}, {"holder", h}});
      if (!lock.waiting.empty()) mutex_waiting.push_back(Json{{"mutex", key}, {"holder", lock.waiting.front()}});
    } else {
      if (!lock.holders.empty()) semaphore_holding.push_back(Json{{"semaphore", key}, {"holders", lock.holders}});
      if (!lock.waiting.empty()) semaphore_waiting.push_back(Json{{"semaphore", key}, {"holders", lock.waiting}});
    }
  }
  Json out = Json::object();
  if (!mutex_holding.empty()) out["mutex"]["holding"] = mutex_holding;
  if (!mutex_waiting.empty()) out["mutex"]["waiting"] = mutex_waiting;
  if (!semaphore_holding.empty()) out["semaphore"]["holding"] = semaphore_holding;
  if (!semaphore_waiting.empty()) out["semaphore"]["waiting"] = semaphore_waiting;
  return out;
}

std::optional<Node*> Engine::Impl::hold_for_locks(const ExecuteRequest& request, const ResolvedTemplate& resolved,
                                                 const Json& tmpl, const Json& inputs, const Json& sync) {
  Node* node = find_node_by_name(request.node_name);
  if (node && node->fulfilled()) return node;
  if (!node && (!may_start(request) || !parallelism_allows(request))) return nullptr;
  const std::string id = node ? node->id : free_node_id(request.node_name);
  auto waiting = acquire_locks(id, sync);
  if (!waiting) {
    if (!node) {
      node = &create_node(request.node_name, request.display_name, NodeType::kSkipped, Phase::kError,
                          request.boundary_id, waiting.status().message());
      record_named_template(*node, *request.holder);
      adopt(*node, request);
    }
    set_phase(*node, Phase::kError, waiting.status().message());
    return node;
  }
  if (waiting->empty()) {
    // Acquired: a node that waited takes up its run.
    if (node && node->message.rfind("Waiting for ", 0) == 0) {
      node->message.clear();
      if (node->type != NodeType::kPod) node->phase = Phase::kRunning;
      progressed = true;
    }
    return std::nullopt;
  }
  if (!node) {
    node = &create_waiting_node(request, resolved, tmpl, inputs, *waiting);
  } else if (node->message != *waiting) {
    node->message = *waiting;
    progressed = true;
  }
  return node;
}

}  // namespace skiff::engine
