// Starting and reaping host processes (internal to the local runtime).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::runtime::internal {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset();

 private:
  int fd_ = -1;
};

struct SpawnRequest {
  std::string executable;  // absolute path
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value"
  std::string cwd;               // empty: inherit
  bool want_info_pipe = false;   // a pipe on fd 3 (bwrap --info-fd 3)
  int channel_fd = -1;           // else: this fd (the caller's) becomes fd 3
  // >= 0: the process's stdout and stderr go to this file instead of pipes
  // (a step that must outlive the caller writes its own log).
  int output_fd = -1;
  // A session of its own rather than only a process group: nothing that
  // happens to the caller's terminal or session reaches it.
  bool new_session = false;
};

// A started process, the leader of its own process group.
struct SpawnedProcess {
  pid_t pid = -1;
  Fd pidfd;
  Fd stdout_read;  // without output_fd
  Fd stderr_read;
  Fd info_read;  // when requested
};

inline constexpr int kInfoFd = 3;

// posix_spawn (not fork: from a large parent it is many times faster), in a
// new process group, stdin from /dev/null, default signal handling. The
// returned read ends are non-blocking.
Result<SpawnedProcess> spawn_process(const SpawnRequest& request);

// pidfd_open(2); -1 with errno when the process is gone.
int open_pidfd(pid_t pid);

// Reaps an exited child through its pidfd. Returns the exit code, 128+N
// when killed by signal N, or -1 when it cannot be reaped.
int reap_pidfd(int pidfd, bool block);

// When the process started, in clock ticks since boot (/proc/<pid>/stat
// field 22): with the pid, it names one process for good, where a pid alone
// may be reused. 0 when the process is gone.
unsigned long long process_start_ticks(pid_t pid);

// The leader of its own session whose command line has `argument` as one of
// its words; -1 when there is none.
pid_t find_session_leader_with(const std::string& argument);

// Sets O_NONBLOCK.
void set_nonblocking(int fd);

}  // namespace skiff::runtime::internal
