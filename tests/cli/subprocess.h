// Runs the skiff binary as a user would, capturing its output, for the
// end-to-end tests of the command line.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace skiff::testing {

struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_all(int fd) {
  std::string data;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
  return data;
}

// A started process whose stdout and stderr go to temp files.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {}) {
    char out_tmpl[] = "/tmp/skiff-test-out-XXXXXX";
    out_fd_ = ::mkstemp(out_tmpl);
    ::unlink(out_tmpl);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    err_fd_ = pipe_fds[0];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_fd_, 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
    for (const auto& e : extra_env) env_strings.push_back(e);
    std::vector<char*> env;
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
  }

  pid_t pid() const { return pid_; }

  Output wait() {
    Output result;
    result.err = err_;
    result.err += read_all(err_fd_);  // until the child closes stderr
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) {
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    ::lseek(out_fd_, 0, SEEK_SET);
    result.out = read_all(out_fd_);
    ::close(out_fd_);
    ::close(err_fd_);
    return result;
  }

  // Blocks until stderr contains `text` (true) or the child closes it or
  // `timeout_ms` passes (false). Reads as data arrives: no sleeping.
  bool wait_for_stderr(const std::string& text, int timeout_ms) {
    while (err_.find(text) == std::string::npos) {
      pollfd p{err_fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return false;
      char buf[4096];
      ssize_t n = ::read(err_fd_, buf, sizeof buf);
      if (n <= 0) return false;
      err_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

 private:
  std::string err_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
};

inline Output run(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {}) {
  return Child(argv, extra_env).wait();
}

}  // namespace skiff::testing
