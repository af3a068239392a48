// Tokens of the govaluate language (github.com/Knetic/govaluate v3), which
// Argo uses for `when` after substitution.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace skiff::expr::internal {

enum class GvKind {
  kUnknown, kPrefix, kNumeric, kBoolean, kString, kPattern, kTime, kVariable, kFunction,
  kSeparator, kAccessor, kComparator, kLogicalOp, kModifier, kClause, kClauseClose, kTernary,
};

const char* gv_kind_name(GvKind kind);

struct GvToken {
  GvKind kind = GvKind::kUnknown;
  nlohmann::json value;  // number (double), bool, string, or operator text
};

// Splits an expression into tokens, checking parenthesis balance and the
// token order as govaluate's parser does. Error texts are govaluate's.
Result<std::vector<GvToken>> gv_tokenize(std::string_view expression);
// govaluate's syntax check over a token list.
Status gv_check_syntax(const std::vector<GvToken>& tokens);

}  // namespace skiff::expr::internal
