// The spec layer: Argo's object model as decoded documents.
//
// Objects are kept in their JSON form (nlohmann::json), the same form Argo
// substitutes variables on, and every value keeps the file:line it came from
// so that later errors (lint, the engine) can name the place. Decoding is
// strict: an unknown field or a value of the wrong type is an error that
// names file, line and field path, as `argo lint --strict` does.
//
// Thread-safety: everything here is plain values; no shared state.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace skiff::spec {

using Json = nlohmann::json;

// Where a value came from. line/column are 1-based; 0 means unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string to_string() const;  // "file:line:col" or "file" when unknown
};

// JSON pointer ("/spec/templates/0/name") -> location of that value.
class SourceMap {
 public:
  void add(std::string pointer, int line, int column);
  // The location of pointer, or of its nearest ancestor that has one.
  Location find(const std::string& file, std::string_view pointer) const;

 private:
  struct PointerHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Hashed: a large workflow records a million positions.
  std::unordered_map<std::string, std::pair<int, int>, PointerHash, std::equal_to<>> positions_;
};

// One decoded document: Workflow, WorkflowTemplate, ClusterWorkflowTemplate,
// CronWorkflow, ConfigMap or Secret.
struct Object {
  std::string kind;
  Json doc;  // the whole object, apiVersion/kind/metadata/spec...
  std::string file;
  std::shared_ptr<const SourceMap> positions;

  std::string name() const;       // metadata.name (may be empty)
  std::string namespace_() const; // metadata.namespace (may be empty)
  // Location of the value at a JSON pointer such as "/spec/entrypoint".
  Location locate(std::string_view pointer) const;
  // "file:line: field.path: message" for errors about this object.
  Status error_at(std::string_view pointer, const std::string& message) const;
};

// Decodes every document in YAML or JSON text (multi-document YAML allowed;
// empty documents skipped). Each document must be a known kind; its fields are
// checked against Argo's field reference.
Result<std::vector<Object>> parse_documents(std::string_view text, const std::string& file_name);
Result<std::vector<Object>> load_file(const std::string& path);

// Loads every supporting object under path: a file, or a directory searched
// recursively for *.yaml, *.yml and *.json. Documents of other kinds
// (anything but WorkflowTemplate, ClusterWorkflowTemplate, ConfigMap,
// Secret) and files that are not Argo or Kubernetes objects are ignored.
Result<std::vector<Object>> load_supporting(const std::string& path);

// Encoding for `-o yaml`: block-style YAML that round-trips through
// parse_documents (strings that would read as other types are quoted).
std::string to_yaml(const Json& value);

// Argo's validation rules (`argo lint`) for a Workflow or template object,
// resolving templateRef / workflowTemplateRef against `library`. Every
// problem found is reported, each naming file:line and field.
Status lint(const Object& object, const std::vector<Object>& library);

}  // namespace skiff::spec
