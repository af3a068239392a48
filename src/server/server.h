// `skiff server`: the controller (many workflows, durable in the store) and
// an HTTP API with Argo Server's v1 paths, methods, parameters and JSON
// shapes, so the argo CLI in server mode and Argo's SDKs work against it.
//
// Errors are gRPC-gateway JSON, {"code": <gRPC code>, "message": …}, with
// the matching HTTP status.
//
// Thread-safety: start() and stop() from one thread; requests are served
// on the server's own threads.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "config/config.h"

namespace skiff::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 2746;                 // 0: any free port (see Server::port())
  std::string home;                // state: <home>/skiff.db, <home>/server/steps
  std::string self_exe;            // the skiff executable
  bool sandbox = true;
  size_t max_running = 0;  // steps run at once; 0: as many as open files allow
  // Workflow lists answered from an index in memory; false: every list
  // reads and decodes the stored workflows (to compare, or to rule it out).
  bool list_index = true;
  // "server": no token needed (loopback addresses only);
  // "client": every request needs `Authorization: Bearer <token>` from
  // `tokens_file` (one "token namespace[,namespace…]" or "token *" a line).
  std::string auth_mode = "server";
  std::string tokens_file;
  config::Config config;
};

class Server {
 public:
  // Opens the store, recovers workflows, binds and starts serving.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options);
  ~Server();  // stops serving and the controller

  int port() const;
  // Blocks until stop() is called (from a signal handler's thread, say).
  void wait();
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::server
