#include "spec/schema.h"

#include <cstdlib>
#include <deque>
#include <iostream>
#include <sstream>
#include <vector>

namespace skiff::spec::schema {

const FieldType* TypeDef::field(std::string_view name) const {
  // unordered_map<std::string> has no heterogeneous find before C++20's
  // transparent hashing; field names are short, so the copy is cheap.
  auto it = fields.find(std::string(name));
  return it == fields.end() ? nullptr : it->second;
}

namespace {

// All types, built once from the schema texts. Pointers into the deques stay
// valid for the life of the program.
class Registry {
 public:
  Registry() {
    load(kArgoSchema);
    load(kKubernetesSchema);
    resolve();
  }

  const TypeDef* find(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? nullptr : it->second;
  }

 private:
  struct Pending {
    TypeDef* type;
    std::string base;
    std::vector<std::pair<std::string, std::string>> fields;  // name, type text
  };

  // The schema is compiled into the binary, so a mistake in it is a bug in
  // this program: fail loudly at first use rather than decode wrongly.
  [[noreturn]] static void fail(const std::string& message) {
    std::cerr << "spec schema: " << message << "\n";
    std::abort();
  }

  void load(const char* text) {
    std::istringstream in(text);
    std::string token;
    Pending* current = nullptr;
    while (in >> token) {
      if (token.back() == ':') {
        token.pop_back();
        std::string base;
        if (auto open = token.find('('); open != std::string::npos) {
          base = token.substr(open + 1, token.size() - open - 2);
          token.resize(open);
        }
        types_.push_back(TypeDef{token, {}});
        if (!by_name_.emplace(token, &types_.back()).second) fail("type defined twice: " + token);
        pending_.push_back(Pending{&types_.back(), base, {}});
        current = &pending_.back();
        continue;
      }
      if (!current) fail("field before any type: " + token);
      auto eq = token.find('=');
      if (eq == std::string::npos) {
        current->fields.emplace_back(token, "string");
      } else {
        current->fields.emplace_back(token.substr(0, eq), token.substr(eq + 1));
      }
    }
  }

  const FieldType* parse_type(std::string_view text) {
    FieldType t;
    if (text == "string") t.kind = Kind::kString;
    else if (text == "int") t.kind = Kind::kInt;
    else if (text == "bool") t.kind = Kind::kBool;
    else if (text == "number") t.kind = Kind::kNumber;
    else if (text == "ios") t.kind = Kind::kIntOrString;
    else if (text == "anystr") t.kind = Kind::kAnyString;
    else if (text == "any") t.kind = Kind::kAny;
    else if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
      t.kind = Kind::kArray;
      t.element = parse_type(text.substr(1, text.size() - 2));
    } else if (text.size() > 2 && text.front() == '{' && text.back() == '}') {
      t.kind = Kind::kMap;
      t.element = parse_type(text.substr(1, text.size() - 2));
    } else {
      t.kind = Kind::kObject;
      t.object = find(text);
      if (!t.object) fail("unknown type " + std::string(text));
    }
    field_types_.push_back(t);
    return &field_types_.back();
  }

  void resolve() {
    for (auto& p : pending_) {
      for (auto& [name, type_text] : p.fields) {
        if (!p.type->fields.emplace(name, parse_type(type_text)).second) {
          fail("field defined twice: " + p.type->name + "." + name);
        }
      }
    }
    // Bases in the schema are never derived themselves, so one pass suffices.
    for (auto& p : pending_) {
      if (p.base.empty()) continue;
      const TypeDef* base = find(p.base);
      if (!base) fail("unknown base type " + p.base);
      for (auto& [name, type] : base->fields) p.type->fields.emplace(name, type);
    }
  }

  std::deque<TypeDef> types_;
  std::deque<FieldType> field_types_;
  std::deque<Pending> pending_;
  std::unordered_map<std::string, const TypeDef*> by_name_;
};

const Registry& registry() {
  static const Registry instance;
  return instance;
}

}  // namespace

const TypeDef* find_type(std::string_view name) { return registry().find(name); }

const TypeDef* root_type_for_kind(std::string_view kind) {
  static constexpr std::string_view kKinds[] = {
      "Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow",
      "WorkflowEventBinding", "ConfigMap", "Secret"};
  for (auto k : kKinds) {
    if (k == kind) return find_type(kind);
  }
  return nullptr;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kString: return "string";
    case Kind::kInt: return "integer";
    case Kind::kBool: return "boolean";
    case Kind::kNumber: return "number";
    case Kind::kIntOrString: return "integer or string";
    case Kind::kAnyString: return "scalar";
    case Kind::kAny: return "any value";
    case Kind::kObject: return "object";
    case Kind::kArray: return "array";
    case Kind::kMap: return "object";
  }
  return "value";
}

}  // namespace skiff::spec::schema
