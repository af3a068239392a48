// The skiff command line: verbs and their flags, argo-compatible.
#pragma once

namespace skiff::cli {

// Runs the command line; returns the process exit status.
int run_cli(int argc, char** argv);

}  // namespace skiff::cli
