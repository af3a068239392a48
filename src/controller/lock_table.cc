#include "controller/lock_table.h"

#include <algorithm>

namespace skiff::controller {

using Json = nlohmann::json;

LockTable::LockTable(LimitSource limits) : limits_(std::move(limits)) {}

Result<long long> LockTable::limit_of(const engine::LockRequest& lock) const {
  if (lock.mutex) return 1;
  if (!limits_) return not_found("failed to get semaphore limit for " + lock.key + ": no ConfigMaps are loaded");
  return limits_(lock.namespace_, lock.configmap, lock.configmap_key);
}

std::string LockTable::holder_key(const ClaimId& id) const {
  auto it = claims_.find(id);
  const std::string workflow = it == claims_.end() ? id.first : it->second.workflow;
  const std::string name = workflow.substr(workflow.find('/') + 1);
  return id.second == name ? workflow : workflow + "/" + id.second;
}

std::vector<std::string> LockTable::holders(const std::string& key) const {
  std::vector<std::string> out;
  auto it = locks_.find(key);
  if (it == locks_.end()) return out;
  for (const auto& id : it->second.holders) out.push_back(holder_key(id));
  return out;
}

Result<int> LockTable::blocking(const ClaimId& id, const Claim& claim) {
  for (size_t i = 0; i < claim.locks.size(); ++i) {
    auto limit = limit_of(claim.locks[i]);
    if (!limit) return limit.status();
    const Lock& lock = locks_[claim.locks[i].key];
    const bool full = static_cast<long long>(lock.holders.size()) >= *limit;
    const bool older_waits = !lock.waiting.empty() && lock.waiting.begin()->first < claim.seq &&
                             lock.waiting.begin()->second != id;
    if (full || older_waits) return static_cast<int>(i);
  }
  return -1;
}

void LockTable::take(const ClaimId& id, Claim& claim) {
  for (const auto& request : claim.locks) {
    Lock& lock = locks_[request.key];
    lock.waiting.erase({claim.seq, id});
    if (std::find(lock.holders.begin(), lock.holders.end(), id) == lock.holders.end()) lock.holders.push_back(id);
  }
  claim.held = true;
  claim.needs_answer = false;
}

LockTable::Answer LockTable::acquired(const ClaimId& id) const {
  Answer answer{id.first, {}};
  answer.event.kind = engine::Event::Kind::kLockAnswer;
  answer.event.node_id = id.second;
  answer.event.lock_acquired = true;
  return answer;
}

LockTable::Answer LockTable::waiting(const ClaimId& id, const Claim& claim, int index) {
  const engine::LockRequest& request = claim.locks[index];
  auto known = limit_of(request);
  const long long limit = known ? *known : 1;
  const long long free = std::max(0LL, limit - static_cast<long long>(locks_[request.key].holders.size()));
  Answer answer{id.first, {}};
  answer.event.kind = engine::Event::Kind::kLockAnswer;
  answer.event.node_id = id.second;
  answer.event.message = "Waiting for " + request.key + " lock. Lock status: " + std::to_string(free) + "/" +
                         std::to_string(limit);
  answer.event.lock_key = request.key;
  answer.event.lock_holders = holders(request.key);
  return answer;
}

LockTable::Answer LockTable::acquire(const std::string& uid, const std::string& workflow, const std::string& holder,
                                     const std::vector<engine::LockRequest>& locks) {
  const ClaimId id{uid, holder};
  auto existing = claims_.find(id);
  if (existing != claims_.end()) {
    // Asked again (the same holder): the claim stands where it is.
    if (existing->second.held) return acquired(id);
    auto index = blocking(id, existing->second);
    return waiting(id, existing->second, index && *index >= 0 ? *index : 0);
  }
  Claim claim;
  claim.workflow = workflow;
  claim.locks = locks;
  claim.seq = next_seq_++;
  auto index = blocking(id, claim);
  if (!index) {
    Answer refused{uid, {}};
    refused.event.kind = engine::Event::Kind::kLockAnswer;
    refused.event.node_id = holder;
    refused.event.error = index.status().message();
    return refused;
  }
  Claim& stored = claims_.emplace(id, std::move(claim)).first->second;
  if (*index < 0) {
    take(id, stored);
    return acquired(id);
  }
  for (const auto& request : stored.locks) locks_[request.key].waiting.insert({stored.seq, id});
  return waiting(id, stored, *index);
}

std::vector<LockTable::Answer> LockTable::release(const std::string& uid, const std::string& holder) {
  const ClaimId id{uid, holder};
  auto it = claims_.find(id);
  if (it == claims_.end()) return {};
  std::set<std::string> keys;
  for (const auto& request : it->second.locks) {
    keys.insert(request.key);
    Lock& lock = locks_[request.key];
    lock.waiting.erase({it->second.seq, id});
    lock.holders.erase(std::remove(lock.holders.begin(), lock.holders.end(), id), lock.holders.end());
  }
  claims_.erase(it);
  auto answers = grant(keys);
  for (const auto& key : keys) {
    auto lock = locks_.find(key);
    if (lock != locks_.end() && lock->second.holders.empty() && lock->second.waiting.empty()) locks_.erase(lock);
  }
  return answers;
}

std::vector<LockTable::Answer> LockTable::release_workflow(const std::string& uid) {
  std::vector<std::string> holders_of;
  for (auto it = claims_.lower_bound({uid, ""}); it != claims_.end() && it->first.first == uid; ++it) {
    holders_of.push_back(it->first.second);
  }
  std::vector<Answer> answers;
  for (const auto& holder : holders_of) {
    for (auto& answer : release(uid, holder)) {
      if (answer.uid != uid) answers.push_back(std::move(answer));
    }
  }
  return answers;
}

std::vector<LockTable::Answer> LockTable::grant(const std::set<std::string>& keys) {
  std::set<std::pair<uint64_t, ClaimId>> candidates;
  for (const auto& key : keys) {
    auto lock = locks_.find(key);
    if (lock != locks_.end()) candidates.insert(lock->second.waiting.begin(), lock->second.waiting.end());
  }
  std::vector<Answer> answers;
  for (const auto& [seq, id] : candidates) {
    auto it = claims_.find(id);
    if (it == claims_.end() || it->second.held) continue;
    auto index = blocking(id, it->second);
    if (index && *index < 0) {
      take(id, it->second);
      answers.push_back(acquired(id));
    } else if (it->second.needs_answer) {
      it->second.needs_answer = false;
      answers.push_back(waiting(id, it->second, index ? *index : 0));
    }
  }
  return answers;
}

void LockTable::restore(const std::string& uid, const std::string& workflow, const engine::Engine::LockClaim& claim) {
  const ClaimId id{uid, claim.holder};
  if (claims_.count(id)) return;
  Claim& stored = claims_[id];
  stored.workflow = workflow;
  stored.locks = claim.locks;
  stored.seq = next_seq_++;
  if (claim.held) {
    take(id, stored);
    return;
  }
  stored.needs_answer = !claim.answered;
  for (const auto& request : stored.locks) locks_[request.key].waiting.insert({stored.seq, id});
}

std::vector<LockTable::Answer> LockTable::settle() {
  std::set<std::string> keys;
  for (const auto& [key, lock] : locks_) keys.insert(key);
  return grant(keys);
}

LockTable::LimitSource configmap_limits(const std::vector<spec::Object>* objects) {
  return [objects](const std::string& ns, const std::string& configmap, const std::string& key) -> Result<long long> {
    const std::string where = "failed to get semaphore limit for " + ns + "/ConfigMap/" + configmap + "/" + key + ": ";
    static const std::vector<spec::Object> kNone;
    const spec::Object* found = nullptr;
    for (const auto& object : objects ? *objects : kNone) {
      if (object.kind != "ConfigMap" || object.name() != configmap) continue;
      const std::string own = object.namespace_();
      if (!own.empty() && own != ns) continue;
      found = &object;
      if (own == ns) break;  // one of that namespace wins over one that names none
    }
    if (!found) return not_found(where + "ConfigMap '" + configmap + "' not found");
    const Json data = found->doc.value("data", Json::object());
    const Json value = data.value(key, Json());
    const std::string text = value.is_string() ? value.get<std::string>() : value.is_number() ? value.dump() : "";
    try {
      size_t used = 0;
      long long limit = std::stoll(text, &used);
      if (used == text.size() && limit >= 0) return limit;
    } catch (const std::exception&) {
    }
    return invalid_argument(where + "ConfigMap '" + configmap + "' has no integer at key '" + key + "'");
  };
}

}  // namespace skiff::controller
