#include "agent/step_guard.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace skiff::agent {

namespace {

// Our direct children, from every thread's children list.
std::vector<pid_t> own_children() {
  std::vector<pid_t> out;
  std::string tasks = "/proc/" + std::to_string(::getpid()) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (!dir) return out;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(tasks + "/" + entry->d_name + "/children");
    long pid;
    while (in >> pid) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(dir);
  return out;
}

// Kills everything below us. A killed child's own children are adopted by
// us (we are a subreaper) and killed on the next round, until none is left.
void end_tree() {
  for (;;) {
    std::vector<pid_t> children = own_children();
    for (pid_t child : children) ::kill(child, SIGKILL);
    pid_t reaped = ::waitpid(-1, nullptr, 0);
    if (reaped < 0 && errno == ECHILD) return;
  }
}

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int step_guard_main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: skiff step-guard <skiff-pid> <executable> <argv0> [args...]\n");
    return 2;
  }
  const pid_t skiff = static_cast<pid_t>(std::strtol(argv[1], nullptr, 10));
  const char* executable = argv[2];

  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Signals are taken one at a time with sigwaitinfo, so none is lost
  // between looking at the children and waiting: SIGCHLD, our parent's
  // death (SIGUSR1), and the signals meant for the command, which we
  // outlive.
  sigset_t waited;
  sigemptyset(&waited);
  for (int sig : {SIGCHLD, SIGUSR1, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&waited, sig);
  ::sigprocmask(SIG_BLOCK, &waited, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGUSR1);
  if (::getppid() != skiff) return 137;  // skiff died before we could watch it
  // A stop that came while we started (the runtime signals the step's
  // process group) is held for us and would never reach a command forked
  // after it: the step ends here, as that signal would have ended it.
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
    if (sigismember(&pending, sig)) return 128 + sig;
  }

  pid_t command = ::fork();
  if (command < 0) {
    std::fprintf(stderr, "step-guard: fork: %s\n", std::strerror(errno));
    return 127;
  }
  if (command == 0) {
    ::prctl(PR_SET_PDEATHSIG, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(executable, argv + 3);
    std::fprintf(stderr, "exec %s: %s\n", executable, std::strerror(errno));
    ::_exit(127);
  }

  int status = 0;
  bool done = false;
  while (!done) {
    int st = 0;
    pid_t reaped;
    while ((reaped = ::waitpid(-1, &st, WNOHANG)) > 0) {
      if (reaped == command) {
        status = st;
        done = true;
      }
    }
    if (done || (reaped < 0 && errno == ECHILD)) break;
    if (::sigwaitinfo(&waited, nullptr) == SIGUSR1) {
      ::kill(command, SIGKILL);
      end_tree();
      return 137;
    }
  }
  end_tree();
  return exit_status(status);
}

}  // namespace skiff::agent
