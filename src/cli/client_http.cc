// The HTTP client of the CLI: the only file of the CLI that sees cpp-httplib.
#include <httplib.h>

#include <cstdlib>

#include "base/strings.h"
#include "cli/client.h"

namespace skiff::cli {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool env_true(const char* name) {
  std::string value = env(name);
  return value == "true" || value == "1" || value == "TRUE" || value == "True";
}

Code code_from_grpc(int code) {
  switch (code) {
    case 1: return Code::kCancelled;
    case 3: return Code::kInvalidArgument;
    case 5: return Code::kNotFound;
    case 6: return Code::kAlreadyExists;
    case 7: return Code::kPermissionDenied;
    case 8: return Code::kResourceExhausted;
    case 9: return Code::kFailedPrecondition;
    case 14: return Code::kUnavailable;
    case 16: return Code::kUnauthenticated;
    default: return Code::kInternal;
  }
}

std::unique_ptr<httplib::Client> make_client(const std::string& scheme, const std::string& address,
                                             const std::string& token, bool skip_verify) {
  auto client = std::make_unique<httplib::Client>(scheme + "://" + address);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(3600, 0);
  if (scheme == "https") client->enable_server_certificate_verification(!skip_verify);
  if (!token.empty()) client->set_default_headers({{"Authorization", token}});
  return client;
}

Status transport_error(const std::string& address, httplib::Error error) {
  return Status(Code::kUnavailable, "cannot reach the server at " + address + ": " + httplib::to_string(error) +
                                        " (is `skiff server` running? set ARGO_SERVER or --argo-server)");
}

}  // namespace

bool ClientFlags::server_named() const { return !argo_server.empty() || !env("ARGO_SERVER").empty(); }

std::string ClientFlags::resolved_namespace() const {
  if (!namespace_.empty()) return namespace_;
  std::string from_env = env("ARGO_NAMESPACE");
  return from_env.empty() ? "default" : from_env;
}

ApiClient::ApiClient(const ClientFlags& flags) {
  address_ = !flags.argo_server.empty() ? flags.argo_server : env("ARGO_SERVER");
  if (address_.empty()) address_ = "localhost:2746";
  for (const char* prefix : {"http://", "https://"}) {
    if (starts_with(address_, prefix)) address_ = address_.substr(std::string(prefix).size());
  }
  bool secure = flags.secure || env_true("ARGO_SECURE");
  scheme_ = secure ? "https" : "http";
  skip_verify_ = flags.insecure_skip_verify || env_true("ARGO_INSECURE_SKIP_VERIFY");
  token_ = !flags.token.empty() ? flags.token : env("ARGO_TOKEN");
  if (!token_.empty() && !starts_with(token_, "Bearer ")) token_ = "Bearer " + token_;
}

Result<Json> ApiClient::call(const std::string& method, const std::string& path, const Json& body) const {
  auto client = make_client(scheme_, address_, token_, skip_verify_);
  std::string text = body.is_null() ? "" : body.dump();
  auto send = [&]() -> httplib::Result {
    if (method == "POST") return client->Post(path, text, "application/json");
    if (method == "PUT") return client->Put(path, text, "application/json");
    if (method == "DELETE") return client->Delete(path);
    return client->Get(path);
  };
  httplib::Result result = send();
  if (!result) return transport_error(address_, result.error());
  Json decoded = Json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (result->status >= 300) {
    if (decoded.is_object() && decoded.contains("message")) {
      return Status(code_from_grpc(decoded.value("code", 2)), decoded.value("message", ""));
    }
    return internal_error("the server answered " + std::to_string(result->status) + ": " + result->body);
  }
  if (decoded.is_discarded()) return internal_error("the server's answer is not JSON: " + result->body);
  return decoded;
}

Status ApiClient::stream(const std::string& path, const std::function<bool(const std::string&)>& on_line) const {
  auto client = make_client(scheme_, address_, token_, skip_verify_);
  std::string buffer;
  std::string error_body;
  int status = 0;
  bool stopped = false;
  auto result = client->Get(
      path,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status >= 300) {
          error_body.append(data, size);
          return true;
        }
        buffer.append(data, size);
        for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
          std::string line = buffer.substr(0, nl);
          buffer.erase(0, nl + 1);
          if (!on_line(line)) {
            stopped = true;
            return false;
          }
        }
        return true;
      });
  if (stopped) return Status::ok();
  if (!result && status == 0) return transport_error(address_, result.error());
  if (status >= 300) {
    Json decoded = Json::parse(error_body, nullptr, false);
    if (decoded.is_object() && decoded.contains("message")) {
      return Status(code_from_grpc(decoded.value("code", 2)), decoded.value("message", ""));
    }
    return internal_error("the server answered " + std::to_string(status));
  }
  if (!buffer.empty()) on_line(buffer);
  return Status::ok();
}

bool ApiClient::reachable() const {
  auto client = make_client(scheme_, address_, token_, skip_verify_);
  client->set_connection_timeout(1, 0);
  client->set_read_timeout(2, 0);
  auto result = client->Get("/api/v1/version");
  return static_cast<bool>(result);
}

std::string url_encode(const std::string& text) { return percent_encode(text); }

}  // namespace skiff::cli
