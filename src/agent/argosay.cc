#include "agent/argosay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "base/strings.h"
#include "base/time.h"

// The image's tool is a Go program. Its observable behaviour is reproduced
// here: messages go through Go's builtin println (which writes to stderr),
// and any failure other than `exit N` is a Go panic (exit status 2, the
// message on stderr prefixed with "panic: ").

namespace skiff::agent {
namespace {

constexpr int kPanicExit = 2;

// Go prints OS errors in lower case ("no such file or directory").
std::string go_errno_text(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string path_error(const char* op, const std::string& path, int err) {
  return std::string(op) + " " + path + ": " + go_errno_text(err);
}

// What the Go program returns from its verb: nothing, a chosen exit code,
// or an error that it panics with.
struct Outcome {
  int exit_code = 0;
  std::optional<std::string> panic_message;
};

Outcome ok() { return {}; }
Outcome fail(std::string message) { return {kPanicExit, std::move(message)}; }

void go_println(const std::string& text) {
  std::string line = text + "\n";
  fwrite(line.data(), 1, line.size(), stderr);
}

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

Outcome cat(const std::vector<std::string>& files) {
  fflush(stdout);
  for (const std::string& file : files) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(path_error("open", file, errno));
    char buffer[64 * 1024];
    for (;;) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        return fail(path_error("read", file, err));
      }
      if (n == 0) break;
      if (!write_all(STDOUT_FILENO, buffer, static_cast<size_t>(n))) {
        ::close(fd);
        return fail("write /dev/stdout: " + go_errno_text(errno));
      }
    }
    ::close(fd);
  }
  return ok();
}

// os.MkdirAll: creates each missing parent.
std::optional<std::string> mkdir_all(const std::string& dir) {
  struct stat st{};
  if (dir.empty() || ::stat(dir.c_str(), &st) == 0) return std::nullopt;
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto err = mkdir_all(dir.substr(0, slash))) return err;
  }
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) return path_error("mkdir", dir, errno);
  return std::nullopt;
}

Outcome echo(const std::vector<std::string>& args) {
  switch (args.size()) {
    case 0:
      go_println("hello argo");
      return ok();
    case 1:
      go_println(args[0]);
      return ok();
    case 2: {
      const std::string& file = args[1];
      size_t slash = file.find_last_of('/');
      if (slash != std::string::npos && slash > 0) {
        if (auto err = mkdir_all(file.substr(0, slash))) return fail(*err);
      }
      int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (fd < 0) return fail(path_error("open", file, errno));
      bool written = write_all(fd, args[0].data(), args[0].size());
      int err = errno;
      ::close(fd);
      if (!written) return fail(path_error("write", file, err));
      return ok();
    }
    default:
      return fail("usage: argosay echo [string] [file]");
  }
}

Outcome assert_contains(const std::vector<std::string>& args) {
  if (args.size() != 2) return fail("usage: assert_contains data string");
  std::string data;
  if (!read_file(args[0], &data)) return fail(path_error("open", args[0], errno ? errno : ENOENT));
  if (data.find(args[1]) == std::string::npos) {
    return fail("expected \"" + args[0] + "\" to contain \"" + args[1] + "\", but was \"" + data + "\"");
  }
  return ok();
}

// strconv.Atoi: optional sign, decimal digits only.
std::optional<int> go_atoi(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t i = (text[0] == '+' || text[0] == '-') ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  for (size_t j = i; j < text.size(); ++j) {
    if (text[j] < '0' || text[j] > '9') return std::nullopt;
  }
  errno = 0;
  long value = std::strtol(text.c_str(), nullptr, 10);
  if (errno != 0 || value > 2147483647L || value < -2147483648L) return std::nullopt;
  return static_cast<int>(value);
}

Outcome exit_verb(const std::vector<std::string>& args) {
  if (args.size() != 1) return ok();
  std::optional<int> code = go_atoi(args[0]);
  if (!code) return fail("strconv.Atoi: parsing \"" + args[0] + "\": invalid syntax");
  // A process exit status keeps only the low byte, as os.Exit does.
  return {*code & 0xff, std::nullopt};
}

Outcome sleep_verb(const std::vector<std::string>& args) {
  if (args.size() != 1) return fail("usage: argosay sleep duration");
  const std::string& text = args[0];
  // Go's ParseDuration wants a unit on every number except a bare "0".
  bool bare_number = text.find_first_not_of("0123456789.+-") == std::string::npos;
  if (bare_number && text != "0") {
    return fail("time: missing unit in duration \"" + text + "\"");
  }
  std::optional<Duration> duration = text == "0" ? Duration(0) : parse_duration(text);
  if (!duration) return fail("time: invalid duration \"" + text + "\"");
  if (duration->count() <= 0) return ok();
  struct timespec remaining{};
  remaining.tv_sec = static_cast<time_t>(duration->count() / 1000000);
  remaining.tv_nsec = static_cast<long>(duration->count() % 1000000) * 1000;
  while (nanosleep(&remaining, &remaining) != 0 && errno == EINTR) {
  }
  return ok();
}

Outcome dispatch(std::vector<std::string> args) {
  if (args.empty()) args.push_back("echo");
  const std::string verb = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (verb == "assert_contains") return assert_contains(rest);
  if (verb == "cat") return cat(rest);
  if (verb == "echo") return echo(rest);
  if (verb == "exit") return exit_verb(rest);
  if (verb == "sleep") return sleep_verb(rest);
  return fail(
      "usage: argosay [assert_contains file string|cat [file...]|echo [string] [file]|sleep duration|exit "
      "[code]]");
}

}  // namespace

int argosay_main(int argc, char** argv) {
  // argv[0] is the program; a leading "argosay" verb (as in `skiff argosay
  // echo hi`) is the tool's own name, not one of its verbs.
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  if (!args.empty() && args.front() == "argosay") args.erase(args.begin());
  Outcome outcome = dispatch(std::move(args));
  fflush(stdout);
  if (outcome.panic_message) {
    std::string text = "panic: " + *outcome.panic_message + "\n\ngoroutine 1 [running]:\nmain.main()\n";
    fwrite(text.data(), 1, text.size(), stderr);
  }
  fflush(stderr);
  return outcome.exit_code;
}

}  // namespace skiff::agent
