#include "server/auth.h"

#include <fstream>

#include "base/strings.h"

namespace skiff::server {

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1" || starts_with(address, "127.");
}

Result<Auth> Auth::create(const std::string& mode, const std::string& address, const std::string& tokens_file) {
  Auth auth;
  if (mode == "server") {
    if (!is_loopback(address)) {
      return invalid_argument("--auth-mode server lets anyone in without a token, so it is allowed only on a "
                              "loopback address (127.0.0.1, ::1); listening on " + address +
                              " needs --auth-mode client with --auth-tokens");
    }
    return auth;
  }
  if (mode != "client") return invalid_argument("--auth-mode: \"" + mode + "\" is not one of server, client");
  if (tokens_file.empty()) return invalid_argument("--auth-mode client needs --auth-tokens FILE");
  std::ifstream in(tokens_file);
  if (!in) return not_found(tokens_file + ": cannot read the tokens file");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    auto space = text.find_first_of(" \t");
    if (space == std::string_view::npos) {
      return invalid_argument(tokens_file + ":" + std::to_string(number) +
                              ": expected \"<token> <namespace>[,<namespace>…]\" or \"<token> *\"");
    }
    std::string token(text.substr(0, space));
    std::set<std::string> namespaces;
    std::string scope(trim(text.substr(space)));
    if (scope != "*") {
      for (const auto& ns : split(scope, ',')) {
        if (!trim(ns).empty()) namespaces.insert(std::string(trim(ns)));
      }
      if (namespaces.empty()) {
        return invalid_argument(tokens_file + ":" + std::to_string(number) + ": no namespace for the token");
      }
    }
    auth.tokens_[token] = std::move(namespaces);
  }
  if (auth.tokens_.empty()) return invalid_argument(tokens_file + ": no tokens");
  auth.client_mode_ = true;
  return auth;
}

Result<std::optional<std::set<std::string>>> Auth::authorize(const std::string& header) const {
  if (!client_mode_) return std::optional<std::set<std::string>>();
  std::string token(trim(header));
  if (starts_with(token, "Bearer ")) token = std::string(trim(token.substr(7)));
  if (token.empty()) return Status(Code::kUnauthenticated, "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/");
  auto it = tokens_.find(token);
  if (it == tokens_.end()) {
    return Status(Code::kUnauthenticated, "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/");
  }
  if (it->second.empty()) return std::optional<std::set<std::string>>();
  return std::optional<std::set<std::string>>(it->second);
}

}  // namespace skiff::server
