// Internal to the spec layer: the schema-driven YAML -> JSON decoder.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "spec/schema.h"
#include "spec/spec.h"
#include "spec/yaml_tree.h"

namespace skiff::spec::detail {

// Bounds that keep hostile input (alias bombs, deep nesting) from exhausting
// memory or stack. A real workflow is far below each of them.
struct DecodeLimits {
  int max_depth = 200;
  size_t max_values = 4'000'000;  // after alias and merge-key expansion
  size_t max_errors = 50;
};

// Decodes YAML documents of one file. Errors accumulate across documents so
// that a file's every problem is reported at once.
class Decoder {
 public:
  Decoder(std::string file, DecodeLimits limits = {}) : file_(std::move(file)), limits_(limits) {}

  // Converts a document whose root is of type `root`, recording the position
  // of every value in `positions`.
  Json decode(const YamlNode& document, const schema::TypeDef* root, SourceMap* positions);

  // Records an error at the position of `node` about the field at `pointer`.
  void add_error(const YamlNode& node, std::string_view pointer, const std::string& message);

  const std::vector<std::string>& errors() const { return errors_; }
  // True when a limit was hit; the decoded value is then incomplete.
  bool exhausted() const { return exhausted_; }

 private:
  struct Entry {
    const YamlNode* key;
    const YamlNode* value;
  };

  Json convert(const YamlNode& node, const schema::FieldType* type, int depth);
  Json convert_object(const YamlNode& node, const schema::TypeDef* type, int depth);
  Json convert_map(const YamlNode& node, const schema::FieldType* element, int depth);
  Json convert_array(const YamlNode& node, const schema::FieldType* element, int depth);
  Json convert_scalar(const YamlNode& node, schema::Kind kind);
  Json convert_untyped(const YamlNode& node, int depth);
  // The mapping's entries with merge keys ("<<: *base") expanded: explicit
  // keys win over merged ones, earlier merged maps over later ones.
  std::vector<Entry> entries(const YamlNode& map, int depth);
  void collect_merged(const YamlNode& source, std::vector<Entry>* out, int depth);
  bool count_value(const YamlNode& node);
  void type_error(const YamlNode& node, schema::Kind expected);
  void record(const YamlNode& node);
  void push_key(std::string_view key);

  std::string file_;
  DecodeLimits limits_;
  SourceMap* positions_ = nullptr;
  std::string pointer_;  // JSON pointer of the value being converted
  size_t values_ = 0;
  bool exhausted_ = false;
  std::vector<std::string> errors_;
};

// "/spec/templates/0/name" -> "spec.templates[0].name"
std::string field_path(std::string_view pointer);

// How a plain (unquoted) YAML scalar reads, the way sigs.k8s.io/yaml reads
// YAML 1.1 into Go values.
bool is_null_scalar(std::string_view text);
bool parse_bool_scalar(std::string_view text, bool* value);
bool parse_int_scalar(std::string_view text, long long* value);
bool parse_float_scalar(std::string_view text, double* value);

}  // namespace skiff::spec::detail
