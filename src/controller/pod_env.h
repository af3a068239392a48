// A container's environment as the kubelet builds it: `env` values,
// `valueFrom` (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef),
// `envFrom`, and $(VAR) references in env values, command and args.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "controller/controller.h"

namespace skiff::controller::internal {

using Env = std::vector<std::pair<std::string, std::string>>;

// What a pod's fieldRefs read, and where its Secrets and ConfigMaps are.
struct PodFacts {
  const std::vector<spec::Object>* library = nullptr;
  std::string namespace_ = "default";
  std::string pod_name;
  Json metadata = Json::object();  // the pod's labels and annotations
};

// The container's env in order, then `extra` (the variables Argo's
// executor sets). A Secret, ConfigMap or key that is not there, and not
// optional, is an error in the kubelet's words, naming the container.
Result<Env> container_env(const Json& container, const PodFacts& pod, const Env& extra, const std::string& where);

// $(NAME) replaced by NAME's value in `env`; an unknown name is left as
// written; $$ is a literal $.
std::string expand_references(const std::string& text, const Env& env);

const spec::Object* find_object(const std::vector<spec::Object>* library, const std::string& kind,
                                const std::string& name);
std::string base64_decode(const std::string& in);

}  // namespace skiff::controller::internal
