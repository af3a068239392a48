// Verbs that talk to a Skiff (or Argo) server over its REST API, finding it
// as the argo CLI does: --argo-server / ARGO_SERVER (host:port), a bearer
// token from --token / ARGO_TOKEN, the namespace from -n / ARGO_NAMESPACE.
// Plain HTTP unless --secure or ARGO_SECURE=true (a Skiff server speaks
// plain HTTP on loopback).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace CLI {
class App;
}

namespace skiff::cli {

using Json = nlohmann::json;

struct ClientFlags {
  std::string argo_server;  // host:port; empty: ARGO_SERVER, else localhost:2746
  std::string token;        // empty: ARGO_TOKEN
  std::string namespace_;   // empty: ARGO_NAMESPACE, else "default"
  bool secure = false;
  bool insecure_skip_verify = false;
  bool all_namespaces = false;

  // True when a server was named (flag or ARGO_SERVER).
  bool server_named() const;
  std::string resolved_namespace() const;
};

class ApiClient {
 public:
  explicit ApiClient(const ClientFlags& flags);

  // One request; the decoded JSON body, or the server's error as a Status
  // (kUnavailable when no server answers).
  Result<Json> call(const std::string& method, const std::string& path, const Json& body = nullptr) const;
  // A streamed response: `on_line` gets each line (newline-delimited JSON or
  // SSE lines) until it returns false or the stream ends.
  Status stream(const std::string& path, const std::function<bool(const std::string&)>& on_line) const;
  // Does a server answer at the address?
  bool reachable() const;
  const std::string& address() const { return address_; }

 private:
  std::string address_;
  std::string scheme_;
  std::string token_;
  bool skip_verify_ = false;
};

// "%2F" and friends for query values.
std::string url_encode(const std::string& text);

// Registers submit, list, watch, delete, terminate, template,
// cluster-template and cron on `app`. `*exit_code` receives the result of
// the verb that ran.
void add_client_commands(CLI::App& app, ClientFlags& flags, int* exit_code);
// Adds the connection flags (--argo-server, --token, -n, --secure, …) to a
// subcommand.
void add_connection_flags(CLI::App& command, ClientFlags& flags);
// suspend|resume|stop|terminate|set of workflows on the server (the verbs
// are shared with the local control channel, which decides where a name
// lives). `output_parameters` are NAME=VALUE.
struct ClientCommand {
  std::string verb;
  std::vector<std::string> workflows;
  std::string node_field_selector;
  std::string message;
  std::string phase;
  std::vector<std::string> output_parameters;
};
int client_command(const ClientFlags& flags, const ClientCommand& command);

// `skiff get` and `skiff logs` against a server.
int client_get(const ClientFlags& flags, const std::string& name, const std::string& output);
int client_logs(const ClientFlags& flags, const std::string& name, const std::string& pod, bool follow,
                const std::string& grep);

// `skiff server`.
void add_server_command(CLI::App& app, int* exit_code);

}  // namespace skiff::cli
