// Where a step runs. One asynchronous interface (launch, observe, cancel,
// logs) so that the local runtime and a Kubernetes runtime are
// interchangeable behind the controller.
//
// Thread-safety: a Runtime is used from one thread (the controller's loop),
// except wake(), which may be called from any thread or a signal handler.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace skiff::runtime {

// A host directory made visible to the step at a container path.
struct Mount {
  std::string host_path;
  std::string container_path;
  bool read_only = false;
};

// How to tell that a container is ready to serve (a readiness probe): a
// command that exits 0, an HTTP GET answered 200-399, or a TCP port that
// accepts, tried every `period` from `initial_delay` on.
struct Probe {
  std::vector<std::string> exec;  // non-empty: run this command
  int port = 0;                   // httpGet / tcpSocket: the container's port, at its pod_ip()
  std::string http_path;          // httpGet (else a TCP connect)
  bool http = false;
  Duration initial_delay{};
  Duration period = std::chrono::seconds(10);
  Duration timeout = std::chrono::seconds(1);
};

// Another container of the pod: an init container (run to completion, in
// order, before the main container), a sidecar (started with the main
// container, stopped once it ends) or a member of a containerSet (the pod's
// main containers, each started when those it depends on succeeded).
struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;
  std::vector<Mount> mounts;
  std::vector<std::string> dependencies;  // containerSet members only
  std::optional<Probe> readiness;
};

// What to run, fully resolved by the engine and controller: no `{{...}}`
// tags remain.
struct StepSpec {
  std::string id;     // unique within the runtime (the node ID)
  std::string name;   // the node name, for messages
  std::string image;  // decides the entrypoint when `command` is empty
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;  // empty: the step's private working directory
  // Script templates: the source is written to a file and its path is put
  // before `args`, as Argo's executor does.
  std::optional<std::string> script_source;
  // Container paths read after the process ends (output parameters); a
  // path that does not exist is simply absent from Completion::files.
  std::vector<std::string> output_files;
  // Container paths of output artifacts (files or directories): their host
  // locations are reported in Completion::output_paths, for the caller to
  // store without copying them through memory.
  std::vector<std::string> output_paths;
  std::vector<Mount> mounts;
  Duration termination_grace = std::chrono::seconds(30);

  // A pod of more than one container. The fields above are its "main"
  // container, unless `container_set` is given: then those are the main
  // containers (output files are read from the one named "main").
  std::vector<ContainerSpec> init_containers;
  std::vector<ContainerSpec> sidecars;
  std::vector<ContainerSpec> container_set;
  // containerSet.retryStrategy: a member that fails runs again, in the same
  // place, up to `retries` more times, `retry_delay` after it ended.
  int container_set_retries = 0;
  Duration container_set_retry_delay{};
  std::optional<Probe> readiness;  // of the main container
  // Run inside the sandbox of this running step instead of a new one: its
  // namespaces, files, private /tmp and working directory (an exec probe).
  std::string enter_step;
  // A network of its own, as a pod has (daemons): the step listens in a
  // network namespace with only its loopback, and other steps reach its
  // ports at pod_ip(). Needs the sandbox; without one the step shares the
  // host's network. Only a pod's main container gets it.
  bool own_network = false;
  // The pod IP to give it (a pod run again keeps its address); empty: a
  // fresh one. Ignored when another running step has it.
  std::string pod_ip;
  // The step's log continues the one a previous run of the same id left
  // (a container run again by its retryStrategy) instead of replacing it.
  bool append_log = false;
  // Ends with the runtime's process even where the runtime lets steps
  // outlive it: the containers of a pod, which the runtime sequences itself.
  bool dies_with_runtime = false;

  bool is_pod() const {
    return !init_containers.empty() || !sidecars.empty() || !container_set.empty() || readiness.has_value();
  }
};

// How one container of a pod ended.
struct ContainerExit {
  std::string name;
  int exit_code = 0;
};

// A container of a running pod started, or ended for good (a containerSet
// member that will be run again by its retryStrategy has not ended).
struct ContainerChange {
  std::string pod_id;
  std::string name;
  bool finished = false;
  int exit_code = 0;  // when finished
};

// A step's process has ended (or could not be started).
struct Completion {
  std::string id;
  int exit_code = 0;  // the process's exit status; 128+N when killed by signal N
  bool killed = false;  // ended by cancel()
  std::string result;   // stdout, one trailing newline removed
  std::map<std::string, std::string> files;  // output_files that existed -> content
  std::map<std::string, std::string> output_paths;  // output_paths that exist -> host path
  std::string error;    // non-empty when the step could not be run at all
  // An adopted step (Runtime::adopt) whose process was gone without having
  // recorded its end: the machine went down, or something killed the step
  // and its guard. `error` says so.
  bool lost = false;
  Time started{};
  Time finished{};
  // A pod (StepSpec::is_pod): every container that ran, in the order init
  // containers, main containers, sidecars. A containerSet member that did
  // not run because a dependency failed is reported with exit code 64, as
  // Argo's executor reports it; one never reached is absent.
  std::vector<ContainerExit> containers;
};

// How to find a step's process again from another process (a controller
// restarted after it died): its pid and its start time, which together name
// one process for good where a pid alone may have been reused.
struct StepProcess {
  int64_t pid = 0;  // 0: none any more (see find_process)
  uint64_t start_ticks = 0;  // /proc/<pid>/stat field 22
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Starts the step and returns without waiting for it. An error means it
  // was not started (and no Completion will follow).
  virtual Status launch(const StepSpec& spec) = 0;

  // A running step that outlives this runtime (see
  // LocalOptions::steps_die_with_runtime): its process, for adopt().
  // nullopt for a step that dies with the runtime, or that is not running.
  virtual std::optional<StepProcess> process_of(const std::string& /*id*/) const { return std::nullopt; }

  // The process a previous runtime with the same root launched for step
  // `id`, for a controller that died before it could journal the start:
  // as noted in the step's directory right after it started (nullopt when
  // noted before `not_before`: an earlier run of the same id), else, for a
  // runtime that died while starting it, found running among the host's
  // processes, or { pid 0 } when it has ended since and recorded how
  // (adopt() then reports that end). nullopt when there is none.
  virtual std::optional<StepProcess> find_process(const std::string& /*id*/, Time /*not_before*/) const {
    return std::nullopt;
  }

  // Takes over a step another runtime launched with the same `spec` (same
  // id, same root) and left running when it went away. A Completion
  // follows as for a launched step: at once when the step has ended (from
  // what its guard recorded, or `lost` when nothing was recorded), else
  // when it ends. cancel() and logs() work on it as on any step. An error
  // means it was not taken over (and no Completion will follow).
  virtual Status adopt(const StepSpec& spec, const StepProcess& process) {
    (void)spec;
    (void)process;
    return failed_precondition("this runtime cannot take over running steps");
  }

  // Asks a running step to stop: SIGTERM to its whole process group, SIGKILL
  // after the step's termination grace. A Completion follows with killed=true.
  virtual void cancel(const std::string& id) = 0;

  // Blocks until at least one step has completed, wake() was called, or
  // `until` has passed; returns the completions (possibly none). Event
  // driven: it never sleeps in a loop.
  virtual std::vector<Completion> wait(std::optional<Time> until) = 0;

  // Makes a blocked wait() return. Async-signal-safe.
  virtual void wake() = 0;

  // Makes wait() also return when `fd` becomes readable (e.g. an inotify
  // descriptor on a directory of control commands). The caller owns the fd
  // and reads it empty after every wait(); the runtime only watches it.
  virtual void wake_on_readable(int fd) = 0;

  // Number of steps launched and not yet reported complete.
  virtual size_t running() const = 0;

  // Steps whose readiness probes have all passed since the last call (each
  // reported once). wait() returns early when there are some.
  virtual std::vector<std::string> take_ready() { return {}; }

  // The containers of pods that started or ended since the last call, in
  // the order they did. wait() returns early when there are some.
  virtual std::vector<ContainerChange> take_container_changes() { return {}; }

  // The address other steps reach a running step's servers at: its pod IP
  // when it has a network of its own (StepSpec::own_network), else
  // 127.0.0.1, the host's; "" when no such step runs (or the runtime gives
  // no addresses).
  virtual std::string pod_ip(const std::string& /*id*/) const { return ""; }

  // The step's combined stdout and stderr so far (the whole log).
  virtual Result<std::string> logs(const std::string& id) const = 0;
};

struct LocalOptions {
  // Per-run directory, owned by the caller: each step gets <root>/<id>/ with
  // its private tmp, its log (kept after the run) and its other private
  // files.
  std::string root;
  // The skiff executable, for images whose entrypoint skiff provides itself
  // (argoproj/argoexec). When a `skiff-step` executable sits beside it, the
  // argosay tool and the step guard run from that one instead: it links
  // only the C++ runtime and starts in about a millisecond, where skiff's
  // own start-up (fifty shared libraries) costs over ten.
  std::string self_exe;
  // Isolate each step with bubblewrap (private /tmp and working directory).
  // When bwrap is missing, steps run with TMPDIR pointing at their private
  // tmp directory instead, and a warning says isolation is reduced.
  bool sandbox = true;
  // The bubblewrap binary; empty: /usr/bin/bwrap, else `bwrap` on PATH.
  std::string bwrap_path;
  // True: a step's processes are killed when the runtime's process dies
  // (bwrap --die-with-parent, or the step guard's parent-death signal; the
  // kernel ties this to the launching thread, which must outlive its
  // steps), and destroying the Runtime ends every step it still runs.
  // False (the server): steps outlive the runtime, even a kill -9 of its
  // process, and another runtime takes them over (adopt). Each runs in a
  // session of its own under a recording step guard (agent/step_guard.h)
  // that writes its log, its result and, last, its end to the step's
  // directory; in the sandbox the guard is the pid namespace's init. Needs
  // the step guard (self_exe or skiff-step beside it); without one, steps
  // die with the runtime. Pods (StepSpec::dies_with_runtime) and steps with
  // a network of their own (reached through this process) always do.
  bool steps_die_with_runtime = true;
};

// Pods (StepSpec::is_pod) run as one process per container, sequenced and
// probed by the runtime; a lone container is one process.
std::unique_ptr<Runtime> make_local_runtime(const LocalOptions& options);

// Runs pods on a runtime that runs single containers: each container is a
// step of `containers` named "<pod id>.<container name>". Single-container
// steps pass straight through.
std::unique_ptr<Runtime> make_pod_runtime(std::unique_ptr<Runtime> containers);

// The command the image runs when a container gives `args` but no `command`
// (its ENTRYPOINT/CMD), from a table of well-known images; empty when unknown.
// Tools skiff provides run from `tool_exe` (the small step tool), or from
// `self_exe` when that is empty.
std::vector<std::string> image_entrypoint(const std::string& image, const std::string& self_exe,
                                          const std::string& tool_exe = "");

// The image's default arguments (its CMD), run after the entrypoint when a
// container gives neither `command` nor `args`; empty when unknown.
std::vector<std::string> image_default_args(const std::string& image, const std::string& self_exe,
                                            const std::string& tool_exe = "");

}  // namespace skiff::runtime
