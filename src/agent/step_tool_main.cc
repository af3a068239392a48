// skiff-step: the tools that run inside or beside every step — the argosay
// tool, the step guard and the pod connector — as a program of their own.
// Starting the full skiff executable loads some fifty shared libraries
// (curl, archive, TLS) and costs over ten milliseconds; this one needs only
// the C++ runtime. The verbs and arguments are the same as skiff's, so
// either program serves.
#include <cstdio>
#include <cstring>

#include "agent/argosay.h"
#include "agent/pod_connect.h"
#include "agent/step_guard.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "argosay") == 0) return skiff::agent::argosay_main(argc - 1, argv + 1);
  if (argc >= 2 && std::strcmp(argv[1], "step-guard") == 0) return skiff::agent::step_guard_main(argc - 1, argv + 1);
  if (argc >= 2 && std::strcmp(argv[1], "pod-connect") == 0) return skiff::agent::pod_connect_main(argc - 1, argv + 1);
  std::fprintf(stderr, "usage: skiff-step argosay <verb> [args...] | step-guard <skiff-pid> <executable> <argv0> "
                       "[args...] | pod-connect\n");
  return 2;
}
