#include "runtime/step_state.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "agent/step_guard.h"
#include "base/strings.h"

namespace skiff::runtime::internal {
namespace {

// The result is held in memory (and in every status that carries it); the
// log on disk keeps everything.
constexpr size_t kMaxResultBytes = 4 << 20;
// How long shutdown waits for a killed sandbox to disappear.
constexpr int kShutdownWaitMs = 5000;

// The namespace's init starts the step's command only after setting up the
// sandbox; until then a SIGTERM would reach nobody.
bool command_started(pid_t init) {
  std::string path = "/proc/" + std::to_string(init) + "/task/" + std::to_string(init) + "/children";
  std::string children;
  if (!read_file(path, &children)) return true;
  return !trim(children).empty();
}

}  // namespace

StepState::StepState(StepSpec spec_in, StepPaths paths_in, StepLayout layout_in, bool sandboxed, bool detached)
    : spec(std::move(spec_in)),
      paths(std::move(paths_in)),
      layout(std::move(layout_in)),
      sandboxed_(sandboxed),
      detached_(detached) {}

void StepState::attach(SpawnedProcess process) {
  leader_ = process.pid;
  if (detached_) leader_start_ = process_start_ticks(process.pid);
  leader_pidfd = std::move(process.pidfd);
  out = std::move(process.stdout_read);
  err = std::move(process.stderr_read);
  info = std::move(process.info_read);
}

void StepState::adopt(pid_t pid, unsigned long long start_ticks) {
  adopted_ = true;
  Fd pidfd(pid > 0 ? open_pidfd(pid) : -1);
  // Checked after the pidfd is open: from then on it names that process,
  // even if it ends and its pid is reused.
  if (pidfd.valid() && start_ticks != 0 && process_start_ticks(pid) == start_ticks) {
    leader_ = pid;
    leader_start_ = start_ticks;
    leader_pidfd = std::move(pidfd);
    return;
  }
  leader_done_ = true;
  exit_code_ = -1;
  finished_ = now_from(Clock::now());
  read_record();
}

void StepState::read_record() {
  if (auto end = agent::read_recorded_end(paths.record)) {
    exit_code_ = end->exit_code;
    finished_ = Time(std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(end->finished_unix_ns)));
    return;
  }
  // Our own child tells how it ended (its guard was killed with it).
  if (exit_code_ >= 0) return;
  exit_code_ = 128 + SIGKILL;
  if (cancel_requested) return;  // killed by us before the guard could record
  lost_ = true;
  error_ = "the step's process ended without recording how it ended";
}

bool StepState::leader_alive() const {
  if (leader_done_ || !leader_pidfd.valid()) return false;
  pollfd p{leader_pidfd.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

pid_t StepState::detached_init() {
  if (init_ > 0 || !leader_alive()) return init_;
  std::string children;
  std::string path = "/proc/" + std::to_string(leader_) + "/task/" + std::to_string(leader_) + "/children";
  if (!read_file(path, &children)) return -1;
  long pid = std::strtol(std::string(trim(children)).c_str(), nullptr, 10);
  if (pid > 0) init_ = static_cast<pid_t>(pid);
  return init_;
}

void StepState::fail_to_start(const std::string& error) {
  error_ = error;
  exit_code_ = 127;
  leader_done_ = true;
  finished_ = now_from(Clock::now());
  append_log(error.data(), error.size());
  append_log("\n", 1);
}

void StepState::append_log(const char* data, size_t size) {
  while (size > 0 && log.valid()) {
    ssize_t n = ::write(log.get(), data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void StepState::read_stream(bool is_stdout) {
  Fd& fd = is_stdout ? out : err;
  char buffer[64 * 1024];
  while (fd.valid()) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: wait for more
    if (n == 0) {
      fd.reset();  // closing removes it from epoll
      return;
    }
    append_log(buffer, static_cast<size_t>(n));
    if (is_stdout && result_.size() < kMaxResultBytes) {
      result_.append(buffer, std::min(static_cast<size_t>(n), kMaxResultBytes - result_.size()));
    }
  }
}

bool StepState::read_info() {
  char buffer[1024];
  while (info.valid()) {
    ssize_t n = ::read(info.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (n == 0) {
      info.reset();
      break;
    }
    info_text_.append(buffer, static_cast<size_t>(n));
  }
  if (init_ > 0 || info_text_.find('}') == std::string::npos) return false;
  info.reset();
  parse_info();
  return init_pidfd.valid();
}

// bwrap writes {"child-pid": N, ...}: N is the init of the step's pid
// namespace, in our own pid namespace.
void StepState::parse_info() {
  size_t key = info_text_.find("\"child-pid\"");
  if (key == std::string::npos) return;
  size_t colon = info_text_.find(':', key);
  if (colon == std::string::npos) return;
  long pid = std::strtol(info_text_.c_str() + colon + 1, nullptr, 10);
  if (pid <= 0) return;
  init_ = static_cast<pid_t>(pid);
  init_pidfd = Fd(open_pidfd(init_));
  if (!init_pidfd.valid()) return;  // already gone
  init_done_ = false;
  if (hard_killed_) {
    kill_hard();
  } else if (term_pending_) {
    terminate();
  }
}

void StepState::on_leader_exit() {
  // Reported once: a repeated readiness report must not reap again (and
  // overwrite the exit code with a failed reap's -1).
  if (leader_done_ || !leader_pidfd.valid()) return;
  // The leader is a zombie until reaped, so its group id cannot be reused
  // yet. Without a sandbox, whatever the step left running in its group
  // ends with it, as a container's processes end with its main process.
  // (An adopted leader may have been reaped by another parent already.)
  if (!sandboxed_ && !adopted_) ::kill(-leader_, SIGKILL);
  // -1 for an adopted leader that is not our child.
  exit_code_ = reap_pidfd(leader_pidfd.get(), /*block=*/true);
  leader_pidfd.reset();
  leader_done_ = true;
  finished_ = now_from(Clock::now());
  if (detached_) read_record();
  if (info.valid()) {
    read_info();
    info.reset();
  }
}

void StepState::on_init_exit() {
  if (init_done_) return;
  init_pidfd.reset();
  init_done_ = true;
}

// Every process below `pid`, children before their parents' siblings.
static void collect_descendants(pid_t pid, std::vector<pid_t>* out) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  std::string text;
  if (!read_file(dir, &text)) return;
  for (const std::string& word : split(std::string(trim(text)), ' ')) {
    if (word.empty()) continue;
    pid_t child = static_cast<pid_t>(std::strtol(word.c_str(), nullptr, 10));
    if (child <= 0) continue;
    out->push_back(child);
    collect_descendants(child, out);
  }
}

void StepState::signal_all(int sig) {
  if (detached_) {
    // Its groups are named by pids, which are only safe to use while the
    // leader runs.
    if (!leader_alive()) return;
    if (sandboxed_) {
      // The guard (the namespace's init) lets SIGTERM pass to the command;
      // SIGKILL ends the namespace.
      if (pid_t init = detached_init(); init > 0) ::kill(-init, sig);
      if (sig == SIGKILL) ::kill(-leader_, SIGKILL);
      return;
    }
    if (sig == SIGKILL) {
      std::vector<pid_t> below;
      collect_descendants(leader_, &below);
      for (pid_t pid : below) ::kill(pid, SIGKILL);
    }
    ::kill(-leader_, sig);
    return;
  }
  if (!sandboxed_ && sig == SIGKILL && !leader_done_) {
    // Daemons that left the step's process group are still below its
    // leader (the step guard adopts them): end them too.
    std::vector<pid_t> below;
    collect_descendants(leader_, &below);
    for (pid_t pid : below) ::kill(pid, SIGKILL);
  }
  if (sandboxed_) {
    // The namespace's init ignores SIGTERM, its children (the step) do not;
    // SIGKILL ends the init and with it the whole namespace.
    if (init_ > 0 && !init_done_) ::kill(-init_, sig);
    if (sig == SIGKILL && !leader_done_) ::kill(-leader_, sig);
  } else if (!leader_done_) {
    ::kill(-leader_, sig);
  }
}

void StepState::terminate() {
  if (detached_ && sandboxed_) {
    // Before the guard started the command there is nothing to stop gently.
    pid_t init = detached_init();
    if (init <= 0 || !command_started(init)) kill_hard();
    else signal_all(SIGTERM);
    return;
  }
  if (sandboxed_ && init_ <= 0) {
    term_pending_ = true;
    return;
  }
  // A step cancelled before its command started has nothing to clean up.
  if (sandboxed_ && !init_done_ && !command_started(init_)) {
    kill_hard();
    return;
  }
  signal_all(SIGTERM);
}

void StepState::kill_hard() {
  hard_killed_ = true;
  signal_all(SIGKILL);
}

void StepState::kill_now() {
  kill_hard();
  if (!leader_done_ && leader_pidfd.valid()) on_leader_exit();
  if (init_pidfd.valid() && !init_done_) {
    ::kill(-init_, SIGKILL);
    pollfd p{init_pidfd.get(), POLLIN, 0};
    while (::poll(&p, 1, kShutdownWaitMs) < 0 && errno == EINTR) {
    }
    on_init_exit();
  }
}

Completion StepState::completion() {
  read_stream(true);
  read_stream(false);
  out.reset();
  err.reset();
  if (detached_) {
    read_file(paths.record + "/stdout", &result_);
    if (result_.size() > kMaxResultBytes) result_.resize(kMaxResultBytes);
  }

  Completion c;
  c.id = spec.id;
  c.exit_code = exit_code_;
  c.killed = cancel_requested;
  c.error = error_;
  c.lost = lost_;
  c.result = trim_one_trailing_newline(std::move(result_));
  c.started = started;
  c.finished = finished_;
  for (const std::string& path : spec.output_files) {
    if (auto content = layout.read_output(path)) c.files[path] = std::move(*content);
  }
  for (const std::string& path : spec.output_paths) {
    if (auto host = layout.output_location(path)) c.output_paths[path] = std::move(*host);
  }
  return c;
}

}  // namespace skiff::runtime::internal
