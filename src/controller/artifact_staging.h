// Moves artifact bytes for the local controller (private to it): inputs are
// fetched to a host directory and mounted at their paths before a step
// starts; outputs are stored from where the step left them after it ends.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifacts/artifacts.h"
#include "base/status.h"
#include "engine/engine.h"
#include "runtime/runtime.h"
#include "spec/spec.h"

namespace skiff::controller::internal {

using Json = nlohmann::json;

// Looks Secrets up among the loaded objects (`data` base64, `stringData`
// as is), then nowhere else.
artifacts::SecretLookup secrets_from(const std::vector<spec::Object>& library);

// The repository a workflow's spec.artifactRepositoryRef names (a loaded
// ConfigMap's key, or the key its default-artifact-repository annotation
// names); `repository` is left as is when the workflow names none.
Status apply_repository_ref(const spec::Object& workflow, const std::vector<spec::Object>& library,
                            Json* repository);

class ArtifactStaging {
 public:
  ArtifactStaging(artifacts::Store& store, std::string dir) : store_(store), dir_(std::move(dir)) {}

  // Fetches the template's located input artifacts and adds their mounts
  // and output paths to `spec`. The error names the artifact and the cause.
  // Without `fetch` (a step already running, taken over after a restart)
  // only the mounts and paths staged before are added.
  Status stage(const Json& tmpl, runtime::StepSpec& spec, bool fetch = true);

  // Stores the outputs the step left; returns Argo's records. A missing
  // non-optional output (after a successful step) or a failed upload is
  // reported in `error`. `log_file` is the step's log, for archiveLogs.
  Json collect(const Json& tmpl, const runtime::Completion& completion, const std::string& log_file,
               std::string* error);

  // Deletes the outputs recorded in the workflow's nodes whose artifactGC
  // strategy (the artifact's, else the workflow's) is `strategy`
  // (OnWorkflowCompletion, OnWorkflowDeletion), as Argo's artifact GC does:
  // each deleted one is marked `deleted: true` in its node, and what could
  // not be deleted sets the workflow's ArtifactGCError condition. Returns
  // those failures, one message each.
  std::vector<std::string> collect_garbage(Json* workflow, const std::string& strategy);

 private:
  std::string step_dir(const std::string& id) const;
  artifacts::Store& store_;
  std::string dir_;
};

// One workflow's artifact repositories and staging.
struct WorkflowArtifacts {
  std::unique_ptr<artifacts::Store> store;
  std::unique_ptr<ArtifactStaging> staging;
};

// Opens what a workflow moves its artifacts with: `base` (the configured
// repository) with the workflow's artifactRepositoryRef applied and Secrets
// from its library; `dir` holds staged inputs, private output directories
// and archives. Sets the engine's key format and archiveLogs to match the
// repository, so both ways of running a workflow key artifacts alike.
Result<WorkflowArtifacts> open_artifacts(const spec::Object& workflow, const std::vector<spec::Object>& library,
                                         artifacts::Context base, const std::string& dir,
                                         engine::Options* engine_options);

// True when `doc` (a workflow or template, as JSON) sets an artifactGC
// anywhere: a workflow without one has nothing to collect.
bool mentions_artifact_gc(const Json& doc);

// True when the workflow's spec.artifactGC lets a failed deletion pass
// (forceFinalizerRemoval).
bool gc_failure_allowed(const Json& workflow);

}  // namespace skiff::controller::internal
