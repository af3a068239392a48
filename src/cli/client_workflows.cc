// Workflow verbs against a server: submit, list, get, watch, logs, delete,
// terminate.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "base/strings.h"
#include "cli/client.h"
#include "cli/client_internal.h"
#include "cli/render.h"
#include "spec/spec.h"

namespace skiff::cli {

namespace {

bool finished(const Json& wf) {
  const Json& status = wf.value("status", Json::object());
  return status.contains("finishedAt") && status["finishedAt"].is_string() &&
         !status["finishedAt"].get<std::string>().empty();
}

// Follows the workflow over the watch stream until it finishes; returns it.
Result<Json> watch_until_done(const ApiClient& api, const std::string& ns, const std::string& name, bool draw) {
  Json last;
  int rows = 0;
  bool live = draw && ::isatty(STDOUT_FILENO);
  Json previous;
  Status streamed = api.stream(
      "/api/v1/workflow-events/" + ns + "?listOptions.fieldSelector=" + url_encode("metadata.name=" + name),
      [&](const std::string& line) {
        if (!starts_with(line, "data: ")) return true;
        Json event = Json::parse(line.substr(6), nullptr, false);
        if (!event.is_object() || !event.contains("result")) return true;
        last = event["result"]["object"];
        if (draw) {
          if (live) {
            std::string frame = render_watch_frame(last, client_render_options(false));
            std::cout << watch_redraw_prefix(rows) << frame << std::flush;
            rows = terminal_rows(frame, 0);
          } else {
            for (const auto& change : render_node_changes(previous, last)) std::fprintf(stderr, "%s\n", change.c_str());
            previous = last;
          }
        }
        return !finished(last);
      });
  if (!streamed) return streamed;
  if (last.is_null()) return not_found("workflows.argoproj.io \"" + name + "\" not found");
  return last;
}

struct SubmitFlags {
  std::vector<std::string> files;
  std::string from;
  std::vector<std::string> parameters;
  std::string entrypoint, name, generate_name, labels, service_account, output;
  bool watch = false, wait = false, dry_run = false, server_dry_run = false;
};

int submit(const ClientFlags& flags, const SubmitFlags& s) {
  ApiClient api(flags);
  std::string ns = flags.resolved_namespace();
  std::vector<std::string> created;
  if (!s.from.empty()) {
    auto slash = s.from.find('/');
    if (slash == std::string::npos) return fail(invalid_argument("--from: expected kind/name, e.g. workflowtemplate/my-template"));
    std::string kind = s.from.substr(0, slash);
    if (kind == "workflowtemplate" || kind == "wftmpl") kind = "WorkflowTemplate";
    else if (kind == "clusterworkflowtemplate" || kind == "cwftmpl") kind = "ClusterWorkflowTemplate";
    else if (kind == "cronworkflow" || kind == "cronwf" || kind == "cwf") kind = "CronWorkflow";
    Json options = {{"parameters", s.parameters}};
    if (!s.entrypoint.empty()) options["entryPoint"] = s.entrypoint;
    if (!s.name.empty()) options["name"] = s.name;
    if (!s.generate_name.empty()) options["generateName"] = s.generate_name;
    if (!s.labels.empty()) options["labels"] = s.labels;
    if (!s.service_account.empty()) options["serviceAccount"] = s.service_account;
    if (s.dry_run || s.server_dry_run) options["serverDryRun"] = true;
    auto wf = api.call("POST", "/api/v1/workflows/" + ns + "/submit",
                       {{"namespace", ns}, {"resourceKind", kind}, {"resourceName", s.from.substr(slash + 1)},
                        {"submitOptions", options}});
    if (!wf) return fail(wf.status());
    if (int rc = print_object(*wf, s.output, [&] { return render_get(*wf, client_render_options(false)); }); rc) return rc;
    created.push_back((*wf)["metadata"].value("name", ""));
  } else {
    if (s.files.empty()) return fail(invalid_argument("submit: give workflow files, or --from kind/name"));
    for (const auto& file : s.files) {
      auto docs = file == "-" ? spec::parse_documents(std::string(std::istreambuf_iterator<char>(std::cin), {}), "stdin")
                              : spec::load_file(file);
      if (!docs) return fail(docs.status());
      for (const auto& object : *docs) {
        if (object.kind != "Workflow") continue;
        Json wf = object.doc;
        if (!s.entrypoint.empty()) wf["spec"]["entrypoint"] = s.entrypoint;
        if (!s.name.empty()) wf["metadata"]["name"] = s.name;
        if (!s.generate_name.empty()) {
          wf["metadata"].erase("name");
          wf["metadata"]["generateName"] = s.generate_name;
        }
        if (!s.service_account.empty()) wf["spec"]["serviceAccountName"] = s.service_account;
        for (const auto& pair : split(s.labels, ',')) {
          auto eq = pair.find('=');
          if (eq != std::string::npos) wf["metadata"]["labels"][pair.substr(0, eq)] = pair.substr(eq + 1);
        }
        for (const auto& p : s.parameters) {
          auto eq = p.find('=');
          if (eq == std::string::npos) return fail(invalid_argument("-p " + p + ": expected NAME=VALUE"));
          Json& params = wf["spec"]["arguments"]["parameters"];
          if (!params.is_array()) params = Json::array();
          bool found = false;
          for (auto& existing : params) {
            if (existing.value("name", "") == p.substr(0, eq)) {
              existing["value"] = p.substr(eq + 1);
              existing.erase("valueFrom");
              found = true;
            }
          }
          if (!found) params.push_back({{"name", p.substr(0, eq)}, {"value", p.substr(eq + 1)}});
        }
        wf["metadata"].erase("namespace");
        auto submitted = api.call("POST", "/api/v1/workflows/" + ns,
                                  {{"namespace", ns}, {"workflow", wf}, {"serverDryRun", s.dry_run || s.server_dry_run}});
        if (!submitted) return fail(submitted.status());
        if (int rc = print_object(*submitted, s.output,
                                  [&] { return render_get(*submitted, client_render_options(false)); });
            rc) {
          return rc;
        }
        created.push_back((*submitted)["metadata"].value("name", ""));
      }
    }
  }
  if (s.dry_run || s.server_dry_run || !(s.watch || s.wait)) return 0;
  int rc = 0;
  for (const auto& name : created) rc = std::max(rc, finish_waiting(api, ns, name, s.watch, s.wait));
  return rc;
}

struct ListFlags {
  std::string status, since, selector, field_selector, output;
  bool completed = false, running = false;
  int64_t chunk_size = 0;
};

int list(const ClientFlags& flags, const ListFlags& l) {
  ApiClient api(flags);
  std::string ns = flags.all_namespaces ? "" : flags.resolved_namespace();
  std::vector<std::string> selectors;
  if (!l.selector.empty()) selectors.push_back(l.selector);
  if (!l.status.empty()) selectors.push_back("workflows.argoproj.io/phase in (" + l.status + ")");
  if (l.completed) selectors.push_back("workflows.argoproj.io/completed=true");
  if (l.running) selectors.push_back("workflows.argoproj.io/completed!=true");
  std::optional<Time> since;
  if (!l.since.empty()) {
    auto d = parse_duration(l.since);
    if (!d) return fail(invalid_argument("--since " + l.since + ": expected a duration such as 1h or 30m"));
    since = now_from(Clock::now()) - *d;
  }
  std::string path = "/api/v1/workflows/" + ns + "?fields=-items.status.nodes";
  if (!selectors.empty()) path += "&listOptions.labelSelector=" + url_encode(join(selectors, ","));
  if (!l.field_selector.empty()) path += "&listOptions.fieldSelector=" + url_encode(l.field_selector);
  if (l.chunk_size > 0) path += "&listOptions.limit=" + std::to_string(l.chunk_size);
  Json items = Json::array();
  std::string token;
  do {
    auto page = api.call("GET", path + (token.empty() ? "" : "&listOptions.continue=" + url_encode(token)));
    if (!page) return fail(page.status());
    for (auto& item : (*page)["items"]) {
      if (since) {
        auto created = parse_rfc3339(item["metadata"].value("creationTimestamp", ""));
        if (created && *created < *since) continue;
      }
      items.push_back(item);
    }
    token = (*page)["metadata"].value("continue", "");
  } while (!token.empty());

  if (l.output == "json") {
    std::cout << items.dump(2) << "\n";
    return 0;
  }
  if (l.output == "yaml") {
    std::cout << spec::to_yaml(items);
    return 0;
  }
  if (l.output == "name") {
    for (auto& item : items) std::cout << item["metadata"].value("name", "") << "\n";
    return 0;
  }
  if (items.empty()) {
    std::fprintf(stderr, "No workflows found\n");
    return 0;
  }
  Time now = now_from(Clock::now());
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"};
  if (flags.all_namespaces) header.insert(header.begin(), "NAMESPACE");
  rows.push_back(header);
  for (auto& item : items) {
    const Json& status = item.value("status", Json::object());
    auto created = parse_rfc3339(item["metadata"].value("creationTimestamp", ""));
    auto started = parse_rfc3339(status.value("startedAt", ""));
    std::optional<Time> ended;
    if (status.contains("finishedAt") && status["finishedAt"].is_string()) ended = parse_rfc3339(status["finishedAt"].get<std::string>());
    std::string phase = status.value("phase", "");
    std::vector<std::string> row = {item["metadata"].value("name", ""), phase.empty() ? "Pending" : phase,
                                    created ? short_age(now - *created) : "",
                                    started ? short_age((ended ? *ended : now) - *started) : "0s",
                                    std::to_string(item["spec"].value("priority", 0)), status.value("message", "")};
    if (flags.all_namespaces) row.insert(row.begin(), item["metadata"].value("namespace", ""));
    rows.push_back(row);
  }
  std::cout << format_table(rows);
  return 0;
}

struct DeleteFlags {
  std::vector<std::string> names;
  bool all = false, completed = false, force = false;
};

int remove(const ClientFlags& flags, const DeleteFlags& d) {
  ApiClient api(flags);
  std::string ns = flags.resolved_namespace();
  std::vector<std::string> names = d.names;
  if (d.all || d.completed) {
    std::string path = "/api/v1/workflows/" + ns + "?fields=items.metadata.name";
    if (d.completed) path += "&listOptions.labelSelector=" + url_encode("workflows.argoproj.io/completed=true");
    auto page = api.call("GET", path);
    if (!page) return fail(page.status());
    for (auto& item : (*page)["items"]) names.push_back(item["metadata"].value("name", ""));
  }
  int rc = 0;
  for (const auto& raw : names) {
    auto name = resolve_name(api, ns, raw);
    if (!name) return fail(name.status());
    auto deleted = api.call("DELETE", "/api/v1/workflows/" + ns + "/" + *name + (d.force ? "?force=true" : ""));
    if (!deleted) {
      rc = fail(deleted.status());
      continue;
    }
    std::cout << "Workflow '" << *name << "' deleted\n";
  }
  return rc;
}

// What `argo <verb>` prints once the server accepted it.
std::string accepted(const std::string& verb, const std::string& name) {
  if (verb == "set") return "workflow values set";
  return "workflow " + name + " " + (verb == "stop" ? "stopped" : verb + (verb.back() == 'e' ? "d" : "ed"));
}

int control(const ClientFlags& flags, const ClientCommand& command) {
  ApiClient api(flags);
  std::string ns = flags.resolved_namespace();
  Json body = {{"namespace", ns}};
  if (!command.node_field_selector.empty()) body["nodeFieldSelector"] = command.node_field_selector;
  if (!command.message.empty()) body["message"] = command.message;
  if (!command.phase.empty()) body["phase"] = command.phase;
  if (!command.output_parameters.empty()) {
    Json params = Json::object();
    for (const std::string& raw : command.output_parameters) {
      auto eq = raw.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "skiff: expected output parameter of the form: NAME=VALUE. Received: %s\n", raw.c_str());
        return 2;
      }
      params[raw.substr(0, eq)] = raw.substr(eq + 1);
    }
    body["outputParameters"] = params.dump();
  }
  for (const auto& raw : command.workflows) {
    auto name = resolve_name(api, ns, raw);
    if (!name) return fail(name.status());
    body["name"] = *name;
    auto done = api.call("PUT", "/api/v1/workflows/" + ns + "/" + *name + "/" + command.verb, body);
    if (!done) return fail(done.status());
    std::cout << accepted(command.verb, *name) << "\n";
  }
  return 0;
}

}  // namespace

Result<std::string> resolve_name(const ApiClient& api, const std::string& ns, const std::string& name) {
  if (name != "@latest") return name;
  auto list = api.call("GET", "/api/v1/workflows/" + ns + "?listOptions.limit=1&fields=items.metadata.name");
  if (!list) return list.status();
  if (!(*list)["items"].is_array() || (*list)["items"].empty()) return not_found("no workflows in namespace " + ns);
  return (*list)["items"][0]["metadata"].value("name", "");
}

int finish_waiting(const ApiClient& api, const std::string& ns, const std::string& name, bool watch, bool wait) {
  auto done = watch_until_done(api, ns, name, watch);
  if (!done) return fail(done.status());
  if (watch && !::isatty(STDOUT_FILENO)) std::cout << render_get(*done, client_render_options(false));
  if (wait) std::cout << render_wait_line(*done, client_render_options(false)) << "\n";
  return (*done)["status"].value("phase", "") == "Succeeded" ? 0 : 1;
}

int client_get(const ClientFlags& flags, const std::string& raw, const std::string& output) {
  ApiClient api(flags);
  std::string ns = flags.resolved_namespace();
  auto name = resolve_name(api, ns, raw);
  if (!name) return fail(name.status());
  auto wf = api.call("GET", "/api/v1/workflows/" + ns + "/" + *name);
  if (!wf) return fail(wf.status());
  return print_object(*wf, output, [&] { return render_get(*wf, client_render_options(output == "wide")); });
}

int client_logs(const ClientFlags& flags, const std::string& raw, const std::string& pod, bool follow,
                const std::string& grep) {
  ApiClient api(flags);
  std::string ns = flags.resolved_namespace();
  auto name = resolve_name(api, ns, raw);
  if (!name) return fail(name.status());
  std::string path = "/api/v1/workflows/" + ns + "/" + *name + "/log?logOptions.container=main";
  if (!pod.empty()) path += "&podName=" + url_encode(pod);
  if (follow) path += "&logOptions.follow=true";
  if (!grep.empty()) path += "&grep=" + url_encode(grep);
  Status streamed = api.stream(path, [](const std::string& line) {
    Json entry = Json::parse(line, nullptr, false);
    if (!entry.is_object() || !entry.contains("result")) return true;
    std::cout << entry["result"].value("podName", "") << ": " << entry["result"].value("content", "") << "\n"
              << std::flush;
    return true;
  });
  if (!streamed) return fail(streamed);
  return 0;
}

int client_command(const ClientFlags& flags, const ClientCommand& command) { return control(flags, command); }

void add_connection_flags(CLI::App& command, ClientFlags& flags) {
  command.add_option("--argo-server,-s", flags.argo_server, "API server host:port (default: $ARGO_SERVER, else localhost:2746)");
  command.add_option("--token", flags.token, "Bearer token (default: $ARGO_TOKEN)");
  command.add_option("-n,--namespace", flags.namespace_, "Namespace (default: $ARGO_NAMESPACE, else default)");
  command.add_flag("--secure,!--no-secure", flags.secure, "Use TLS (default: $ARGO_SECURE)");
  command.add_flag("-k,--insecure-skip-verify", flags.insecure_skip_verify, "Do not verify the server's certificate");
}

void add_client_commands(CLI::App& app, ClientFlags& flags, int* exit_code) {
  static SubmitFlags submit_flags;
  auto* submit_cmd = app.add_subcommand("submit", "Submit workflows to the server");
  submit_cmd->add_option("files", submit_flags.files, "Workflow files (- for stdin)");
  submit_cmd->add_option("--from", submit_flags.from, "Submit from a template: workflowtemplate/NAME, clusterworkflowtemplate/NAME, cronworkflow/NAME");
  submit_cmd->add_option("-p,--parameter", submit_flags.parameters, "Input parameter NAME=VALUE (repeatable)");
  submit_cmd->add_option("-e,--entrypoint", submit_flags.entrypoint, "Override spec.entrypoint");
  submit_cmd->add_option("--name", submit_flags.name, "Override metadata.name");
  submit_cmd->add_option("--generate-name", submit_flags.generate_name, "Override metadata.generateName");
  submit_cmd->add_option("-l,--labels", submit_flags.labels, "Labels a=b,c=d");
  submit_cmd->add_option("--serviceaccount", submit_flags.service_account, "Service account");
  submit_cmd->add_option("-o,--output", submit_flags.output, "name|json|yaml|wide");
  submit_cmd->add_flag("-w,--watch", submit_flags.watch, "Watch the workflow until it completes");
  submit_cmd->add_flag("--wait", submit_flags.wait, "Wait for the workflow to complete");
  submit_cmd->add_flag("--dry-run", submit_flags.dry_run, "Show what would be submitted");
  submit_cmd->add_flag("--server-dry-run", submit_flags.server_dry_run, "Ask the server what it would create");
  add_connection_flags(*submit_cmd, flags);
  submit_cmd->callback([&flags, exit_code] { *exit_code = submit(flags, submit_flags); });

  static ListFlags list_flags;
  auto* list_cmd = app.add_subcommand("list", "List workflows on the server");
  list_cmd->add_option("--status", list_flags.status, "Only these phases: Running,Failed,…");
  list_cmd->add_option("--since", list_flags.since, "Only workflows created within this duration (e.g. 1h)");
  list_cmd->add_option("-l,--selector", list_flags.selector, "Label selector");
  list_cmd->add_option("--field-selector", list_flags.field_selector, "Field selector (metadata.name=…)");
  list_cmd->add_option("-o,--output", list_flags.output, "name|wide|json|yaml");
  list_cmd->add_option("--chunk-size", list_flags.chunk_size, "Fetch this many at a time");
  list_cmd->add_flag("--completed", list_flags.completed, "Only completed workflows");
  list_cmd->add_flag("--running", list_flags.running, "Only running workflows");
  list_cmd->add_flag("-A,--all-namespaces", flags.all_namespaces, "Every namespace");
  add_connection_flags(*list_cmd, flags);
  list_cmd->callback([&flags, exit_code] { *exit_code = list(flags, list_flags); });

  static std::string watch_name;
  auto* watch_cmd = app.add_subcommand("watch", "Watch a workflow until it completes");
  watch_cmd->add_option("workflow", watch_name, "Workflow name, or @latest")->required();
  add_connection_flags(*watch_cmd, flags);
  watch_cmd->callback([&flags, exit_code] {
    ApiClient api(flags);
    auto name = resolve_name(api, flags.resolved_namespace(), watch_name);
    *exit_code = name ? finish_waiting(api, flags.resolved_namespace(), *name, true, false) : fail(name.status());
  });

  static std::vector<std::string> wait_names;
  auto* wait_cmd = app.add_subcommand("wait", "Wait for workflows to complete");
  wait_cmd->add_option("workflows", wait_names, "Workflow names")->required();
  add_connection_flags(*wait_cmd, flags);
  wait_cmd->callback([&flags, exit_code] {
    ApiClient api(flags);
    int rc = 0;
    for (const auto& raw : wait_names) {
      auto name = resolve_name(api, flags.resolved_namespace(), raw);
      rc = std::max(rc, name ? finish_waiting(api, flags.resolved_namespace(), *name, false, true) : fail(name.status()));
    }
    *exit_code = rc;
  });

  static DeleteFlags delete_flags;
  auto* delete_cmd = app.add_subcommand("delete", "Delete workflows");
  delete_cmd->add_option("workflows", delete_flags.names, "Workflow names");
  delete_cmd->add_flag("--all", delete_flags.all, "Every workflow in the namespace");
  delete_cmd->add_flag("--completed", delete_flags.completed, "Every completed workflow");
  delete_cmd->add_flag("--force", delete_flags.force, "Delete even when its artifacts could not be garbage collected");
  add_connection_flags(*delete_cmd, flags);
  delete_cmd->callback([&flags, exit_code] { *exit_code = remove(flags, delete_flags); });

  add_lifecycle_commands(app, flags, exit_code);
  add_archive_commands(app, flags, exit_code);
  add_template_commands(app, flags, exit_code);
}

}  // namespace skiff::cli
