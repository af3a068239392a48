// argosay: the tool inside Argo's `argoproj/argosay` test image, provided by
// skiff itself so that workflows using that image run on a host. Runs as
// `skiff argosay <verb> [args...]` inside the step's sandbox.
#pragma once

namespace skiff::agent {

// argv[0] is the program name and the verbs follow; a leading "argosay"
// argument is skipped, so both `argosay_main(argc, argv)` from `skiff
// argosay echo hi` and `argosay_main(argc - 1, argv + 1)` work. Writes to
// the process's stdout/stderr and returns the exit status the image's tool
// would have (2 for its panics).
int argosay_main(int argc, char** argv);

}  // namespace skiff::agent
