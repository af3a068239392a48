// The mutexes and semaphores every workflow of one controller shares, as
// Argo's controller keeps them: a mutex "<namespace>/Mutex/<name>" or a
// semaphore "<namespace>/ConfigMap/<name>/<key>" is the namespace's, so two
// workflows that name it wait for each other.
//
// Engines ask for a holder's locks with a kAcquireLocks action and learn the
// outcome from a kLockAnswer event; this table makes those answers. A claim
// takes all its locks at once or none, first come first served: it may not
// pass an older claim waiting for one of its locks. Releasing a claim (its
// holder completed, or its workflow completed, was deleted, stopped or
// terminated) gives the freed places to the next waiters, whose answers
// come back from release().
//
// Pure: no I/O, no clock, no threads (one owner drives it). A semaphore's
// limit comes from the LimitSource, read each time it is needed, as Argo
// reads its ConfigMap.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"
#include "spec/spec.h"

namespace skiff::controller {

class LockTable {
 public:
  // The limit of the semaphore at ConfigMap `configmap`, key `key`, of
  // namespace `namespace_`; an error names what is missing.
  using LimitSource =
      std::function<Result<long long>(const std::string& namespace_, const std::string& configmap, const std::string& key)>;
  explicit LockTable(LimitSource limits);

  // A kLockAnswer event for the engine of workflow `uid`.
  struct Answer {
    std::string uid;
    engine::Event event;
  };

  // `workflow` names the asking workflow as "<namespace>/<name>"; `holder`
  // is a node ID or, for the workflow's own locks, its name. Answers the
  // asker (acquired, waiting, or refused).
  Answer acquire(const std::string& uid, const std::string& workflow, const std::string& holder,
                 const std::vector<engine::LockRequest>& locks);
  // The holder gives its locks back (or stops waiting): answers for the
  // claims that take the freed places.
  std::vector<Answer> release(const std::string& uid, const std::string& holder);
  // Every claim of the workflow (it completed or is gone).
  std::vector<Answer> release_workflow(const std::string& uid);

  // After a restart, each claim an engine rebuilt from its journal: held
  // ones are held again, waiting ones queue in the order they are given
  // (give them oldest first). Then settle() answers what can move: claims
  // that may take their locks now, and waiting claims never answered.
  void restore(const std::string& uid, const std::string& workflow, const engine::Engine::LockClaim& claim);
  std::vector<Answer> settle();

  // Who holds a lock now, as holder keys ("<namespace>/<workflow>" or
  // "<namespace>/<workflow>/<node id>").
  std::vector<std::string> holders(const std::string& key) const;

 private:
  using ClaimId = std::pair<std::string, std::string>;  // (uid, holder)
  struct Claim {
    std::string workflow;
    std::vector<engine::LockRequest> locks;
    uint64_t seq = 0;
    bool held = false;
    bool needs_answer = false;
  };
  struct Lock {
    std::vector<ClaimId> holders;
    std::set<std::pair<uint64_t, ClaimId>> waiting;  // oldest first
  };

  Result<long long> limit_of(const engine::LockRequest& lock) const;
  // The index of the first lock the claim must wait for; -1 when it may
  // take them all now.
  Result<int> blocking(const ClaimId& id, const Claim& claim);
  void take(const ClaimId& id, Claim& claim);
  Answer acquired(const ClaimId& id) const;
  Answer waiting(const ClaimId& id, const Claim& claim, int index);
  std::string holder_key(const ClaimId& id) const;
  // Gives the waiters of `keys` what they may take, oldest first.
  std::vector<Answer> grant(const std::set<std::string>& keys);

  LimitSource limits_;
  std::map<ClaimId, Claim> claims_;
  std::map<std::string, Lock> locks_;
  uint64_t next_seq_ = 1;
};

// A LimitSource over loaded objects: the ConfigMap of that name (in that
// namespace, or one that names none), its key as an integer.
LockTable::LimitSource configmap_limits(const std::vector<spec::Object>* objects);

}  // namespace skiff::controller
