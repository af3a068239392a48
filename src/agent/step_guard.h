// The step guard: what stands in for a pid namespace's init when a step
// runs without the sandbox. Runs as `skiff step-guard <skiff-pid>
// <executable> <argv0> [args...]`: starts the step's command as its child
// and, being a child subreaper, adopts everything the command leaves behind
// (background children, daemons that start their own session). It ends the
// step's whole tree
//   - when the command exits (as a container's processes end with it),
//   - when skiff itself dies, even by SIGKILL (PR_SET_PDEATHSIG),
// and stays alive through SIGTERM, which is for the command: the runtime
// signals the step's process group, and ends the tree with SIGKILL after
// the grace period by signalling every process it finds below the guard.
#pragma once

namespace skiff::agent {

// argv[0] is "step-guard" (or the program name); returns the command's exit
// status, or 128+N when a signal N ended it.
int step_guard_main(int argc, char** argv);

}  // namespace skiff::agent
