#include "runtime/pod_parts.h"

#include <sys/stat.h>

#include <optional>

#include "base/strings.h"

namespace skiff::runtime::internal {

StepSpec container_step(const StepSpec& pod, const ContainerSpec& c) {
  StepSpec step;
  step.id = pod.id + "." + c.name;
  step.name = pod.name + "." + c.name;
  step.image = c.image;
  step.command = c.command;
  step.args = c.args;
  step.env = c.env;
  step.working_dir = c.working_dir;
  step.mounts = c.mounts;
  step.termination_grace = pod.termination_grace;
  step.env.emplace_back("ARGO_CONTAINER_NAME", c.name);
  // The pod is sequenced here: its containers cannot be taken over apart.
  step.dies_with_runtime = true;
  return step;
}

StepSpec probe_step(const StepSpec& container, const Probe& probe) {
  // The probe runs beside the container, with its image and mounts.
  StepSpec step = container;
  step.id = container.id + ".probe";
  step.command = probe.exec;
  step.args.clear();
  step.output_files.clear();
  step.output_paths.clear();
  step.script_source.reset();
  step.enter_step = container.id;  // it checks what the container sees
  step.own_network = false;        // it enters the container's network, or stays on the host's
  return step;
}

// The containers of a set share volumes and end in any order: an output
// another container wrote to a shared volume after "main" ended is
// collected when the whole pod ends, as Argo's wait container does.
void find_late_outputs(const StepSpec& step, Completion* done) {
  auto on_volume = [&](const std::string& path) -> std::optional<std::string> {
    const Mount* best = nullptr;
    for (const Mount& m : step.mounts) {
      const std::string& at = m.container_path;
      bool within = path == at || (path.size() > at.size() && path.compare(0, at.size(), at) == 0 &&
                                   (at.back() == '/' || path[at.size()] == '/'));
      if (within && (!best || at.size() > best->container_path.size())) best = &m;
    }
    if (!best) return std::nullopt;
    std::string host = best->host_path + path.substr(best->container_path.size());
    struct stat st{};
    if (::stat(host.c_str(), &st) != 0) return std::nullopt;
    return host;
  };
  for (const std::string& path : step.output_paths) {
    if (done->output_paths.count(path)) continue;
    if (auto host = on_volume(path)) done->output_paths[path] = *host;
  }
  for (const std::string& path : step.output_files) {
    if (done->files.count(path)) continue;
    std::string content;
    if (auto host = on_volume(path); host && read_file(*host, &content)) done->files[path] = std::move(content);
  }
}

Result<std::string> pod_logs(const Runtime& containers, const std::string& pod_id,
                             const std::vector<std::string>& steps) {
  std::string text;
  bool any = false;
  for (const auto& step : steps) {
    auto part = containers.logs(step);
    if (!part) continue;
    any = true;
    text += *part;
  }
  if (!any) return not_found("no logs for step " + pod_id);
  return text;
}

}  // namespace skiff::runtime::internal
