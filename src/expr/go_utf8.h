// Go's view of strings as UTF-8 (unicode/utf8 and unicode.IsSpace), for the
// functions whose results depend on runes versus bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace skiff::expr::internal {

inline constexpr char32_t kRuneError = 0xFFFD;

struct DecodedRune {
  char32_t rune;
  size_t width;  // bytes consumed; 1 for an invalid byte (rune is kRuneError)
};

// utf8.DecodeRuneInString at byte offset `at` (< s.size()).
DecodedRune decode_rune(std::string_view s, size_t at);
// utf8.RuneCountInString: each invalid byte counts as one rune.
size_t rune_count(std::string_view s);
// Appends the UTF-8 encoding of r (kRuneError for an invalid code point).
void append_rune(std::string& out, char32_t r);
// unicode.IsSpace.
bool is_go_space(char32_t r);
// The text with each invalid byte replaced by U+FFFD, as Go's JSON encoder
// writes a string that is not valid UTF-8.
std::string valid_utf8(std::string_view s);

// unicode.ToUpper, ToLower, IsUpper, IsLower and IsLetter (with the digits
// of non-Latin scripts), from the C library's Unicode tables (its built-in
// C.UTF-8 locale).
char32_t rune_upper(char32_t r);
char32_t rune_lower(char32_t r);
bool rune_is_upper(char32_t r);
bool rune_is_lower(char32_t r);
bool rune_is_letter(char32_t r);
// strings.Map over the runes of s: an invalid byte becomes U+FFFD first.
std::string map_runes(std::string_view s, char32_t (*f)(char32_t));

}  // namespace skiff::expr::internal
