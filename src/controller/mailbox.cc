// Command records of a local run: files under <run_dir>/control/, written
// atomically, watched with inotify, guarded by the run's flock.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "base/strings.h"
#include "controller/control.h"

namespace skiff::controller {

namespace {

using Json = nlohmann::json;

std::string control_dir(const std::string& run_dir) { return run_dir + "/control"; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* entry = ::readdir(d)) names.emplace_back(entry->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Written under a hidden temporary name, then renamed: a reader sees the
// whole record or none.
Status write_atomically(const std::string& dir, const std::string& name, const std::string& content) {
  std::string tmp = dir + "/." + name + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return internal_error("cannot write " + tmp);
  }
  if (::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return internal_error("cannot create " + dir + "/" + name + ": " + std::strerror(e));
  }
  return Status::ok();
}

void drain(int fd) {
  char buffer[4096];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
}

int open_lock(const std::string& dir) {
  return ::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

}  // namespace

CommandMailbox::CommandMailbox(std::string run_dir) : dir_(control_dir(run_dir)) {}

CommandMailbox::~CommandMailbox() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

Status CommandMailbox::open() {
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    return internal_error("cannot create " + dir_ + ": " + std::strerror(errno));
  }
  lock_fd_ = open_lock(dir_);
  if (lock_fd_ < 0) return internal_error("cannot open " + dir_ + "/lock: " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return failed_precondition("another skiff run of this workflow is in progress (" + dir_ + "/lock is held)");
  }
  // Records and answers of an earlier run of the same name are not ours.
  for (const std::string& name : list_dir(dir_)) {
    if (name != "." && name != ".." && name != "lock") ::unlink((dir_ + "/" + name).c_str());
  }
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) return internal_error(std::string("inotify_init1: ") + std::strerror(errno));
  if (::inotify_add_watch(inotify_fd_, dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    return internal_error("cannot watch " + dir_ + ": " + std::strerror(errno));
  }
  return Status::ok();
}

std::vector<CommandMailbox::Received> CommandMailbox::take() {
  std::vector<Received> received;
  if (inotify_fd_ < 0) return received;
  drain(inotify_fd_);
  for (const std::string& name : list_dir(dir_)) {
    if (name.empty() || name[0] == '.' || !ends_with(name, ".json")) continue;
    std::string path = dir_ + "/" + name;
    std::string text;
    bool read = read_file(path, &text);
    ::unlink(path.c_str());
    if (!read) continue;
    std::string id = name.substr(0, name.size() - 5);
    Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      received.push_back({id, invalid_argument(path + ": not a JSON command record")});
    } else {
      received.push_back({id, command_from_json(json)});
    }
  }
  return received;
}

void CommandMailbox::reply(const std::string& id, const Status& outcome) {
  Json answer = {{"ok", outcome.is_ok()}, {"message", outcome.is_ok() ? "" : outcome.message()}};
  (void)write_atomically(dir_, id + ".reply", answer.dump());
}

RunState run_state(const std::string& run_dir) {
  std::string dir = control_dir(run_dir);
  int fd = ::open((dir + "/lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    if (held) return RunState::kRunning;
  }
  struct stat st {};
  if (::stat((run_dir + "/workflow.json").c_str(), &st) == 0) return RunState::kFinished;
  return RunState::kAbsent;
}

Result<std::string> post(const std::string& run_dir, const Command& command) {
  static std::atomic<int> counter{0};
  // Ids sort in the order commands were written.
  char id[64];
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  std::snprintf(id, sizeof id, "%020lld-%d-%d", static_cast<long long>(nanos), static_cast<int>(::getpid()),
                counter++);
  SKIFF_RETURN_IF_ERROR(write_atomically(control_dir(run_dir), std::string(id) + ".json", to_json(command).dump()));
  return std::string(id);
}

Status await_reply(const std::string& run_dir, const std::string& id, Duration timeout) {
  std::string dir = control_dir(run_dir);
  std::string path = dir + "/" + id + ".reply";
  int watch = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  // Answers arrive by rename; the run's end closes its lock file.
  if (watch >= 0) ::inotify_add_watch(watch, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
  auto deadline = Clock::now() + timeout;
  Status outcome = Status(Code::kUnavailable, "no answer from the run within " +
                                     std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                                     " seconds");
  for (;;) {
    std::string text;
    if (read_file(path, &text)) {
      ::unlink(path.c_str());
      Json answer = Json::parse(text, nullptr, false);
      if (!answer.is_discarded() && answer.value("ok", false)) {
        outcome = Status::ok();
      } else {
        outcome = invalid_argument(answer.is_discarded() ? "unreadable answer " + path : answer.value("message", ""));
      }
      break;
    }
    if (run_state(run_dir) != RunState::kRunning) {
      // It may have answered just before it ended.
      if (read_file(path, &text)) continue;
      outcome = failed_precondition("the run ended before it took the command");
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    if (watch < 0) break;
    pollfd p{watch, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000000)));
    drain(watch);
  }
  if (watch >= 0) ::close(watch);
  return outcome;
}

}  // namespace skiff::controller
