// The workflow service: the controller of `skiff server`. It keeps many
// workflows going at once on one runtime, with every change durable in a
// Store before anyone is told about it.
//
// Durability. Each workflow's engine inputs are journaled (the store's
// events): the start and every batch of events, with the time they were
// applied. The engine is deterministic, so after a restart replaying the
// journal rebuilds each unfinished workflow exactly; the nodes that changed
// are written as rows beside it for readers. Steps are started only after
// the state that asked for them is committed.
//
// Steps outlive the service (even a kill -9 of its process): each runs in a
// session of its own under a step guard that writes its log, its result
// and, last, how it ended into the step's directory. A step's start is
// journalled with its process (pid and start time). After a restart, each
// step started and not finished is taken over: it completes from its
// guard's record if it has ended, is watched until it ends if it still
// runs, and ends in Error "pod deleted" (as Argo reports a pod that
// disappeared; its retryStrategy may run it again) if it is gone without a
// record. A step asked for but not started yet is started; a pod's
// containers die with the service and run again. A step whose completion
// was journalled never runs again.
//
// Thread-safety: every public method may be called from any thread. One
// internal thread runs the engines and the runtime.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "config/config.h"
#include "controller/control.h"
#include "store/store.h"

namespace skiff::controller {

using Json = nlohmann::json;

struct ServiceOptions {
  std::string steps_dir;   // where step directories live
  std::string self_exe;    // the skiff executable (built-in images)
  std::string cache_dir;   // memoization caches, a file each
  std::string artifact_root;  // the local artifact repository (keys are paths below it)
  bool sandbox = true;
  size_t max_running = 0;  // steps run at once; 0: as many as open files allow
  config::Config config;   // parallelism, workflowDefaults, retention
};

// A change to one workflow, as Argo's watch reports it.
struct WorkflowEvent {
  std::string type;  // "ADDED", "MODIFIED", "DELETED"
  std::string namespace_;
  std::string name;
  Json workflow;     // the whole Workflow object (for DELETED: as last seen)
};

// A Workflow object as Argo returns it, assembled from a stored record and
// its nodes (nodes omitted when `nodes` is null).
Json workflow_object(const store::WorkflowRecord& record, const std::vector<store::NodeRecord>* nodes);

// A name from a prefix plus five random characters, as Kubernetes'
// generateName does.
std::string generate_name(const std::string& prefix);

// Checks what the scheduler needs of a CronWorkflow: its schedules, time
// zone and concurrency policy.
Status check_cron(const Json& cron_workflow);

// The status a resubmit --memoized carries over (see Service::submit).
Result<engine::WorkflowStatus> carried_status(const Json& carried);
// The status a workflow named `name` starts from, given what it carries:
// engine::memoized_status() of it, or with "retry" ({restartSuccessful,
// nodeFieldSelector}: an archived workflow run again under its own name)
// engine::retry_status() of it.
Result<engine::WorkflowStatus> carried_start(const Json& carried, const std::string& name, Time now);

// The labels selectors see: the submitted ones plus Argo's phase and
// completed labels.
Json workflow_labels(const store::WorkflowRecord& record);

// One artifact, fetched for a download (Service::download_artifact).
struct ArtifactDownload {
  std::string path;       // the object's bytes as stored; empty for a directory
  std::string file_name;  // the object's base name
  std::vector<std::string> listing;  // a directory's entries ("name/" for a subdirectory)
  std::string scratch_dir;  // holds `path`: the caller removes it when done
};

class Service {
 public:
  // Recovers every unfinished workflow in `store` and starts the loop.
  static Result<std::unique_ptr<Service>> start(store::Store& store, ServiceOptions options);
  // Stops the loop; running steps go on, for the next service to take over.
  ~Service();

  // Validates a Workflow (Argo's lint), names it, applies workflowDefaults,
  // stores it and queues it to run. Returns the Workflow as stored.
  // kInvalidArgument for a bad workflow, kAlreadyExists for a taken name.
  // `carried` (resubmit --memoized): {"from": the old workflow's name,
  // "status": its status without nodes, "nodes": its status.nodes}; the new
  // workflow starts from carried_start() of it.
  Result<Json> submit(const Json& workflow, const std::string& namespace_, bool dry_run = false,
                      const Json* carried = nullptr);

  // Removes the workflow; its running steps are stopped. Its output
  // artifacts whose artifactGC strategy is OnWorkflowDeletion are deleted
  // first; when one cannot be, the workflow is kept with Argo's
  // ArtifactGCError condition and the error names it, unless `force` or
  // spec.artifactGC.forceFinalizerRemoval lets it go anyway.
  Status remove(const std::string& namespace_, const std::string& name, bool force = false);

  // Applies a user's command (suspend, resume, stop, terminate, node set)
  // as `argo <verb>` does, or refuses it with Argo's message.
  Status command(const std::string& namespace_, const std::string& name, const Command& command);

  // `argo retry`: runs a completed workflow again in place from the status
  // engine::retry_status() makes of it (what succeeded is not run again).
  // kInvalidArgument with Argo's message for a workflow that may not be
  // retried (running, or succeeded without restartSuccessful and a selector).
  Status retry(const std::string& namespace_, const std::string& name, const engine::RetryRequest& request);

  // Stops running steps; the workflow ends Failed ("Stopped with strategy
  // 'Terminate'").
  Status terminate(const std::string& namespace_, const std::string& name);

  // The Workflow object with its nodes.
  Result<Json> get(const std::string& namespace_, const std::string& name);

  // Calls `listener` (on the service's thread; keep it short) after each
  // change is stored. Returns an id for unsubscribe().
  int subscribe(std::function<void(const WorkflowEvent&)> listener);
  void unsubscribe(int id);

  // Checks a Workflow, WorkflowTemplate, ClusterWorkflowTemplate or
  // CronWorkflow as `argo lint` does, against the stored templates.
  Status validate(const Json& object, const std::string& namespace_);

  // The custom metrics (metrics.prometheus) of the workflows this service
  // has run since it started, in Prometheus' text format, realtime gauges
  // as of now. Argo's controller keeps them in memory too: a restart starts
  // over, with what replaying unfinished workflows emits again.
  std::string metrics_text();

  // CronWorkflows were created, changed or deleted in the store.
  void crons_changed();

  // A node's input or output artifact as its repository stores it (an
  // archive stays packed), for Argo Server's artifact downloads; `file`: a
  // path below a directory artifact, or empty. `workflow`: a Workflow
  // object with status.nodes, live or archived. kNotFound names what is
  // missing (the node, the artifact, the object).
  Result<ArtifactDownload> download_artifact(const Json& workflow, const std::string& node_id, bool input,
                                             const std::string& name, const std::string& file);

  // The templates a workflow may reference: WorkflowTemplates of its
  // namespace and every ClusterWorkflowTemplate.
  Result<std::vector<Json>> library(const std::string& namespace_);

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::controller
