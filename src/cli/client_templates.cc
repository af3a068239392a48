// template, cluster-template and cron verbs against a server.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/client_internal.h"
#include "spec/spec.h"

namespace skiff::cli {

namespace {

struct Kind {
  const char* kind;       // "WorkflowTemplate"
  const char* path;       // "/api/v1/workflow-templates"
  const char* body_key;   // "template"
  bool cluster;
};

const Kind kTemplate{"WorkflowTemplate", "/api/v1/workflow-templates", "template", false};
const Kind kClusterTemplate{"ClusterWorkflowTemplate", "/api/v1/cluster-workflow-templates", "template", true};
const Kind kCron{"CronWorkflow", "/api/v1/cron-workflows", "cronWorkflow", false};

std::string collection(const Kind& k, const ClientFlags& flags) {
  return k.cluster ? std::string(k.path) : std::string(k.path) + "/" + flags.resolved_namespace();
}

std::string describe(const Kind& k, const Json& object) {
  const Json& meta = object["metadata"];
  std::string out = "Name:                " + meta.value("name", "") + "\n";
  if (!k.cluster) out += "Namespace:           " + meta.value("namespace", "") + "\n";
  out += "Created:             " + meta.value("creationTimestamp", "") + "\n";
  if (std::string(k.kind) == "CronWorkflow") {
    const Json& spec = object["spec"];
    std::string schedule = spec.value("schedule", "");
    if (schedule.empty() && spec.contains("schedules")) {
      for (const auto& s : spec["schedules"]) schedule += (schedule.empty() ? "" : ",") + s.get<std::string>();
    }
    out += "Schedule:            " + schedule + "\n";
    out += "Suspended:           " + std::string(spec.value("suspend", false) ? "true" : "false") + "\n";
  }
  return out;
}

int create(const Kind& k, const ClientFlags& flags, const std::vector<std::string>& files, const std::string& output) {
  ApiClient api(flags);
  for (const auto& file : files) {
    auto docs = spec::load_file(file);
    if (!docs) return fail(docs.status());
    for (const auto& object : *docs) {
      if (object.kind != k.kind) continue;
      Json doc = object.doc;
      if (!k.cluster) doc["metadata"]["namespace"] = flags.resolved_namespace();
      auto created = api.call("POST", collection(k, flags), {{"namespace", flags.resolved_namespace()}, {k.body_key, doc}});
      if (!created) return fail(created.status());
      if (int rc = print_object(*created, output, [&] { return describe(k, *created); }); rc) return rc;
    }
  }
  return 0;
}

int list(const Kind& k, const ClientFlags& flags, const std::string& output) {
  ApiClient api(flags);
  auto listed = api.call("GET", collection(k, flags));
  if (!listed) return fail(listed.status());
  const Json& items = (*listed)["items"];
  if (output == "json") {
    std::cout << items.dump(2) << "\n";
    return 0;
  }
  if (output == "yaml") {
    std::cout << spec::to_yaml(items);
    return 0;
  }
  if (output == "name") {
    for (const auto& item : items) std::cout << item["metadata"].value("name", "") << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  if (std::string(k.kind) == "CronWorkflow") {
    rows.push_back({"NAME", "AGE", "SCHEDULE", "TIMEZONE", "SUSPENDED"});
    Time now = now_from(Clock::now());
    for (const auto& item : items) {
      auto created = parse_rfc3339(item["metadata"].value("creationTimestamp", ""));
      rows.push_back({item["metadata"].value("name", ""), created ? short_age(now - *created) : "",
                      item["spec"].value("schedule", ""), item["spec"].value("timezone", ""),
                      item["spec"].value("suspend", false) ? "true" : "false"});
    }
  } else {
    rows.push_back({"NAME"});
    for (const auto& item : items) rows.push_back({item["metadata"].value("name", "")});
  }
  std::cout << format_table(rows);
  return 0;
}

int get(const Kind& k, const ClientFlags& flags, const std::vector<std::string>& names, const std::string& output) {
  ApiClient api(flags);
  for (const auto& name : names) {
    auto object = api.call("GET", collection(k, flags) + "/" + name);
    if (!object) return fail(object.status());
    if (int rc = print_object(*object, output, [&] { return describe(k, *object); }); rc) return rc;
  }
  return 0;
}

int remove(const Kind& k, const ClientFlags& flags, const std::vector<std::string>& names) {
  ApiClient api(flags);
  int rc = 0;
  for (const auto& name : names) {
    auto deleted = api.call("DELETE", collection(k, flags) + "/" + name);
    if (!deleted) {
      rc = fail(deleted.status());
      continue;
    }
    std::cout << k.kind << " '" << name << "' deleted\n";
  }
  return rc;
}

int lint(const Kind& k, const ClientFlags& flags, const std::vector<std::string>& files) {
  ApiClient api(flags);
  int rc = 0;
  for (const auto& file : files) {
    auto docs = spec::load_file(file);
    if (!docs) return fail(docs.status());
    for (const auto& object : *docs) {
      if (object.kind != k.kind) continue;
      auto linted = api.call("POST", collection(k, flags) + "/lint", {{k.body_key, object.doc}});
      if (!linted) {
        std::cout << file << ": " << linted.status().message() << "\n";
        rc = 1;
      }
    }
  }
  if (rc == 0) std::cout << "no linting errors found!\n";
  return rc;
}

void add_verbs(CLI::App& app, const Kind& k, const char* name, const char* description, ClientFlags& flags,
               int* exit_code) {
  struct State {
    std::vector<std::string> args;
    std::string output;
  };
  auto* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  auto state = std::make_shared<State>();
  auto* create_cmd = group->add_subcommand("create", std::string("Create ") + k.kind + "s from files");
  create_cmd->add_option("files", state->args)->required();
  create_cmd->add_option("-o,--output", state->output, "name|json|yaml");
  add_connection_flags(*create_cmd, flags);
  create_cmd->callback([&k, &flags, exit_code, state] { *exit_code = create(k, flags, state->args, state->output); });

  auto* list_cmd = group->add_subcommand("list", std::string("List ") + k.kind + "s");
  list_cmd->add_option("-o,--output", state->output, "name|json|yaml");
  add_connection_flags(*list_cmd, flags);
  list_cmd->callback([&k, &flags, exit_code, state] { *exit_code = list(k, flags, state->output); });

  auto* get_cmd = group->add_subcommand("get", std::string("Show ") + k.kind + "s");
  get_cmd->add_option("names", state->args)->required();
  get_cmd->add_option("-o,--output", state->output, "name|json|yaml");
  add_connection_flags(*get_cmd, flags);
  get_cmd->callback([&k, &flags, exit_code, state] { *exit_code = get(k, flags, state->args, state->output); });

  auto* delete_cmd = group->add_subcommand("delete", std::string("Delete ") + k.kind + "s");
  delete_cmd->add_option("names", state->args)->required();
  add_connection_flags(*delete_cmd, flags);
  delete_cmd->callback([&k, &flags, exit_code, state] { *exit_code = remove(k, flags, state->args); });

  auto* lint_cmd = group->add_subcommand("lint", std::string("Check ") + k.kind + " files on the server");
  lint_cmd->add_option("files", state->args)->required();
  add_connection_flags(*lint_cmd, flags);
  lint_cmd->callback([&k, &flags, exit_code, state] { *exit_code = lint(k, flags, state->args); });
}

}  // namespace

void add_template_commands(CLI::App& app, ClientFlags& flags, int* exit_code) {
  add_verbs(app, kTemplate, "template", "Manage workflow templates on the server", flags, exit_code);
  add_verbs(app, kClusterTemplate, "cluster-template", "Manage cluster workflow templates on the server", flags,
            exit_code);
  add_verbs(app, kCron, "cron", "Manage cron workflows on the server", flags, exit_code);
}

}  // namespace skiff::cli
