// The controller: the loop that ties the engine (what should happen), the
// runtime (where steps run) and the clock together. It is the only place
// below the CLI that reads the clock, and it acts only on what the engine
// asks for: events in, actions out, until the workflow is complete.
//
// Thread-safety: a LocalRun is driven by one thread; request_terminate() may
// be called from any thread or a signal handler.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifacts/artifacts.h"
#include "base/status.h"
#include "config/config.h"
#include "controller/control.h"
#include "controller/lock_table.h"
#include "engine/engine.h"
#include "runtime/runtime.h"
#include "spec/spec.h"

namespace skiff::controller {

namespace internal {
class ArtifactStaging;
}

using Json = nlohmann::json;

struct RunOptions {
  engine::Options engine;  // name, namespace, entrypoint, parameters
  // Where this run keeps its files: step directories and logs.
  std::string run_dir;
  // Where memoization caches live: one JSON file per cache, named after it.
  // Empty: every lookup misses and nothing is stored.
  std::string cache_dir;
  // The local artifact repository's directory (keys are paths below it),
  // which data templates list their source from.
  std::string artifact_root;
  // The artifact repositories: the default one, the local directory, where
  // archives are built. Secrets come from the loaded library.
  artifacts::Context artifacts;
  // Called after every change with the Workflow object as it stands.
  std::function<void(const Json& workflow)> on_change;
  // Take commands (suspend, resume, stop, terminate, node set) from other
  // processes through <run_dir>/control (control.h). A run that takes them
  // waits for one when only a user can move it on (a suspended workflow or
  // suspend node); a run that does not ends there instead.
  bool accept_commands = false;
  // Called with each command once it was applied or refused.
  std::function<void(const std::string& verb, const Status& outcome)> on_command;
  // Steps in flight at once; more wait, Pending, for one to end. 0: as many
  // as the process's open-file limit allows (each step holds a few files).
  size_t max_running = 0;
  // Keep <run_dir>/workflow.json up to date while the run goes on (written
  // whole each time, at most once per `publish_interval`), so that another
  // process (`skiff get`) sees the live tree. It is written once more at
  // the end either way when commands are taken.
  bool publish_status = false;
  Duration publish_interval = std::chrono::milliseconds(500);
  // Whether run() returns the workflow with status.nodes. Without them (a
  // caller that prints no tree), the final object is only written, one node
  // at a time, to <run_dir>/workflow.json: a workflow of a million nodes
  // would otherwise hold its whole document as JSON objects, a few KB per
  // node, at its end.
  bool result_nodes = true;
};

// The artifact repositories a configuration gives every workflow: its
// artifactRepository (with archiveLogs and S3 endpoint overrides), else the
// local directory `local_root`. The error names the configuration file.
Result<artifacts::Context> artifact_context(const config::Config& config, const std::string& local_root);

// Writes the Workflow object to <run_dir>/workflow.json atomically: a
// reader sees the previous or the new file, never a part of one.
Status write_workflow_file(const std::string& run_dir, const Json& workflow);
// The same from the engine, streamed (Engine::write_json).
Status write_workflow_file(const std::string& run_dir, const engine::Engine& engine, Time now);

// Gives the workflow its name: metadata.name, or generateName plus five
// random characters, as the Kubernetes API server does.
std::string workflow_name(const spec::Object& workflow);

// A random RFC 4122 version 4 UUID, for metadata.uid.
std::string random_uid();

// Resolves `valueFrom.configMapKeyRef` in spec.arguments against the loaded
// ConfigMaps, returning the values as parameter overrides.
Result<std::vector<std::pair<std::string, std::string>>> configmap_parameters(
    const spec::Object& workflow, const std::vector<spec::Object>& library);

// Memoization caches as files: <dir>/<cache>.json maps each key to an entry
// shaped like Argo's ConfigMap cache entries {nodeID, outputs,
// creationTimestamp, lastHitTimestamp}. cache_answer() answers a kCacheLookup
// action; cache_store() carries out a kCacheSave (creating the file).
engine::Event cache_answer(const std::string& dir, const engine::Action& lookup, Time now);
Status cache_store(const std::string& dir, const engine::Action& save, Time now);

// The engine event for a container of a pod that started or ended.
engine::Event container_event(const runtime::ContainerChange& change);

// The end of a step cancelled before it started: as if its process had
// been stopped, so the engine treats it as any cancelled step.
engine::Event cancelled_before_start(const std::string& node_id);

// Translates a resolved container/script template into what the runtime runs.
runtime::StepSpec step_spec(const engine::LaunchAction& launch);

// Where a pod's volumes live on this machine.
struct VolumeHost {
  std::string run_dir;  // emptyDir and claim directories go under <run_dir>/volumes
  const std::vector<spec::Object>* library = nullptr;  // ConfigMaps and Secrets for volumes
  std::string artifact_root;  // the local artifact repository, for data templates
  artifacts::Store* store = nullptr;  // lists a data template's source in any repository
  std::string namespace_ = "default";  // what env fieldRef metadata.namespace reads
};

// step_spec, plus what makes a pod of it: init containers, sidecars,
// containerSet members, readiness probes and volume mounts. An error names
// the volume or field that cannot be honoured locally.
Result<runtime::StepSpec> pod_step_spec(const engine::LaunchAction& launch, const VolumeHost& host);

// Where a pod's own volumes (emptyDir, configMap, secret) live; they go
// with the pod, as in Kubernetes.
std::string pod_volumes_dir(const std::string& run_dir, const std::string& node_id);

class LocalRun {
 public:
  LocalRun(runtime::Runtime& runtime, RunOptions options);
  ~LocalRun();

  // Runs the workflow to completion and returns the final Workflow object.
  // Errors only for input the engine rejects before anything runs.
  Result<Json> run(const spec::Object& workflow, const std::vector<spec::Object>& library);

  // Stops the workflow: running steps are terminated and it ends Failed.
  // Async-signal-safe.
  void request_terminate();

 private:
  void carry_out(engine::Engine& engine, std::vector<engine::Action> actions);
  // Applies the commands that arrived; true when any changed the workflow.
  bool take_commands(engine::Engine& engine, CommandMailbox& mailbox);
  // Returns the saved log file's path ("" when none).
  std::string save_logs(const engine::Engine& engine, const std::string& node_id);
  void write_metrics(const engine::Engine& engine);
  void drop_pod_volumes(const std::string& node_id);

  runtime::Runtime& runtime_;
  RunOptions options_;
  const std::vector<spec::Object>* library_ = nullptr;
  std::set<std::string> stopping_;  // steps cancelled and not yet ended
  // Launches held back by max_running, in order; cancelled ones leave the set.
  std::deque<engine::Action> waiting_;
  std::unordered_set<std::string> waiting_ids_;
  std::atomic<bool> terminate_requested_{false};
  std::unique_ptr<artifacts::Store> store_;
  std::unique_ptr<internal::ArtifactStaging> staging_;
  // Resolved templates of launched steps, for their output artifacts.
  std::map<std::string, Json> launched_;
  // The run's own lock table (one workflow: its steps wait for each other);
  // semaphore limits from the loaded ConfigMaps.
  std::unique_ptr<LockTable> locks_;
};

}  // namespace skiff::controller
