// sprig.urlParse and sprig.urlJoin, as Go's net/url splits and rebuilds a URL:
// scheme, //userinfo@host, path (percent-decoded), ?query (raw), #fragment.
#include <cctype>
#include <string>
#include <string_view>

#include "base/strings.h"
#include "expr/exprlang.h"
#include "expr/sprig.h"

namespace skiff::expr::internal {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string unescape(const std::string& s, const std::string& whole) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) fail("unable to parse url: parse \"" + whole + "\": invalid URL escape \"" + s.substr(i, 3) + "\"");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// Go's shouldEscape for paths and fragments: unreserved characters and the
// sub-delimiters a path keeps stay as they are.
std::string escape(const std::string& s, bool fragment) {
  return percent_encode(s, fragment ? "$&+,/:;=@!()*?" : "$&+,/:;=@");
}

std::string hostname_of(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    return close == std::string::npos ? host.substr(1) : host.substr(1, close - 1);
  }
  size_t colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

Json url_parse(const std::string& text) {
  std::string rest = text, scheme, fragment, query, userinfo, host, opaque, path;
  size_t hash = rest.find('#');
  if (hash != std::string::npos) {
    fragment = unescape(rest.substr(hash + 1), text);
    rest = rest.substr(0, hash);
  }
  // A scheme is a letter, then letters, digits, '+', '-' or '.', then ':'.
  if (!rest.empty() && is_alpha(rest[0])) {
    size_t i = 1;
    while (i < rest.size() && (is_alnum(rest[i]) || rest[i] == '+' || rest[i] == '-' || rest[i] == '.')) ++i;
    if (i < rest.size() && rest[i] == ':') {
      scheme = rest.substr(0, i);
      for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      rest = rest.substr(i + 1);
    }
  } else if (!rest.empty() && rest[0] == ':') {
    fail("unable to parse url: parse \"" + text + "\": missing protocol scheme");
  }
  size_t question = rest.find('?');
  if (question != std::string::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  if (!scheme.empty() && (rest.empty() || rest[0] != '/')) {
    opaque = rest;
  } else {
    if (rest.rfind("//", 0) == 0) {
      std::string authority = rest.substr(2);
      size_t slash = authority.find('/');
      if (slash != std::string::npos) {
        rest = authority.substr(slash);
        authority = authority.substr(0, slash);
      } else {
        rest.clear();
      }
      size_t at = authority.rfind('@');
      if (at != std::string::npos) {
        userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
      }
      host = unescape(authority, text);
    }
    path = unescape(rest, text);
  }
  return Json{{"scheme", scheme}, {"host", host},         {"hostname", hostname_of(host)},
              {"path", path},     {"query", query},       {"opaque", opaque},
              {"fragment", fragment}, {"userinfo", userinfo}};
}

std::string field(const Json& d, const char* key) {
  auto it = d.find(key);
  if (it == d.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// url.URL.String().
std::string url_join(const Json& d) {
  std::string scheme = field(d, "scheme"), host = field(d, "host"), path = field(d, "path"),
              query = field(d, "query"), opaque = field(d, "opaque"), fragment = field(d, "fragment"),
              userinfo = field(d, "userinfo");
  std::string out;
  if (!scheme.empty()) out += scheme + ":";
  if (!opaque.empty()) {
    out += opaque;
  } else {
    if (!scheme.empty() || !host.empty() || !userinfo.empty()) {
      if (!host.empty() || !path.empty() || !userinfo.empty()) out += "//";
      if (!userinfo.empty()) out += userinfo + "@";
      out += host;
    }
    if (!path.empty() && path[0] != '/' && !host.empty()) out += "/";
    // A relative path whose first segment has a colon would read as a scheme.
    if (out.empty() && path.find(':') != std::string::npos && path.find(':') < path.find('/')) out += "./";
    out += escape(path, false);
  }
  if (!query.empty()) out += "?" + query;
  if (!fragment.empty()) out += "#" + escape(fragment, true);
  return out;
}

}  // namespace

void add_sprig_urls(SprigTable& t) {
  t["urlParse"] = [](Args& a) {
    expect_args("urlParse", a, 1, 1);
    return url_parse(sprig_string(a[0]));
  };
  t["urlJoin"] = [](Args& a) {
    expect_args("urlJoin", a, 1, 1);
    if (!a[0].is_object()) fail("urlJoin: the argument must be a dict");
    return Json(url_join(a[0]));
  };
}

}  // namespace skiff::expr::internal
