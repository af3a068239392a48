// `skiff lint`, `skiff get` and `skiff logs` for runs on this machine.
#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "base/strings.h"
#include "cli/local_commands.h"
#include "cli/render.h"
#include "spec/spec.h"

namespace skiff::cli {

namespace {

// "@latest" or a name -> the run's directory, or "" when there is none.
std::string run_directory(const std::string& workflow) {
  std::string name = workflow;
  if (name == "@latest") {
    if (!read_file(skiff_home() + "/runs/latest", &name)) return "";
    name = std::string(trim(name));
  }
  std::string dir = skiff_home() + "/runs/" + name;
  std::string probe;
  return read_file(dir + "/workflow.json", &probe) ? dir : "";
}

}  // namespace

bool local_run_exists(const std::string& workflow) { return !run_directory(workflow).empty(); }

int lint_command(const LintFlags& flags) {
  std::vector<spec::Object> library;
  for (const auto& path : flags.load) {
    auto loaded = spec::load_supporting(path);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
      return 1;
    }
    library.insert(library.end(), loaded->begin(), loaded->end());
  }
  std::vector<spec::Object> objects;
  bool ok = true;
  for (const auto& file : flags.files) {
    auto documents = spec::load_file(file);
    if (!documents) {
      std::printf("%s\n", documents.status().message().c_str());
      ok = false;
      continue;
    }
    for (const auto& object : *documents) {
      objects.push_back(object);
      if (object.kind != "Workflow") library.push_back(object);
    }
  }
  for (const auto& object : objects) {
    if (object.kind == "ConfigMap" || object.kind == "Secret") continue;
    if (Status st = spec::lint(object, library); !st) {
      std::printf("%s\n", st.message().c_str());
      ok = false;
    }
  }
  if (ok) std::printf("\u2714 no linting errors found!\n");
  return ok ? 0 : 1;
}

int get_command(const GetFlags& flags) {
  std::string dir = run_directory(flags.workflow);
  std::string text;
  if (dir.empty() || !read_file(dir + "/workflow.json", &text)) {
    std::fprintf(stderr, "skiff: workflow '%s' not found\n", flags.workflow.c_str());
    return 1;
  }
  auto wf = nlohmann::json::parse(text, nullptr, false);
  if (wf.is_discarded()) {
    std::fprintf(stderr, "skiff: %s/workflow.json is damaged\n", dir.c_str());
    return 1;
  }
  RenderOptions options;
  options.now = now_from(Clock::now());
  options.wide = flags.output == "wide";
  if (flags.output == "json") std::cout << wf.dump(2) << std::endl;
  else if (flags.output == "yaml") std::cout << spec::to_yaml(wf);
  else if (flags.output == "name") std::cout << render_name(wf);
  else std::cout << render_get(wf, options);
  return 0;
}

int logs_command(const LogsFlags& flags) {
  std::string dir = run_directory(flags.workflow);
  if (dir.empty()) {
    std::fprintf(stderr, "skiff: workflow '%s' not found\n", flags.workflow.c_str());
    return 1;
  }
  std::vector<std::string> files;
  if (DIR* d = ::opendir((dir + "/logs").c_str())) {
    while (dirent* entry = ::readdir(d)) {
      std::string name = entry->d_name;
      if (ends_with(name, ".log")) files.push_back(name.substr(0, name.size() - 4));
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end());
  bool any = false;
  for (const auto& pod : files) {
    if (!flags.pod.empty() && pod != flags.pod) continue;
    std::string content;
    if (!read_file(dir + "/logs/" + pod + ".log", &content)) continue;
    any = true;
    for (const auto& line : split(trim_one_trailing_newline(content), '\n')) {
      std::printf("%s: %s\n", pod.c_str(), line.c_str());
    }
  }
  if (!any && !flags.pod.empty()) {
    std::fprintf(stderr, "skiff: no logs for pod '%s' in %s\n", flags.pod.c_str(), flags.workflow.c_str());
    return 1;
  }
  return 0;
}

}  // namespace skiff::cli
