// The floor a step runner cannot go below on this machine: spawn a program
// with posix_spawn and wait for it, N times in a row (or with P at a time).
//
//   bench_spawn COUNT [PARALLEL] [PROGRAM [ARGS...]]
//
// Prints "seconds <wall seconds>" for the whole loop.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_spawn COUNT [PARALLEL] [PROGRAM [ARGS...]]\n");
    return 2;
  }
  const long count = std::atol(argv[1]);
  const long parallel = argc > 2 ? std::max(1L, std::atol(argv[2])) : 1;
  const std::string program = argc > 3 ? argv[3] : "/bin/true";
  std::vector<char*> child_argv = {const_cast<char*>(program.c_str())};
  for (int i = 4; i < argc; ++i) child_argv.push_back(argv[i]);
  child_argv.push_back(nullptr);

  auto start = std::chrono::steady_clock::now();
  long started = 0, running = 0;
  while (started < count || running > 0) {
    while (started < count && running < parallel) {
      pid_t pid;
      if (posix_spawn(&pid, program.c_str(), nullptr, nullptr, child_argv.data(), environ) != 0) {
        std::perror("posix_spawn");
        return 1;
      }
      ++started;
      ++running;
    }
    int status;
    if (::wait(&status) < 0) {
      std::perror("wait");
      return 1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "%s did not exit 0\n", program.c_str());
      return 1;
    }
    --running;
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("seconds %.6f\n", took.count());
  return 0;
}
