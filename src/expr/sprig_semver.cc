// sprig.semver and sprig.semverCompare: Masterminds semver v3's loose
// versions ("v1.2" is 1.2.0) and its constraint language (=, !=, <, <=, >,
// >=, ~, ^, x/X/* wildcards, "1.2 - 1.4" ranges, "," or space for "and",
// "||" for "or"). A version with a prerelease only satisfies constraints
// that carry one themselves.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "expr/exprlang.h"
#include "expr/sprig.h"

namespace skiff::expr::internal {
namespace {

constexpr const char* kSemverKey = "\x01semver";

struct Version {
  uint64_t major = 0, minor = 0, patch = 0;
  std::string prerelease, metadata, original;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool ident_char(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'; }

// Dot-separated identifiers of [0-9A-Za-z-], none empty.
bool valid_identifiers(const std::string& s) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return false;
    for (char c : part) {
      if (!ident_char(c)) return false;
    }
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

bool read_number(const std::string& s, size_t& i, uint64_t* out) {
  size_t start = i;
  uint64_t n = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (n > (UINT64_MAX - 9) / 10) return false;
    n = n * 10 + static_cast<uint64_t>(s[i++] - '0');
  }
  *out = n;
  return i > start;
}

std::optional<Version> parse_version(const std::string& text) {
  Version v;
  v.original = text;
  size_t i = 0;
  if (i < text.size() && text[i] == 'v') ++i;
  if (!read_number(text, i, &v.major)) return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!read_number(text, i, &v.minor)) return std::nullopt;
    if (i < text.size() && text[i] == '.') {
      ++i;
      if (!read_number(text, i, &v.patch)) return std::nullopt;
    }
  }
  std::string rest = text.substr(i);
  size_t plus = rest.find('+');
  if (plus != std::string::npos) {
    v.metadata = rest.substr(plus + 1);
    if (!valid_identifiers(v.metadata)) return std::nullopt;
    rest = rest.substr(0, plus);
  }
  if (!rest.empty()) {
    if (rest[0] != '-') return std::nullopt;
    v.prerelease = rest.substr(1);
    if (!valid_identifiers(v.prerelease)) return std::nullopt;
  }
  return v;
}

std::string version_string(const Version& v) {
  std::string s = std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
  if (!v.prerelease.empty()) s += "-" + v.prerelease;
  if (!v.metadata.empty()) s += "+" + v.metadata;
  return s;
}

bool numeric(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

// Semver's precedence: numeric identifiers below alphanumeric ones, numbers
// by value, text by bytes, and a longer list above its own prefix.
int compare_prerelease(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  if (a.empty()) return 1;  // a release outranks its prereleases
  if (b.empty()) return -1;
  auto xs = split_dots(a), ys = split_dots(b);
  for (size_t i = 0; i < xs.size() && i < ys.size(); ++i) {
    const std::string &x = xs[i], &y = ys[i];
    if (x == y) continue;
    bool nx = numeric(x), ny = numeric(y);
    if (nx && ny) {
      std::string tx = x.substr(std::min(x.find_first_not_of('0'), x.size()));
      std::string ty = y.substr(std::min(y.find_first_not_of('0'), y.size()));
      if (tx.size() != ty.size()) return tx.size() < ty.size() ? -1 : 1;
      if (tx != ty) return tx < ty ? -1 : 1;
      continue;
    }
    if (nx) return -1;
    if (ny) return 1;
    return x < y ? -1 : 1;
  }
  if (xs.size() == ys.size()) return 0;
  return xs.size() < ys.size() ? -1 : 1;
}

int compare(const Version& a, const Version& b) {
  for (auto [x, y] : {std::pair{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}}) {
    if (x != y) return x < y ? -1 : 1;
  }
  return compare_prerelease(a.prerelease, b.prerelease);
}

struct Constraint {
  std::string op;
  Version v;
  bool dirty = false, minor_dirty = false, patch_dirty = false;
};

bool is_wild(const std::string& s) { return s == "x" || s == "X" || s == "*"; }

[[noreturn]] void improper(const std::string& text) { fail("improper constraint: " + text); }

Constraint parse_constraint(const std::string& op, const std::string& text, const std::string& whole) {
  Constraint c;
  c.op = op;
  std::string core = text, tail;
  size_t cut = core.find_first_of("-+");
  if (cut != std::string::npos) {
    tail = core.substr(cut);
    core = core.substr(0, cut);
  }
  if (!core.empty() && (core[0] == 'v' || core[0] == 'V')) core = core.substr(1);
  std::vector<std::string> parts = split_dots(core);
  if (parts.size() > 3) improper(whole);
  for (const auto& p : parts) {
    if (!numeric(p) && !is_wild(p)) improper(whole);
  }
  std::string rebuilt;
  if (parts.empty() || is_wild(parts[0])) {
    c.dirty = true;
    rebuilt = "0.0.0";
  } else if (parts.size() < 2 || is_wild(parts[1])) {
    c.dirty = c.minor_dirty = true;
    rebuilt = parts[0] + ".0.0";
  } else if (parts.size() < 3 || is_wild(parts[2])) {
    c.dirty = c.patch_dirty = true;
    rebuilt = parts[0] + "." + parts[1] + ".0";
  } else {
    rebuilt = parts[0] + "." + parts[1] + "." + parts[2];
  }
  auto v = parse_version(rebuilt + tail);
  if (!v) improper(whole);
  c.v = *v;
  return c;
}

bool tilde(const Version& v, const Constraint& c) {
  if (compare(v, c.v) < 0) return false;
  // ~0.0.0 (and "*") accepts everything.
  if (c.v.major == 0 && c.v.minor == 0 && c.v.patch == 0 && !c.minor_dirty && !c.patch_dirty) return true;
  if (v.major != c.v.major) return false;
  if (v.minor != c.v.minor && !c.minor_dirty) return false;
  return true;
}

bool caret(const Version& v, const Constraint& c) {
  if (compare(v, c.v) < 0) return false;
  if (c.v.major > 0 || c.minor_dirty) return v.major == c.v.major;
  if (v.major > 0) return false;
  if (c.v.minor > 0 || c.patch_dirty) return v.minor == c.v.minor;
  if (v.minor > 0) return false;
  return v.patch == c.v.patch;
}

bool check(const Version& v, const Constraint& c) {
  if (!v.prerelease.empty() && c.v.prerelease.empty()) return false;
  const std::string& op = c.op;
  const int cmp = compare(v, c.v);
  if (op.empty() || op == "=") return c.dirty ? tilde(v, c) : cmp == 0;
  if (op == "!=") {
    if (!c.dirty) return cmp != 0;
    if (v.major != c.v.major) return true;
    if (c.minor_dirty) return false;
    if (v.minor != c.v.minor) return true;
    return false;
  }
  if (op == ">") {
    if (!c.dirty) return cmp > 0;
    if (v.major != c.v.major) return v.major > c.v.major;
    if (c.minor_dirty) return false;
    if (c.patch_dirty) return v.minor > c.v.minor;
    return cmp > 0;
  }
  if (op == ">=" || op == "=>") return cmp >= 0;
  if (op == "<") return cmp < 0;
  if (op == "<=" || op == "=<") {
    if (!c.dirty) return cmp <= 0;
    if (v.major != c.v.major) return v.major < c.v.major;
    if (c.minor_dirty) return true;
    if (c.patch_dirty) return v.minor <= c.v.minor;
    return cmp <= 0;
  }
  if (op == "~" || op == "~>") return tilde(v, c);
  return caret(v, c);  // "^"
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// One "and" group: "op version" terms separated by commas or spaces, with
// "a - b" meaning ">= a, <= b".
std::vector<Constraint> parse_group(const std::string& group, const std::string& whole) {
  std::vector<std::string> tokens;
  std::string token;
  for (char ch : group) {
    if (ch == ',' || ch == ' ' || ch == '\t') {
      if (!token.empty()) tokens.push_back(token);
      if (ch == ',') tokens.push_back(",");
      token.clear();
    } else {
      token += ch;
    }
  }
  if (!token.empty()) tokens.push_back(token);
  std::vector<Constraint> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == ",") continue;
    if (i + 2 < tokens.size() && tokens[i + 1] == "-") {
      out.push_back(parse_constraint(">=", tokens[i], whole));
      out.push_back(parse_constraint("<=", tokens[i + 2], whole));
      i += 2;
      continue;
    }
    std::string t = tokens[i];
    size_t n = 0;
    while (n < t.size() && std::string_view("=!<>~^").find(t[n]) != std::string_view::npos) ++n;
    std::string op = t.substr(0, n), rest = t.substr(n);
    static const char* kOps[] = {"", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"};
    bool known = false;
    for (const char* k : kOps) known = known || op == k;
    if (!known) improper(whole);
    if (rest.empty()) {
      // "op version" written with a space in between.
      if (i + 1 >= tokens.size() || tokens[i + 1] == ",") improper(whole);
      rest = tokens[++i];
    }
    out.push_back(parse_constraint(op, rest, whole));
  }
  if (out.empty()) improper(whole);
  return out;
}

bool satisfies(const std::string& constraint, const Version& v) {
  std::vector<std::vector<Constraint>> groups;
  size_t start = 0;
  while (true) {
    size_t bar = constraint.find("||", start);
    groups.push_back(parse_group(trim(constraint.substr(start, bar == std::string::npos ? std::string::npos : bar - start)), constraint));
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  for (const auto& group : groups) {
    bool all = true;
    for (const auto& c : group) all = all && check(v, c);
    if (all) return true;
  }
  return false;
}

Version require_version(const std::string& text) {
  auto v = parse_version(text);
  if (!v) fail("Invalid Semantic Version");
  return *v;
}

Json make_semver(const Version& v) { return Json{{kSemverKey, v.original}}; }

Version version_of(const Json& v) { return *parse_version(v.at(kSemverKey).get<std::string>()); }

Version version_arg(const std::string& method, const Args& a) {
  expect_args(method, a, 1, 1);
  if (is_semver(a[0])) return version_of(a[0]);
  fail(method + ": the argument must be a version (sprig.semver(...))");
}

}  // namespace

bool is_semver(const Json& v) { return v.is_object() && v.size() == 1 && v.contains(kSemverKey); }

std::string semver_text(const Json& v) { return version_string(version_of(v)); }

Json call_semver_method(const Json& subject, const std::string& name, Args& a) {
  const Version v = version_of(subject);
  auto none = [&] { expect_args(name, a, 0, 0); };
  if (name == "Major") return none(), int_value(static_cast<int64_t>(v.major));
  if (name == "Minor") return none(), int_value(static_cast<int64_t>(v.minor));
  if (name == "Patch") return none(), int_value(static_cast<int64_t>(v.patch));
  if (name == "Prerelease") return none(), Json(v.prerelease);
  if (name == "Metadata") return none(), Json(v.metadata);
  if (name == "Original") return none(), Json(v.original);
  if (name == "String") return none(), Json(version_string(v));
  if (name == "Compare") return int_value(compare(v, version_arg(name, a)));
  if (name == "LessThan") return Json(compare(v, version_arg(name, a)) < 0);
  if (name == "GreaterThan") return Json(compare(v, version_arg(name, a)) > 0);
  if (name == "Equal") return Json(compare(v, version_arg(name, a)) == 0);
  fail("type *semver.Version has no method " + name);
}

void add_sprig_semver(SprigTable& t) {
  t["semver"] = [](Args& a) {
    expect_args("semver", a, 1, 1);
    return make_semver(require_version(sprig_string(a[0])));
  };
  t["semverCompare"] = [](Args& a) {
    expect_args("semverCompare", a, 2, 2);
    std::string constraint = sprig_string(a[0]);
    // Sprig parses the constraint first, so its error wins.
    satisfies(constraint, Version{});
    return Json(satisfies(constraint, require_version(sprig_string(a[1]))));
  };
}

}  // namespace skiff::expr::internal
