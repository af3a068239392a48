// Moves artifact bytes for the local controller (private to it): inputs are
// fetched to a host directory and mounted at their paths before a step
// starts; outputs are stored from where the step left them after it ends.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifacts/artifacts.h"
#include "base/status.h"
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
  Status stage(const Json& tmpl, runtime::StepSpec& spec);

  // Stores the outputs the step left; returns Argo's records. A missing
  // non-optional output (after a successful step) or a failed upload is
  // reported in `error`. `log_file` is the step's log, for archiveLogs.
  Json collect(const Json& tmpl, const runtime::Completion& completion, const std::string& log_file,
               std::string* error);

  // Deletes the outputs recorded in the workflow's nodes whose artifactGC
  // strategy (the artifact's, else the workflow's) is OnWorkflowCompletion.
  // Returns what could not be deleted, one message each.
  std::vector<std::string> collect_garbage(const Json& workflow);

 private:
  std::string step_dir(const std::string& id) const;
  artifacts::Store& store_;
  std::string dir_;
};

}  // namespace skiff::controller::internal
