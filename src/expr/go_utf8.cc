#include "expr/go_utf8.h"

#include <locale.h>
#include <wctype.h>

namespace skiff::expr::internal {

DecodedRune decode_rune(std::string_view s, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = byte(at);
  if (c < 0x80) return {c, 1};
  size_t width = 0;
  char32_t rune = 0, min = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    width = 2, rune = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    width = 3, rune = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    width = 4, rune = c & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (at + width > s.size()) return {kRuneError, 1};
  for (size_t i = 1; i < width; ++i) {
    const unsigned char next = byte(at + i);
    if ((next & 0xC0) != 0x80) return {kRuneError, 1};
    rune = (rune << 6) | (next & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  if (rune < min || (rune >= 0xD800 && rune <= 0xDFFF) || rune > 0x10FFFF) return {kRuneError, 1};
  return {rune, width};
}

size_t rune_count(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); i += decode_rune(s, i).width) ++count;
  return count;
}

void append_rune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

bool is_go_space(char32_t r) {
  switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    DecodedRune d = decode_rune(s, i);
    if (d.rune == kRuneError && d.width == 1) {
      append_rune(out, kRuneError);
    } else {
      out.append(s.substr(i, d.width));
    }
    i += d.width;
  }
  return out;
}

namespace {

// glibc's C.UTF-8 locale is built in (no locale files are read); without it
// only ASCII letters change case.
locale_t unicode_ctype() {
  static const locale_t locale = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return locale;
}

}  // namespace

char32_t rune_upper(char32_t r) {
  if (r < 0x80 || !unicode_ctype()) return r >= 'a' && r <= 'z' ? r - 'a' + 'A' : r;
  return static_cast<char32_t>(::towupper_l(static_cast<wint_t>(r), unicode_ctype()));
}

char32_t rune_lower(char32_t r) {
  if (r < 0x80 || !unicode_ctype()) return r >= 'A' && r <= 'Z' ? r - 'A' + 'a' : r;
  return static_cast<char32_t>(::towlower_l(static_cast<wint_t>(r), unicode_ctype()));
}

bool rune_is_upper(char32_t r) {
  if (r < 0x80 || !unicode_ctype()) return r >= 'A' && r <= 'Z';
  return ::iswupper_l(static_cast<wint_t>(r), unicode_ctype()) != 0;
}

bool rune_is_lower(char32_t r) {
  if (r < 0x80 || !unicode_ctype()) return r >= 'a' && r <= 'z';
  return ::iswlower_l(static_cast<wint_t>(r), unicode_ctype()) != 0;
}

// glibc's alpha class also holds the digits of scripts other than Latin
// (POSIX keeps `digit` to 0-9), which is what callers asking "letter or
// digit" want.
bool rune_is_letter(char32_t r) {
  if (r < 0x80 || !unicode_ctype()) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  return ::iswalpha_l(static_cast<wint_t>(r), unicode_ctype()) != 0;
}

std::string map_runes(std::string_view s, char32_t (*f)(char32_t)) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    DecodedRune d = decode_rune(s, i);
    append_rune(out, f(d.rune));
    i += d.width;
  }
  return out;
}

}  // namespace skiff::expr::internal
