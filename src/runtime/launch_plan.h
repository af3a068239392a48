// Turns a StepSpec into the exact process to start (internal to the local
// runtime): the argv after image entrypoints and script paths, the
// environment, and whether the command exists at all.
#pragma once

#include <string>
#include <vector>

#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"

namespace skiff::runtime::internal {

// Fixed for the runtime's lifetime.
struct HostSetup {
  std::string bwrap;  // empty: run steps directly on the host
  std::string self_exe;
  std::string tool_exe;   // skiff-step beside self_exe; empty when absent
  std::string host_path;  // PATH the steps start from
  std::string lang;
  std::string shim_dir;   // host directory of helper commands; may be empty
  // Steps may outlive the runtime (detached): each runs under a recording
  // step guard. Needs self_exe or tool_exe.
  bool detach = false;
  std::string nsenter;  // enters a running sandbox; empty when absent
};

struct LaunchPlan {
  SpawnRequest request;
  // Non-empty when the step cannot run (no command, executable not found).
  std::string error;
};

// `detached`: the step outlives the runtime, its guard records its end in
// paths.record (see agent/step_guard.h); else it dies with the runtime.
LaunchPlan plan_launch(const StepSpec& spec, const StepLayout& layout, const StepPaths& paths,
                       const HostSetup& host, bool detached = false);

// The words the container runs: command (or the image's entrypoint and
// default arguments), the script path, then args.
std::vector<std::string> container_words(const StepSpec& spec, const std::string& self_exe,
                                         const std::string& tool_exe, const std::string& script_path);

// What runs a program the image provides (e.g. argosay's `/argosay`) on
// the host; empty when the image does not provide `program`.
std::vector<std::string> image_program(const std::string& image, const std::string& program,
                                       const std::string& self_exe, const std::string& tool_exe = "");

// Creates helper commands the host lacks (`python` when only `python3`
// exists, a small `cowsay`) in `dir`; returns `dir`, or "" when none were
// needed.
std::string make_shims(const std::string& dir, const std::string& host_path);

// Searches `path_list` (a PATH value) for an executable; "" when absent.
std::string find_in_path(const std::string& name, const std::string& path_list);

}  // namespace skiff::runtime::internal
