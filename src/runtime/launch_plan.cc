#include "runtime/launch_plan.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "base/strings.h"

namespace skiff::runtime::internal {
namespace {

// Commands images provide under a name a Debian host may lack.
const std::map<std::string, std::string>& command_aliases() {
  static const std::map<std::string, std::string> aliases = {{"python", "python3"}, {"pip", "pip3"}};
  return aliases;
}

bool is_executable_file(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Searches the step's PATH as the step will see it, through the layout.
std::string find_for_step(const std::string& name, const std::string& path_list, const StepLayout& layout) {
  for (const std::string& dir : split(path_list, ':')) {
    if (dir.empty() || dir[0] != '/') continue;
    std::string host = layout.to_host(dir + "/" + name);
    if (is_executable_file(host)) return host;
  }
  return "";
}

void set_env(std::vector<std::pair<std::string, std::string>>* env, const std::string& name,
             const std::string& value) {
  for (auto& [k, v] : *env) {
    if (k == name) {
      v = value;
      return;
    }
  }
  env->emplace_back(name, value);
}

constexpr char kCowsayScript[] = R"SH(#!/bin/sh
# A small stand-in for cowsay: the message in a speech bubble above a cow.
msg="$*"
[ -z "$msg" ] && msg=$(cat)
n=${#msg}
edge=$(printf '%*s' "$((n + 2))" '')
printf ' %s\n< %s >\n %s\n' "$(echo "$edge" | tr ' ' '_')" "$msg" "$(echo "$edge" | tr ' ' '-')"
cat <<'EOF'
        \   ^__^
         \  (oo)\_______
            (__)\       )\/\
                ||----w |
                ||     ||
EOF
)SH";

}  // namespace

std::string find_in_path(const std::string& name, const std::string& path_list) {
  for (const std::string& dir : split(path_list, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return candidate;
  }
  return "";
}

std::string make_shims(const std::string& dir, const std::string& host_path) {
  bool made = false;
  auto ensure_dir = [&] { ::mkdir(dir.c_str(), 0755); };
  for (const auto& [name, alias] : command_aliases()) {
    if (!find_in_path(name, host_path).empty()) continue;
    std::string target = find_in_path(alias, host_path);
    if (target.empty()) continue;
    ensure_dir();
    std::string link = dir + "/" + name;
    ::unlink(link.c_str());
    made = ::symlink(target.c_str(), link.c_str()) == 0 || made;
  }
  if (find_in_path("cowsay", host_path).empty()) {
    ensure_dir();
    std::string path = dir + "/cowsay";
    std::ofstream(path, std::ios::trunc) << kCowsayScript;
    made = ::chmod(path.c_str(), 0755) == 0 || made;
  }
  return made ? dir : "";
}

std::vector<std::string> container_words(const StepSpec& spec, const std::string& self_exe,
                                         const std::string& tool_exe, const std::string& script_path) {
  std::vector<std::string> words = spec.command;
  if (words.empty()) {
    words = image_entrypoint(spec.image, self_exe, tool_exe);
    if (spec.args.empty() && !spec.script_source) {
      for (std::string& arg : image_default_args(spec.image, self_exe, tool_exe)) words.push_back(std::move(arg));
    }
  }
  if (!words.empty()) {
    std::vector<std::string> program = image_program(spec.image, words[0], self_exe, tool_exe);
    if (!program.empty()) {
      words.erase(words.begin());
      words.insert(words.begin(), program.begin(), program.end());
    }
  }
  if (spec.script_source) words.push_back(script_path);
  words.insert(words.end(), spec.args.begin(), spec.args.end());
  return words;
}

LaunchPlan plan_launch(const StepSpec& spec, const StepLayout& layout, const StepPaths& paths,
                       const HostSetup& host, bool detached) {
  LaunchPlan plan;
  const bool sandboxed = !host.bwrap.empty();

  std::vector<std::pair<std::string, std::string>> env;
  std::string path = host.host_path;
  if (!host.shim_dir.empty()) path += ":" + (sandboxed ? std::string(kShimContainerDir) : host.shim_dir);
  env.emplace_back("PATH", path);
  env.emplace_back("HOME", "/root");
  env.emplace_back("LANG", host.lang.empty() ? "C.UTF-8" : host.lang);
  if (!sandboxed) env.emplace_back("TMPDIR", paths.tmp);
  env.emplace_back("ARGO_CONTAINER_NAME", "main");
  env.emplace_back("ARGO_NODE_ID", spec.id);
  for (const auto& [name, value] : spec.env) set_env(&env, name, value);
  for (const auto& [name, value] : env) {
    if (name == "PATH") path = value;
    plan.request.env.push_back(name + "=" + value);
  }

  const std::string self_exe = sandboxed && !host.self_exe.empty() ? kSelfContainerPath : host.self_exe;
  const std::string tool_exe = sandboxed && !host.tool_exe.empty() ? kToolContainerPath : host.tool_exe;
  std::vector<std::string> words = container_words(spec, self_exe, tool_exe, layout.script_path());
  if (words.empty()) {
    plan.error = "no command to run: the container has neither command nor args, and the entrypoint of image \"" +
                 spec.image + "\" is not known";
    return plan;
  }

  if (words[0].empty()) {
    plan.error = "image \"" + spec.image + "\" runs a tool built into skiff, but the runtime was not told where "
                 "the skiff executable is";
    return plan;
  }

  // Resolve the executable now, so that a missing one is a clear error
  // naming it rather than an exit status from inside the sandbox.
  std::string& program = words[0];
  std::string resolved;
  if (program.find('/') != std::string::npos) {
    std::string container_path = program[0] == '/' ? program : layout.cwd() + "/" + program;
    resolved = sandboxed ? layout.to_host(container_path) : container_path;
    if (!is_executable_file(resolved)) {
      plan.error = "fork/exec " + program + ": no such file or directory";
      return plan;
    }
  } else {
    resolved = find_for_step(program, path, layout);
    if (resolved.empty()) {
      auto alias = command_aliases().find(program);
      if (alias != command_aliases().end()) {
        resolved = find_for_step(alias->second, path, layout);
        if (!resolved.empty()) program = alias->second;
      }
    }
    if (resolved.empty()) {
      plan.error = "exec: \"" + program + "\": executable file not found in $PATH";
      return plan;
    }
  }

  const std::string guard = host.tool_exe.empty() ? host.self_exe : host.tool_exe;
  if (sandboxed) {
    plan.request.executable = host.bwrap;
    plan.request.argv = {"bwrap"};
    for (std::string& option : layout.bwrap_options(detached, detached ? -1 : kInfoFd)) {
      plan.request.argv.push_back(std::move(option));
    }
    plan.request.argv.push_back("--");
    if (detached) {
      // The guard is the namespace's init; it finds the command as bwrap
      // would (a bare name on the step's PATH).
      plan.request.argv.insert(plan.request.argv.end(),
                               {host.tool_exe.empty() ? kSelfContainerPath : kToolContainerPath, "step-guard",
                                "--record", kRecordContainerDir, words[0]});
    }
    plan.request.argv.insert(plan.request.argv.end(), words.begin(), words.end());
    plan.request.want_info_pipe = !detached;
  } else if (detached) {
    plan.request.executable = guard;
    plan.request.argv = {"skiff", "step-guard", "--record", paths.record, resolved};
    plan.request.argv.insert(plan.request.argv.end(), words.begin(), words.end());
    plan.request.cwd = layout.cwd();
  } else if (!host.self_exe.empty()) {
    // Without a pid namespace, skiff's step guard holds the step's process
    // tree together and ends it with the step, or with skiff.
    plan.request.executable = guard;
    plan.request.argv = {"skiff", "step-guard", std::to_string(::getpid()), resolved};
    plan.request.argv.insert(plan.request.argv.end(), words.begin(), words.end());
    plan.request.cwd = layout.cwd();
  } else {
    plan.request.executable = resolved;
    plan.request.argv = words;
    plan.request.cwd = layout.cwd();
  }
  plan.request.new_session = detached;
  return plan;
}

}  // namespace skiff::runtime::internal
