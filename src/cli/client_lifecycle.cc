// `skiff retry` and `skiff resubmit`: a finished workflow of a server runs
// again, in place (retry) or as a new workflow (resubmit), with the argo
// CLI's flags.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/client.h"
#include "cli/client_internal.h"
#include "cli/local_commands.h"
#include "cli/render.h"

namespace skiff::cli {

namespace {

struct LifecycleFlags {
  std::vector<std::string> names;
  std::vector<std::string> parameters;
  std::string node_field_selector, output;
  bool restart_successful = false, memoized = false, watch = false, wait = false;
};

// Runs that `skiff run` made have no controller to run them again.
Status explain_local(const Status& status, const std::string& verb, const std::string& name) {
  if (status.code() != Code::kUnavailable && status.code() != Code::kNotFound) return status;
  if (!local_run_exists(name)) return status;
  return Status(status.code(), name + " is a local run (skiff run): only workflows of `skiff server` can be " + verb +
                                   "; submit it to a server with `skiff submit` (" + status.message() + ")");
}

Result<Json> parameters_json(const std::vector<std::string>& parameters) {
  Json out = Json::array();
  for (const auto& p : parameters) {
    if (p.find('=') == std::string::npos) {
      return invalid_argument("expected parameter of the form: NAME=VALUE. Received: " + p);
    }
    out.push_back(p);
  }
  return out;
}

// PUT …/{name}/retry or …/resubmit for each workflow, then prints what the
// server answered and, when asked, follows it until it completes.
int run_again(const ClientFlags& flags, const LifecycleFlags& f, const std::string& verb) {
  ApiClient api(flags);
  std::string ns = flags.resolved_namespace();
  auto parameters = parameters_json(f.parameters);
  if (!parameters) return fail(parameters.status());
  int rc = 0;
  for (const auto& raw : f.names) {
    auto name = resolve_name(api, ns, raw);
    if (!name) return fail(explain_local(name.status(), verb == "retry" ? "retried" : "resubmitted", raw));
    Json body = {{"namespace", ns}, {"name", *name}};
    if (!f.parameters.empty()) body["parameters"] = *parameters;
    if (verb == "retry") {
      body["restartSuccessful"] = f.restart_successful;
      body["nodeFieldSelector"] = f.node_field_selector;
    } else {
      body["memoized"] = f.memoized;
    }
    auto wf = api.call("PUT", "/api/v1/workflows/" + ns + "/" + *name + "/" + verb, body);
    if (!wf) return fail(explain_local(wf.status(), verb == "retry" ? "retried" : "resubmitted", *name));
    if (int printed = print_object(*wf, f.output, [&] { return render_get(*wf, client_render_options(false)); });
        printed) {
      return printed;
    }
    if (f.watch || f.wait) {
      rc = std::max(rc, finish_waiting(api, ns, (*wf)["metadata"].value("name", ""), f.watch, f.wait));
    }
  }
  return rc;
}

}  // namespace

void add_lifecycle_commands(CLI::App& app, ClientFlags& flags, int* exit_code) {
  static LifecycleFlags retry;
  auto* retry_cmd = app.add_subcommand("retry", "Retry a failed workflow of a server in place");
  retry_cmd->add_option("workflows", retry.names, "Workflow names, or @latest")->required();
  retry_cmd->add_flag("--restart-successful", retry.restart_successful,
                      "Also run again the succeeded nodes --node-field-selector selects");
  retry_cmd->add_option("--node-field-selector", retry.node_field_selector,
                        "Selector of nodes to run again, e.g. displayName=build or templateName=work");
  retry_cmd->add_option("-p,--parameter", retry.parameters, "A new value of a workflow parameter NAME=VALUE (repeatable)");
  retry_cmd->add_option("-o,--output", retry.output, "name|json|yaml|wide");
  retry_cmd->add_flag("-w,--watch", retry.watch, "Watch the workflow until it completes");
  retry_cmd->add_flag("--wait", retry.wait, "Wait for the workflow to complete");
  add_connection_flags(*retry_cmd, flags);
  retry_cmd->callback([&flags, exit_code] { *exit_code = run_again(flags, retry, "retry"); });

  static LifecycleFlags resubmit;
  auto* resubmit_cmd = app.add_subcommand("resubmit", "Submit a new workflow with the spec of an old one");
  resubmit_cmd->add_option("workflows", resubmit.names, "Workflow names, or @latest")->required();
  resubmit_cmd->add_flag("--memoized", resubmit.memoized,
                         "Keep what succeeded in a Failed/Error workflow: only the rest runs");
  resubmit_cmd->add_option("-p,--parameter", resubmit.parameters, "A new value of a workflow parameter NAME=VALUE (repeatable)");
  resubmit_cmd->add_option("-o,--output", resubmit.output, "name|json|yaml|wide");
  resubmit_cmd->add_flag("-w,--watch", resubmit.watch, "Watch the new workflow until it completes");
  resubmit_cmd->add_flag("--wait", resubmit.wait, "Wait for the new workflow to complete");
  add_connection_flags(*resubmit_cmd, flags);
  resubmit_cmd->callback([&flags, exit_code] { *exit_code = run_again(flags, resubmit, "resubmit"); });
}

}  // namespace skiff::cli
