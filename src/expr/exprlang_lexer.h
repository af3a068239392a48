// Tokens of expr-lang (github.com/expr-lang/expr).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace skiff::expr::internal {

enum class TokenKind { kIdentifier, kNumber, kString, kOperator, kBracket, kEof };

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;  // identifier, operator, bracket, number source, or decoded string
  size_t pos = 0;
};

Result<std::vector<Token>> lex_expression(std::string_view source);

}  // namespace skiff::expr::internal
