#include "agent/step_guard.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace skiff::agent {

namespace {

// The result is held in memory by whoever reads it (and in every status
// that carries it); the log keeps everything.
constexpr size_t kMaxResultBytes = 4 << 20;

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
// us (we are a subreaper, or the namespace's init) and killed on the next
// round, until none is left.
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

// The signals meant for the command that reach us too (the runtime signals
// the step's process group): taken one at a time, never acted on.
constexpr int kStopSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};

// A stop that came while we started is held for us and would never reach a
// command forked after it: the step ends here, as that signal would have
// ended it. Returns that signal, or 0.
int pending_stop() {
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  for (int sig : kStopSignals) {
    if (sigismember(&pending, sig)) return sig;
  }
  return 0;
}

// Forks the command: default signal mask, `stdout_fd` (if any) as its stdout.
// A stop that reached our process group just before the fork missed the
// command; one just after reached it too, held while it still has our
// mask. The command waits until we have looked: a stop held for us is then
// passed on, and merges with its own held copy if it got one, so it sees
// exactly one whichever way the race went.
pid_t start_command(const char* executable, char** argv, int stdout_fd) {
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return -1;
  pid_t command = ::fork();
  if (command != 0) {
    ::close(go[0]);
    if (int sig = command > 0 ? pending_stop() : 0) ::kill(command, sig);
    ::close(go[1]);
    return command;
  }
  ::close(go[1]);
  char byte;
  while (::read(go[0], &byte, 1) < 0 && errno == EINTR) {
  }
  ::prctl(PR_SET_PDEATHSIG, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (stdout_fd >= 0) ::dup2(stdout_fd, STDOUT_FILENO);
  // A bare name is looked up on the step's PATH, as a container runtime does.
  if (std::strchr(executable, '/')) ::execv(executable, argv);
  else ::execvp(executable, argv);
  std::fprintf(stderr, "exec %s: %s\n", executable, std::strerror(errno));
  ::_exit(127);
}

// Reaps every child that has ended (orphans of the command are ours too):
// true once `command` is among them, its wait status in `status`.
// `none_left`, if given, tells whether no child is left at all.
bool reap_ended(pid_t command, int* status, bool* none_left) {
  bool found = false;
  int st = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(-1, &st, WNOHANG)) > 0) {
    if (reaped == command) {
      *status = st;
      found = true;
    }
  }
  if (none_left) *none_left = reaped < 0 && errno == ECHILD;
  return found;
}

int tied_main(pid_t skiff, const char* executable, char** argv, const sigset_t& waited) {
  ::prctl(PR_SET_PDEATHSIG, SIGUSR1);
  if (::getppid() != skiff) return 137;  // skiff died before we could watch it
  if (int sig = pending_stop()) return 128 + sig;
  pid_t command = start_command(executable, argv, -1);
  if (command < 0) {
    std::fprintf(stderr, "step-guard: fork: %s\n", std::strerror(errno));
    return 127;
  }
  int status = 0;
  for (;;) {
    bool none_left = false;
    if (reap_ended(command, &status, &none_left) || none_left) break;
    if (::sigwaitinfo(&waited, nullptr) == SIGUSR1) {
      ::kill(command, SIGKILL);
      end_tree();
      return 137;
    }
  }
  end_tree();
  return exit_status(status);
}

void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Copies what the command wrote to stdout to the log and the result.
class StdoutCopy {
 public:
  StdoutCopy(int pipe, int result) : pipe_(pipe), result_(result) {}
  // Reads what is there; false at end of file.
  bool pump() {
    char buffer[64 * 1024];
    for (;;) {
      ssize_t n = ::read(pipe_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno == EAGAIN;
      if (n == 0) return false;
      write_all(STDOUT_FILENO, buffer, static_cast<size_t>(n));
      if (result_ >= 0 && kept_ < kMaxResultBytes) {
        size_t keep = std::min(static_cast<size_t>(n), kMaxResultBytes - kept_);
        write_all(result_, buffer, keep);
        kept_ += keep;
      }
    }
  }

 private:
  int pipe_, result_;
  size_t kept_ = 0;
};

long long unix_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// Written whole, then renamed into place: a reader never sees half of it.
// Not fsynced: it has to outlive the controller, not the machine (a machine
// that goes down takes the step with it, and a record lost with it reads
// as a lost step).
void write_end(const std::string& dir, int exit_code) {
  std::string text = "exit " + std::to_string(exit_code) + "\nfinished " + std::to_string(unix_now_ns()) + "\n";
  std::string temp = dir + "/completion.tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "step-guard: cannot record the step's end in %s: %s\n", dir.c_str(), std::strerror(errno));
    return;
  }
  write_all(fd, text.data(), text.size());
  ::close(fd);
  ::rename(temp.c_str(), (dir + "/completion").c_str());
}

int recording_main(const std::string& dir, const char* executable, char** argv) {
  if (int sig = pending_stop()) {
    write_end(dir, 128 + sig);
    return 128 + sig;
  }
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  for (int sig : kStopSignals) sigaddset(&handled, sig);
  int signals = ::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  int out[2];
  if (signals < 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "step-guard: %s\n", std::strerror(errno));
    write_end(dir, 127);
    return 127;
  }
  int result = ::open((dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_t command = start_command(executable, argv, out[1]);
  ::close(out[1]);
  if (command < 0) {
    std::fprintf(stderr, "step-guard: fork: %s\n", std::strerror(errno));
    write_end(dir, 127);
    return 127;
  }
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  StdoutCopy copy(out[0], result);

  int status = 0;
  bool done = false, open = true;
  while (!done) {
    pollfd fds[2] = {{signals, POLLIN, 0}, {open ? out[0] : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (open && (fds[1].revents & (POLLIN | POLLHUP))) open = copy.pump();
    signalfd_siginfo info;
    while (::read(signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    }
    if (reap_ended(command, &status, nullptr)) done = true;
  }
  // What the command left behind ends with it; then nothing holds the pipe
  // open and the rest of its output can be read to the end.
  end_tree();
  ::fcntl(out[0], F_SETFL, 0);
  while (copy.pump()) {
  }
  if (result >= 0) ::close(result);
  int code = exit_status(status);
  write_end(dir, code);
  return code;
}

}  // namespace

int step_guard_main(int argc, char** argv) {
  const bool recording = argc >= 5 && std::strcmp(argv[1], "--record") == 0;
  if (argc < 4 || (std::strcmp(argv[1], "--record") == 0 && !recording)) {
    std::fprintf(stderr, "usage: skiff step-guard <skiff-pid> | --record <dir>  <executable> <argv0> [args...]\n");
    return 2;
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Signals are taken one at a time (sigwaitinfo, a signalfd), so none is
  // lost between looking at the children and waiting: SIGCHLD, skiff's
  // death (SIGUSR1), and the signals meant for the command, which we
  // outlive. Blocked rather than ignored: as a pid namespace's init we
  // would not even see ignored ones.
  sigset_t waited;
  sigemptyset(&waited);
  for (int sig : {SIGCHLD, SIGUSR1}) sigaddset(&waited, sig);
  for (int sig : kStopSignals) sigaddset(&waited, sig);
  ::sigprocmask(SIG_BLOCK, &waited, nullptr);
  if (recording) return recording_main(argv[2], argv[3], argv + 4);
  const pid_t skiff = static_cast<pid_t>(std::strtol(argv[1], nullptr, 10));
  return tied_main(skiff, argv[2], argv + 3, waited);
}

std::optional<RecordedEnd> read_recorded_end(const std::string& dir) {
  std::ifstream in(dir + "/completion");
  if (!in) return std::nullopt;
  std::string exit_word, finished_word;
  RecordedEnd end;
  if (!(in >> exit_word >> end.exit_code >> finished_word >> end.finished_unix_ns)) return std::nullopt;
  if (exit_word != "exit" || finished_word != "finished") return std::nullopt;
  return end;
}

}  // namespace skiff::agent
