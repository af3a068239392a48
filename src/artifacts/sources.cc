#include "artifacts/sources.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

extern char** environ;

namespace skiff::artifacts::internal {
namespace {

Status unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }

struct Sink {
  CURL* curl = nullptr;
  int fd = -1;
  std::string error_body;
};

size_t write_sink(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
  if (sink->fd >= 0 && status >= 200 && status < 300) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::write(sink->fd, data + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return 0;
      done += static_cast<size_t>(w);
    }
    return n;
  }
  if (sink->error_body.size() < 4096) sink->error_body.append(data, std::min<size_t>(n, 4096));
  return n;
}

size_t read_source(char* buffer, size_t size, size_t count, void* user) {
  int fd = *static_cast<int*>(user);
  ssize_t n = ::read(fd, buffer, size * count);
  return n < 0 ? CURL_READFUNC_ABORT : static_cast<size_t>(n);
}

// One GET or PUT with retries on connection errors and 5xx answers.
Status transfer(const HttpRequest& request, const std::string& file, bool upload) {
  const char* verb = upload ? "PUT" : "GET";
  CURL* curl = curl_easy_init();
  if (!curl) return internal_error("cannot start an HTTP client");
  Status st = Status::ok();
  for (int attempt = 1;; ++attempt) {
    int fd = upload ? ::open(file.c_str(), O_RDONLY | O_CLOEXEC)
                    : ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      st = internal_error(std::string("cannot open ") + file + ": " + std::strerror(errno));
      break;
    }
    curl_easy_reset(curl);
    Sink sink;
    sink.curl = curl;
    sink.fd = upload ? -1 : fd;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_sink);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    if (!request.username.empty() || !request.password.empty()) {
      curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(curl, CURLOPT_USERNAME, request.username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, request.password.c_str());
    }
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
    if (upload) {
      struct stat sb{};
      ::fstat(fd, &sb);
      headers = curl_slist_append(headers, "Expect:");
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_source);
      curl_easy_setopt(curl, CURLOPT_READDATA, &fd);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(sb.st_size));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    ::close(fd);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    bool retry = false;
    if (code != CURLE_OK) {
      st = unavailable(std::string(verb) + " " + request.url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(code)));
      retry = code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT || code == CURLE_RECV_ERROR ||
              code == CURLE_SEND_ERROR || code == CURLE_GOT_NOTHING || code == CURLE_PARTIAL_FILE;
    } else if (status == 404) {
      st = not_found(std::string(verb) + " " + request.url + ": HTTP 404 (not found)");
    } else if (status == 401 || status == 403) {
      st = Status(Code::kPermissionDenied,
                  std::string(verb) + " " + request.url + ": HTTP " + std::to_string(status) + " (access denied)");
    } else if (status < 200 || status >= 300) {
      st = unavailable(std::string(verb) + " " + request.url + ": HTTP " + std::to_string(status));
      retry = status >= 500;
    } else {
      st = Status::ok();
    }
    if (!retry || attempt >= request.attempts) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(3000, 100 << (attempt - 1))));
  }
  curl_easy_cleanup(curl);
  return st;
}

// Runs git with `args`; its combined output (secrets redacted) on failure.
Status run_git(const std::vector<std::string>& args, const std::string& secret) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return internal_error("pipe: " + std::string(std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> argv_store = {"git"};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  env_store.emplace_back("GIT_TERMINAL_PROMPT=0");
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipefd[1]);
  if (rc != 0) {
    ::close(pipefd[0]);
    return not_found("cannot run git: " + std::string(std::strerror(rc)));
  }
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0 && output.size() < 16384) output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  if (!secret.empty()) {
    for (size_t pos = 0; (pos = output.find(secret, pos)) != std::string::npos;) output.replace(pos, secret.size(), "***");
  }
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  std::string verb = args[0] == "-C" && args.size() > 2 ? args[2] : args[0];
  return unavailable("git " + verb + " failed: " + output);
}

std::string url_with_credentials(const std::string& repo, const std::string& user, const std::string& password) {
  if (user.empty() && password.empty()) return repo;
  size_t scheme = repo.find("://");
  if (scheme == std::string::npos) return repo;
  return repo.substr(0, scheme + 3) + user + ":" + password + "@" + repo.substr(scheme + 3);
}

}  // namespace

Status http_get(const HttpRequest& request, const std::string& dest) { return transfer(request, dest, false); }
Status http_put(const HttpRequest& request, const std::string& src) { return transfer(request, src, true); }

Status git_clone(const GitRequest& request, const std::string& dest) {
  std::vector<std::string> clone = {"clone"};
  if (request.depth > 0) clone.push_back("--depth=" + std::to_string(request.depth));
  if (request.single_branch) clone.push_back("--single-branch");
  if (!request.branch.empty()) clone.insert(clone.end(), {"--branch", request.branch});
  if (!request.disable_submodules) clone.push_back("--recurse-submodules");
  clone.push_back("--");
  clone.push_back(url_with_credentials(request.repo, request.username, request.password));
  clone.push_back(dest);
  SKIFF_RETURN_IF_ERROR(run_git(clone, request.password));
  if (!request.fetch.empty()) {
    std::vector<std::string> fetch = {"-C", dest, "fetch", "origin"};
    fetch.insert(fetch.end(), request.fetch.begin(), request.fetch.end());
    SKIFF_RETURN_IF_ERROR(run_git(fetch, request.password));
  }
  if (!request.revision.empty()) {
    SKIFF_RETURN_IF_ERROR(run_git({"-C", dest, "checkout", "--quiet", request.revision}, request.password));
  }
  return Status::ok();
}

}  // namespace skiff::artifacts::internal
