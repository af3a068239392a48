// The skiff command line. Configuration is read here, at the edge, and
// handed down as typed options; nothing below reads the environment.
#include "cli/commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "agent/argosay.h"
#include "agent/data_agent.h"
#include "agent/http_agent.h"
#include "cli/client.h"
#include "agent/pod_connect.h"
#include "agent/step_guard.h"
#include "cli/local_commands.h"
#include "controller/time_zones.h"

namespace skiff::cli {

int run_cli(int argc, char** argv) {
  // Expressions name time zones; they come from the system's tz database.
  controller::use_system_time_zones();
  // The argosay tool runs inside steps; it takes its own arguments verbatim.
  if (argc >= 2 && std::string(argv[1]) == "argosay") return agent::argosay_main(argc - 1, argv + 1);
  // So do the agents that make an http template's request and list a data
  // template's source.
  if (argc >= 3 && std::string(argv[1]) == "agent" && std::string(argv[2]) == "http") {
    return agent::http_agent_main(argc - 2, argv + 2);
  }
  if (argc >= 3 && std::string(argv[1]) == "agent" && std::string(argv[2]) == "data") {
    return agent::data_agent_main(argc - 2, argv + 2);
  }
  // The step guard stands beside steps run without the sandbox.
  if (argc >= 2 && std::string(argv[1]) == "step-guard") return agent::step_guard_main(argc - 1, argv + 1);
  // The pod connector reaches into a daemon's own network namespace.
  if (argc >= 2 && std::string(argv[1]) == "pod-connect") return agent::pod_connect_main(argc - 1, argv + 1);

  CLI::App app{"skiff: run Argo Workflows locally, fast"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("skiff 0.1.0"));

  RunFlags run;
  auto* run_cmd = app.add_subcommand("run", "Run a workflow to completion on this machine");
  run_cmd->add_option("file", run.file, "Workflow file (YAML or JSON)")->required();
  run_cmd->add_option("--load", run.load, "File or directory of WorkflowTemplates, ClusterWorkflowTemplates, "
                                          "ConfigMaps (repeatable)");
  run_cmd->add_option("-p,--parameter", run.parameters, "Input parameter NAME=VALUE (repeatable)");
  run_cmd->add_option("-e,--entrypoint", run.entrypoint, "Override spec.entrypoint");
  run_cmd->add_option("-o,--output", run.output, "Print the final workflow: json|yaml|wide|name");
  run_cmd->add_option("-n,--namespace", run.namespace_, "Namespace recorded in the workflow");
  run_cmd->add_option("--serviceaccount", run.service_account, "Service account recorded in the workflow");
  run_cmd->add_option("--name", run.name, "Override metadata.name");
  run_cmd->add_flag("--no-sandbox", run.no_sandbox, "Run steps without bubblewrap isolation");
  run_cmd->add_flag("--quiet", run.quiet, "Print no progress while running");

  LintFlags lint;
  auto* lint_cmd = app.add_subcommand("lint", "Validate workflow files");
  lint_cmd->add_option("files", lint.files, "Files to lint")->required();
  lint_cmd->add_option("--load", lint.load, "Supporting objects (repeatable)");

  // Verbs that talk to a server; they report through client_exit.
  ClientFlags client;
  int client_exit = -1;
  add_client_commands(app, client, &client_exit);
  add_server_command(app, &client_exit);

  LogsFlags logs;
  auto* logs_cmd = app.add_subcommand("logs", "Print the logs of a workflow run on this machine");
  logs_cmd->add_option("workflow", logs.workflow, "Workflow name, or @latest")->required();
  logs_cmd->add_option("pod", logs.pod, "Only this pod (or node name)");
  logs_cmd->add_flag("--no-color", logs.no_color, "Accepted for compatibility");
  bool follow = false;
  std::string grep;
  logs_cmd->add_flag("-f,--follow", follow, "Keep streaming while the workflow runs (server)");
  logs_cmd->add_option("--grep", grep, "Only lines matching this pattern (server)");
  logs_cmd->add_option("-c,--container", logs.container, "Container (steps run one: main)");
  add_connection_flags(*logs_cmd, client);

  GetFlags get;
  auto* get_cmd = app.add_subcommand("get", "Show a workflow run on this machine");
  get_cmd->add_option("workflow", get.workflow, "Workflow name, or @latest")->required();
  get_cmd->add_option("-o,--output", get.output, "json|yaml|wide|name");
  add_connection_flags(*get_cmd, client);

  ControlFlags control;
  std::vector<CLI::App*> control_cmds;
  for (const auto& [verb, help] : std::vector<std::pair<std::string, std::string>>{
           {"suspend", "Suspend a workflow run in progress: no new step starts"},
           {"resume", "Resume a suspended workflow run, or its suspend nodes"},
           {"stop", "Stop a workflow run: running steps are stopped, exit handlers still run"},
           {"terminate", "Terminate a workflow run: running steps are stopped, no exit handler runs"}}) {
    auto* cmd = app.add_subcommand(verb, help);
    cmd->add_option("workflow", control.workflows, "Workflow names, or @latest")->required();
    cmd->add_option("-n,--namespace", control.namespace_, "Namespace");
    if (verb == "resume" || verb == "stop") {
      cmd->add_option("--node-field-selector", control.node_field_selector,
                      "Only the nodes selected, e.g. displayName=approve");
    }
    if (verb == "stop") cmd->add_option("--message", control.message, "Message for the stopped nodes");
    cmd->add_option("--argo-server,-s", client.argo_server, "API server host:port, for a workflow on a server");
    cmd->add_option("--token", client.token, "Bearer token (default: $ARGO_TOKEN)");
    control_cmds.push_back(cmd);
  }
  std::string node_action;
  auto* node_cmd = app.add_subcommand("node", "Change a node of a workflow run in progress (node set)");
  node_cmd->add_option("action", node_action, "set")->required()->check(CLI::IsMember({"set"}));
  node_cmd->add_option("workflow", control.workflows, "Workflow name, or @latest")->required();
  node_cmd->add_option("--node-field-selector", control.node_field_selector, "Selector of the nodes to set");
  node_cmd->add_option("--phase", control.phase, "Phase to set the node to: Succeeded, Failed or Error");
  node_cmd->add_option("-m,--message", control.message, "Message of the node");
  node_cmd->add_option("-p,--output-parameter", control.output_parameters,
                       "A supplied output parameter NAME=VALUE (repeatable)");
  node_cmd->add_option("-n,--namespace", control.namespace_, "Namespace");
  node_cmd->add_option("--argo-server,-s", client.argo_server, "API server host:port, for a workflow on a server");
  node_cmd->add_option("--token", client.token, "Bearer token (default: $ARGO_TOKEN)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return e.get_exit_code() == 0 ? 0 : (code == 0 ? 0 : 2);
  }
  if (client_exit != -1) return client_exit;
  if (run_cmd->parsed()) return run_command(run);
  // get and logs read a local run unless a server is named, or the run is
  // not local and a server answers at the default address.
  auto use_server = [&](const std::string& workflow) {
    return client.server_named() || (!local_run_exists(workflow) && ApiClient(client).reachable());
  };
  if (logs_cmd->parsed() && use_server(logs.workflow)) return client_logs(client, logs.workflow, logs.pod, follow, grep);
  if (get_cmd->parsed() && use_server(get.workflow)) return client_get(client, get.workflow, get.output);
  if (lint_cmd->parsed()) return lint_command(lint);
  if (logs_cmd->parsed()) return logs_command(logs);
  if (get_cmd->parsed()) return get_command(get);
  // A control verb goes to the server when one is named, or when the run
  // is not on this machine and a server answers.
  auto on_server = [&](const std::string& workflow) { return !workflow.empty() && use_server(workflow); };
  auto on_server_flags = [&] {
    ClientFlags flags = client;
    if (!control.namespace_.empty()) flags.namespace_ = control.namespace_;
    return flags;
  };
  auto to_client = [](const ControlFlags& c) {
    return ClientCommand{c.verb, c.workflows, c.node_field_selector, c.message, c.phase, c.output_parameters};
  };
  for (auto* cmd : control_cmds) {
    if (cmd->parsed()) {
      control.verb = cmd->get_name();
      return on_server(control.workflows.front()) ? client_command(on_server_flags(), to_client(control))
                                                   : control_command(control);
    }
  }
  if (node_cmd->parsed()) {
    control.verb = "set";
    return on_server(control.workflows.front()) ? client_command(on_server_flags(), to_client(control))
                                                : control_command(control);
  }
  return 2;
}

}  // namespace skiff::cli
