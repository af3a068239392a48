// Fetching from HTTP servers and git repositories (internal to the
// artifacts layer).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace skiff::artifacts::internal {

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string username;  // basic auth when not empty
  std::string password;
  int attempts = 5;
};

// GET into `dest` (created or truncated), streamed.
Status http_get(const HttpRequest& request, const std::string& dest);
// PUT the file, streamed.
Status http_put(const HttpRequest& request, const std::string& src);

struct GitRequest {
  std::string repo;
  std::string revision;
  int depth = 0;
  std::vector<std::string> fetch;
  bool single_branch = false;
  std::string branch;
  std::string username;
  std::string password;
  bool disable_submodules = false;
};

// Clones into `dest` with the `git` program.
Status git_clone(const GitRequest& request, const std::string& dest);

}  // namespace skiff::artifacts::internal
