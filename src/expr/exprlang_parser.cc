// expr-lang grammar: precedence climbing with expr-lang's operator table.
#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

#include "expr/exprlang.h"
#include "expr/exprlang_lexer.h"

namespace skiff::expr::internal {
namespace {

struct ParseError {
  size_t pos;
  std::string message;
};

struct OperatorInfo {
  int precedence;
  bool right_associative;
};

const std::map<std::string, OperatorInfo>& binary_operators() {
  static const std::map<std::string, OperatorInfo> ops = {
      {"or", {10, false}},  {"||", {10, false}},       {"and", {15, false}},      {"&&", {15, false}},
      {"==", {20, false}},  {"!=", {20, false}},       {"<", {20, false}},        {">", {20, false}},
      {">=", {20, false}},  {"<=", {20, false}},       {"in", {20, false}},       {"matches", {20, false}},
      {"contains", {20, false}}, {"startsWith", {20, false}}, {"endsWith", {20, false}},
      {"..", {25, false}},  {"+", {30, false}},        {"-", {30, false}},        {"*", {60, false}},
      {"/", {60, false}},   {"%", {60, false}},        {"**", {100, true}},       {"^", {100, true}},
      {"??", {500, false}},
  };
  return ops;
}

const std::map<std::string, int>& unary_operators() {
  static const std::map<std::string, int> ops = {{"not", 50}, {"!", 50}, {"-", 90}, {"+", 90}};
  return ops;
}

// Builtins whose later arguments are predicates (closures over #).
const std::map<std::string, size_t>& predicate_builtins() {
  static const std::map<std::string, size_t> fns = {
      {"all", 1},     {"none", 1},      {"any", 1},     {"one", 1},          {"filter", 1},
      {"map", 1},     {"count", 1},     {"sum", 1},     {"find", 1},         {"findIndex", 1},
      {"findLast", 1}, {"findLastIndex", 1}, {"groupBy", 1}, {"sortBy", 1}, {"reduce", 1},
  };
  return fns;
}

class Parser {
 public:
  Parser(std::string_view source, std::vector<Token> tokens) : source_(source), tokens_(std::move(tokens)) {}

  NodePtr parse() {
    NodePtr root = expression(0);
    if (current().kind != TokenKind::kEof) fail(current().pos, "unexpected token " + describe(current()));
    return root;
  }

 private:
  const Token& current() const { return tokens_[pos_]; }
  const Token& peek(size_t ahead = 1) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  bool is(TokenKind kind, std::string_view text) const { return current().kind == kind && current().text == text; }
  bool is_op(std::string_view text) const { return is(TokenKind::kOperator, text); }
  bool is_bracket(std::string_view text) const { return is(TokenKind::kBracket, text); }

  [[noreturn]] void fail(size_t pos, std::string message) const { throw ParseError{pos, std::move(message)}; }

  static std::string describe(const Token& token) {
    switch (token.kind) {
      case TokenKind::kIdentifier: return "Identifier(\"" + token.text + "\")";
      case TokenKind::kNumber: return "Number(\"" + token.text + "\")";
      case TokenKind::kString: return "String(\"" + token.text + "\")";
      case TokenKind::kOperator: return "Operator(\"" + token.text + "\")";
      case TokenKind::kBracket: return "Bracket(\"" + token.text + "\")";
      case TokenKind::kEof: return "EOF";
    }
    return "";
  }

  void expect(TokenKind kind, std::string_view text) {
    if (!is(kind, text)) fail(current().pos, "unexpected token " + describe(current()));
    ++pos_;
  }

  NodePtr node(NodeKind kind, size_t pos, std::vector<NodePtr> children = {}) {
    auto n = std::make_unique<Node>();
    n->kind = kind;
    n->pos = pos;
    for (auto& child : children) {
      n->depth = std::max(n->depth, child->depth + 1);
      n->children.push_back(std::move(child));
    }
    if (n->depth > kMaxTreeDepth) fail(pos, "expression is nested too deeply");
    return n;
  }
  NodePtr literal(Json value, size_t pos) {
    auto n = node(NodeKind::kLiteral, pos);
    n->value = std::move(value);
    return n;
  }
  template <typename... Args>
  std::vector<NodePtr> list(Args&&... args) {
    std::vector<NodePtr> v;
    (v.push_back(std::forward<Args>(args)), ...);
    return v;
  }

  struct Nesting {
    explicit Nesting(Parser* p) : parser(p) {
      if (++parser->nesting_ > kMaxTreeDepth) parser->fail(parser->current().pos, "expression is nested too deeply");
    }
    ~Nesting() { --parser->nesting_; }
    Parser* parser;
  };

  NodePtr expression(int precedence) {
    Nesting guard(this);
    if (precedence == 0 && is(TokenKind::kIdentifier, "let")) return let_expression();
    NodePtr left = unary();
    while (true) {
      const Token& token = current();
      std::string op = token.text;
      bool negate = false;
      if (token.kind == TokenKind::kIdentifier && op == "not") {
        const Token& next = peek();
        if (next.kind != TokenKind::kIdentifier || !binary_operators().count(next.text) ||
            binary_operators().at(next.text).precedence != 20) {
          break;
        }
        negate = true;
        op = next.text;
      } else if (token.kind != TokenKind::kOperator && token.kind != TokenKind::kIdentifier) {
        break;
      }
      auto it = binary_operators().find(op);
      if (it == binary_operators().end() || it->second.precedence < precedence) break;
      if (token.kind == TokenKind::kIdentifier && !negate &&
          std::set<std::string>{"and", "or", "in", "matches", "contains", "startsWith", "endsWith"}.count(op) == 0) {
        break;
      }
      size_t op_pos = token.pos;
      pos_ += negate ? 2 : 1;
      int next_precedence = it->second.right_associative ? it->second.precedence : it->second.precedence + 1;
      NodePtr right = expression(next_precedence);
      auto bin = node(NodeKind::kBinary, op_pos, list(std::move(left), std::move(right)));
      bin->name = op;
      left = std::move(bin);
      if (negate) {
        auto neg = node(NodeKind::kUnary, op_pos, list(std::move(left)));
        neg->name = "not";
        left = std::move(neg);
      }
    }
    if (precedence == 0) left = conditional_and_pipes(std::move(left));
    return left;
  }

  NodePtr conditional_and_pipes(NodePtr left) {
    while (true) {
      if (is_op("?")) {
        size_t at = current().pos;
        ++pos_;
        NodePtr then_branch = expression(0);
        expect(TokenKind::kOperator, ":");
        NodePtr else_branch = expression(0);
        left = node(NodeKind::kConditional, at, list(std::move(left), std::move(then_branch), std::move(else_branch)));
      } else if (is_op("|")) {
        ++pos_;
        if (current().kind != TokenKind::kIdentifier) fail(current().pos, "expected function call after |");
        Token name = current();
        ++pos_;
        left = call(name, std::move(left));
      } else {
        return left;
      }
    }
  }

  NodePtr let_expression() {
    size_t at = current().pos;
    ++pos_;
    if (current().kind != TokenKind::kIdentifier) fail(current().pos, "expected variable name after let");
    std::string name = current().text;
    ++pos_;
    expect(TokenKind::kOperator, "=");
    NodePtr value = expression(0);
    expect(TokenKind::kOperator, ";");
    NodePtr body = expression(0);
    auto n = node(NodeKind::kLet, at, list(std::move(value), std::move(body)));
    n->name = name;
    return n;
  }

  NodePtr unary() {
    const Token& token = current();
    auto it = unary_operators().find(token.text);
    bool is_unary = it != unary_operators().end() &&
                    ((token.kind == TokenKind::kOperator && token.text != "not") ||
                     (token.kind == TokenKind::kIdentifier && token.text == "not"));
    if (!is_unary) return postfix(primary());
    size_t at = token.pos;
    std::string op = token.text;
    ++pos_;
    NodePtr operand = expression(it->second);
    auto n = node(NodeKind::kUnary, at, list(std::move(operand)));
    n->name = op == "!" ? "not" : op;
    return postfix(std::move(n));
  }

  NodePtr primary() {
    Nesting guard(this);
    const Token token = current();
    switch (token.kind) {
      case TokenKind::kNumber: ++pos_; return number(token);
      case TokenKind::kString: ++pos_; return literal(token.text, token.pos);
      case TokenKind::kIdentifier: return identifier();
      case TokenKind::kBracket:
        if (token.text == "(") {
          ++pos_;
          NodePtr inner = expression(0);
          expect(TokenKind::kBracket, ")");
          return inner;
        }
        if (token.text == "[") return array_literal();
        if (token.text == "{") return map_literal();
        break;
      case TokenKind::kOperator:
        if (token.text == "#" || token.text == "#index" || token.text == "#acc") {
          ++pos_;
          auto n = node(NodeKind::kPointer, token.pos);
          n->name = token.text.substr(1);
          return n;
        }
        if (token.text == "." && peek().kind == TokenKind::kIdentifier) {
          // ".name" inside a predicate is "#.name".
          ++pos_;
          auto pointer = node(NodeKind::kPointer, token.pos);
          auto property = literal(current().text, current().pos);
          ++pos_;
          return node(NodeKind::kMember, token.pos, list(std::move(pointer), std::move(property)));
        }
        break;
      case TokenKind::kEof:
        fail(token.pos, "unexpected end of expression");
    }
    fail(token.pos, "unexpected token " + describe(token));
  }

  NodePtr number(const Token& token) {
    std::string text;
    for (char c : token.text) {
      if (c != '_') text.push_back(c);
    }
    errno = 0;
    char* end = nullptr;
    if (text.size() > 1 && text[0] == '0' && std::string_view("xXoObB").find(text[1]) != std::string_view::npos) {
      int base = (text[1] == 'x' || text[1] == 'X') ? 16 : (text[1] == 'o' || text[1] == 'O') ? 8 : 2;
      long long v = std::strtoll(text.c_str() + 2, &end, base);
      if (errno != 0 || *end != '\0' || text.size() == 2) fail(token.pos, "invalid integer literal: " + token.text);
      return literal(static_cast<int64_t>(v), token.pos);
    }
    if (text.find_first_of(".eE") != std::string::npos) {
      double v = std::strtod(text.c_str(), &end);
      if (*end != '\0') fail(token.pos, "invalid float literal: " + token.text);
      return literal(v, token.pos);
    }
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') fail(token.pos, "invalid integer literal: " + token.text);
    return literal(static_cast<int64_t>(v), token.pos);
  }

  NodePtr identifier() {
    Token token = current();
    ++pos_;
    if (token.text == "nil") return literal(Json(), token.pos);
    if (token.text == "true" || token.text == "false") return literal(token.text == "true", token.pos);
    if (is_bracket("(")) return call(token, nullptr);
    auto n = node(NodeKind::kIdentifier, token.pos);
    n->name = token.text;
    return n;
  }

  NodePtr closure() {
    size_t at = current().pos;
    NodePtr body;
    if (is_bracket("{")) {
      ++pos_;
      body = expression(0);
      expect(TokenKind::kBracket, "}");
    } else {
      body = expression(0);
    }
    return node(NodeKind::kClosure, at, list(std::move(body)));
  }

  // name(args...), with `piped` as the first argument when it came through |.
  NodePtr call(const Token& name, NodePtr piped) {
    auto callee = node(NodeKind::kIdentifier, name.pos);
    callee->name = name.text;
    return arguments(std::move(callee), std::move(piped), name.text);
  }

  NodePtr arguments(NodePtr callee, NodePtr piped, const std::string& name) {
    size_t at = callee->pos;
    expect(TokenKind::kBracket, "(");
    std::vector<NodePtr> children;
    children.push_back(std::move(callee));
    if (piped) children.push_back(std::move(piped));
    bool takes_predicate = predicate_builtins().count(name) > 0;
    while (!is_bracket(")")) {
      // The second argument of a predicate builtin is a closure over #.
      if (takes_predicate && children.size() == 2) {
        children.push_back(closure());
      } else {
        children.push_back(expression(0));
      }
      if (!is_op(",")) break;
      ++pos_;
    }
    expect(TokenKind::kBracket, ")");
    return node(NodeKind::kCall, at, std::move(children));
  }

  NodePtr array_literal() {
    size_t at = current().pos;
    ++pos_;
    std::vector<NodePtr> items;
    while (!is_bracket("]")) {
      items.push_back(expression(0));
      if (!is_op(",")) break;
      ++pos_;
    }
    expect(TokenKind::kBracket, "]");
    return node(NodeKind::kArray, at, std::move(items));
  }

  NodePtr map_literal() {
    size_t at = current().pos;
    ++pos_;
    std::vector<NodePtr> items;
    while (!is_bracket("}")) {
      const Token& key = current();
      if (key.kind == TokenKind::kIdentifier || key.kind == TokenKind::kString || key.kind == TokenKind::kNumber) {
        items.push_back(literal(key.text, key.pos));
        ++pos_;
      } else if (is_bracket("(")) {
        ++pos_;
        items.push_back(expression(0));
        expect(TokenKind::kBracket, ")");
      } else {
        fail(key.pos, "a map key must be a quoted string, a number, a identifier, or an expression enclosed in parentheses (unclosed parenthesis)");
      }
      expect(TokenKind::kOperator, ":");
      items.push_back(expression(0));
      if (!is_op(",")) break;
      ++pos_;
    }
    expect(TokenKind::kBracket, "}");
    return node(NodeKind::kMap, at, std::move(items));
  }

  NodePtr postfix(NodePtr subject) {
    while (true) {
      const Token& token = current();
      bool optional = false;
      if (token.kind == TokenKind::kOperator && (token.text == "." || token.text == "?.")) {
        optional = token.text == "?.";
        size_t at = token.pos;
        ++pos_;
        if (optional && is_bracket("[")) {
          subject = index_or_slice(std::move(subject), true);
          continue;
        }
        if (current().kind != TokenKind::kIdentifier) fail(current().pos, "expected name");
        Token name = current();
        ++pos_;
        auto member = node(NodeKind::kMember, at, list(std::move(subject), literal(name.text, name.pos)));
        member->optional = optional;
        if (is_bracket("(")) {
          subject = arguments(std::move(member), nullptr, "");
        } else {
          subject = std::move(member);
        }
      } else if (token.kind == TokenKind::kBracket && token.text == "[") {
        subject = index_or_slice(std::move(subject), false);
      } else {
        return subject;
      }
    }
  }

  NodePtr index_or_slice(NodePtr subject, bool optional) {
    size_t at = current().pos;
    expect(TokenKind::kBracket, "[");
    NodePtr from, to;
    if (is_op(":")) {
      ++pos_;
      from = literal(Json(), at);
      to = is_bracket("]") ? literal(Json(), at) : expression(0);
      expect(TokenKind::kBracket, "]");
      return node(NodeKind::kSlice, at, list(std::move(subject), std::move(from), std::move(to)));
    }
    NodePtr index = expression(0);
    if (is_op(":")) {
      ++pos_;
      to = is_bracket("]") ? literal(Json(), at) : expression(0);
      expect(TokenKind::kBracket, "]");
      return node(NodeKind::kSlice, at, list(std::move(subject), std::move(index), std::move(to)));
    }
    expect(TokenKind::kBracket, "]");
    auto member = node(NodeKind::kMember, at, list(std::move(subject), std::move(index)));
    member->optional = optional;
    return member;
  }

  std::string_view source_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int nesting_ = 0;
};

}  // namespace

Result<NodePtr> parse_expression(std::string_view source) {
  auto tokens = lex_expression(source);
  if (!tokens.is_ok()) return tokens.status();
  try {
    return Parser(source, std::move(tokens).value()).parse();
  } catch (const ParseError& e) {
    return invalid_argument(located_error(source, e.pos, e.message));
  }
}

}  // namespace skiff::expr::internal
