// Verbs that work on this machine without a server: run, lint, logs, get.
#pragma once

#include <string>
#include <vector>

namespace skiff::cli {

struct RunFlags {
  std::string file;
  std::vector<std::string> load;
  std::vector<std::string> parameters;
  std::string entrypoint;
  std::string output;
  std::string namespace_ = "default";
  std::string service_account;
  std::string name;
  bool no_sandbox = false;
  bool quiet = false;
};

struct LintFlags {
  std::vector<std::string> files;
  std::vector<std::string> load;
};

struct LogsFlags {
  std::string workflow;
  std::string pod;
  std::string container;
  bool no_color = false;
};

struct GetFlags {
  std::string workflow;
  std::string output;
};

// suspend, resume, stop, terminate (several workflows) and `node set`.
struct ControlFlags {
  std::string verb;  // suspend|resume|stop|terminate|set
  std::vector<std::string> workflows;
  std::string node_field_selector;
  std::string message;
  std::string phase;
  std::vector<std::string> output_parameters;
  std::string namespace_;  // empty: "default" locally, $ARGO_NAMESPACE on a server
};

// Exit status: 0 Succeeded, 1 Failed or Error, 2 invalid input.
int run_command(const RunFlags& flags);
int lint_command(const LintFlags& flags);
int logs_command(const LogsFlags& flags);
int get_command(const GetFlags& flags);
// Sends the command to each workflow's run in progress: 0 when all took it.
int control_command(const ControlFlags& flags);

// Is there a local run of this name (or "@latest")?
bool local_run_exists(const std::string& workflow);

// Where runs keep their state: $SKIFF_HOME, else ~/.skiff.
std::string skiff_home();

}  // namespace skiff::cli
