#include "base/time.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace skiff {

std::string format_rfc3339(Time t) {
  std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<Time> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return std::nullopt;
  long long offset_seconds = 0;
  if (*end == '.') {  // fractional seconds: ignored (Argo stores whole seconds)
    ++end;
    while (*end >= '0' && *end <= '9') ++end;
  }
  if (*end == 'Z') {
    ++end;
  } else if (*end == '+' || *end == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(end + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset_seconds = (hh * 3600LL + mm * 60LL) * (*end == '+' ? 1 : -1);
    end += 6;
  } else {
    return std::nullopt;
  }
  if (*end != '\0') return std::nullopt;
  std::time_t secs = timegm(&tm) - offset_seconds;
  return Time(std::chrono::seconds(secs));
}

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) return std::chrono::seconds(std::stoll(std::string(text)));

  std::string_view rest = text;
  bool negative = false;
  if (rest.front() == '-' || rest.front() == '+') {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  double total_us = 0;
  bool any = false;
  while (!rest.empty()) {
    size_t i = 0;
    while (i < rest.size() && ((rest[i] >= '0' && rest[i] <= '9') || rest[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double value = std::stod(std::string(rest.substr(0, i)));
    rest.remove_prefix(i);
    size_t j = 0;
    while (j < rest.size() && !((rest[j] >= '0' && rest[j] <= '9') || rest[j] == '.')) ++j;
    std::string_view unit = rest.substr(0, j);
    rest.remove_prefix(j);
    double scale;
    if (unit == "h") scale = 3600e6;
    else if (unit == "m") scale = 60e6;
    else if (unit == "s") scale = 1e6;
    else if (unit == "ms") scale = 1e3;
    else if (unit == "us" || unit == "\xC2\xB5s") scale = 1;
    else if (unit == "ns") scale = 1e-3;
    else return std::nullopt;
    total_us += value * scale;
    any = true;
  }
  if (!any) return std::nullopt;
  auto us = static_cast<long long>(std::llround(total_us));
  return Duration(negative ? -us : us);
}

std::string format_duration_short(Duration d) {
  long long secs = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (secs < 0) secs = 0;
  long long h = secs / 3600, m = (secs % 3600) / 60, s = secs % 60;
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += std::to_string(s) + "s";
  return out;
}

}  // namespace skiff
