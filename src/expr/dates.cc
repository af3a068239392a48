#include "expr/dates.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "expr/exprlang.h"
#include "expr/sprig.h"
#include "expr/zones.h"

namespace skiff::expr::internal {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kZeroToUnixSeconds = 62135596800LL;  // year 1 to 1970

GoTime require_clock(const std::optional<GoTime>& now, const std::string& name) {
  if (!now) fail(name + ": the evaluation has no clock");
  return *now;
}

GoTime in_utc(GoTime t) { return in_zone(std::move(t), ""); }

const std::string& zone_arg(const std::string& name, const Args& a, size_t i) {
  const std::string& zone = string_arg(name, a, i);
  if (!known_zone(zone)) fail("unknown time zone " + zone);
  return zone;
}

// expr-lang's date(): a time, or text in one of the layouts it tries.
Json expr_date(Args& a, const std::optional<GoTime>&) {
  expect_args("date", a, 1, 3);
  if (is_time(a[0])) return a[0];
  const std::string& text = string_arg("date", a, 0);
  const std::string zone = a.size() == 3 ? zone_arg("date", a, 2) : std::string();
  std::string error;
  GoTime t;
  if (a.size() >= 2) {
    if (!parse_go_time(string_arg("date", a, 1), text, &t, &error, zone)) fail(error);
    return make_time(t);
  }
  static const char* kLayouts[] = {
      "2006-01-02",
      "15:04:05",
      "2006-01-02 15:04:05",
      "2006-01-02T15:04:05Z07:00",
      "2006-01-02T15:04:05.999999999Z07:00",
      "02 Jan 06 15:04 MST",
      "02 Jan 06 15:04 -0700",
      "Monday, 02-Jan-06 15:04:05 MST",
      "Mon, 02 Jan 2006 15:04:05 MST",
      "Mon, 02 Jan 2006 15:04:05 -0700",
      "Mon Jan _2 15:04:05 2006",
      "Mon Jan _2 15:04:05 MST 2006",
      "Mon Jan 02 15:04:05 -0700 2006",
      "3:04PM",
  };
  for (const char* layout : kLayouts) {
    if (parse_go_time(layout, text, &t, &error, zone)) return make_time(t);
  }
  fail("invalid date " + text);
}

Json expr_duration(Args& a) {
  expect_args("duration", a, 1, 1);
  int64_t nanos = 0;
  std::string error;
  if (!parse_go_duration(string_arg("duration", a, 0), &nanos, &error)) fail(error);
  return make_duration(nanos);
}

// Sprig's reading of a date argument: a time, a whole number of seconds since
// the epoch, or (anything else) the current time.
// Sprig's zone argument: one it cannot load falls back to UTC, as sprig's
// dateInZone does; without one, Go's Local (UTC here).
std::string sprig_zone(const Args& a, size_t i) {
  if (a.size() <= i) return "";
  std::string zone = sprig_string(a[i]);
  return known_zone(zone) ? zone : "";
}

GoTime sprig_time(const Json& v, const std::optional<GoTime>& now, const std::string& name) {
  if (is_time(v)) return time_of(v);
  if (v.is_number_integer()) return GoTime{as_int64(v), 0, 0};
  return require_clock(now, name);
}

GoTime time_arg(const std::string& name, const Args& a, size_t i) {
  if (!is_time(a[i])) fail("wrong type for value; expected time.Time; got " + go_type_name(a[i]) + " (in " + name + ")");
  return time_of(a[i]);
}

int64_t duration_arg(const std::string& name, const Args& a, size_t i) {
  if (is_duration(a[i])) return duration_of(a[i]);
  if (a[i].is_number_integer()) return as_int64(a[i]);
  fail("cannot use " + go_type_name(a[i]) + " as argument (type time.Duration) to call " + name);
}

std::string round_duration(int64_t d) {
  uint64_t u = d < 0 ? static_cast<uint64_t>(0) - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
  const uint64_t second = kSecond, minute = 60 * second, hour = 60 * minute, day = 24 * hour, month = 30 * day,
                 year = 365 * day;
  if (u > year) return std::to_string(u / year) + "y";
  if (u > month) return std::to_string(u / month) + "mo";
  if (u > day) return std::to_string(u / day) + "d";
  if (u > hour) return std::to_string(u / hour) + "h";
  if (u > minute) return std::to_string(u / minute) + "m";
  if (u > second) return std::to_string(u / second) + "s";
  return "0s";
}

// Rounds d to a multiple of m (halfway away from zero), as Duration.Round.
int64_t round_to(int64_t d, int64_t m) {
  if (m <= 0) return d;
  int64_t r = d % m;
  if (d < 0) {
    r = -r;
    if (r + r < m) return d + r;
    return d - m + r;
  }
  if (r + r < m) return d - r;
  return d + m - r;
}

// Time.Truncate / Time.Round: relative to the zero time, as Go measures.
GoTime time_truncate(const GoTime& t, int64_t d, bool round) {
  if (d <= 0) return t;
  __int128 since_zero = (static_cast<__int128>(t.seconds) + kZeroToUnixSeconds) * kSecond + t.nanos;
  __int128 r = since_zero % d;
  __int128 shift = -r;
  if (round && r + r >= d) shift = d - r;
  __int128 result = since_zero + shift;
  GoTime out = t;
  out.seconds = static_cast<int64_t>(result / kSecond) - kZeroToUnixSeconds;
  out.nanos = static_cast<int32_t>(result % kSecond);
  return out;
}

GoTime add_date(const GoTime& t, int64_t years, int64_t months, int64_t days) {
  // Work on the wall clock, then shift back by the offset.
  int64_t local = t.seconds + t.offset_seconds;
  int64_t day_number = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  int64_t in_day = local - day_number * 86400;
  GoTime civil{day_number * 86400, 0, 0};
  int64_t year = std::stoll(format_go_time("2006", civil)) + years;
  int64_t month = std::stoll(format_go_time("1", civil)) - 1 + months;
  int64_t day = std::stoll(format_go_time("2", civil));
  year += month >= 0 ? month / 12 : -((-month + 11) / 12);
  month = ((month % 12) + 12) % 12;
  GoTime first;
  std::string error;
  char text[32];
  std::snprintf(text, sizeof text, "%04lld-%02lld-01", static_cast<long long>(year), static_cast<long long>(month + 1));
  if (!parse_go_time("2006-01-02", text, &first, &error)) fail("AddDate: year out of range");
  GoTime out = t;
  out.seconds = first.seconds + (day - 1 + days) * 86400 + in_day - t.offset_seconds;
  return out;
}

}  // namespace

std::optional<GoTime> clock_of(const Json& env) {
  if (!env.is_object()) return std::nullopt;
  auto it = env.find(kClockKey);
  if (it == env.end() || !it->is_string()) return std::nullopt;
  const std::string& text = it->get_ref<const std::string&>();
  char* end = nullptr;
  long long nanos = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') return std::nullopt;
  return add_duration(GoTime{}, nanos);
}

bool is_date_builtin(const std::string& name) {
  return name == "now" || name == "date" || name == "duration" || name == "timezone";
}

Json call_date_builtin(const std::string& name, Args& a, const std::optional<GoTime>& now) {
  if (name == "now") {
    expect_args("now", a, 0, 0);
    return make_time(require_clock(now, "now()"));
  }
  if (name == "date") return expr_date(a, now);
  if (name == "duration") return expr_duration(a);
  expect_args("timezone", a, 1, 1);
  const std::string& zone = zone_arg("timezone", a, 0);
  return Json(zone.empty() ? "UTC" : zone);
}

bool is_sprig_date_function(const std::string& name) {
  static const char* kNames[] = {"now",        "ago",         "date",          "dateInZone",     "date_in_zone",
                                 "htmlDate",   "htmlDateInZone", "dateModify", "date_modify",    "mustDateModify",
                                 "must_date_modify", "toDate", "mustToDate",   "unixEpoch",      "duration",
                                 "durationRound"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

Json call_sprig_date(const std::string& name, Args& a, const std::optional<GoTime>& now) {
  if (name == "now") {
    expect_args(name, a, 0, 0);
    return make_time(require_clock(now, "sprig.now"));
  }
  if (name == "ago") {
    expect_args(name, a, 1, 1);
    int64_t since = time_difference(require_clock(now, "sprig.ago"), sprig_time(a[0], now, name));
    return Json(format_go_duration(round_to(since, kSecond)));
  }
  if (name == "date" || name == "dateInZone" || name == "date_in_zone") {
    expect_args(name, a, name == "date" ? 2 : 3, name == "date" ? 2 : 3);
    return Json(format_go_time(sprig_string(a[0]), in_zone(sprig_time(a[1], now, name), sprig_zone(a, 2))));
  }
  if (name == "htmlDate" || name == "htmlDateInZone") {
    expect_args(name, a, name == "htmlDate" ? 1 : 2, name == "htmlDate" ? 1 : 2);
    return Json(format_go_time("2006-01-02", in_zone(sprig_time(a[0], now, name), sprig_zone(a, 1))));
  }
  if (name == "dateModify" || name == "date_modify" || name == "mustDateModify" || name == "must_date_modify") {
    expect_args(name, a, 2, 2);
    GoTime t = time_arg(name, a, 1);
    int64_t nanos = 0;
    std::string error;
    if (!parse_go_duration(sprig_string(a[0]), &nanos, &error)) {
      if (name[0] == 'm') fail(error);
      return make_time(t);
    }
    return make_time(add_duration(t, nanos));
  }
  if (name == "toDate" || name == "mustToDate") {
    expect_args(name, a, 2, 2);
    GoTime t;
    std::string error;
    if (!parse_go_time(sprig_string(a[0]), sprig_string(a[1]), &t, &error)) {
      if (name == "mustToDate") fail(error);
      return make_time(zero_go_time());
    }
    return make_time(t);
  }
  if (name == "unixEpoch") {
    expect_args(name, a, 1, 1);
    return Json(std::to_string(time_arg(name, a, 0).seconds));
  }
  if (name == "duration") {
    expect_args(name, a, 1, 1);
    int64_t seconds = sprig_int(a[0]);
    const int64_t limit = std::numeric_limits<int64_t>::max() / kSecond;
    if (seconds > limit || seconds < -limit) fail("duration: " + std::to_string(seconds) + " seconds is out of range");
    return Json(format_go_duration(seconds * kSecond));
  }
  // durationRound: a duration text, a count of nanoseconds, or the time since a time.
  expect_args(name, a, 1, 1);
  int64_t d = 0;
  if (a[0].is_string()) {
    std::string error;
    if (!parse_go_duration(a[0].get_ref<const std::string&>(), &d, &error)) d = 0;
  } else if (is_duration(a[0])) {
    d = duration_of(a[0]);
  } else if (is_time(a[0])) {
    d = time_difference(require_clock(now, "sprig.durationRound"), time_of(a[0]));
  }
  return Json(round_duration(d));
}

Json call_time_method(const Json& subject, const std::string& name, Args& a) {
  auto none = [&] { expect_args(name, a, 0, 0); };
  if (is_duration(subject)) {
    const int64_t d = duration_of(subject);
    if (name == "Hours") return none(), Json(static_cast<double>(d) / 3600e9);
    if (name == "Minutes") return none(), Json(static_cast<double>(d) / 60e9);
    if (name == "Seconds") return none(), Json(static_cast<double>(d) / 1e9);
    if (name == "Milliseconds") return none(), int_value(d / 1'000'000);
    if (name == "Microseconds") return none(), int_value(d / 1000);
    if (name == "Nanoseconds") return none(), int_value(d);
    if (name == "String") return none(), Json(format_go_duration(d));
    if (name == "Abs") return none(), make_duration(d == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : std::llabs(d));
    if (name == "Round" || name == "Truncate") {
      expect_args(name, a, 1, 1);
      int64_t m = duration_arg(name, a, 0);
      if (m <= 0) return make_duration(d);
      return make_duration(name == "Round" ? round_to(d, m) : d - d % m);
    }
    fail("type time.Duration has no method " + name);
  }
  const GoTime t = time_of(subject);
  auto number = [&](const char* layout) { none(); return int_value(std::stoll(format_go_time(layout, t))); };
  if (name == "Year") return number("2006");
  if (name == "Month") return none(), make_month(static_cast<int>(std::stoi(format_go_time("1", t))));
  if (name == "Day") return number("2");
  if (name == "Hour") return number("15");
  if (name == "Minute") return number("4");
  if (name == "Second") return number("5");
  if (name == "YearDay") return number("002");
  if (name == "Nanosecond") return none(), int_value(t.nanos);
  if (name == "Weekday") {
    none();
    std::string day = format_go_time("Monday", t);
    static const char* kNames[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    int index = 0;
    while (index < 6 && day != kNames[index]) ++index;
    return make_weekday(index);
  }
  if (name == "Unix") return none(), int_value(t.seconds);
  if (name == "UnixMilli") return none(), int_value(t.seconds * 1000 + t.nanos / 1'000'000);
  if (name == "UnixMicro") return none(), int_value(t.seconds * 1'000'000 + t.nanos / 1000);
  if (name == "UnixNano") return none(), int_value(t.seconds * kSecond + t.nanos);
  if (name == "IsZero") return none(), Json(compare_times(t, zero_go_time()) == 0);
  if (name == "UTC" || name == "Local") return none(), make_time(in_utc(t));
  if (name == "In") {
    expect_args(name, a, 1, 1);
    return make_time(in_zone(t, zone_arg(name, a, 0)));
  }
  if (name == "Location") return none(), Json(t.zone.empty() ? (t.offset_seconds == 0 ? "UTC" : "") : t.zone);
  if (name == "String") return none(), Json(go_time_string(t));
  if (name == "Format") {
    expect_args(name, a, 1, 1);
    return Json(format_go_time(string_arg(name, a, 0), t));
  }
  if (name == "Add") {
    expect_args(name, a, 1, 1);
    return make_time(add_duration(t, duration_arg(name, a, 0)));
  }
  if (name == "Sub") {
    expect_args(name, a, 1, 1);
    return make_duration(time_difference(t, time_arg(name, a, 0)));
  }
  if (name == "AddDate") {
    expect_args(name, a, 3, 3);
    for (const auto& v : a) {
      if (!v.is_number_integer()) fail("cannot use " + go_type_name(v) + " as argument (type int) to call AddDate");
    }
    return make_time(add_date(t, as_int64(a[0]), as_int64(a[1]), as_int64(a[2])));
  }
  if (name == "Before" || name == "After" || name == "Equal" || name == "Compare") {
    expect_args(name, a, 1, 1);
    int c = compare_times(t, time_arg(name, a, 0));
    if (name == "Before") return Json(c < 0);
    if (name == "After") return Json(c > 0);
    if (name == "Equal") return Json(c == 0);
    return int_value(c);
  }
  if (name == "Truncate" || name == "Round") {
    expect_args(name, a, 1, 1);
    return make_time(time_truncate(t, duration_arg(name, a, 0), name == "Round"));
  }
  fail("type time.Time has no method " + name);
}

std::optional<Json> date_binary(const std::string& op, const Json& a, const Json& b) {
  const bool ta = is_time(a), tb = is_time(b), da = is_duration(a), db = is_duration(b);
  if (!ta && !tb && !da && !db) return std::nullopt;
  static const char* kOperators[] = {"+", "-", "*", "/", "==", "!=", "<", ">", "<=", ">="};
  bool known = false;
  for (const char* k : kOperators) known = known || op == k;
  if (!known) return std::nullopt;
  auto compared = [&](int c) -> std::optional<Json> {
    if (op == "==") return Json(c == 0);
    if (op == "!=") return Json(c != 0);
    if (op == "<") return Json(c < 0);
    if (op == ">") return Json(c > 0);
    if (op == "<=") return Json(c <= 0);
    if (op == ">=") return Json(c >= 0);
    return std::nullopt;
  };
  if (ta && tb) {
    if (op == "-") return make_duration(time_difference(time_of(a), time_of(b)));
    if (auto c = compared(compare_times(time_of(a), time_of(b)))) return c;
  }
  if (ta && db) {
    if (op == "+") return make_time(add_duration(time_of(a), duration_of(b)));
    if (op == "-") return make_time(add_duration(time_of(a), -duration_of(b)));
  }
  if (da && tb && op == "+") return make_time(add_duration(time_of(b), duration_of(a)));
  if (da && db) {
    int64_t x = duration_of(a), y = duration_of(b);
    if (op == "+") return make_duration(wrap_add(x, y));
    if (op == "-") return make_duration(wrap_sub(x, y));
    if (auto c = compared(x < y ? -1 : x > y ? 1 : 0)) return c;
  }
  if (da && b.is_number_integer() && op == "*") return make_duration(wrap_mul(duration_of(a), as_int64(b)));
  if (db && a.is_number_integer() && op == "*") return make_duration(wrap_mul(duration_of(b), as_int64(a)));
  if (da && b.is_number_integer() && op == "/") {
    if (as_int64(b) == 0) fail("integer divide by zero");
    return make_duration(duration_of(a) / as_int64(b));
  }
  if (op == "==") return Json(false);
  if (op == "!=") return Json(true);
  fail(type_pair(a, op.c_str(), b));
}

}  // namespace skiff::expr::internal
