// `skiff run`: execute one workflow to completion on this machine.
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <set>
#include <algorithm>

#include "cli/local_commands.h"
#include "config/config.h"
#include "cli/render.h"
#include "controller/controller.h"
#include "spec/spec.h"

namespace skiff::cli {

namespace {

controller::LocalRun* g_active_run = nullptr;

void on_interrupt(int) {
  if (g_active_run) g_active_run->request_terminate();
}

std::string self_executable() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "skiff";
  buf[n] = '\0';
  return buf;
}

RenderOptions render_options(bool wide) {
  RenderOptions options;
  options.wide = wide;
  options.now = now_from(Clock::now());
  std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  options.utc_offset = std::chrono::seconds(local.tm_gmtoff);
  options.zone_name = local.tm_zone ? local.tm_zone : "UTC";
  return options;
}

int terminal_columns() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

// Whether a suspend node waits for a user rather than for its duration.
bool waits_for_user(const nlohmann::json& wf, const nlohmann::json& node) {
  const std::string tmpl = node.value("templateName", "");
  const nlohmann::json templates = wf["spec"].value("templates", nlohmann::json::array());
  for (const auto& t : templates) {
    if (t.value("name", "") != tmpl) continue;
    const nlohmann::json suspend = t.value("suspend", nlohmann::json::object());
    return !suspend.is_object() || !suspend.contains("duration");
  }
  return true;
}

// What a run waiting for its user says: which node waits and the command
// that moves it on, so that a bare `suspend` never waits silently.
std::vector<std::string> waiting_hints(const nlohmann::json& wf) {
  std::vector<std::string> hints;
  const std::string name = wf["metadata"].value("name", "");
  const auto& status = wf["status"];
  if (status.contains("finishedAt") && !status["finishedAt"].is_null()) return hints;
  const nlohmann::json& spec = wf["spec"];
  const bool suspended = spec.contains("suspend") && spec["suspend"].is_boolean() && spec["suspend"].get<bool>();
  if (suspended && !spec.contains("shutdown")) {
    hints.push_back("workflow " + name + " is suspended: no new step starts until `skiff resume " + name + "`");
  }
  const nlohmann::json nodes = status.value("nodes", nlohmann::json::object());
  for (const auto& [id, node] : nodes.items()) {
    if (node.value("type", "") != "Suspend" || node.value("phase", "") != "Running") continue;
    if (!waits_for_user(wf, node)) continue;
    const std::string selector = "displayName=" + node.value("displayName", "");
    std::string hint = node.value("name", "") + " is waiting: resume it with `skiff resume " + name +
                       " --node-field-selector " + selector + "`";
    std::string supplied;
    const nlohmann::json outputs = node.value("outputs", nlohmann::json::object());
    const nlohmann::json params = outputs.value("parameters", nlohmann::json::array());
    for (const auto& p : params) {
      if (!p.contains("value")) supplied += " --output-parameter " + p.value("name", "") + "=VALUE";
    }
    if (!supplied.empty()) {
      hint += " after supplying its outputs with `skiff node set " + name + " --node-field-selector " + selector +
              supplied + "`";
    }
    hints.push_back(hint);
  }
  std::sort(hints.begin(), hints.end());
  return hints;
}

// Progress while a workflow runs: a redrawn tree on a terminal, else one
// line per node change on stderr (stdout stays clean for -o json|yaml).
class ProgressView {
 public:
  ProgressView(bool live, bool quiet) : live_(live), quiet_(quiet) {}

  void update(const nlohmann::json& wf) {
    if (quiet_) return;
    if (live_) {
      auto now = std::chrono::steady_clock::now();
      bool done = wf["status"].contains("finishedAt") && !wf["status"]["finishedAt"].is_null();
      if (!done && now - last_draw_ < std::chrono::milliseconds(100)) return;
      last_draw_ = now;
      std::string frame = render_watch_frame(wf, render_options(false));
      for (const std::string& hint : waiting_hints(wf)) frame += "\n" + hint + "\n";
      std::string out = watch_redraw_prefix(rows_) + frame;
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      rows_ = terminal_rows(frame, terminal_columns());
      return;
    }
    for (const auto& line : render_node_changes(previous_, wf)) std::fprintf(stderr, "%s\n", line.c_str());
    for (const std::string& hint : waiting_hints(wf)) {
      if (hinted_.insert(hint).second) std::fprintf(stderr, "%s\n", hint.c_str());
    }
    previous_ = wf;
  }

 private:
  bool live_;
  bool quiet_;
  int rows_ = 0;
  nlohmann::json previous_ = nlohmann::json::object();
  std::set<std::string> hinted_;
  std::chrono::steady_clock::time_point last_draw_{};
};

Status parse_parameters(const std::vector<std::string>& raw, std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& p : raw) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid_argument("parameter '" + p + "' must be NAME=VALUE");
    }
    out->emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return Status::ok();
}

void print_final(const nlohmann::json& wf, const std::string& output, bool live_shown) {
  if (output == "json") {
    std::cout << wf.dump(2) << std::endl;
  } else if (output == "yaml") {
    std::cout << spec::to_yaml(wf);
  } else if (output == "name") {
    std::cout << render_name(wf);
  } else if (output == "wide") {
    std::cout << render_get(wf, render_options(true));
  } else if (!live_shown) {
    std::cout << render_get(wf, render_options(false));
  }
  std::cout.flush();
}

}  // namespace

std::string skiff_home() {
  if (const char* home = std::getenv("SKIFF_HOME"); home && *home) return home;
  const char* user_home = std::getenv("HOME");
  return std::string(user_home && *user_home ? user_home : "/tmp") + "/.skiff";
}

int run_command(const RunFlags& flags) {
  if (!flags.output.empty() && flags.output != "json" && flags.output != "yaml" && flags.output != "wide" &&
      flags.output != "name") {
    std::fprintf(stderr, "skiff: unknown output format '%s' (json, yaml, wide, name)\n", flags.output.c_str());
    return 2;
  }
  auto documents = spec::load_file(flags.file);
  if (!documents) {
    std::fprintf(stderr, "%s\n", documents.status().message().c_str());
    return 2;
  }
  std::vector<spec::Object> library;
  const spec::Object* workflow = nullptr;
  for (const auto& object : *documents) {
    if (object.kind == "Workflow") {
      if (workflow) {
        std::fprintf(stderr, "%s: more than one Workflow in the file; skiff run takes one\n", flags.file.c_str());
        return 2;
      }
      workflow = &object;
    } else {
      library.push_back(object);
    }
  }
  if (!workflow) {
    std::fprintf(stderr, "%s: no Workflow in the file\n", flags.file.c_str());
    return 2;
  }
  // The configuration's `load` paths are seen by every run, before --load's.
  auto config = config::load_for_cli("");
  if (!config) {
    std::fprintf(stderr, "skiff: %s\n", config.status().message().c_str());
    return 2;
  }
  std::vector<std::string> load_paths;
  for (const std::string& path : config->load) {
    size_t slash = config->path.rfind('/');
    const bool relative = !path.empty() && path[0] != '/' && slash != std::string::npos;
    load_paths.push_back(relative ? config->path.substr(0, slash + 1) + path : path);
  }
  load_paths.insert(load_paths.end(), flags.load.begin(), flags.load.end());
  for (const auto& path : load_paths) {
    auto loaded = spec::load_supporting(path);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
      return 2;
    }
    library.insert(library.end(), loaded->begin(), loaded->end());
  }
  if (Status linted = spec::lint(*workflow, library); !linted) {
    std::fprintf(stderr, "%s\n", linted.message().c_str());
    return 2;
  }

  controller::RunOptions options;
  options.engine.name = flags.name.empty() ? controller::workflow_name(*workflow) : flags.name;
  options.engine.namespace_ = !workflow->namespace_().empty() && flags.namespace_ == "default"
                                  ? workflow->namespace_()
                                  : flags.namespace_;
  options.engine.uid = controller::random_uid();
  options.engine.entrypoint = flags.entrypoint;
  options.engine.service_account = flags.service_account;
  auto from_configmaps = controller::configmap_parameters(*workflow, library);
  if (!from_configmaps) {
    std::fprintf(stderr, "%s: %s\n", flags.file.c_str(), from_configmaps.status().message().c_str());
    return 2;
  }
  options.engine.parameters = *from_configmaps;
  if (Status st = parse_parameters(flags.parameters, &options.engine.parameters); !st) {
    std::fprintf(stderr, "skiff: %s\n", st.message().c_str());
    return 2;
  }
  options.run_dir = skiff_home() + "/runs/" + options.engine.name;
  options.cache_dir = skiff_home() + "/cache";
  options.artifact_root = skiff_home() + "/artifacts";
  // The default artifact repository: the configuration file's, else the
  // local directory under SKIFF_HOME.
  auto artifact_context = controller::artifact_context(*config, skiff_home() + "/artifacts");
  if (!artifact_context) {
    std::fprintf(stderr, "skiff: %s\n", artifact_context.status().message().c_str());
    return 2;
  }
  options.artifacts = std::move(*artifact_context);

  runtime::LocalOptions local;
  local.root = options.run_dir + "/steps";
  local.self_exe = self_executable();
  local.sandbox = !flags.no_sandbox;
  ::mkdir(skiff_home().c_str(), 0755);
  ::mkdir((skiff_home() + "/runs").c_str(), 0755);
  ::mkdir(options.run_dir.c_str(), 0755);
  auto runtime = runtime::make_local_runtime(local);

  bool machine_output = flags.output == "json" || flags.output == "yaml" || flags.output == "name";
  bool live = !machine_output && ::isatty(STDOUT_FILENO);
  ProgressView view(live, flags.quiet);
  // Rendering needs the whole Workflow object after every change; a quiet
  // run does not pay for building it.
  if (!flags.quiet) options.on_change = [&view](const nlohmann::json& wf) { view.update(wf); };
  options.accept_commands = true;
  options.publish_status = true;  // `skiff get` from another terminal sees the live tree
  // `-o name` prints no tree: the nodes are only written to workflow.json.
  options.result_nodes = flags.output != "name";
  options.on_command = [&flags, live](const std::string& verb, const Status& outcome) {
    if (flags.quiet || live) return;  // the live tree shows what changed
    if (outcome) {
      std::fprintf(stderr, "skiff: %s received\n", verb.c_str());
    } else {
      std::fprintf(stderr, "skiff: %s refused: %s\n", verb.c_str(), outcome.message().c_str());
    }
  };
  {
    // `@latest` names this run from its start, for the commands that control it.
    std::ofstream latest(skiff_home() + "/runs/latest");
    latest << options.engine.name;
  }

  controller::LocalRun run(*runtime, options);
  g_active_run = &run;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  auto result = run.run(*workflow, library);
  g_active_run = nullptr;
  if (!result) {
    std::fprintf(stderr, "%s: %s\n", flags.file.c_str(), result.status().message().c_str());
    return 2;
  }
  const nlohmann::json& wf = *result;
  if (options.result_nodes) {
    if (Status written = controller::write_workflow_file(options.run_dir, wf); !written) {
      std::fprintf(stderr, "skiff: %s\n", written.message().c_str());
    }
  }
  {
    std::ofstream latest(skiff_home() + "/runs/latest");
    latest << options.engine.name;
  }
  print_final(wf, flags.output, live);
  if (!live && !flags.quiet) std::fprintf(stderr, "%s\n", render_summary(wf, render_options(false)).c_str());
  std::string phase = wf["status"].value("phase", "");
  return phase == "Succeeded" ? 0 : 1;
}

}  // namespace skiff::cli
