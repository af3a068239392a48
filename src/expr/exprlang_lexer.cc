#include "expr/exprlang_lexer.h"

#include <algorithm>
#include <cctype>

#include "expr/exprlang.h"
#include "expr/go_utf8.h"

namespace skiff::expr::internal {
namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_ident_char(char c) { return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Result<std::vector<Token>> run() {
    while (true) {
      skip_space_and_comments();
      if (!error_.empty()) return invalid_argument(located_error(src_, error_pos_, error_));
      if (pos_ >= src_.size()) break;
      size_t start = pos_;
      char c = src_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && pos_ + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])) &&
           !(start > 0 && src_[start - 1] == '.'))) {
        number();
      } else if (c == '"' || c == '\'') {
        quoted(c);
      } else if (c == '`') {
        raw();
      } else if (is_ident_start(c)) {
        while (pos_ < src_.size() && is_ident_char(src_[pos_])) ++pos_;
        add(TokenKind::kIdentifier, std::string(src_.substr(start, pos_ - start)), start);
      } else if (c == '#') {
        ++pos_;
        while (pos_ < src_.size() && is_ident_char(src_[pos_])) ++pos_;
        add(TokenKind::kOperator, std::string(src_.substr(start, pos_ - start)), start);
      } else if (std::string_view("()[]{}").find(c) != std::string_view::npos) {
        ++pos_;
        add(TokenKind::kBracket, std::string(1, c), start);
      } else {
        operator_token();
      }
      if (!error_.empty()) return invalid_argument(located_error(src_, error_pos_, error_));
    }
    add(TokenKind::kEof, "", src_.size());
    return std::move(tokens_);
  }

 private:
  void add(TokenKind kind, std::string text, size_t pos) { tokens_.push_back(Token{kind, std::move(text), pos}); }
  void fail(size_t pos, std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
      error_pos_ = pos;
    }
  }

  void skip_space_and_comments() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (src_.substr(pos_, 2) == "//") {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else if (src_.substr(pos_, 2) == "/*") {
        size_t end = src_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) {
          fail(pos_, "unclosed comment");
          pos_ = src_.size();
          return;
        }
        pos_ = end + 2;
      } else {
        return;
      }
    }
  }

  void number() {
    size_t start = pos_;
    auto digits = [&](auto pred) {
      while (pos_ < src_.size() && (pred(src_[pos_]) || src_[pos_] == '_')) ++pos_;
    };
    auto dec = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    if (src_[pos_] == '0' && pos_ + 1 < src_.size() && std::string_view("xXoObB").find(src_[pos_ + 1]) != std::string_view::npos) {
      pos_ += 2;
      digits([](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
    } else {
      digits(dec);
      // "1..3" is a range, not a float.
      if (pos_ + 1 < src_.size() && src_[pos_] == '.' && src_[pos_ + 1] != '.' ) {
        ++pos_;
        digits(dec);
      } else if (pos_ + 1 == src_.size() && pos_ < src_.size() && src_[pos_] == '.') {
        ++pos_;
      }
      if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) ++pos_;
        digits(dec);
      }
    }
    if (pos_ < src_.size() && is_ident_start(src_[pos_])) {
      fail(pos_, "bad number syntax: \"" + std::string(src_.substr(start, pos_ - start + 1)) + "\"");
      return;
    }
    add(TokenKind::kNumber, std::string(src_.substr(start, pos_ - start)), start);
  }

  bool hex_value(size_t count, uint32_t* out) {
    *out = 0;
    for (size_t i = 0; i < count; ++i) {
      if (pos_ >= src_.size() || !std::isxdigit(static_cast<unsigned char>(src_[pos_]))) return false;
      char c = src_[pos_++];
      *out = *out * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
    }
    return true;
  }

  void quoted(char quote) {
    size_t start = pos_++;
    std::string value;
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') {
        fail(start, "literal not terminated");
        return;
      }
      char c = src_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        value.push_back(c);
        continue;
      }
      if (pos_ >= src_.size()) continue;
      char e = src_[pos_++];
      uint32_t cp = 0;
      switch (e) {
        case 'a': value.push_back('\a'); break;
        case 'b': value.push_back('\b'); break;
        case 'f': value.push_back('\f'); break;
        case 'n': value.push_back('\n'); break;
        case 'r': value.push_back('\r'); break;
        case 't': value.push_back('\t'); break;
        case 'v': value.push_back('\v'); break;
        case '\\': value.push_back('\\'); break;
        case '\'': value.push_back('\''); break;
        case '"': value.push_back('"'); break;
        case 'x':
          if (!hex_value(2, &cp)) return fail(pos_, "invalid char escape");
          value.push_back(static_cast<char>(cp));
          break;
        case 'u':
          if (!hex_value(4, &cp)) return fail(pos_, "invalid char escape");
          append_utf8(cp, &value);
          break;
        case 'U':
          if (!hex_value(8, &cp) || cp > 0x10FFFF) return fail(pos_, "invalid char escape");
          append_utf8(cp, &value);
          break;
        default:
          if (e >= '0' && e <= '7' && pos_ + 1 < src_.size()) {
            cp = static_cast<uint32_t>((e - '0') * 64 + (src_[pos_] - '0') * 8 + (src_[pos_ + 1] - '0'));
            pos_ += 2;
            value.push_back(static_cast<char>(cp));
            break;
          }
          return fail(pos_ - 1, "invalid char escape");
      }
    }
    add(TokenKind::kString, std::move(value), start);
  }

  void raw() {
    size_t start = pos_++;
    size_t end = src_.find('`', pos_);
    if (end == std::string_view::npos) return fail(start, "literal not terminated");
    add(TokenKind::kString, std::string(src_.substr(pos_, end - pos_)), start);
    pos_ = end + 1;
  }

  void operator_token() {
    static const char* kOperators[] = {"?.", "??", "...", "..", "==", "!=", "<=", ">=", "&&", "||", "**",
                                       "+", "-", "*", "/", "%", "^", "<", ">", "!", "?", ":", ".", ",", "|", ";", "="};
    for (const char* op : kOperators) {
      std::string_view o(op);
      if (src_.substr(pos_, o.size()) == o) {
        // "a?.5:1" is a ternary with a float, not optional chaining.
        if (o == "?." && pos_ + 2 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_ + 2]))) continue;
        add(TokenKind::kOperator, std::string(o), pos_);
        pos_ += o.size();
        return;
      }
    }
    fail(pos_, "unrecognized character: U+" + hex4(static_cast<unsigned char>(src_[pos_])) + " '" + std::string(1, src_[pos_]) + "'");
  }

  static std::string hex4(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%04X", v);
    return buf;
  }

  std::string_view src_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
  std::string error_;
  size_t error_pos_ = 0;
};

}  // namespace

Result<std::vector<Token>> lex_expression(std::string_view source) { return Lexer(source).run(); }

std::string located_error(std::string_view source, size_t pos, const std::string& message) {
  if (pos > source.size()) pos = source.size();
  size_t line_start = source.rfind('\n', pos == 0 ? 0 : pos - 1);
  line_start = (line_start == std::string_view::npos || pos == 0) ? 0 : line_start + 1;
  if (pos > 0 && source[pos - 1] == '\n') line_start = pos;
  size_t line_end = source.find('\n', pos);
  if (line_end == std::string_view::npos) line_end = source.size();
  size_t line = 1;
  for (size_t i = 0; i < line_start; ++i) line += source[i] == '\n';
  // expr-lang counts columns in runes, shows tabs as spaces, and draws no
  // pointer when a multi-byte character comes before or at the position.
  std::string snippet(source.substr(line_start, line_end - line_start));
  std::replace(snippet.begin(), snippet.end(), '\t', ' ');
  const size_t column = rune_count(source.substr(line_start, pos - line_start));
  std::string out = message + " (" + std::to_string(line) + ":" + std::to_string(column + 1) + ")\n | " + snippet;
  const size_t at = pos - line_start;
  bool plain = true;
  for (size_t i = 0; i <= at && i < snippet.size() && plain; ++i) plain = decode_rune(snippet, i).width == 1;
  if (plain) out += "\n | " + std::string(column, '.') + "^";
  return out;
}

}  // namespace skiff::expr::internal
