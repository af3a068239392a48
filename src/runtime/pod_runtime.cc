// Pods on a runtime of single containers: the kubelet's part, locally. Init
// containers run one after another, then the main container(s) and the
// sidecars start; a containerSet member starts when the members it depends
// on succeeded; once every main container has ended the sidecars are
// stopped, and the pod completes when nothing of it runs any more.
// Readiness probes are tried on their period, and a pod whose running
// containers all passed theirs is reported ready once.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>
#include <optional>

#include "base/strings.h"
#include "runtime/pod_parts.h"
#include "runtime/probe.h"
#include "runtime/runtime.h"

namespace skiff::runtime {
namespace {

using internal::probe_local_port;

// What Argo's executor exits with when it cannot run a container's command
// (here: a dependency failed).
constexpr int kExecutorExitCode = 64;

enum class Role { kInit, kMain, kSidecar };
// kRestarting: a containerSet member that failed waits to run again.
enum class State { kWaiting, kRunning, kRestarting, kDone };

struct Container {
  Role role = Role::kMain;
  StepSpec step;  // as a lone step, id "<pod>.<name>"
  std::string name;
  std::vector<std::string> dependencies;
  std::optional<Probe> readiness;
  State state = State::kWaiting;
  bool ready = false;
  bool probing = false;  // an exec probe runs now
  Time next_probe{};
  bool ran = false;  // reported in Completion::containers
  int runs = 0;      // times started (more than once when retried)
  Time restart_at{};
  int exit_code = 0;
  std::string error;
  std::string result;
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> output_paths;
};

struct Pod {
  StepSpec spec;
  std::vector<Container> containers;  // init containers, main containers, sidecars
  bool cancelled = false;
  bool reported_ready = false;
  std::string error;
  Time started{};
};

Time clock_now() { return now_from(Clock::now()); }

class PodRuntime final : public Runtime {
 public:
  explicit PodRuntime(std::unique_ptr<Runtime> containers) : inner_(std::move(containers)) {}

  Status launch(const StepSpec& spec) override {
    if (!spec.is_pod()) {
      SKIFF_RETURN_IF_ERROR(inner_->launch(spec));
      plain_.insert(spec.id);
      return Status::ok();
    }
    if (pods_.count(spec.id) || plain_.count(spec.id)) return failed_precondition("step " + spec.id + " is already running");
    Pod pod;
    pod.spec = spec;
    pod.started = clock_now();
    for (const auto& c : spec.init_containers) add(pod, Role::kInit, c);
    if (spec.container_set.empty()) {
      Container main;
      main.role = Role::kMain;
      main.name = "main";
      main.step = spec;
      main.step.init_containers.clear();
      main.step.sidecars.clear();
      main.step.readiness.reset();
      main.readiness = spec.readiness;
      pod.containers.push_back(std::move(main));
    } else {
      for (const auto& c : spec.container_set) add(pod, Role::kMain, c);
    }
    for (const auto& c : spec.sidecars) add(pod, Role::kSidecar, c);
    // Outputs are the main container's to give.
    for (auto& c : pod.containers) {
      if (c.role == Role::kMain && c.name == "main") {
        c.step.output_files = spec.output_files;
        c.step.output_paths = spec.output_paths;
      }
    }
    Pod& stored = pods_.emplace(spec.id, std::move(pod)).first->second;
    advance(stored);
    // Nothing could start at all: report it as a launch failure.
    if (!stored.error.empty() && !any_running(stored)) {
      Status failed = internal_error(stored.error);
      forget(stored);
      return failed;
    }
    return Status::ok();
  }

  std::optional<StepProcess> process_of(const std::string& id) const override {
    return plain_.count(id) ? inner_->process_of(id) : std::nullopt;
  }

  std::optional<StepProcess> find_process(const std::string& id, Time not_before) const override {
    return inner_->find_process(id, not_before);
  }

  Status adopt(const StepSpec& spec, const StepProcess& process) override {
    if (spec.is_pod()) return failed_precondition("a pod's containers cannot be taken over");
    if (pods_.count(spec.id) || plain_.count(spec.id)) return failed_precondition("step " + spec.id + " is already running");
    SKIFF_RETURN_IF_ERROR(inner_->adopt(spec, process));
    plain_.insert(spec.id);
    return Status::ok();
  }

  void cancel(const std::string& id) override {
    auto it = pods_.find(id);
    if (it == pods_.end()) {
      inner_->cancel(id);
      return;
    }
    Pod& pod = it->second;
    pod.cancelled = true;
    for (auto& c : pod.containers) {
      if (c.state == State::kRunning) inner_->cancel(c.step.id);
      if (c.state == State::kRestarting) c.state = State::kDone;  // its last run's end stands
    }
  }

  std::vector<Completion> wait(std::optional<Time> until) override {
    // Container changes wake the caller once (those made by launch() too);
    // one that does not take them is not woken by them again.
    auto changed = [&] {
      if (changes_.size() <= changes_announced_) return false;
      changes_announced_ = changes_.size();
      return true;
    };
    for (;;) {
      std::vector<Completion> out;
      collect(&out);  // a pod cancelled while a member waited to run again
      if (!out.empty()) return out;
      run_due_probes();
      run_due_restarts();
      if (!ready_.empty() || changed() || woken_.exchange(false)) return out;
      std::optional<Time> probe_at = next_probe_time();
      std::optional<Time> deadline = until;
      if (probe_at && (!deadline || *probe_at < *deadline)) deadline = probe_at;
      std::vector<Completion> done = inner_->wait(deadline);
      for (auto& c : done) route(std::move(c), &out);
      collect(&out);
      if (!out.empty() || !ready_.empty() || changed() || woken_.exchange(false)) return out;
      // Nothing ended: `until` passed, a probe is due, or something the
      // caller watches (wake_on_readable) woke the inner wait; let the caller
      // look.
      if (done.empty()) return out;
      // Otherwise only containers of pods moved, or a probe is due: go on.
    }
  }

  void wake() override {
    woken_.store(true);
    inner_->wake();
  }

  void wake_on_readable(int fd) override { inner_->wake_on_readable(fd); }

  size_t running() const override { return plain_.size() + pods_.size(); }

  // A pod's address is its main container's, which holds its network.
  std::string pod_ip(const std::string& id) const override {
    auto pod = pods_.find(id);
    if (pod == pods_.end()) return inner_->pod_ip(id);
    for (const auto& c : pod->second.containers) {
      if (c.role == Role::kMain && c.state == State::kRunning && c.step.own_network) return inner_->pod_ip(c.step.id);
    }
    return "127.0.0.1";
  }

  std::vector<std::string> take_ready() override { return std::exchange(ready_, {}); }

  std::vector<ContainerChange> take_container_changes() override {
    changes_announced_ = 0;
    return std::exchange(changes_, {});
  }

  Result<std::string> logs(const std::string& id) const override {
    std::vector<std::string> steps;
    if (auto pod = pods_.find(id); pod != pods_.end()) {
      for (const auto& c : pod->second.containers) {
        if (c.role == Role::kMain && c.ran) steps.push_back(c.step.id);
      }
    } else if (auto done = main_steps_.find(id); done != main_steps_.end()) {
      steps = done->second;
    } else {
      return inner_->logs(id);
    }
    return internal::pod_logs(*inner_, id, steps);
  }

 private:
  void add(Pod& pod, Role role, const ContainerSpec& spec) {
    Container c;
    c.role = role;
    c.name = spec.name;
    c.step = internal::container_step(pod.spec, spec);
    c.dependencies = spec.dependencies;
    c.readiness = spec.readiness;
    pod.containers.push_back(std::move(c));
  }

  static bool any_running(const Pod& pod) {
    return std::any_of(pod.containers.begin(), pod.containers.end(), [](const Container& c) {
      return c.state == State::kRunning || c.state == State::kRestarting;
    });
  }

  // The members of a containerSet are the containers whose starts and ends
  // are reported (they are nodes of their own).
  static bool reported(const Pod& pod, const Container& c) {
    return c.role == Role::kMain && !pod.spec.container_set.empty();
  }

  void report(const Pod& pod, const Container& c, bool finished) {
    if (reported(pod, c)) changes_.push_back({pod.spec.id, c.name, finished, c.exit_code});
  }

  Container* find(Pod& pod, const std::string& name) {
    for (auto& c : pod.containers) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }

  void start(Pod& pod, Container& c) {
    Status launched = inner_->launch(c.step);
    if (!launched) {
      c.state = State::kDone;
      c.error = launched.message();
      if (pod.error.empty()) pod.error = launched.message();
      return;
    }
    c.state = State::kRunning;
    c.ran = true;
    if (c.runs++ == 0) report(pod, c, false);
    owners_[c.step.id] = {pod.spec.id, c.name};
    c.ready = !c.readiness.has_value();
    if (c.readiness) c.next_probe = clock_now() + c.readiness->initial_delay;
  }

  bool failed(const Container& c) const { return c.state == State::kDone && (c.exit_code != 0 || !c.error.empty()); }

  // Starts whatever the pod's state allows, stops sidecars once the main
  // containers are done.
  void advance(Pod& pod) {
    bool halted = pod.cancelled || !pod.error.empty();
    // Init containers, in order, each to success.
    for (auto& c : pod.containers) {
      if (c.role != Role::kInit) continue;
      if (failed(c)) halted = true;
      if (c.state == State::kDone) continue;
      if (c.state == State::kWaiting && !halted) start(pod, c);
      return;  // an init container runs (or could not start): wait for it
    }
    bool mains_done = true;
    if (!halted) {
      for (auto& c : pod.containers) {
        if (c.role == Role::kSidecar && c.state == State::kWaiting) start(pod, c);
      }
    }
    // Members whose dependencies are settled start, or are skipped when one
    // failed; repeat until nothing changes (skips cascade).
    for (bool changed = true; changed;) {
      changed = false;
      for (auto& c : pod.containers) {
        if (c.role != Role::kMain || c.state != State::kWaiting) continue;
        if (halted || !pod.error.empty()) break;
        bool ready = true, blocked = false;
        for (const auto& dep : c.dependencies) {
          Container* d = find(pod, dep);
          if (!d || d->state != State::kDone) {
            ready = false;
          } else if (failed(*d)) {
            blocked = true;
          }
        }
        if (blocked) {
          c.state = State::kDone;
          c.ran = true;
          c.exit_code = kExecutorExitCode;
          report(pod, c, true);
          changed = true;
        } else if (ready) {
          start(pod, c);
          changed = true;
        }
      }
    }
    for (const auto& c : pod.containers) {
      if (c.role == Role::kMain && c.state != State::kDone) mains_done = false;
    }
    if (mains_done || halted || !pod.error.empty()) {
      for (auto& c : pod.containers) {
        if (c.role == Role::kSidecar && c.state == State::kRunning) inner_->cancel(c.step.id);
        if (c.role == Role::kSidecar && c.state == State::kWaiting) c.state = State::kDone;
      }
      if (pod.cancelled || !pod.error.empty()) {
        for (auto& c : pod.containers) {
          if (c.state == State::kRunning) inner_->cancel(c.step.id);
        }
      }
    }
    check_ready(pod);
  }

  bool complete(const Pod& pod) const {
    if (any_running(pod)) return false;
    if (pod.cancelled || !pod.error.empty()) return true;
    for (const auto& c : pod.containers) {
      if (c.role == Role::kInit && failed(c)) return true;
      if (c.role == Role::kMain && c.state != State::kDone) return false;
    }
    return true;
  }

  void route(Completion done, std::vector<Completion>* out) {
    if (plain_.erase(done.id)) {
      out->push_back(std::move(done));
      return;
    }
    if (auto probe = probes_.find(done.id); probe != probes_.end()) {
      auto [pod_id, name] = probe->second;
      probes_.erase(probe);
      auto pod = pods_.find(pod_id);
      if (pod == pods_.end()) return;
      Container* c = find(pod->second, name);
      if (!c) return;
      c->probing = false;
      if (done.exit_code == 0 && done.error.empty()) {
        c->ready = true;
      } else {
        c->next_probe = clock_now() + c->readiness->period;
      }
      check_ready(pod->second);
      return;
    }
    auto owner = owners_.find(done.id);
    if (owner == owners_.end()) return;
    auto [pod_id, name] = owner->second;
    owners_.erase(owner);
    auto pod = pods_.find(pod_id);
    if (pod == pods_.end()) return;
    Container* c = find(pod->second, name);
    if (!c) return;
    c->exit_code = done.exit_code;
    if (runs_again(pod->second, *c, done)) {
      c->state = State::kRestarting;
      c->restart_at = clock_now() + pod->second.spec.container_set_retry_delay;
      return;
    }
    c->state = State::kDone;
    c->error = done.error;
    c->result = std::move(done.result);
    c->files = std::move(done.files);
    c->output_paths = std::move(done.output_paths);
    if (!done.error.empty() && pod->second.error.empty()) pod->second.error = done.error;
    report(pod->second, *c, true);
    advance(pod->second);
  }

  // containerSet.retryStrategy: a member that failed by itself (not stopped,
  // not unable to start) runs again while it has retries left.
  static bool runs_again(const Pod& pod, const Container& c, const Completion& done) {
    if (!reported(pod, c) || pod.cancelled || done.killed || !done.error.empty() || done.exit_code == 0) return false;
    return c.runs <= pod.spec.container_set_retries;
  }

  void run_due_restarts() {
    const Time now = clock_now();
    for (auto& [id, pod] : pods_) {
      for (auto& c : pod.containers) {
        if (c.state != State::kRestarting || c.restart_at > now) continue;
        c.step.append_log = true;  // one container, one log across its runs
        start(pod, c);
        if (c.state == State::kDone) report(pod, c, true);  // could not start again
        advance(pod);
      }
    }
  }

  void collect(std::vector<Completion>* out) {
    for (auto it = pods_.begin(); it != pods_.end();) {
      Pod& pod = it->second;
      if (!complete(pod)) {
        ++it;
        continue;
      }
      Completion done;
      done.id = pod.spec.id;
      done.killed = pod.cancelled;
      done.error = pod.error;
      done.started = pod.started;
      done.finished = clock_now();
      bool exit_set = false;
      for (auto& c : pod.containers) {
        if (!c.ran) continue;
        done.containers.push_back({c.name, c.exit_code});
        if (c.role != Role::kMain) continue;
        if (c.name == "main") {
          done.exit_code = c.exit_code;
          done.result = c.result;
          done.files = c.files;
          done.output_paths = c.output_paths;
          internal::find_late_outputs(c.step, &done);
          exit_set = true;
        } else if (!exit_set && done.exit_code == 0) {
          done.exit_code = c.exit_code;  // the first failure, without a "main"
        }
      }
      std::vector<std::string> steps;
      for (const auto& c : pod.containers) {
        if (c.role == Role::kMain && c.ran) steps.push_back(c.step.id);
      }
      main_steps_[pod.spec.id] = std::move(steps);
      out->push_back(std::move(done));
      it = pods_.erase(it);
    }
  }

  void forget(const Pod& pod) {
    for (const auto& c : pod.containers) owners_.erase(c.step.id);
    const std::string id = pod.spec.id;
    pods_.erase(id);
  }

  void check_ready(Pod& pod) {
    if (pod.reported_ready || pod.cancelled) return;
    bool any_main = false;
    for (const auto& c : pod.containers) {
      if (c.role == Role::kInit || c.state != State::kRunning) continue;
      if (!c.ready) return;
      any_main = any_main || c.role == Role::kMain;
    }
    bool probed = std::any_of(pod.containers.begin(), pod.containers.end(),
                              [](const Container& c) { return c.readiness.has_value(); });
    if (!any_main || !probed) return;
    pod.reported_ready = true;
    ready_.push_back(pod.spec.id);
  }

  // When a probe is due or a retried member runs again.
  std::optional<Time> next_probe_time() const {
    std::optional<Time> next;
    for (const auto& [id, pod] : pods_) {
      for (const auto& c : pod.containers) {
        if (c.state == State::kRestarting && (!next || c.restart_at < *next)) next = c.restart_at;
        if (!c.readiness || c.ready || c.probing || c.state != State::kRunning || pod.reported_ready) continue;
        if (!next || c.next_probe < *next) next = c.next_probe;
      }
    }
    return next;
  }

  void run_due_probes() {
    const Time now = clock_now();
    for (auto& [id, pod] : pods_) {
      if (pod.reported_ready) continue;
      for (auto& c : pod.containers) {
        if (!c.readiness || c.ready || c.probing || c.state != State::kRunning || c.next_probe > now) continue;
        const Probe& probe = *c.readiness;
        if (!probe.exec.empty()) {
          StepSpec step = internal::probe_step(c.step, probe);
          if (inner_->launch(step)) {
            c.probing = true;
            probes_[step.id] = {id, c.name};
          } else {
            c.next_probe = now + probe.period;
          }
          continue;
        }
        // Through the same entry as other steps: the container's pod IP.
        const std::string address = inner_->pod_ip(c.step.id);
        if (probe_local_port(address.empty() ? "127.0.0.1" : address, probe.port, probe.http, probe.http_path,
                             probe.timeout)) {
          c.ready = true;
        } else {
          c.next_probe = clock_now() + probe.period;
        }
      }
      check_ready(pod);
    }
  }

  std::unique_ptr<Runtime> inner_;
  std::set<std::string> plain_;
  std::map<std::string, Pod> pods_;
  // Container and probe steps -> (pod id, container name).
  std::unordered_map<std::string, std::pair<std::string, std::string>> owners_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> probes_;
  // Finished pods -> the steps whose logs are the pod's.
  std::unordered_map<std::string, std::vector<std::string>> main_steps_;
  std::vector<std::string> ready_;
  std::vector<ContainerChange> changes_;
  size_t changes_announced_ = 0;  // how many of changes_ a wait() returned for
  std::atomic<bool> woken_{false};
};

}  // namespace

std::unique_ptr<Runtime> make_pod_runtime(std::unique_ptr<Runtime> containers) {
  return std::make_unique<PodRuntime>(std::move(containers));
}

}  // namespace skiff::runtime
