// expr-lang's string and encoding builtins.
#include "expr/builtins.h"
#include "expr/go_utf8.h"
#include "expr/exprlang.h"

namespace skiff::expr::internal {
namespace {

std::string trim_chars(const std::string& s, const std::string& chars, bool left, bool right) {
  size_t b = 0, e = s.size();
  if (left) {
    while (b < e && chars.find(s[b]) != std::string::npos) ++b;
  }
  if (right) {
    while (e > b && chars.find(s[e - 1]) != std::string::npos) --e;
  }
  return s.substr(b, e - b);
}

const std::string kWhitespace = " \t\n\r\v\f";

const std::string kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

void add_string_builtins(BuiltinTable& t) {
  const BuiltinTable entries = {
      {"trim", [](Args& a) {
         expect_args("trim", a, 1, 2);
         return Json(trim_chars(string_arg("trim", a, 0), a.size() > 1 ? string_arg("trim", a, 1) : kWhitespace, true, true));
       }},
      {"trimPrefix", [](Args& a) {
         expect_args("trimPrefix", a, 1, 2);
         std::string s = string_arg("trimPrefix", a, 0);
         std::string p = a.size() > 1 ? string_arg("trimPrefix", a, 1) : " ";
         return Json(s.rfind(p, 0) == 0 ? s.substr(p.size()) : s);
       }},
      {"trimSuffix", [](Args& a) {
         expect_args("trimSuffix", a, 1, 2);
         std::string s = string_arg("trimSuffix", a, 0);
         std::string p = a.size() > 1 ? string_arg("trimSuffix", a, 1) : " ";
         bool ends = s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
         return Json(ends ? s.substr(0, s.size() - p.size()) : s);
       }},
      {"upper", [](Args& a) {
         expect_args("upper", a, 1, 1);
         return Json(internal::map_runes(string_arg("upper", a, 0), internal::rune_upper));
       }},
      {"lower", [](Args& a) {
         expect_args("lower", a, 1, 1);
         return Json(internal::map_runes(string_arg("lower", a, 0), internal::rune_lower));
       }},
      {"split", [](Args& a) {
         expect_args("split", a, 2, 3);
         const std::string& s = string_arg("split", a, 0);
         const std::string& sep = string_arg("split", a, 1);
         int64_t limit = a.size() > 2 ? as_int64(a[2]) : -1;
         Json out = Json::array();
         if (limit == 0) return out;
         if (sep.empty()) {
           for (char c : s) out.push_back(std::string(1, c));
           return out;
         }
         size_t start = 0;
         while (limit < 0 || static_cast<int64_t>(out.size()) < limit - 1) {
           size_t at = s.find(sep, start);
           if (at == std::string::npos) break;
           out.push_back(s.substr(start, at - start));
           start = at + sep.size();
         }
         out.push_back(s.substr(start));
         return out;
       }},
      {"replace", [](Args& a) {
         expect_args("replace", a, 3, 3);
         std::string s = string_arg("replace", a, 0);
         const std::string& from = string_arg("replace", a, 1);
         const std::string& to = string_arg("replace", a, 2);
         if (from.empty()) return Json(s);
         std::string out;
         size_t start = 0, at;
         while ((at = s.find(from, start)) != std::string::npos) {
           out += s.substr(start, at - start) + to;
           start = at + from.size();
           if (out.size() > kMaxStringSize) fail("result too large");
         }
         return Json(out + s.substr(start));
       }},
      {"repeat", [](Args& a) {
         expect_args("repeat", a, 2, 2);
         const std::string& s = string_arg("repeat", a, 0);
         int64_t n = as_int64(a[1]);
         if (n < 0) fail("strings: negative Repeat count");
         if (static_cast<double>(s.size()) * static_cast<double>(n) > static_cast<double>(kMaxStringSize)) fail("result too large");
         std::string out;
         for (int64_t i = 0; i < n; ++i) out += s;
         return Json(out);
       }},
      {"join", [](Args& a) {
         expect_args("join", a, 1, 2);
         if (!a[0].is_array()) fail("invalid argument for join (type " + go_type_name(a[0]) + ")");
         std::string sep = a.size() > 1 ? string_arg("join", a, 1) : "";
         std::string out;
         for (size_t i = 0; i < a[0].size(); ++i) {
           if (i) out += sep;
           out += a[0][i].is_string() ? a[0][i].get<std::string>() : to_go_string(a[0][i]);
         }
         return Json(out);
       }},
      {"indexOf", [](Args& a) {
         expect_args("indexOf", a, 2, 2);
         size_t at = string_arg("indexOf", a, 0).find(string_arg("indexOf", a, 1));
         return int_value(at == std::string::npos ? -1 : static_cast<int64_t>(at));
       }},
      {"lastIndexOf", [](Args& a) {
         expect_args("lastIndexOf", a, 2, 2);
         size_t at = string_arg("lastIndexOf", a, 0).rfind(string_arg("lastIndexOf", a, 1));
         return int_value(at == std::string::npos ? -1 : static_cast<int64_t>(at));
       }},
      {"hasPrefix", [](Args& a) {
         expect_args("hasPrefix", a, 2, 2);
         return Json(string_arg("hasPrefix", a, 0).rfind(string_arg("hasPrefix", a, 1), 0) == 0);
       }},
      {"hasSuffix", [](Args& a) {
         expect_args("hasSuffix", a, 2, 2);
         const std::string& s = string_arg("hasSuffix", a, 0);
         const std::string& p = string_arg("hasSuffix", a, 1);
         return Json(s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0);
       }},
      {"toBase64", [](Args& a) {
         expect_args("toBase64", a, 1, 1);
         const std::string& s = string_arg("toBase64", a, 0);
         std::string out;
         for (size_t i = 0; i < s.size(); i += 3) {
           uint32_t n = static_cast<unsigned char>(s[i]) << 16;
           if (i + 1 < s.size()) n |= static_cast<unsigned char>(s[i + 1]) << 8;
           if (i + 2 < s.size()) n |= static_cast<unsigned char>(s[i + 2]);
           out += kBase64[(n >> 18) & 63];
           out += kBase64[(n >> 12) & 63];
           out += i + 1 < s.size() ? kBase64[(n >> 6) & 63] : '=';
           out += i + 2 < s.size() ? kBase64[n & 63] : '=';
         }
         return Json(out);
       }},
      {"fromBase64", [](Args& a) {
         expect_args("fromBase64", a, 1, 1);
         const std::string& s = string_arg("fromBase64", a, 0);
         std::string out;
         uint32_t buffer = 0;
         int bits = 0;
         for (char c : s) {
           if (c == '=') break;
           size_t v = kBase64.find(c);
           if (v == std::string::npos) fail("illegal base64 data");
           buffer = (buffer << 6) | static_cast<uint32_t>(v);
           bits += 6;
           if (bits >= 8) {
             bits -= 8;
             out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
           }
         }
         return Json(out);
       }},
  };
  t.insert(entries.begin(), entries.end());
}

}  // namespace skiff::expr::internal
