#include "base/naming.h"

#include "base/strings.h"

namespace skiff {

std::string argo_node_id(std::string_view workflow_name, std::string_view node_name) {
  if (node_name == workflow_name) return std::string(workflow_name);
  return std::string(workflow_name) + "-" + std::to_string(fnv1a32(node_name));
}

std::string argo_pod_name(std::string_view workflow_name, std::string_view node_name,
                          std::string_view template_name) {
  if (node_name == workflow_name) return std::string(workflow_name);
  std::string prefix(workflow_name);
  if (node_name.find(".inline") == std::string_view::npos) {
    prefix += "-";
    prefix += template_name;
  }
  constexpr size_t kMaxNameLength = 253, kHashLength = 10;
  constexpr size_t kMaxPrefix = kMaxNameLength - kHashLength - 1;
  if (prefix.size() > kMaxPrefix) prefix.resize(kMaxPrefix);
  return prefix + "-" + std::to_string(fnv1a32(node_name));
}

}  // namespace skiff
