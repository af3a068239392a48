// Which names an expression reads, and whether an environment has them:
// Argo keeps an expression tag unresolved while one of its names is missing.
#include "expr/dates.h"
#include "expr/exprlang.h"
#include "expr/sprig.h"
#include "expr/values.h"

namespace skiff::expr::internal {
namespace {

void collect_paths(const Node& n, std::vector<std::string>* out) {
  auto add = [&](std::string path) {
    for (const auto& existing : *out) {
      if (existing == path) return;
    }
    out->push_back(std::move(path));
  };
  if (n.kind == NodeKind::kIdentifier) add(n.name);
  if (n.kind == NodeKind::kMember) {
    std::string path;
    const Node* at = &n;
    bool plain = true;
    while (at->kind == NodeKind::kMember) {
      const Node& property = *at->children[1];
      if (property.kind != NodeKind::kLiteral || !property.value.is_string()) {
        plain = false;
        break;
      }
      path = "." + property.value.get<std::string>() + path;
      at = at->children[0].get();
    }
    if (plain && at->kind == NodeKind::kIdentifier) add(at->name + path);
  }
  for (const auto& child : n.children) collect_paths(*child, out);
}

}  // namespace

std::vector<std::string> referenced_paths(const Node& root) {
  std::vector<std::string> out;
  collect_paths(root, &out);
  return out;
}

bool env_has_path(const Json& env, const std::string& dotted) {
  size_t dot = dotted.find('.');
  std::string head = dotted.substr(0, dot);
  if (dot == std::string::npos && (is_builtin(head) || is_argo_function(head) || is_date_builtin(head))) return true;
  if (head == "sprig") {
    if (dot == std::string::npos) return true;
    const std::string name = dotted.substr(dot + 1);
    return is_sprig_function(name) || is_sprig_date_function(name) || is_sprig_random_function(name);
  }
  const Json* at = &env;
  size_t start = 0;
  while (true) {
    size_t end = dotted.find('.', start);
    std::string part = dotted.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!at->is_object()) return false;
    auto it = at->find(part);
    if (it == at->end()) return false;
    at = &*it;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

}  // namespace skiff::expr::internal
