// The step guard: the parent of a step's command, standing in for a
// container runtime's shim. It runs in one of two ways.
//
// Tied to skiff (`skiff step-guard <skiff-pid> <executable> <argv0>
// [args...]`, a step run without the sandbox by `skiff run`): it stands in
// for a pid namespace's init. It starts the command as its child and, being
// a child subreaper, adopts everything the command leaves behind
// (background children, daemons that start their own session). It ends the
// step's whole tree
//   - when the command exits (as a container's processes end with it),
//   - when skiff itself dies, even by SIGKILL (PR_SET_PDEATHSIG),
// and stays alive through SIGTERM, which is for the command: the runtime
// signals the step's process group, and ends the tree with SIGKILL after
// the grace period by signalling every process it finds below the guard.
//
// Recording (`skiff step-guard --record <dir> <executable> <argv0>
// [args...]`, every step of `skiff server`; an executable without a slash
// is looked up on PATH): the step outlives whoever
// started it, and the guard is what reports its end. Its stdout and stderr
// are the step's log (an O_APPEND file the runtime opened); the command's
// stderr goes there directly, its stdout through the guard, which copies it
// to the log and to <dir>/stdout (the step's result, the first 4 MiB). When
// the command has ended and the tree with it, the guard writes
// <dir>/completion ("exit <code>\nfinished <unix ns>\n") by writing a
// temporary file and renaming it, so that a reader sees all of it or
// nothing. In the sandbox it runs as the pid namespace's init (bwrap
// --as-pid-1), so it adds no process to the step.
#pragma once

#include <optional>
#include <string>

namespace skiff::agent {

// argv[0] is "step-guard" (or the program name); returns the command's exit
// status, or 128+N when a signal N ended it.
int step_guard_main(int argc, char** argv);

// How a recorded step ended, as the guard wrote it in `dir`.
struct RecordedEnd {
  int exit_code = 0;
  long long finished_unix_ns = 0;
};

// Reads <dir>/completion; nullopt when it is absent or incomplete.
std::optional<RecordedEnd> read_recorded_end(const std::string& dir);

}  // namespace skiff::agent
