// The shape of Argo's (and the embedded Kubernetes) types, used to decode
// and strictly validate documents in one pass. The shape is data: a compact
// text listing type -> field -> field type (schema_argo.cc, schema_kube.cc),
// read once on first use.
//
// Text format, one or more types per text:
//   TypeName: field field=int list=[Other] table={string} nested=[[Other]]
//   Derived(Base): extra=bool        # Derived has Base's fields plus its own
// A field without "=type" is a string. Scalar types: string, int, bool,
// number, ios (int or string), anystr (any scalar, kept as its text), any
// (any YAML value). [T] is an array of T, {T} a map of string to T.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace skiff::spec::schema {

enum class Kind { kString, kInt, kBool, kNumber, kIntOrString, kAnyString, kAny, kObject, kArray, kMap };

struct TypeDef;

struct FieldType {
  Kind kind = Kind::kAny;
  const TypeDef* object = nullptr;   // kObject
  const FieldType* element = nullptr; // kArray, kMap
};

struct TypeDef {
  std::string name;
  std::unordered_map<std::string, const FieldType*> fields;
  const FieldType* field(std::string_view name) const;
};

// The type named `name` ("Workflow", "Template", ...) or nullptr.
const TypeDef* find_type(std::string_view name);

// The root type of a document of this kind, or nullptr when the kind is not
// one this layer decodes.
const TypeDef* root_type_for_kind(std::string_view kind);

// "integer", "object", ... for error messages.
const char* kind_name(Kind kind);

extern const char kArgoSchema[];
extern const char kKubernetesSchema[];

}  // namespace skiff::spec::schema
