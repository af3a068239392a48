// Who may call the API (internal): `--auth-mode server` trusts every caller
// and is allowed on loopback addresses only; `--auth-mode client` wants a
// bearer token from the tokens file, each token scoped to namespaces.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/status.h"

namespace skiff::server {

class Auth {
 public:
  // Checks the mode against the listening address and reads the tokens.
  static Result<Auth> create(const std::string& mode, const std::string& address, const std::string& tokens_file);

  // The namespaces the caller may use (nullopt: all), or kUnauthenticated.
  Result<std::optional<std::set<std::string>>> authorize(const std::string& authorization_header) const;

 private:
  bool client_mode_ = false;
  // token -> namespaces; an empty set means every namespace ("*").
  std::map<std::string, std::set<std::string>> tokens_;
};

bool is_loopback(const std::string& address);

}  // namespace skiff::server
