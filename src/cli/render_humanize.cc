// Times, durations and JSON access as argo's CLI presents them. Argo formats
// with Go's time package and argoproj/pkg/humanize; the tables below follow
// their documented thresholds so the text is the same to the character.
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>

#include "cli/render_internal.h"

namespace skiff::cli::render_detail {

using nlohmann::json;

const json& field(const json& j, std::string_view key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string text(const json& j, std::string_view key) {
  const json& v = field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

const json& items(const json& j, std::string_view key) {
  static const json kEmpty = json::array();
  const json& v = field(j, key);
  return v.is_array() ? v : kEmpty;
}

std::string scalar_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

Time go_zero_time() {
  // Seconds from 0001-01-01 to the Unix epoch.
  return Time(std::chrono::seconds(-62135596800LL));
}

Time time_field(const json& j, std::string_view key) {
  std::string value = text(j, key);
  if (value.empty()) return go_zero_time();
  auto parsed = parse_rfc3339(value);
  return parsed ? *parsed : go_zero_time();
}

bool is_zero(Time t) { return t == go_zero_time(); }

namespace {

constexpr int64_t kSecond = 1'000'000;  // microseconds
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;
constexpr int64_t kMonth = 30 * kDay;
constexpr int64_t kYear = 12 * kMonth;
constexpr int64_t kLongTime = 37 * kYear;
// Go's time.Duration is int64 nanoseconds; Time.Sub saturates at its maximum.
constexpr int64_t kMaxGoDuration = std::numeric_limits<int64_t>::max() / 1000;
constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

// One row of a humanize table: differences below `below` use `format`, where
// "%d" is the difference divided by `unit` and "%s" the direction label.
struct Magnitude {
  int64_t below;
  const char* format;
  int64_t unit;
};

const Magnitude kAgoMagnitudes[] = {
    {kSecond, "now", kSecond},
    {2 * kSecond, "1 second %s", 1},
    {kMinute, "%d seconds %s", kSecond},
    {2 * kMinute, "1 minute %s", 1},
    {kHour, "%d minutes %s", kMinute},
    {2 * kHour, "1 hour %s", 1},
    {kDay, "%d hours %s", kHour},
    {2 * kDay, "1 day %s", 1},
    {kWeek, "%d days %s", kDay},
    {2 * kWeek, "1 week %s", 1},
    {kMonth, "%d weeks %s", kWeek},
    {2 * kMonth, "1 month %s", 1},
    {kYear, "%d months %s", kMonth},
    {18 * kMonth, "1 year %s", 1},
    {2 * kYear, "2 years %s", 1},
    {kLongTime, "%d years %s", kYear},
    {kForever, "a long while %s", 1},
};

const Magnitude kShortMagnitudes[] = {
    {kSecond, "0s", kSecond},
    {2 * kSecond, "1s %s", 1},
    {kMinute, "%ds %s", kSecond},
    {2 * kMinute, "1m %s", 1},
    {kHour, "%dm %s", kMinute},
    {2 * kHour, "1h %s", 1},
    {kDay, "%dh %s", kHour},
    {2 * kDay, "1d %s", 1},
    {kWeek, "%dd %s", kDay},
};

std::string trim_spaces(std::string s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

// The difference b - a (or a - b with the other label), in words.
template <size_t N>
std::string relative(Time a, Time b, const std::string& before_label, const std::string& after_label,
                     const Magnitude (&table)[N]) {
  int64_t diff = (b - a).count();
  std::string label = before_label;
  if (a > b) {
    label = after_label;
    diff = (a - b).count();
  }
  if (diff > kMaxGoDuration) diff = kMaxGoDuration;
  size_t n = 0;
  while (n < N && table[n].below <= diff) ++n;
  if (n >= N) n = N - 1;
  const Magnitude& m = table[n];
  std::string out;
  for (const char* p = m.format; *p; ++p) {
    if (p[0] == '%' && p[1] == 'd') {
      out += std::to_string(diff / m.unit);
      ++p;
    } else if (p[0] == '%' && p[1] == 's') {
      out += label;
      ++p;
    } else {
      out += *p;
    }
  }
  return trim_spaces(out);
}

// A duration reads like an instant's distance, except that under a second
// it is "0 seconds", not "now".
std::string truncated_duration(Duration d) {
  std::string text = relative(go_zero_time(), go_zero_time() + d, "", "", kAgoMagnitudes);
  return text == "now" ? "0 seconds" : text;
}

}  // namespace

std::string relative_duration_short(Time start, Time finish, Time now) {
  if (is_zero(finish) && !is_zero(start)) finish = now;
  return relative(start, finish, "", "", kShortMagnitudes);
}

std::string humanize_duration(Duration d) {
  double seconds = static_cast<double>(d.count()) / kSecond;
  int64_t whole_seconds = d.count() / kSecond;
  if (seconds < 60.0) return truncated_duration(d);
  if (seconds < 3600.0) {
    return truncated_duration(d) + " " + std::to_string(whole_seconds % 60) + " seconds";
  }
  if (seconds < 86400.0) {
    return truncated_duration(d) + " " + std::to_string((whole_seconds / 60) % 60) + " minutes";
  }
  return truncated_duration(d) + " " + std::to_string((whole_seconds / 3600) % 24) + " hours";
}

std::string local_clock(Time t, std::chrono::seconds utc_offset, const char* strftime_format) {
  std::time_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch() + utc_offset).count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, strftime_format, &tm);
  long long minutes = utc_offset.count() / 60;
  long long abs_minutes = minutes < 0 ? -minutes : minutes;
  char zone[32];
  std::snprintf(zone, sizeof zone, "%c%02lld%02lld", minutes < 0 ? '-' : '+', abs_minutes / 60,
                abs_minutes % 60);
  return std::string(buf) + " " + zone;
}

std::string humanize_timestamp(Time t, const RenderOptions& options) {
  return local_clock(t, options.utc_offset, "%a %b %d %H:%M:%S") + " (" +
         relative(t, options.now, "ago", "from now", kAgoMagnitudes) + ")";
}

std::string go_duration_string(long long seconds) {
  std::string sign;
  if (seconds < 0) {
    sign = "-";
    seconds = -seconds;
  }
  long long h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
  if (h > 0) return sign + std::to_string(h) + "h" + std::to_string(m) + "m" + std::to_string(s) + "s";
  if (m > 0) return sign + std::to_string(m) + "m" + std::to_string(s) + "s";
  return sign + std::to_string(s) + "s";
}

std::string ansi(std::string_view s, int code, const RenderOptions& options) {
  if (!options.color) return std::string(s);
  return "\x1b[" + std::to_string(code) + "m" + std::string(s) + "\x1b[0m";
}

}  // namespace skiff::cli::render_detail
