// Go's regexp package, as Argo's expressions (govaluate `=~`, expr-lang
// `matches`, sprig's regex* functions) use it, run with RE2: Go's regexp
// implements RE2's syntax, and RE2 matches in linear time without recursion,
// so hostile patterns and texts cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace re2 {
class RE2;
}

namespace skiff::expr::internal {

class GoRegex {
 public:
  // Compiles pattern. When it is not a valid Go regular expression, error()
  // holds Go's message: "error parsing regexp: missing closing ): `(a`".
  explicit GoRegex(std::string_view pattern);
  ~GoRegex();
  GoRegex(GoRegex&&) noexcept;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // MatchString: whether text contains a match.
  bool find(std::string_view text) const;
  // FindString: the leftmost match, or nothing.
  std::optional<std::string> find_first(std::string_view text) const;
  // FindAllStringIndex: [start, end) of up to n successive matches (n < 0:
  // all), skipping an empty match right after a previous match, as Go does.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text, int64_t n) const;
  // ReplaceAllString (template expanded: $1, ${name}, $$) or, when literal,
  // ReplaceAllLiteralString.
  std::string replace_all(std::string_view text, std::string_view replacement, bool literal) const;
  // Split: at most n pieces (n < 0: all; n == 0: none).
  std::vector<std::string> split(std::string_view text, int64_t n) const;

 private:
  std::string expand(std::string_view tmpl, const std::vector<std::string_view>& groups) const;

  std::unique_ptr<re2::RE2> re_;
  std::string error_;
};

}  // namespace skiff::expr::internal
