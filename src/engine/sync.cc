// Synchronization: mutexes and semaphores at workflow and template level.
//
// A lock is named as Argo names it: "<namespace>/Mutex/<name>" or
// "<namespace>/ConfigMap/<configmap>/<key>" (the semaphore's limit is that
// ConfigMap key). The table of who holds what is the controller's, shared by
// every workflow it runs: the engine asks for a holder's locks with an
// action and learns the answer from an event. A template holding locks takes
// all of them or none; while it waits, its node is Pending with Argo's
// message "Waiting for <lock> lock. Lock status: <free>/<limit>". Locks are
// released when the holder's node completes, or the workflow does.
#include <algorithm>

#include "base/naming.h"

#include "engine/internal.h"

namespace skiff::engine {

namespace {

Result<std::vector<LockRequest>> lock_requests(const Json& sync, const std::string& default_namespace) {
  std::vector<LockRequest> out;
  auto namespace_of = [&](const Json& item) {
    std::string ns = string_field(item, "namespace");
    return ns.empty() ? default_namespace : ns;
  };
  auto add_mutex = [&](const Json& m) -> Status {
    std::string name = string_field(m, "name");
    if (name.empty()) return invalid_argument("synchronization mutex needs a name");
    out.push_back(LockRequest{namespace_of(m) + "/Mutex/" + name, true, namespace_of(m), "", ""});
    return Status::ok();
  };
  auto add_semaphore = [&](const Json& s) -> Status {
    const Json ref = s.value("configMapKeyRef", Json());
    std::string name = string_field(ref, "name"), key = string_field(ref, "key");
    if (name.empty() || key.empty()) {
      return invalid_argument("synchronization semaphore needs configMapKeyRef.name and .key (database semaphores "
                              "are not available here)");
    }
    out.push_back(LockRequest{namespace_of(s) + "/ConfigMap/" + name + "/" + key, false, namespace_of(s), name, key});
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

Result<Engine::Impl::LockClaim*> Engine::Impl::claim_locks(const std::string& holder, const Json& sync) {
  auto it = lock_claims.find(holder);
  if (it == lock_claims.end()) {
    auto requests = lock_requests(sync, options.namespace_);
    if (!requests) return requests.status();
    LockClaim claim;
    claim.locks = std::move(*requests);
    claim.requested_at = now;
    it = lock_claims.emplace(holder, std::move(claim)).first;
    Action ask;
    ask.kind = Action::Kind::kAcquireLocks;
    ask.node_id = holder;
    ask.locks = it->second.locks;
    actions.push_back(std::move(ask));
  }
  if (!it->second.error.empty()) return invalid_argument(it->second.error);
  return &it->second;
}

void Engine::Impl::release_locks(const std::string& holder) {
  auto it = lock_claims.find(holder);
  if (it == lock_claims.end()) return;
  lock_claims.erase(it);
  Action release;
  release.kind = Action::Kind::kReleaseLocks;
  release.node_id = holder;
  actions.push_back(std::move(release));
}

void Engine::Impl::answer_locks(const Event& event) {
  auto it = lock_claims.find(event.node_id);
  if (it == lock_claims.end()) return;  // released since it asked
  LockClaim& claim = it->second;
  claim.answered = true;
  if (!event.error.empty()) {
    claim.error = event.error;
  } else if (event.lock_acquired) {
    claim.held = true;
    claim.waiting_message.clear();
    claim.waiting_key.clear();
    claim.waiting_holders.clear();
  } else {
    claim.waiting_message = event.message;
    claim.waiting_key = event.lock_key;
    claim.waiting_holders = event.lock_holders;
  }
}

bool Engine::Impl::workflow_waits_for_locks() {
  auto it = lock_claims.find(options.name);
  if (it == lock_claims.end() || it->second.held) return false;
  const LockClaim& claim = it->second;
  if (!claim.error.empty()) {
    status.phase = Phase::kFailed;
    status.message = "Failed to acquire the synchronization lock. " + claim.error;
    status.finished_at = now;
    release_locks(options.name);
    return false;
  }
  // A shutdown of a workflow that never ran ends it at once.
  if (terminating) {
    status.phase = Phase::kFailed;
    status.message = shutdown_workflow_message;
    status.finished_at = now;
    release_locks(options.name);
    return false;
  }
  status.phase = Phase::kPending;
  status.message = claim.waiting_message;
  return true;
}

Json Engine::Impl::synchronization_json() const {
  Json mutex_holding = Json::array(), mutex_waiting = Json::array();
  Json semaphore_holding = Json::array(), semaphore_waiting = Json::array();
  std::map<std::string, Json> semaphore_holders;  // key -> holders, in key order
  for (const auto& [holder, claim] : lock_claims) {
    if (claim.held) {
      for (const auto& lock : claim.locks) {
        if (lock.mutex) {
          mutex_holding.push_back(Json{{"mutex", lock.key}, {"holder", holder}});
        } else {
          Json& holders = semaphore_holders[lock.key];
          if (holders.is_null()) holders = Json::array();
          holders.push_back(holder);
        }
      }
      continue;
    }
    if (claim.waiting_key.empty()) continue;
    const bool mutex = claim.waiting_key.find("/Mutex/") != std::string::npos;
    if (mutex) {
      if (!claim.waiting_holders.empty()) {
        mutex_waiting.push_back(Json{{"mutex", claim.waiting_key}, {"holder", claim.waiting_holders.front()}});
      }
    } else {
      semaphore_waiting.push_back(Json{{"semaphore", claim.waiting_key}, {"holders", claim.waiting_holders}});
    }
  }
  for (auto& [key, holders] : semaphore_holders) {
    semaphore_holding.push_back(Json{{"semaphore", key}, {"holders", holders}});
  }
  Json out = Json::object();
  if (!mutex_holding.empty()) out["mutex"]["holding"] = mutex_holding;
  if (!mutex_waiting.empty()) out["mutex"]["waiting"] = mutex_waiting;
  if (!semaphore_holding.empty()) out["semaphore"]["holding"] = semaphore_holding;
  if (!semaphore_waiting.empty()) out["semaphore"]["waiting"] = semaphore_waiting;
  return out;
}

std::vector<Engine::LockClaim> Engine::lock_claims() const {
  std::vector<LockClaim> out;
  for (const auto& [holder, claim] : impl_->lock_claims) {
    if (!claim.error.empty()) continue;
    out.push_back(LockClaim{holder, claim.locks, claim.requested_at, claim.answered, claim.held});
  }
  return out;
}

std::optional<Node*> Engine::Impl::hold_for_locks(const ExecuteRequest& request, const ResolvedTemplate& resolved,
                                                 const Json& tmpl, const Json& inputs, const Json& sync) {
  Node* node = find_node_by_name(request.node_name);
  if (node && node->fulfilled()) return node;
  if (!node && (!may_start(request) || !parallelism_allows(request))) return nullptr;
  const std::string id = node ? node->id : free_node_id(request.node_name);
  auto claim = claim_locks(id, sync);
  if (!claim) {
    if (!node) {
      node = &create_node(request.node_name, request.display_name, NodeType::kSkipped, Phase::kError,
                          request.boundary_id, claim.status().message());
      record_named_template(*node, *request.holder);
      adopt(*node, request);
    }
    set_phase(*node, Phase::kError, claim.status().message());
    return node;
  }
  LockClaim& held = **claim;
  if (held.held) {
    // Acquired: a node that waited takes up its run.
    if (node && !held.taken_up) {
      if (node->message.rfind("Waiting for ", 0) == 0) node->message.clear();
      if (node->type != NodeType::kPod && node->phase == Phase::kPending) node->phase = Phase::kRunning;
      progressed = true;
    }
    held.taken_up = true;
    return std::nullopt;
  }
  if (!node) {
    node = &create_waiting_node(request, resolved, tmpl, inputs, held.waiting_message);
  } else if (node->message != held.waiting_message) {
    node->message = held.waiting_message;
    progressed = true;
  }
  return node;
}

}  // namespace skiff::engine
