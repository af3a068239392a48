// DAG `depends` logic: which tasks a task waits for, and whether it runs once
// they are done. The grammar is small: task results joined by &&, || and !,
// with parentheses; a bare task name means "succeeded, skipped or daemoned".
#include "engine/depends.h"

#include <cctype>

namespace skiff::engine {

namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

class DependsParser {
 public:
  DependsParser(std::string_view text, const TaskResultLookup& lookup) : text_(text), lookup_(lookup) {}

  Result<bool> parse() {
    auto value = parse_or();
    if (!value) return value;
    skip_space();
    if (pos_ != text_.size()) return error("unexpected '" + std::string(1, text_[pos_]) + "'");
    return value;
  }

 private:
  Result<bool> parse_or() {
    auto left = parse_and();
    if (!left) return left;
    bool value = *left;
    while (consume("||")) {
      auto right = parse_and();
      if (!right) return right;
      value = value || *right;
    }
    return value;
  }

  Result<bool> parse_and() {
    auto left = parse_unary();
    if (!left) return left;
    bool value = *left;
    while (consume("&&")) {
      auto right = parse_unary();
      if (!right) return right;
      value = value && *right;
    }
    return value;
  }

  Result<bool> parse_unary() {
    if (++depth_ > 200) return error("expression nested too deeply");
    Result<bool> out = false;
    if (consume("!")) {
      auto inner = parse_unary();
      out = inner ? Result<bool>(!*inner) : inner;
    } else if (consume("(")) {
      auto inner = parse_or();
      if (inner && !consume(")")) inner = error("missing ')'");
      out = inner;
    } else {
      out = parse_term();
    }
    --depth_;
    return out;
  }

  Result<bool> parse_term() {
    skip_space();
    size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    if (start == pos_) return error("expected a task name");
    std::string task(text_.substr(start, pos_ - start));
    std::string result;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      size_t rstart = ++pos_;
      while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      result = std::string(text_.substr(rstart, pos_ - rstart));
    }
    return lookup_(task, result);
  }

  bool consume(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  Status error(const std::string& what) const {
    return invalid_argument("invalid depends '" + std::string(text_) + "': " + what + " at position " +
                            std::to_string(pos_ + 1));
  }

  std::string_view text_;
  const TaskResultLookup& lookup_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

std::vector<std::string> depends_task_names(std::string_view depends) {
  std::vector<std::string> names;
  size_t i = 0;
  while (i < depends.size()) {
    if (!is_name_char(depends[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < depends.size() && is_name_char(depends[i])) ++i;
    std::string name(depends.substr(start, i - start));
    if (i < depends.size() && depends[i] == '.') {  // skip ".Result"
      ++i;
      while (i < depends.size() && std::isalpha(static_cast<unsigned char>(depends[i]))) ++i;
    }
    bool seen = false;
    for (const auto& n : names) seen = seen || n == name;
    if (!seen) names.push_back(std::move(name));
  }
  return names;
}

Result<bool> evaluate_depends(std::string_view depends, const TaskResultLookup& lookup) {
  return DependsParser(depends, lookup).parse();
}

}  // namespace skiff::engine
