// `when` conditions: govaluate semantics, as Argo evaluates them after
// substitution. Argo turns every bare word (a govaluate variable) into a
// string literal, which is why `heads == heads` is true without quotes.
#include <cmath>
#include <cstdint>
#include <memory>

#include "expr/expr.h"
#include "expr/go_format.h"
#include "expr/govaluate_lexer.h"
#include "expr/regex.h"

namespace skiff::expr {
namespace {

using internal::GvKind;
using internal::GvToken;
using internal::go_sprint;

constexpr int kMaxDepth = 200;

struct GvError {
  std::string message;
};

struct GvNode {
  enum Kind { kLiteral, kParameter, kUnary, kBinary, kList } kind = kLiteral;
  Json value;        // literal, or parameter name
  std::string op;    // operator text
  std::unique_ptr<GvNode> left, right;
  int depth = 1;
};
using GvNodePtr = std::unique_ptr<GvNode>;

GvNodePtr make_binary(std::string op, GvNodePtr left, GvNodePtr right) {
  auto node = std::make_unique<GvNode>();
  node->kind = GvNode::kBinary;
  node->op = std::move(op);
  node->depth = 1 + std::max(left->depth, right->depth);
  node->left = std::move(left);
  node->right = std::move(right);
  if (node->depth > kMaxDepth) throw GvError{"expression is nested too deeply"};
  return node;
}

// Recursive descent over govaluate's precedence levels, lowest first.
class Planner {
 public:
  explicit Planner(const std::vector<GvToken>& tokens) : tokens_(tokens) {}

  GvNodePtr plan() {
    if (tokens_.empty()) return literal(Json());
    GvNodePtr root = separator();
    if (pos_ < tokens_.size()) throw GvError{"Unexpected token " + go_sprint(tokens_[pos_].value)};
    return root;
  }

 private:
  bool at(GvKind kind, std::initializer_list<const char*> symbols) const {
    if (pos_ >= tokens_.size() || tokens_[pos_].kind != kind) return false;
    if (symbols.size() == 0) return true;
    const std::string text = tokens_[pos_].value.is_string() ? tokens_[pos_].value.get<std::string>() : "";
    for (const char* s : symbols) {
      if (text == s) return true;
    }
    return false;
  }

  template <typename Next>
  GvNodePtr binary_level(GvKind kind, std::initializer_list<const char*> symbols, Next next) {
    GvNodePtr left = (this->*next)();
    while (at(kind, symbols)) {
      std::string op = tokens_[pos_++].value.get<std::string>();
      GvNodePtr right = (this->*next)();
      left = make_binary(op, std::move(left), std::move(right));
    }
    return left;
  }

  GvNodePtr separator() {
    GvNodePtr first = ternary();
    if (!at(GvKind::kSeparator, {})) return first;
    auto list = std::make_unique<GvNode>();
    list->kind = GvNode::kList;
    list->value = Json::array();
    std::vector<GvNodePtr> items;
    items.push_back(std::move(first));
    while (at(GvKind::kSeparator, {})) {
      ++pos_;
      items.push_back(ternary());
    }
    // Lists are stored as a right-leaning chain of "," nodes.
    GvNodePtr chain = std::move(items.back());
    for (size_t i = items.size() - 1; i-- > 0;) chain = make_binary(",", std::move(items[i]), std::move(chain));
    list->left = std::move(chain);
    list->depth = list->left->depth + 1;
    return list;
  }
  GvNodePtr ternary() { return binary_level(GvKind::kTernary, {}, &Planner::logical_or); }
  GvNodePtr logical_or() { return binary_level(GvKind::kLogicalOp, {"||"}, &Planner::logical_and); }
  GvNodePtr logical_and() { return binary_level(GvKind::kLogicalOp, {"&&"}, &Planner::comparator); }
  GvNodePtr comparator() { return binary_level(GvKind::kComparator, {}, &Planner::bitwise); }
  GvNodePtr bitwise() { return binary_level(GvKind::kModifier, {"&", "|", "^"}, &Planner::shift); }
  GvNodePtr shift() { return binary_level(GvKind::kModifier, {"<<", ">>"}, &Planner::additive); }
  GvNodePtr additive() { return binary_level(GvKind::kModifier, {"+", "-"}, &Planner::multiplicative); }
  GvNodePtr multiplicative() { return binary_level(GvKind::kModifier, {"*", "/", "%"}, &Planner::exponential); }
  GvNodePtr exponential() { return binary_level(GvKind::kModifier, {"**"}, &Planner::prefix); }

  GvNodePtr prefix() {
    if (!at(GvKind::kPrefix, {})) return value();
    if (++nesting_ > kMaxDepth) throw GvError{"expression is nested too deeply"};
    auto node = std::make_unique<GvNode>();
    node->kind = GvNode::kUnary;
    node->op = tokens_[pos_++].value.get<std::string>();
    node->right = prefix();
    node->depth = node->right->depth + 1;
    --nesting_;
    return node;
  }

  GvNodePtr value() {
    if (pos_ >= tokens_.size()) throw GvError{"Unexpected end of expression"};
    const GvToken& token = tokens_[pos_++];
    switch (token.kind) {
      case GvKind::kNumeric:
      case GvKind::kBoolean:
      case GvKind::kString:
      case GvKind::kTime:
        return literal(token.value);
      case GvKind::kVariable:
      case GvKind::kAccessor: {
        auto node = std::make_unique<GvNode>();
        node->kind = GvNode::kParameter;
        std::string name = token.value.get<std::string>();
        node->value = name.substr(0, name.find('.'));
        return node;
      }
      case GvKind::kClause: {
        if (++nesting_ > kMaxDepth) throw GvError{"expression is nested too deeply"};
        if (at(GvKind::kClauseClose, {})) {
          ++pos_;
          --nesting_;
          return literal(Json());
        }
        GvNodePtr inner = separator();
        if (!at(GvKind::kClauseClose, {})) throw GvError{"Unbalanced parenthesis"};
        ++pos_;
        --nesting_;
        return inner;
      }
      default:
        throw GvError{"Unexpected token " + go_sprint(token.value)};
    }
  }

  static GvNodePtr literal(Json value) {
    auto node = std::make_unique<GvNode>();
    node->value = std::move(value);
    return node;
  }

  const std::vector<GvToken>& tokens_;
  size_t pos_ = 0;
  int nesting_ = 0;
};

std::string type_error(const char* format_kind, const Json& value, const std::string& op, const char* tail) {
  return "Value '" + go_sprint(value) + "' cannot be used with the " + format_kind + " '" + op + "'" + tail;
}

bool regex_match_go(const std::string& pattern, const std::string& text) {
  internal::GoRegex re(pattern);
  if (!re.ok()) throw GvError{"Unable to compile regexp pattern '" + pattern + "': " + re.error()};
  return re.find(text);
}

class Evaluator {
 public:
  Json eval(const GvNode& node) {
    switch (node.kind) {
      case GvNode::kLiteral: return node.value;
      case GvNode::kParameter: throw GvError{"No parameter '" + node.value.get<std::string>() + "' found."};
      case GvNode::kList: {
        Json list = Json::array();
        const GvNode* at = node.left.get();
        while (at->kind == GvNode::kBinary && at->op == ",") {
          list.push_back(eval(*at->left));
          at = at->right.get();
        }
        list.push_back(eval(*at));
        return list;
      }
      case GvNode::kUnary: return unary(node.op, eval(*node.right));
      case GvNode::kBinary: return binary(node);
    }
    return Json();
  }

 private:
  static Json unary(const std::string& op, const Json& v) {
    if (op == "!") {
      if (!v.is_boolean()) throw GvError{type_error("prefix", v, op, "")};
      return !v.get<bool>();
    }
    if (!v.is_number()) throw GvError{type_error("prefix", v, op, "")};
    if (op == "-") return -v.get<double>();
    return static_cast<double>(~static_cast<int64_t>(v.get<double>()));
  }

  Json binary(const GvNode& node) {
    const std::string& op = node.op;
    Json left = eval(*node.left);
    if (op == "&&" || op == "||") {
      if (!left.is_boolean()) throw GvError{type_error("logical operator", left, op, ", it is not a bool")};
      if (op == "&&" && !left.get<bool>()) return false;
      if (op == "||" && left.get<bool>()) return true;
      Json right = eval(*node.right);
      if (!right.is_boolean()) throw GvError{type_error("logical operator", right, op, ", it is not a bool")};
      return right.get<bool>();
    }
    if (op == "?") {
      if (!left.is_boolean()) throw GvError{type_error("ternary operator", left, op, ", it is not a bool")};
      return left.get<bool>() ? eval(*node.right) : Json();
    }
    if (op == ":" || op == "??") return left.is_null() ? eval(*node.right) : left;
    Json right = eval(*node.right);
    if (op == "==") return left == right;
    if (op == "!=") return left != right;
    if (op == "=~" || op == "!~") {
      if (!left.is_string()) throw GvError{type_error("comparator", left, op, ", it is not a number")};
      if (!right.is_string()) throw GvError{type_error("comparator", right, op, ", it is not a number")};
      bool matched = regex_match_go(right.get<std::string>(), left.get<std::string>());
      return op == "=~" ? matched : !matched;
    }
    if (op == "in") {
      if (!right.is_array()) throw GvError{type_error("comparator", right, op, ", it is not a number")};
      for (const auto& item : right) {
        if (item == left) return true;
      }
      return false;
    }
    if (op == ">" || op == ">=" || op == "<" || op == "<=") {
      bool strings = left.is_string() && right.is_string();
      if (!strings && !(left.is_number() && right.is_number())) {
        throw GvError{type_error("comparator", left, op, ", it is not a number")};
      }
      int cmp = strings ? left.get<std::string>().compare(right.get<std::string>())
                        : (left.get<double>() < right.get<double>() ? -1 : left.get<double>() > right.get<double>() ? 1 : 0);
      if (op == ">") return cmp > 0;
      if (op == ">=") return cmp >= 0;
      if (op == "<") return cmp < 0;
      return cmp <= 0;
    }
    if (op == "+") {
      if (left.is_string() || right.is_string()) return go_sprint(left) + go_sprint(right);
      if (!(left.is_number() && right.is_number())) throw GvError{type_error("modifier", left, op, ", it is not a number")};
      return left.get<double>() + right.get<double>();
    }
    if (!left.is_number()) throw GvError{type_error("modifier", left, op, ", it is not a number")};
    if (!right.is_number()) throw GvError{type_error("modifier", right, op, ", it is not a number")};
    double a = left.get<double>(), b = right.get<double>();
    if (op == "-") return a - b;
    if (op == "*") return a * b;
    if (op == "/") return a / b;
    if (op == "%") return std::fmod(a, b);
    if (op == "**") return std::pow(a, b);
    auto ia = static_cast<int64_t>(a), ib = static_cast<int64_t>(b);
    if (op == "&") return static_cast<double>(ia & ib);
    if (op == "|") return static_cast<double>(ia | ib);
    if (op == "^") return static_cast<double>(ia ^ ib);
    auto ua = static_cast<uint64_t>(ia), ub = static_cast<uint64_t>(ib);
    if (op == "<<") return static_cast<double>(ub >= 64 ? 0 : ua << ub);
    return static_cast<double>(ub >= 64 ? 0 : ua >> ub);
  }
};

// govaluate compiles a constant pattern at parse time, so a bad regular
// expression is a parse error.
Status check_constant_patterns(const std::vector<GvToken>& tokens) {
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    const auto& token = tokens[i];
    if (token.kind != GvKind::kComparator || !token.value.is_string()) continue;
    const std::string op = token.value.get<std::string>();
    if ((op != "=~" && op != "!~") || tokens[i + 1].kind != GvKind::kString) continue;
    internal::GoRegex re(tokens[i + 1].value.get<std::string>());
    if (!re.ok()) return invalid_argument(re.error());
  }
  return Status::ok();
}

Result<GvNodePtr> plan(const std::vector<GvToken>& tokens) {
  try {
    return Planner(tokens).plan();
  } catch (const GvError& e) {
    return invalid_argument(e.message);
  }
}

}  // namespace

Result<bool> evaluate_condition(std::string_view expression) {
  if (expression.empty()) return true;
  const std::string when(expression);
  auto tokens = internal::gv_tokenize(expression);
  Status parsed = tokens.is_ok() ? check_constant_patterns(*tokens) : tokens.status();
  if (parsed.is_ok()) {
    auto first_plan = plan(*tokens);
    if (!first_plan.is_ok()) parsed = first_plan.status();
  }
  if (!parsed.is_ok()) {
    std::string message = "Invalid 'when' expression '" + when + "': " + parsed.message();
    if (parsed.message().find("Invalid token") != std::string::npos) {
      message += " (hint: try wrapping the affected expression in quotes (\"))";
    }
    return invalid_argument(message);
  }
  for (auto& token : *tokens) {
    if (token.kind == GvKind::kVariable) token.kind = GvKind::kString;
  }
  Status reparsed = internal::gv_check_syntax(*tokens);
  if (reparsed.is_ok()) reparsed = check_constant_patterns(*tokens);
  auto stages = reparsed.is_ok() ? plan(*tokens) : Result<GvNodePtr>(reparsed);
  if (!stages.is_ok()) {
    return invalid_argument("Failed to parse 'when' expression '" + when + "': " + stages.status().message());
  }
  Json result;
  try {
    result = Evaluator().eval(**stages);
  } catch (const GvError& e) {
    return invalid_argument("Failed to evaluate 'when' condition '" + when + "': " + e.message);
  }
  if (!result.is_boolean()) {
    return invalid_argument("Expected boolean evaluation for '" + when + "'. Got " + go_sprint(result));
  }
  return result.get<bool>();
}

}  // namespace skiff::expr
