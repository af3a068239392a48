// The parts of a pod the pod runtime builds on (internal to the runtime):
// each container as a lone step, and the outputs a pod leaves on its shared
// volumes.
#pragma once

#include "runtime/runtime.h"

namespace skiff::runtime::internal {

// One container of a pod as a step of its own, id "<pod id>.<container>".
StepSpec container_step(const StepSpec& pod, const ContainerSpec& c);

// The step that runs a container's exec probe, id "<container step>.probe",
// inside the container's sandbox.
StepSpec probe_step(const StepSpec& container, const Probe& probe);

// Outputs of the main container that are not where it left them: written to
// a volume the pod's containers share, by another container after "main"
// ended. Fills what `done` lacks.
void find_late_outputs(const StepSpec& step, Completion* done);

// A pod's log: the logs of its main containers' steps, in order.
Result<std::string> pod_logs(const Runtime& containers, const std::string& pod_id,
                             const std::vector<std::string>& steps);

}  // namespace skiff::runtime::internal
