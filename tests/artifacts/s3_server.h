// Starts the S3-protocol test server (tools/s3rver) on 127.0.0.1 with a free
// port and a temporary directory, and stops it when destroyed.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace skiff::testing {

class S3Server {
 public:
  // Buckets to create at start.
  explicit S3Server(std::vector<std::string> buckets) {
    char dir[] = "/tmp/skiff-s3rver-XXXXXX";
    if (!::mkdtemp(dir)) return;
    dir_ = dir;
    std::string script = std::string(SKIFF_TEST_DATA) + "/../tools/s3rver/serve.js";
    std::vector<std::string> args = {"node", "--openssl-legacy-provider", script, dir_, "0"};
    args.insert(args.end(), buckets.begin(), buckets.end());
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = ::posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    if (rc != 0) {
      pid_ = 0;
      ::close(out[0]);
      return;
    }
    // The server says "listening PORT" once it accepts connections.
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    if (line.rfind("listening ", 0) == 0) port_ = std::atoi(line.c_str() + 10);
  }

  ~S3Server() {
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status;
      ::waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& data_dir() const { return dir_; }

 private:
  pid_t pid_ = 0;
  int stdin_ = -1;
  int port_ = 0;
  std::string dir_;
};

}  // namespace skiff::testing
