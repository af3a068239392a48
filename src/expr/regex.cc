#include "expr/regex.h"

#include <algorithm>

#include <re2/re2.h>

namespace skiff::expr::internal {
namespace {

using re2::RE2;

// Go's regexp/syntax error texts for RE2's error codes.
const char* go_error_text(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape: return "invalid escape sequence";
    case RE2::ErrorBadCharClass: return "invalid character class";
    case RE2::ErrorBadCharRange: return "invalid character class range";
    case RE2::ErrorMissingBracket: return "missing closing ]";
    case RE2::ErrorMissingParen: return "missing closing )";
    case RE2::ErrorUnexpectedParen: return "unexpected )";
    case RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize: return "invalid repeat count";
    case RE2::ErrorRepeatOp: return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8: return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture: return "invalid named capture";
    case RE2::ErrorPatternTooLarge: return "expression too large";
    default: return "regexp/syntax: internal error";
  }
}

// Compiled programs are capped so a hostile pattern ("(a{1000}){1000}")
// fails to compile instead of taking memory.
constexpr int64_t kMaxProgramMemory = 8 << 20;

size_t utf8_width(std::string_view text, size_t pos) {
  if (pos >= text.size()) return 1;
  unsigned char c = static_cast<unsigned char>(text[pos]);
  size_t width = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  return std::min(width, text.size() - pos);
}

bool is_name_byte(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u >= 0x80 || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

GoRegex::GoRegex(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxProgramMemory);
  re_ = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re_->ok()) {
    std::string arg = re_->error_arg();
    if (re_->error_code() == RE2::ErrorPatternTooLarge) arg = std::string(pattern);
    error_ = std::string("error parsing regexp: ") + go_error_text(re_->error_code()) + ": `" + arg + "`";
  }
}

GoRegex::~GoRegex() = default;
GoRegex::GoRegex(GoRegex&&) noexcept = default;

bool GoRegex::find(std::string_view text) const {
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

std::optional<std::string> GoRegex::find_first(std::string_view text) const {
  re2::StringPiece whole(text.data(), text.size()), match;
  if (!re_->Match(whole, 0, whole.size(), RE2::UNANCHORED, &match, 1)) return std::nullopt;
  return std::string(match.data(), match.size());
}

std::vector<std::pair<size_t, size_t>> GoRegex::find_all(std::string_view text, int64_t n) const {
  std::vector<std::pair<size_t, size_t>> out;
  re2::StringPiece whole(text.data(), text.size()), match;
  size_t pos = 0;
  std::optional<size_t> previous_end;
  while ((n < 0 || static_cast<int64_t>(out.size()) < n) && pos <= text.size()) {
    if (!re_->Match(whole, pos, whole.size(), RE2::UNANCHORED, &match, 1)) break;
    size_t start = static_cast<size_t>(match.data() - text.data());
    size_t end = start + match.size();
    bool accept = true;
    if (end == pos) {
      // An empty match right after the previous match is not another match.
      if (previous_end && start == *previous_end) accept = false;
      pos += utf8_width(text, pos);
    } else {
      pos = end;
    }
    previous_end = end;
    if (accept) out.emplace_back(start, end);
  }
  return out;
}

std::string GoRegex::expand(std::string_view tmpl, const std::vector<std::string_view>& groups) const {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t dollar = tmpl.find('$', i);
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(i, dollar - i));
    i = dollar + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out += '$';
      ++i;
      continue;
    }
    bool brace = i < tmpl.size() && tmpl[i] == '{';
    size_t start = brace ? i + 1 : i, end = start;
    while (end < tmpl.size() && is_name_byte(tmpl[end])) ++end;
    if (end == start || (brace && (end >= tmpl.size() || tmpl[end] != '}'))) {
      out += '$';  // malformed: the '$' is plain text
      continue;
    }
    std::string_view name = tmpl.substr(start, end - start);
    i = brace ? end + 1 : end;
    long long number = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || number >= 100000000) {
        number = -1;
        break;
      }
      number = number * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') number = -1;
    if (number < 0) {
      const auto& named = re_->NamedCapturingGroups();
      auto it = named.find(std::string(name));
      if (it != named.end()) number = it->second;
    }
    if (number >= 0 && static_cast<size_t>(number) < groups.size() && groups[number].data() != nullptr) {
      out.append(groups[number]);
    }
  }
  if (i < tmpl.size()) out.append(tmpl.substr(i));
  return out;
}

std::string GoRegex::replace_all(std::string_view text, std::string_view replacement, bool literal) const {
  const int groups_count = re_->NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(groups_count));
  std::vector<std::string_view> groups(static_cast<size_t>(groups_count));
  re2::StringPiece whole(text.data(), text.size());
  std::string out;
  size_t last_end = 0, search = 0;
  while (search <= text.size()) {
    if (!re_->Match(whole, search, whole.size(), RE2::UNANCHORED, pieces.data(), groups_count)) break;
    size_t start = static_cast<size_t>(pieces[0].data() - text.data());
    size_t end = start + pieces[0].size();
    out.append(text.substr(last_end, start - last_end));
    // No replacement for an empty match right after another match.
    if (end > last_end || start == 0) {
      if (literal) {
        out.append(replacement);
      } else {
        for (int g = 0; g < groups_count; ++g) {
          groups[g] = pieces[g].data() ? std::string_view(pieces[g].data(), pieces[g].size()) : std::string_view();
        }
        out += expand(replacement, groups);
      }
    }
    last_end = end;
    size_t width = utf8_width(text, search);
    if (search + width > end) search += width;
    else if (search + 1 > end) search += 1;
    else search = end;
  }
  if (last_end < text.size()) out.append(text.substr(last_end));
  return out;
}

std::vector<std::string> GoRegex::split(std::string_view text, int64_t n) const {
  std::vector<std::string> out;
  if (n == 0) return out;
  if (!re_->pattern().empty() && text.empty()) return {""};
  size_t begin = 0, end = 0;
  for (const auto& [start, stop] : find_all(text, n)) {
    if (n > 0 && static_cast<int64_t>(out.size()) == n - 1) break;
    end = start;
    if (stop != 0) out.emplace_back(text.substr(begin, end - begin));
    begin = stop;
  }
  if (end != text.size()) out.emplace_back(text.substr(begin));
  return out;
}

}  // namespace skiff::expr::internal
