// `skiff server`: the controller and the Argo-compatible API, until SIGINT
// or SIGTERM.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/client.h"
#include "config/config.h"
#include "server/server.h"

namespace skiff::cli {

namespace {

struct ServerFlags {
  std::string address = "127.0.0.1";
  int port = 2746;
  std::string auth_mode = "server";
  std::string tokens;
  std::string config;
  std::string managed_namespace;
  bool no_sandbox = false;
  bool no_list_index = false;
};

std::string self_path() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "skiff";
  buf[n] = '\0';
  return buf;
}

// Many steps at once need many descriptors; take what the hard limit
// allows, as Go programs such as Argo's controller do at start.
void raise_open_file_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= files.rlim_max) return;
  files.rlim_cur = files.rlim_max;
  (void)::setrlimit(RLIMIT_NOFILE, &files);
}

int serve(const ServerFlags& flags) {
  raise_open_file_limit();
  auto config = config::load_for_cli(flags.config);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
    return 2;
  }
  server::ServerOptions options;
  options.address = flags.address;
  options.port = flags.port;
  options.home = config::skiff_home();
  options.self_exe = self_path();
  options.sandbox = !flags.no_sandbox;
  options.list_index = !flags.no_list_index;
  options.auth_mode = flags.auth_mode;
  options.tokens_file = flags.tokens;
  options.config = *config;
  if (!flags.managed_namespace.empty()) options.config.namespace_ = flags.managed_namespace;

  // Signals are taken by this thread alone: block them before any thread
  // starts, then wait for one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto started = server::Server::start(options);
  if (!started) {
    std::fprintf(stderr, "skiff server: %s\n", started.status().message().c_str());
    return started.status().code() == Code::kInvalidArgument ? 2 : 1;
  }
  std::fprintf(stderr, "skiff server listening on http://%s:%d (state in %s, auth mode %s)\n", flags.address.c_str(),
               (*started)->port(), options.home.c_str(), flags.auth_mode.c_str());
  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "skiff server: stopping\n");
  (*started)->stop();
  started->reset();
  return 0;
}

}  // namespace

void add_server_command(CLI::App& app, int* exit_code) {
  static ServerFlags flags;
  auto* cmd = app.add_subcommand("server", "Run the controller and the Argo Server compatible API");
  cmd->add_option("--address", flags.address, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", flags.port, "Port to listen on (0: any free port)")->capture_default_str();
  cmd->add_option("--auth-mode", flags.auth_mode,
                  "server: no token (loopback only); client: bearer tokens from --auth-tokens")
      ->capture_default_str();
  cmd->add_option("--auth-tokens", flags.tokens, "File of \"<token> <namespace>[,…]|*\" lines");
  cmd->add_option("--config", flags.config, "Configuration file (default: $SKIFF_CONFIG, else $SKIFF_HOME/config.yaml)");
  cmd->add_option("--managed-namespace", flags.managed_namespace, "The namespace this server manages by default");
  cmd->add_flag("--no-sandbox", flags.no_sandbox, "Run steps without bubblewrap isolation");
  cmd->add_flag("--no-list-index", flags.no_list_index,
                "Answer workflow lists from the store, not from the index kept in memory");
  cmd->callback([exit_code] { *exit_code = serve(flags); });
}

}  // namespace skiff::cli
