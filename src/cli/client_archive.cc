// `skiff archive list|get|delete|list-label-keys|list-label-values|resubmit|
// retry`: the workflow archive of a server, with the argo CLI's flags and
// output (`argo archive …`).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "base/strings.h"
#include "cli/client.h"
#include "cli/client_internal.h"
#include "cli/render_internal.h"
#include "spec/spec.h"

namespace skiff::cli {

namespace {

using render_detail::humanize_duration;
using render_detail::humanize_timestamp;
using render_detail::is_zero;
using render_detail::relative_duration_short;
using render_detail::time_field;

struct ArchiveFlags {
  std::vector<std::string> uids;
  std::string output, selector, field_selector;
  std::vector<std::string> parameters;
  long chunk_size = 0;
  bool memoized = false, restart_successful = false, watch = false, wait = false;
  std::string node_field_selector;
};

Result<Json> list_archived(const ApiClient& api, const std::string& ns, const ArchiveFlags& f) {
  std::string path = "/api/v1/archived-workflows?namespace=" + url_encode(ns);
  if (!f.selector.empty()) path += "&listOptions.labelSelector=" + url_encode(f.selector);
  if (!f.field_selector.empty()) path += "&listOptions.fieldSelector=" + url_encode(f.field_selector);
  if (f.chunk_size > 0) path += "&listOptions.limit=" + std::to_string(f.chunk_size);
  Json items = Json::array();
  std::string token;
  do {
    auto page = api.call("GET", path + (token.empty() ? "" : "&listOptions.continue=" + url_encode(token)));
    if (!page) return page.status();
    for (auto& item : (*page)["items"]) items.push_back(std::move(item));
    token = (*page)["metadata"].value("continue", "");
  } while (!token.empty());
  return items;
}

// Argo's workflow table with the namespace and uid columns its archive
// listing adds; "wide" (the default here, as in argo) adds P/R/C and
// PARAMETERS.
std::string archive_table(const Json& items, bool wide) {
  Time now = now_from(Clock::now());
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"NAMESPACE", "NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"};
  if (wide) header.insert(header.end(), {"P/R/C", "PARAMETERS"});
  header.push_back("UID");
  rows.push_back(header);
  for (const auto& item : items) {
    const Json& meta = item.value("metadata", Json::object());
    const Json& status = item.value("status", Json::object());
    const Json& spec = item.value("spec", Json::object());
    auto created = parse_rfc3339(meta.value("creationTimestamp", ""));
    Time started = time_field(status, "startedAt");
    Time finished = time_field(status, "finishedAt");
    std::string phase = status.value("phase", "");
    std::vector<std::string> row = {meta.value("namespace", ""),
                                    meta.value("name", ""),
                                    phase.empty() ? "Pending" : phase,
                                    created ? short_age(now - *created) : "",
                                    relative_duration_short(started, finished, now),
                                    std::to_string(spec.value("priority", 0)),
                                    status.value("message", "")};
    if (wide) {
      int pending = 0, running = 0, completed = 0;
      const Json nodes = status.value("nodes", Json::object());
      for (const auto& [id, node] : nodes.items()) {
        if (node.value("type", "") != "Pod") continue;
        std::string p = node.value("phase", "");
        if (p == "Pending") ++pending;
        else if (p == "Running") ++running;
        else ++completed;
      }
      row.push_back(std::to_string(pending) + "/" + std::to_string(running) + "/" + std::to_string(completed));
      std::vector<std::string> parameters;
      const Json arguments = spec.value("arguments", Json::object());
      const Json declared = arguments.value("parameters", Json::array());
      for (const auto& p : declared) {
        parameters.push_back(p.value("name", "") + "=" + (p.contains("value") && p["value"].is_string()
                                                               ? p["value"].get<std::string>()
                                                               : p.value("value", Json()).dump()));
      }
      row.push_back(join(parameters, ","));
    }
    row.push_back(meta.value("uid", ""));
    rows.push_back(row);
  }
  return format_table(rows);
}

int list(const ClientFlags& flags, const ArchiveFlags& f) {
  ApiClient api(flags);
  auto items = list_archived(api, flags.all_namespaces ? "" : flags.resolved_namespace(), f);
  if (!items) return fail(items.status());
  const std::string& output = f.output;
  if (output == "json") {
    std::cout << items->dump(2) << "\n";
  } else if (output == "yaml") {
    std::cout << spec::to_yaml(*items);
  } else if (output == "name") {
    for (const auto& item : *items) std::cout << item["metadata"].value("name", "") << "\n";
  } else if (output == "wide" || output.empty()) {
    if (items->empty()) {
      std::fprintf(stderr, "No workflows found\n");
      return 0;
    }
    std::cout << archive_table(*items, true);
  } else {
    return fail(invalid_argument("unknown output format: " + output + " (json|yaml|wide|name)"));
  }
  return 0;
}

// argo archive get's summary lines.
std::string describe(const Json& wf) {
  RenderOptions options = client_render_options(false);
  const Json& meta = wf.value("metadata", Json::object());
  const Json& status = wf.value("status", Json::object());
  const Json& spec = wf.value("spec", Json::object());
  std::string out;
  auto line = [&](const std::string& label, const std::string& value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%-20s ", label.c_str());
    out += buffer + value + "\n";
  };
  line("Name:", meta.value("name", ""));
  line("Namespace:", meta.value("namespace", ""));
  std::string account = spec.value("serviceAccountName", "");
  line("ServiceAccount:", account.empty() ? "unset (will run with the default ServiceAccount)" : account);
  line("Status:", status.value("phase", ""));
  if (!status.value("message", "").empty()) line("Message:", status.value("message", ""));
  line("Created:", humanize_timestamp(time_field(meta, "creationTimestamp"), options));
  Time started = time_field(status, "startedAt");
  Time finished = time_field(status, "finishedAt");
  if (!is_zero(started)) line("Started:", humanize_timestamp(started, options));
  if (!is_zero(finished)) line("Finished:", humanize_timestamp(finished, options));
  if (!is_zero(started)) line("Duration:", humanize_duration((is_zero(finished) ? options.now : finished) - started));
  return out;
}

int get(const ClientFlags& flags, const ArchiveFlags& f) {
  ApiClient api(flags);
  auto wf = api.call("GET", "/api/v1/archived-workflows/" + f.uids.front());
  if (!wf) return fail(wf.status());
  if (f.output == "name") return fail(invalid_argument("unknown output format: name (json|yaml|wide)"));
  return print_object(*wf, f.output, [&] { return describe(*wf); });
}

int remove(const ClientFlags& flags, const ArchiveFlags& f) {
  ApiClient api(flags);
  for (const auto& uid : f.uids) {
    auto deleted = api.call("DELETE", "/api/v1/archived-workflows/" + uid);
    if (!deleted) return fail(deleted.status());
    std::cout << "Archived workflow '" << uid << "' deleted\n";
  }
  return 0;
}

int label_keys(const ClientFlags& flags) {
  ApiClient api(flags);
  auto keys = api.call("GET", "/api/v1/archived-workflows-label-keys");
  if (!keys) return fail(keys.status());
  for (const auto& key : (*keys)["items"]) std::cout << key.get<std::string>() << "\n";
  return 0;
}

int label_values(const ClientFlags& flags, const ArchiveFlags& f) {
  ApiClient api(flags);
  auto values = api.call("GET", "/api/v1/archived-workflows-label-values?listOptions.labelSelector=" +
                                    url_encode(f.selector));
  if (!values) return fail(values.status());
  for (const auto& value : (*values)["items"]) std::cout << value.get<std::string>() << "\n";
  return 0;
}

// PUT …/{uid}/resubmit or …/retry for each uid (or each archived workflow
// the selectors match), printed as argo submit prints a workflow.
int run_again(const ClientFlags& flags, const ArchiveFlags& f, const std::string& verb) {
  ApiClient api(flags);
  const std::string ns = flags.resolved_namespace();
  std::vector<std::string> uids = f.uids;
  if (!f.selector.empty() || !f.field_selector.empty()) {
    auto items = list_archived(api, ns, f);
    if (!items) return fail(items.status());
    for (const auto& item : *items) uids.push_back(item["metadata"].value("uid", ""));
  }
  int rc = 0;
  for (const auto& uid : uids) {
    Json body = {{"uid", uid}, {"namespace", ns}};
    if (!f.parameters.empty()) body["parameters"] = f.parameters;
    if (verb == "retry") {
      body["restartSuccessful"] = f.restart_successful;
      body["nodeFieldSelector"] = f.node_field_selector;
    } else {
      body["memoized"] = f.memoized;
    }
    auto wf = api.call("PUT", "/api/v1/archived-workflows/" + uid + "/" + verb, body);
    if (!wf) return fail(wf.status());
    if (int printed = print_object(*wf, f.output, [&] { return render_get(*wf, client_render_options(false)); })) {
      return printed;
    }
    if (f.watch || f.wait) {
      const Json& meta = (*wf)["metadata"];
      rc = std::max(rc, finish_waiting(api, meta.value("namespace", ns), meta.value("name", ""), f.watch, f.wait));
    }
  }
  return rc;
}

void add_again(CLI::App& group, ClientFlags& flags, int* exit_code, const std::string& verb) {
  static ArchiveFlags resubmit, retry;
  ArchiveFlags& f = verb == "retry" ? retry : resubmit;
  auto* cmd = group.add_subcommand(verb, verb == "retry" ? "Retry archived workflows" : "Resubmit archived workflows");
  cmd->add_option("uids", f.uids, "Archived workflow uids");
  cmd->add_option("-l,--selector", f.selector, "Label selector of the archived workflows");
  cmd->add_option("--field-selector", f.field_selector, "Field selector of the archived workflows");
  cmd->add_option("-p,--parameter", f.parameters, "A new value of a workflow parameter NAME=VALUE (repeatable)");
  cmd->add_option("-o,--output", f.output, "name|json|yaml|wide");
  cmd->add_flag("-w,--watch", f.watch, "Watch the workflow until it completes");
  cmd->add_flag("--wait", f.wait, "Wait for the workflow to complete");
  if (verb == "retry") {
    cmd->add_flag("--restart-successful", f.restart_successful, "Also run again the succeeded nodes selected");
    cmd->add_option("--node-field-selector", f.node_field_selector, "Selector of nodes to run again");
  } else {
    cmd->add_flag("--memoized", f.memoized, "Keep what succeeded in a Failed/Error workflow");
  }
  add_connection_flags(*cmd, flags);
  cmd->callback([&flags, exit_code, &f, verb] { *exit_code = run_again(flags, f, verb); });
}

}  // namespace

void add_archive_commands(CLI::App& app, ClientFlags& flags, int* exit_code) {
  static ArchiveFlags f;
  auto* group = app.add_subcommand("archive", "Manage the workflow archive of a server");
  group->require_subcommand(1);

  auto* list_cmd = group->add_subcommand("list", "list workflows in the archive");
  list_cmd->add_option("-o,--output", f.output, "Output format. One of: json|yaml|wide|name")->default_val("wide");
  list_cmd->add_option("-l,--selector", f.selector, "Selector (label query) to filter on");
  list_cmd->add_option("--field-selector", f.field_selector, "Selector (field query) to filter on");
  list_cmd->add_option("--chunk-size", f.chunk_size, "Return large lists in chunks rather than all at once. Pass 0 to disable.");
  add_connection_flags(*list_cmd, flags);
  list_cmd->callback([&flags, exit_code] { *exit_code = list(flags, f); });

  auto* get_cmd = group->add_subcommand("get", "get a workflow in the archive");
  get_cmd->add_option("uid", f.uids, "The archived workflow's uid")->required()->expected(1);
  get_cmd->add_option("-o,--output", f.output, "Output format. One of: json|yaml|wide")->default_val("wide");
  add_connection_flags(*get_cmd, flags);
  get_cmd->callback([&flags, exit_code] { *exit_code = get(flags, f); });

  auto* delete_cmd = group->add_subcommand("delete", "delete workflows in the archive");
  delete_cmd->add_option("uids", f.uids, "Archived workflow uids")->required();
  add_connection_flags(*delete_cmd, flags);
  delete_cmd->callback([&flags, exit_code] { *exit_code = remove(flags, f); });

  auto* keys_cmd = group->add_subcommand("list-label-keys", "list workflows label keys in the archive");
  add_connection_flags(*keys_cmd, flags);
  keys_cmd->callback([&flags, exit_code] { *exit_code = label_keys(flags); });

  auto* values_cmd = group->add_subcommand("list-label-values", "get workflow label values in the archive");
  values_cmd->add_option("-l,--selector", f.selector, "Selector (label query) to query on, allows 1 value (e.g. -l key1)")
      ->required();
  add_connection_flags(*values_cmd, flags);
  values_cmd->callback([&flags, exit_code] { *exit_code = label_values(flags, f); });

  add_again(*group, flags, exit_code, "resubmit");
  add_again(*group, flags, exit_code, "retry");
}

}  // namespace skiff::cli
