// Internal interface of the expr-lang evaluator (github.com/expr-lang/expr
// semantics over JSON values). Not part of the layer's public header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace skiff::expr::internal {

using Json = nlohmann::json;

// Limits that keep hostile expressions from exhausting the stack or memory.
inline constexpr int kMaxTreeDepth = 200;
inline constexpr size_t kMaxCollectionSize = 100000;
inline constexpr size_t kMaxStringSize = 16u << 20;

enum class NodeKind {
  kLiteral,      // value
  kArray,        // children
  kMap,          // children: key, value, key, value...
  kIdentifier,   // name
  kPointer,      // # (name ""), #index, #acc
  kMember,       // children[0][children[1]], optional for ?.
  kSlice,        // children: object, from (or null literal), to (or null literal)
  kUnary,        // name = operator, children[0]
  kBinary,       // name = operator, children[0], children[1]
  kConditional,  // children: condition, then, else
  kCall,         // children[0] = callee, rest = arguments
  kClosure,      // children[0] = body
  kLet,          // name = variable, children: value, body
};

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  size_t pos = 0;  // byte offset in the source, for error messages
  int depth = 1;
  bool optional = false;
  std::string name;
  Json value;
  std::vector<std::unique_ptr<Node>> children;
};
using NodePtr = std::unique_ptr<Node>;

// An error located in the source, formatted the way expr-lang prints it:
// "message (line:column)\n | source line\n | ...^".
std::string located_error(std::string_view source, size_t pos, const std::string& message);

Result<NodePtr> parse_expression(std::string_view source);
Result<Json> evaluate_tree(const Node& root, std::string_view source, const Json& env);

// Identifiers and plain member paths ("inputs.parameters.x") the expression
// reads from its environment, as Argo checks them before substituting.
std::vector<std::string> referenced_paths(const Node& root);
// Whether a dotted path resolves in an environment (functions count as present).
bool env_has_path(const Json& env, const std::string& dotted);

// Go's type names, for error messages that match expr-lang's.
std::string go_type_name(const Json& value);
// JSON decoded as Go does: every number becomes a float64.
Json numbers_to_float(Json value);

}  // namespace skiff::expr::internal
