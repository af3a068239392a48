// One running step of the local runtime: its processes, pipes and what has
// been observed so far (internal).
//
// A sandboxed step has two processes to watch: bwrap itself (our child, the
// "leader", whose exit status is the step's) and the init of the step's pid
// namespace, reported by bwrap on its info pipe. The step is complete when
// both have ended: the namespace's init ends only after every process in
// it, so nothing the step started is still running.
//
// A detached step (one that outlives the runtime) has no pipes: its guard
// writes the log, the result and its end to the step's directory, and the
// step is complete when its leader has ended. In the sandbox its guard is
// the namespace's init, found as the leader's child when it must be
// signalled. An adopted step is a detached step another runtime launched:
// its leader is watched through a pidfd but is not our child.
#pragma once

#include <cstdint>

#include <chrono>
#include <optional>
#include <string>

#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"

namespace skiff::runtime::internal {

class StepState;

// What an epoll event refers to.
struct Watch {
  enum Kind { kWake, kTimer, kLeader, kInit, kStdout, kStderr, kInfo } kind;
  StepState* step;
  // The key epoll reports for this watch; the runtime maps keys to live
  // watches, so an event for a step already removed is recognised and dropped.
  uint64_t token = 0;
};

class StepState {
 public:
  StepState(StepSpec spec, StepPaths paths, StepLayout layout, bool sandboxed, bool detached = false);

  // The process has started.
  void attach(SpawnedProcess process);
  // Takes over a detached step's running leader; when it is gone (or is
  // another process now), the step completes from its record at once.
  void adopt(pid_t pid, unsigned long long start_ticks);
  // The leader's identity while it runs (detached steps).
  pid_t leader_pid() const { return leader_done_ ? -1 : leader_; }
  unsigned long long leader_start_ticks() const { return leader_start_; }
  // The process could not be started; the step completes with `error`.
  void fail_to_start(const std::string& error);

  void on_leader_exit();
  void on_init_exit();
  // Reads what a pipe has; appends to the log (and, for stdout, the result).
  void read_stream(bool is_stdout);
  // Reads bwrap's info; true when the namespace's init became known.
  bool read_info();

  // SIGTERM to the step's processes; SIGKILL.
  void terminate();
  void kill_hard();
  // SIGKILL and wait until everything is gone (runtime shutdown).
  void kill_now();

  bool finished_running() const { return leader_done_; }
  bool detached() const { return detached_; }
  bool complete() const { return leader_done_ && init_done_; }
  // The host pid of the init of the step's pid namespace, once bwrap named
  // it; -1 before, and without a sandbox.
  pid_t init_pid() const { return init_; }
  // Drains the pipes and reads the output files. Call once, when complete.
  Completion completion();

  StepSpec spec;
  StepPaths paths;
  StepLayout layout;

  Fd leader_pidfd, out, err, info, init_pidfd, log;
  Watch leader_watch{Watch::kLeader, this};
  Watch init_watch{Watch::kInit, this};
  Watch out_watch{Watch::kStdout, this};
  Watch err_watch{Watch::kStderr, this};
  Watch info_watch{Watch::kInfo, this};
  bool init_watched = false;

  Time started{};
  bool cancel_requested = false;
  std::optional<std::chrono::steady_clock::time_point> kill_deadline;

 private:
  void signal_all(int sig);
  void append_log(const char* data, size_t size);
  void parse_info();
  // A detached step's leader has ended: what its guard recorded.
  void read_record();
  // A detached sandboxed step's init (the leader's child), once it exists.
  pid_t detached_init();
  // The leader still runs (an adopted one is checked through its pidfd,
  // since its pid may be reused once it has ended).
  bool leader_alive() const;

  bool sandboxed_;
  bool detached_;
  bool adopted_ = false;
  bool lost_ = false;
  unsigned long long leader_start_ = 0;
  pid_t leader_ = -1;
  pid_t init_ = -1;
  bool leader_done_ = false;
  bool init_done_ = true;  // until bwrap names an init to wait for
  bool term_pending_ = false;
  bool hard_killed_ = false;
  int exit_code_ = 0;
  std::string error_;
  std::string info_text_;
  std::string result_;
  Time finished_{};
};

}  // namespace skiff::runtime::internal
