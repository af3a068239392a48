// Private to the engine: the phase a pod's containers give its node.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"

namespace skiff::engine {

struct PodVerdict {
  std::string failure;      // non-empty: the pod Failed, with this message
  bool has_main = true;     // a container named "main" (or a lone container)
  bool main_ran = false;    // it ran (an init container may have failed first)
  int main_exit_code = 0;
};

// Applies Argo's rules to the containers of a finished pod.
PodVerdict assess_pod(const Json& tmpl, const Event& event);

// The containers whose failure fails the pod: a containerSet's containers,
// else the lone "main".
std::vector<std::string> main_container_names(const Json& tmpl);

// `daemon: true`.
bool is_daemon(const Json& tmpl);

// "Error (exit code N)", Argo's message for a container that exited non-zero.
std::string container_exit_message(int exit_code);

}  // namespace skiff::engine
