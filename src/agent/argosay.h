// argosay: the tool inside Argo's `argoproj/argosay` test image, provided by
// skiff itself so that workflows using that image run on a host. Runs as
// `skiff argosay <verb> [args...]` inside the step's sandbox.
#pragma once

namespace skiff::agent {

// Returns the process exit status.
int argosay_main(int argc, char** argv);

}  // namespace skiff::agent
