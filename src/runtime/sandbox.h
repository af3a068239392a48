// How a step's container paths map onto the host (internal to the local
// runtime).
//
// In a sandbox the step sees: a fresh in-memory root, every existing host
// top-level entry bound at its own path, a private /tmp, the step's mounts,
// a few fixed paths under /argo, and private host-backed directories (or
// files) for new top-level paths the step is expected to produce: its
// output files and working directory (e.g. /output, /src). Nothing is ever
// created on the host's /. The same plan yields both the
// bubblewrap arguments and the container-to-host path mapping used to read
// output files, so the two cannot disagree.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runtime/runtime.h"

namespace skiff::runtime::internal {

// Where a script template's source is visible inside the sandbox (the same
// path Argo's executor uses).
inline constexpr char kScriptContainerPath[] = "/argo/staging/script";
// Helper commands the host lacks (e.g. `python` for `python3`).
inline constexpr char kShimContainerDir[] = "/argo/bin";
// The skiff executable and its small step tool, for the tools skiff
// provides itself (argoexec, argosay): their host paths may be hidden in
// the sandbox (a build under /tmp, say).
inline constexpr char kSelfContainerPath[] = "/argo/skiff";
inline constexpr char kToolContainerPath[] = "/argo/skiff-step";
// Where the step guard of a step that outlives its runtime records the
// step's result and end (StepPaths::record, read-write).
inline constexpr char kRecordContainerDir[] = "/argo/record";

// The per-step directories under the runtime's root.
struct StepPaths {
  std::string dir;     // <root>/<id>
  std::string tmp;     // the private /tmp
  std::string rootfs;  // host backing of the step's private top-level paths
  std::string work;    // the working directory when not sandboxed
  std::string log;     // combined stdout and stderr
  std::string script;  // a script template's source
  std::string record;  // the guard's record of a detached step: stdout, completion

  static StepPaths under(const std::string& root, const std::string& id);
};

class StepLayout {
 public:
  // Plans a sandboxed step. `shim_dir` (may be empty) is bound at
  // kShimContainerDir.
  // `recorded`: the step's guard writes its record (bound at
  // kRecordContainerDir).
  static Result<StepLayout> sandboxed(const StepSpec& spec, const StepPaths& paths, const std::string& shim_dir,
                                      const std::string& self_exe = "", const std::string& tool_exe = "",
                                      bool recorded = false);
  // Plans a step that runs directly on the host: only /tmp (through TMPDIR)
  // and the working directory are private.
  static StepLayout direct(const StepSpec& spec, const StepPaths& paths);

  // The host file behind a container path.
  std::string to_host(const std::string& container_path) const;

  // Creates what must exist before launch (the private directories and
  // files, the working directory).
  Status prepare() const;

  // The path a container path names once its symbolic links are resolved
  // as the step's own filesystem view resolves them (a link to /x means the
  // step's /x, not the host's); nullopt for a loop. Unchanged when not
  // sandboxed: the step's view is the host's.
  std::optional<std::string> resolve_links(const std::string& container_path) const;

  // The content of an output file after the step ended; nullopt when it
  // does not exist or is a directory. Links are resolved in the step's view.
  std::optional<std::string> read_output(const std::string& container_path) const;
  // The host path of an output the step left (file or directory); nullopt
  // when it does not exist or the step never wrote it. Links are resolved
  // in the step's view, so the path returned is never a link.
  std::optional<std::string> output_location(const std::string& container_path) const;

  // bwrap options up to (not including) "--" and the command. A detached
  // step outlives the runtime: no --die-with-parent, and its command (the
  // step guard) is the pid namespace's init itself (--as-pid-1). `info_fd`
  // < 0: no --info-fd.
  std::vector<std::string> bwrap_options(bool detached, int info_fd) const;

  // The working directory: a container path when sandboxed, else a host path.
  const std::string& cwd() const { return cwd_; }

  // Where the script is, as the step sees it.
  std::string script_path() const;

 private:
  enum class Kind { kDevBind, kBind, kReadOnly, kSymlink, kDir, kPrivateFile };
  struct Entry {
    Kind kind;
    std::string container;
    std::string host;  // kSymlink: the link target
  };

  void plan_host_tree(const std::string& dir, const std::vector<std::string>& replicate);
  void plan_private_paths(const StepSpec& spec, size_t insert_at);
  const Entry* covering(const std::string& path) const;

  bool sandboxed_ = false;
  bool own_network_ = false;  // a network namespace of its own
  StepPaths paths_;
  std::vector<Entry> entries_;  // in mount order: later entries cover earlier ones
  std::vector<std::string> dirs_to_create_;  // host paths
  std::string cwd_;
};

// "/a//b/./c/" -> "/a/b/c"; ".." removes the previous component.
std::string normalize_path(const std::string& path);
// True when `path` is `prefix` or below it (component-wise).
bool path_within(const std::string& path, const std::string& prefix);

}  // namespace skiff::runtime::internal
