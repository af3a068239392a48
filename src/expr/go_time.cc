// time.Time and time.Duration values inside the evaluator, the calendar they
// share with layouts, and the named numbers (time.Month, time.Weekday).
#include "expr/go_time.h"

#include "expr/go_calendar.h"
#include "expr/sprig.h"
#include "expr/zones.h"

#include <limits>

namespace skiff::expr::internal {
namespace {

constexpr const char* kTimeKey = "\x01time";
constexpr const char* kDurationKey = "\x01duration";
constexpr const char* kMonthKey = "\x01month";
constexpr const char* kWeekdayKey = "\x01weekday";
constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t year = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = year + (*m <= 2);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Civil civil_of(const GoTime& t) {
  int64_t local = t.seconds + t.offset_seconds;
  int64_t days = floor_div(local, 86400);
  int64_t rem = local - days * 86400;
  Civil c{};
  civil_from_days(days, &c.year, &c.month, &c.day);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.second = static_cast<int>(rem % 60);
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);
  c.yearday = static_cast<int>(days - days_from_civil(c.year, 1, 1)) + 1;
  return c;
}

GoTime add_duration(const GoTime& t, int64_t nanos) {
  GoTime out = t;
  out.seconds += nanos / kNanosPerSecond;
  int64_t n = static_cast<int64_t>(t.nanos) + nanos % kNanosPerSecond;
  if (n < 0) {
    n += kNanosPerSecond;
    out.seconds -= 1;
  } else if (n >= kNanosPerSecond) {
    n -= kNanosPerSecond;
    out.seconds += 1;
  }
  out.nanos = static_cast<int32_t>(n);
  return out;
}

int64_t time_difference(const GoTime& a, const GoTime& b) {
  const int64_t max = std::numeric_limits<int64_t>::max(), min = std::numeric_limits<int64_t>::min();
  __int128 d = (static_cast<__int128>(a.seconds) - b.seconds) * kNanosPerSecond + (a.nanos - b.nanos);
  if (d > max) return max;
  if (d < min) return min;
  return static_cast<int64_t>(d);
}

int compare_times(const GoTime& a, const GoTime& b) {
  if (a.seconds != b.seconds) return a.seconds < b.seconds ? -1 : 1;
  if (a.nanos != b.nanos) return a.nanos < b.nanos ? -1 : 1;
  return 0;
}

GoTime zero_go_time() { return GoTime{-62135596800LL, 0, 0}; }

GoTime in_zone(GoTime t, const std::string& zone) {
  if (is_utc_zone(zone)) {
    t.zone.clear();
    t.offset_seconds = 0;
    return t;
  }
  t.zone = zone;
  t.offset_seconds = zone_at(zone, t.seconds).offset_seconds;
  return t;
}

// A time in a named zone shows the offset in force at its instant, so an
// instant moved across a daylight-saving change takes the new one here.
Json make_time(const GoTime& t) {
  if (!t.zone.empty()) {
    GoTime z = in_zone(t, t.zone);
    return Json{{kTimeKey, Json::array({z.seconds, z.nanos, z.offset_seconds, z.zone})}};
  }
  return Json{{kTimeKey, Json::array({t.seconds, t.nanos, t.offset_seconds})}};
}
Json make_duration(int64_t nanos) { return Json{{kDurationKey, nanos}}; }
bool is_time(const Json& v) { return v.is_object() && v.size() == 1 && v.contains(kTimeKey); }
bool is_duration(const Json& v) { return v.is_object() && v.size() == 1 && v.contains(kDurationKey); }

GoTime time_of(const Json& v) {
  const Json& a = v.at(kTimeKey);
  return GoTime{a.at(0).get<int64_t>(), a.at(1).get<int32_t>(), a.at(2).get<int32_t>(),
                a.size() > 3 ? a.at(3).get<std::string>() : std::string()};
}

int64_t duration_of(const Json& v) { return v.at(kDurationKey).get<int64_t>(); }

Json plain_json(const Json& v) {
  if (is_time(v)) return format_go_time("2006-01-02T15:04:05.999999999Z07:00", time_of(v));
  if (is_duration(v)) return duration_of(v);
  if (is_semver(v)) return semver_text(v);
  if (is_named_number(v)) return named_number_of(v);
  if (v.is_array() || v.is_object()) {
    Json out = v;
    for (auto& item : out) item = plain_json(item);
    return out;
  }
  return v;
}

std::string go_time_string(const GoTime& t) {
  return format_go_time("2006-01-02 15:04:05.999999999 -0700 MST", t);
}


Json make_month(int month) { return Json{{kMonthKey, month}}; }
Json make_weekday(int weekday) { return Json{{kWeekdayKey, weekday}}; }

bool is_named_number(const Json& v) {
  return v.is_object() && v.size() == 1 && (v.contains(kMonthKey) || v.contains(kWeekdayKey));
}

int64_t named_number_of(const Json& v) { return v.begin()->get<int64_t>(); }

std::string named_number_type(const Json& v) { return v.contains(kMonthKey) ? "time.Month" : "time.Weekday"; }

// Month.String() and Weekday.String(), with Go's text for a value out of range.
std::string named_number_text(const Json& v) {
  const int64_t n = named_number_of(v);
  if (v.contains(kMonthKey)) return n >= 1 && n <= 12 ? kMonths[n - 1] : "%!Month(" + std::to_string(n) + ")";
  return n >= 0 && n <= 6 ? kDays[n] : "%!Weekday(" + std::to_string(n) + ")";
}

}  // namespace skiff::expr::internal
