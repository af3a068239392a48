// Shared helpers for the local runtime tests.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace skiff::runtime::testing_util {

// The test binary doubles as the skiff executable for `argosay` (see the
// hook in local_runtime_test.cc).
inline std::string self_exe() {
  char buffer[4096];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
}

// A fresh directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/skiff-runtime-test-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline StepSpec shell_step(const std::string& id, const std::string& script) {
  StepSpec spec;
  spec.id = id;
  spec.name = id;
  spec.image = "alpine:3.23";
  spec.command = {"sh", "-c", script};
  return spec;
}

// Waits (event driven, bounded) until the step with `id` completes.
// Completions of other steps that arrive meanwhile are kept for later calls.
inline Completion wait_for(Runtime& runtime, const std::string& id) {
  static std::map<const Runtime*, std::vector<Completion>> early;
  auto take = [&]() -> std::optional<Completion> {
    auto& list = early[&runtime];
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->id == id) {
        Completion c = *it;
        list.erase(it);
        return c;
      }
    }
    return std::nullopt;
  };
  auto deadline = now_from(Clock::now()) + std::chrono::seconds(20);
  for (;;) {
    if (auto c = take()) return *c;
    for (Completion& c : runtime.wait(deadline)) early[&runtime].push_back(std::move(c));
    if (auto c = take()) return *c;
    if (now_from(Clock::now()) >= deadline) {
      ADD_FAILURE() << "step " << id << " did not complete";
      return {};
    }
  }
}

inline Completion run_step(Runtime& runtime, const StepSpec& spec) {
  Status status = runtime.launch(spec);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return wait_for(runtime, spec.id);
}

// Live processes whose command line contains `marker`, from the host's
// /proc (a zombie has an empty command line). A process exiting while /proc
// is listed can end the listing early with an error (ESRCH): it is listed
// again rather than answered in part.
inline std::vector<int> processes_with(const std::string& marker) {
  for (int pass = 0; pass < 5; ++pass) {
    std::vector<int> found;
    DIR* proc = ::opendir("/proc");
    if (!proc) break;
    errno = 0;
    while (struct dirent* e = ::readdir(proc)) {
      int pid = std::atoi(e->d_name);
      if (pid > 0 && pid != ::getpid()) {
        std::ifstream in("/proc/" + std::string(e->d_name) + "/cmdline", std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        if (text.str().find(marker) != std::string::npos) found.push_back(pid);
      }
      errno = 0;
    }
    const bool complete = errno == 0;
    ::closedir(proc);
    if (complete) return found;
  }
  ADD_FAILURE() << "cannot list /proc";
  return {};
}

// Whether process `pid`'s command line contains `text` (false once it is
// gone, or before a fork has exec'd its own command).
inline bool command_line_has(int64_t pid, const std::string& text) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream words;
  words << in.rdbuf();
  return words.str().find(text) != std::string::npos;
}

}  // namespace skiff::runtime::testing_util
