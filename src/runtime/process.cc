#include "runtime/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace skiff::runtime::internal {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int Fd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int reap_pidfd(int pidfd, bool block) {
  siginfo_t info{};
  int options = WEXITED | (block ? 0 : WNOHANG);
  for (;;) {
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, options) == 0) break;
    if (errno != EINTR) return -1;
  }
  if (info.si_pid == 0) return -1;  // WNOHANG and still running
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

namespace {

struct Pipe {
  Fd read;
  Fd write;
  Status open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return internal_error(std::string("pipe: ") + std::strerror(errno));
    read = Fd(fds[0]);
    write = Fd(fds[1]);
    set_nonblocking(read.get());
    return Status::ok();
  }
};

// Frees posix_spawn's attribute objects on every path.
struct SpawnAttrs {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnAttrs() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<SpawnedProcess> spawn_process(const SpawnRequest& request) {
  Pipe out, err, info;
  SKIFF_RETURN_IF_ERROR(out.open());
  SKIFF_RETURN_IF_ERROR(err.open());
  if (request.want_info_pipe) SKIFF_RETURN_IF_ERROR(info.open());

  SpawnAttrs spawn;
  posix_spawn_file_actions_addopen(&spawn.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&spawn.actions, err.write.get(), STDERR_FILENO);
  if (request.want_info_pipe) posix_spawn_file_actions_adddup2(&spawn.actions, info.write.get(), kInfoFd);
  if (!request.cwd.empty()) posix_spawn_file_actions_addchdir_np(&spawn.actions, request.cwd.c_str());

  // The caller may block or ignore signals; the step must not inherit that.
  sigset_t empty_mask, defaults;
  sigemptyset(&empty_mask);
  sigemptyset(&defaults);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM, SIGTSTP, SIGTTIN,
                  SIGTTOU}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&spawn.attr, &empty_mask);
  posix_spawnattr_setsigdefault(&spawn.attr, &defaults);
  posix_spawnattr_setpgroup(&spawn.attr, 0);
  posix_spawnattr_setflags(&spawn.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv = c_strings(request.argv);
  std::vector<char*> envp = c_strings(request.env);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, request.executable.c_str(), &spawn.actions, &spawn.attr, argv.data(), envp.data());
  if (rc != 0) {
    return internal_error("cannot start " + request.executable + ": " + std::strerror(rc));
  }

  SpawnedProcess process;
  process.pid = pid;
  process.pidfd = Fd(open_pidfd(pid));
  if (!process.pidfd.valid()) {
    int e = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return internal_error(std::string("pidfd_open: ") + std::strerror(e));
  }
  process.stdout_read = std::move(out.read);
  process.stderr_read = std::move(err.read);
  if (request.want_info_pipe) process.info_read = std::move(info.read);
  return process;
}

}  // namespace skiff::runtime::internal
