#include "runtime/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

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

unsigned long long process_start_ticks(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[1024];
  ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted from the last ')'.
  const char* p = std::strrchr(text, ')');
  if (!p) return 0;
  int field = 2;
  while (*p && field < 22) {
    if (*p++ == ' ') ++field;
  }
  return std::strtoull(p, nullptr, 10);
}

pid_t find_session_leader_with(const std::string& argument) {
  DIR* proc = ::opendir("/proc");
  if (!proc) return -1;
  pid_t found = -1;
  while (struct dirent* e = ::readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
    if (pid <= 0 || ::getsid(pid) != pid) continue;
    int fd = ::open(("/proc/" + std::string(e->d_name) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string words;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) words.append(buffer, static_cast<size_t>(n));
    ::close(fd);
    for (size_t start = 0; start < words.size();) {
      size_t end = words.find('\0', start);
      if (end == std::string::npos) end = words.size();
      if (words.compare(start, end - start, argument) == 0) {
        found = pid;
        break;
      }
      start = end + 1;
    }
    if (found > 0) break;
  }
  ::closedir(proc);
  return found;
}

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
  const bool piped = request.output_fd < 0;
  if (piped) {
    SKIFF_RETURN_IF_ERROR(out.open());
    SKIFF_RETURN_IF_ERROR(err.open());
  }
  if (request.want_info_pipe) SKIFF_RETURN_IF_ERROR(info.open());

  SpawnAttrs spawn;
  posix_spawn_file_actions_addopen(&spawn.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, piped ? out.write.get() : request.output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&spawn.actions, piped ? err.write.get() : request.output_fd, STDERR_FILENO);
  if (request.want_info_pipe) {
    posix_spawn_file_actions_adddup2(&spawn.actions, info.write.get(), kInfoFd);
  } else if (request.channel_fd >= 0) {
    posix_spawn_file_actions_adddup2(&spawn.actions, request.channel_fd, kInfoFd);
  }
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
  // A new session makes the process the leader of a new group as well.
  short group = request.new_session ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP;
  posix_spawnattr_setflags(&spawn.attr, group | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

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
  if (piped) {
    process.stdout_read = std::move(out.read);
    process.stderr_read = std::move(err.read);
  }
  if (request.want_info_pipe) process.info_read = std::move(info.read);
  return process;
}

}  // namespace skiff::runtime::internal
