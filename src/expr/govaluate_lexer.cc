#include "expr/govaluate_lexer.h"

#include <cctype>
#include <cstdlib>
#include <set>

#include "expr/go_format.h"

namespace skiff::expr::internal {
namespace {

const std::set<std::string> kPrefixSymbols = {"-", "!", "~"};
const std::set<std::string> kModifierSymbols = {"+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"};
const std::set<std::string> kLogicalSymbols = {"&&", "||"};
const std::set<std::string> kComparatorSymbols = {"==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"};
const std::set<std::string> kTernarySymbols = {"?", ":", "??"};

// Valid successors of each token kind, from govaluate's lexer states.
struct LexerState {
  GvKind kind;
  bool is_eof;
  std::vector<GvKind> next;
};

using K = GvKind;
const std::vector<LexerState>& lexer_states() {
  static const std::vector<LexerState> states = {
      {K::kUnknown, false, {K::kPrefix, K::kNumeric, K::kBoolean, K::kVariable, K::kPattern, K::kFunction, K::kAccessor, K::kString, K::kTime, K::kClause}},
      {K::kClause, false, {K::kPrefix, K::kNumeric, K::kBoolean, K::kVariable, K::kPattern, K::kFunction, K::kAccessor, K::kString, K::kTime, K::kClause, K::kClauseClose}},
      {K::kClauseClose, true, {K::kComparator, K::kModifier, K::kNumeric, K::kBoolean, K::kVariable, K::kString, K::kPattern, K::kTime, K::kClause, K::kClauseClose, K::kLogicalOp, K::kTernary, K::kSeparator}},
      {K::kNumeric, true, {K::kModifier, K::kComparator, K::kLogicalOp, K::kClauseClose, K::kTernary, K::kSeparator}},
      {K::kBoolean, true, {K::kModifier, K::kComparator, K::kLogicalOp, K::kClauseClose, K::kTernary, K::kSeparator}},
      {K::kString, true, {K::kModifier, K::kComparator, K::kLogicalOp, K::kClauseClose, K::kTernary, K::kSeparator}},
      {K::kTime, true, {K::kModifier, K::kComparator, K::kLogicalOp, K::kClauseClose, K::kSeparator}},
      {K::kPattern, true, {K::kModifier, K::kComparator, K::kLogicalOp, K::kClauseClose, K::kSeparator}},
      {K::kVariable, true, {K::kModifier, K::kComparator, K::kLogicalOp, K::kClauseClose, K::kTernary, K::kSeparator}},
      {K::kModifier, false, {K::kPrefix, K::kNumeric, K::kVariable, K::kFunction, K::kAccessor, K::kString, K::kBoolean, K::kClause, K::kClauseClose}},
      {K::kComparator, false, {K::kPrefix, K::kNumeric, K::kBoolean, K::kVariable, K::kFunction, K::kAccessor, K::kString, K::kTime, K::kClause, K::kClauseClose, K::kPattern}},
      {K::kLogicalOp, false, {K::kPrefix, K::kNumeric, K::kBoolean, K::kVariable, K::kFunction, K::kAccessor, K::kString, K::kTime, K::kClause, K::kClauseClose}},
      {K::kPrefix, false, {K::kNumeric, K::kBoolean, K::kVariable, K::kFunction, K::kAccessor, K::kClause, K::kClauseClose}},
      {K::kTernary, false, {K::kPrefix, K::kNumeric, K::kBoolean, K::kString, K::kTime, K::kVariable, K::kFunction, K::kAccessor, K::kClause, K::kSeparator}},
      {K::kFunction, false, {K::kClause}},
      {K::kAccessor, true, {K::kClause, K::kModifier, K::kComparator, K::kLogicalOp, K::kClauseClose, K::kTernary, K::kSeparator}},
      {K::kSeparator, false, {K::kPrefix, K::kNumeric, K::kBoolean, K::kString, K::kTime, K::kVariable, K::kFunction, K::kAccessor, K::kClause}},
  };
  return states;
}

const LexerState& state_for(GvKind kind) {
  for (const auto& state : lexer_states()) {
    if (state.kind == kind) return state;
  }
  return lexer_states()[0];
}

bool can_transition(const LexerState& state, GvKind kind) {
  for (GvKind next : state.next) {
    if (next == kind) return true;
  }
  return false;
}

bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_numeric(char c) { return is_digit(c) || c == '.'; }
bool is_quote(char c) { return c == '\'' || c == '"'; }
bool is_variable_char(char c) { return is_letter(c) || is_digit(c) || c == '_' || c == '.'; }
bool is_symbol_char(char c) {
  return !is_digit(c) && !is_letter(c) && c != '(' && c != ')' && c != '[' && c != ']' && !is_quote(c);
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<GvToken>> run() {
    std::vector<GvToken> tokens;
    const LexerState* state = &lexer_states()[0];
    while (pos_ < text_.size()) {
      GvToken token;
      Status status = read(*state, &token);
      if (!status.is_ok()) return status;
      if (token.kind == GvKind::kUnknown) break;
      state = &state_for(token.kind);
      tokens.push_back(std::move(token));
    }
    int parens = 0;
    for (const auto& token : tokens) {
      if (token.kind == GvKind::kClause) ++parens;
      if (token.kind == GvKind::kClauseClose) --parens;
    }
    if (parens != 0) return invalid_argument("Unbalanced parenthesis");
    SKIFF_RETURN_IF_ERROR(gv_check_syntax(tokens));
    return tokens;
  }

 private:
  // Reads while pred holds; backslash escapes the next character; stops at
  // whitespace once something was read. Returns whether a terminator was seen.
  template <typename Pred>
  bool read_while(Pred pred, bool include_space, std::string* out) {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        out->push_back(text_[pos_ + 1]);
        pos_ += 2;
        continue;
      }
      if (is_space(c)) {
        if (!include_space && !out->empty()) return true;
        if (!include_space) {
          ++pos_;
          continue;
        }
      }
      if (!pred(c)) return true;
      out->push_back(c);
      ++pos_;
    }
    return false;
  }

  Status read(const LexerState& state, GvToken* token) {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    if (pos_ >= text_.size()) return Status::ok();
    char c = text_[pos_];
    if (is_numeric(c)) return read_number(token);
    if (c == ',') {
      ++pos_;
      token->kind = GvKind::kSeparator;
      token->value = ",";
      return Status::ok();
    }
    if (c == '[') {
      ++pos_;
      std::string name;
      if (!read_while([](char ch) { return ch != ']'; }, true, &name)) {
        return invalid_argument("Unclosed parameter bracket");
      }
      ++pos_;
      token->kind = GvKind::kVariable;
      token->value = name;
      return Status::ok();
    }
    if (is_letter(c)) return read_word(token);
    if (is_quote(c)) {
      ++pos_;
      std::string s;
      if (!read_while([](char ch) { return !is_quote(ch); }, true, &s)) {
        return invalid_argument("Unclosed string literal");
      }
      ++pos_;
      double seconds = 0;
      if (parse_time(s, &seconds)) {
        token->kind = GvKind::kTime;
        token->value = seconds;
      } else {
        token->kind = GvKind::kString;
        token->value = s;
      }
      return Status::ok();
    }
    if (c == '(' || c == ')') {
      ++pos_;
      token->kind = c == '(' ? GvKind::kClause : GvKind::kClauseClose;
      token->value = std::string(1, c);
      return Status::ok();
    }
    std::string symbol;
    read_while(is_symbol_char, false, &symbol);
    token->value = symbol;
    if (can_transition(state, GvKind::kPrefix) && kPrefixSymbols.count(symbol)) {
      token->kind = GvKind::kPrefix;
    } else if (kModifierSymbols.count(symbol)) {
      token->kind = GvKind::kModifier;
    } else if (kLogicalSymbols.count(symbol)) {
      token->kind = GvKind::kLogicalOp;
    } else if (kComparatorSymbols.count(symbol)) {
      token->kind = GvKind::kComparator;
    } else if (kTernarySymbols.count(symbol)) {
      token->kind = GvKind::kTernary;
    } else {
      return invalid_argument("Invalid token: '" + symbol + "'");
    }
    return Status::ok();
  }

  Status read_number(GvToken* token) {
    if (text_[pos_] == '0' && pos_ + 2 < text_.size() + 1 && pos_ + 1 < text_.size() && text_[pos_ + 1] == 'x') {
      pos_ += 2;
      std::string hex;
      read_while([](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; }, false, &hex);
      char* end = nullptr;
      unsigned long long v = std::strtoull(hex.c_str(), &end, 16);
      if (hex.empty() || *end != '\0' || hex.size() > 16) {
        return invalid_argument("Unable to parse hex value '" + hex + "' to uint64\n");
      }
      token->kind = GvKind::kNumeric;
      token->value = static_cast<double>(v);
      return Status::ok();
    }
    std::string digits;
    read_while(is_numeric, false, &digits);
    char* end = nullptr;
    double v = std::strtod(digits.c_str(), &end);
    if (digits.empty() || *end != '\0' || digits.find('.') != digits.rfind('.') || digits == ".") {
      return invalid_argument("Unable to parse numeric value '" + digits + "' to float64\n");
    }
    token->kind = GvKind::kNumeric;
    token->value = v;
    return Status::ok();
  }

  Status read_word(GvToken* token) {
    std::string word;
    read_while(is_variable_char, false, &word);
    if (word == "true" || word == "false") {
      token->kind = GvKind::kBoolean;
      token->value = word == "true";
      return Status::ok();
    }
    if (word == "in" || word == "IN") {
      token->kind = GvKind::kComparator;
      token->value = "in";
      return Status::ok();
    }
    token->kind = GvKind::kVariable;
    token->value = word;
    if (word.find('.') != std::string::npos) {
      if (word.back() == '.') return invalid_argument("Hanging accessor on token '" + word + "'");
      token->kind = GvKind::kAccessor;
    }
    return Status::ok();
  }

  // The ISO forms of govaluate's date literals, read as UTC seconds. Dates
  // only ever compare with each other, so the zone does not change outcomes.
  static bool parse_time(const std::string& s, double* seconds) {
    if (s.find(':') == std::string::npos && s.find('-') == std::string::npos) return false;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    char tail[64] = {0};
    int n = 0;
    bool ok = false;
    if (s.size() == 10 && std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
      ok = true;
    } else if (s.size() == 16 && std::sscanf(s.c_str(), "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5 && n == 16) {
      ok = true;
    } else if (s.size() == 19 && std::sscanf(s.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 && n == 19) {
      ok = true;
    } else if (s.size() >= 20 && std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%63s", &y, &mo, &d, &h, &mi, &sec, tail) == 7 &&
               (std::string(tail) == "Z" || tail[0] == '+' || tail[0] == '-' || tail[0] == '.')) {
      ok = true;
    }
    if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
    // Days from the civil date (proleptic Gregorian).
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = static_cast<long>(era) * 146097 + doe - 719468;
    *seconds = static_cast<double>(days * 86400 + h * 3600 + mi * 60 + sec);
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string token_text(const GvToken& token) { return go_sprint(token.value); }

}  // namespace

Result<std::vector<GvToken>> gv_tokenize(std::string_view expression) { return Lexer(expression).run(); }

const char* gv_kind_name(GvKind kind) {
  switch (kind) {
    case K::kUnknown: return "UNKNOWN";
    case K::kPrefix: return "PREFIX";
    case K::kNumeric: return "NUMERIC";
    case K::kBoolean: return "BOOLEAN";
    case K::kString: return "STRING";
    case K::kPattern: return "PATTERN";
    case K::kTime: return "TIME";
    case K::kVariable: return "VARIABLE";
    case K::kFunction: return "FUNCTION";
    case K::kSeparator: return "SEPARATOR";
    case K::kAccessor: return "ACCESSOR";
    case K::kComparator: return "COMPARATOR";
    case K::kLogicalOp: return "LOGICALOP";
    case K::kModifier: return "MODIFIER";
    case K::kClause: return "CLAUSE";
    case K::kClauseClose: return "CLAUSE_CLOSE";
    case K::kTernary: return "TERNARY";
  }
  return "UNKNOWN";
}

Status gv_check_syntax(const std::vector<GvToken>& tokens) {
  const LexerState* state = &lexer_states()[0];
  const GvToken* last = nullptr;
  for (const auto& token : tokens) {
    if (!can_transition(*state, token.kind)) {
      if (last && last->kind == GvKind::kVariable && token.kind == GvKind::kClause) {
        return invalid_argument("Undefined function " + token_text(*last));
      }
      std::string from = std::string(gv_kind_name(state->kind)) + " [" + (last ? token_text(*last) : "<nil>") + "]";
      std::string to = std::string(gv_kind_name(token.kind)) + " [" + token_text(token) + "]";
      return invalid_argument("Cannot transition token types from " + from + " to " + to);
    }
    state = &state_for(token.kind);
    last = &token;
  }
  if (!state->is_eof) return invalid_argument("Unexpected end of expression");
  return Status::ok();
}

}  // namespace skiff::expr::internal
