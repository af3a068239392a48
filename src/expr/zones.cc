#include "expr/zones.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "expr/expr.h"

namespace skiff::expr::internal {
namespace {

struct LocalType {
  int32_t offset = 0;
  bool dst = false;
  std::string abbreviation;
};

// A POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"), which TZif files carry for
// instants after their last listed transition.
struct PosixRule {
  LocalType standard, daylight;
  bool has_dst = false;
  struct Date {
    char kind = 'M';  // 'M' month.week.day, 'J' julian 1-365 without Feb 29, 'D' zero-based day
    int month = 0, week = 0, day = 0;
    int32_t time = 7200;  // seconds after local midnight
  } start, end;
};

struct Zone {
  std::vector<int64_t> transitions;  // ascending Unix seconds
  std::vector<uint8_t> type_of;      // the local type from each transition on
  std::vector<LocalType> types;
  std::optional<PosixRule> rule;
};

int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t year_of(int64_t unix_seconds) {
  int64_t days = unix_seconds / 86400 - (unix_seconds % 86400 < 0);
  int64_t y = 1970 + days / 366;
  while (days_from_civil(y + 1, 1, 1) <= days) ++y;
  while (days_from_civil(y, 1, 1) > days) --y;
  return y;
}

// ---- POSIX TZ strings ----

bool read_name(const std::string& s, size_t& i, std::string* out) {
  if (i < s.size() && s[i] == '<') {
    size_t close = s.find('>', i);
    if (close == std::string::npos) return false;
    *out = s.substr(i + 1, close - i - 1);
    i = close + 1;
    return true;
  }
  size_t start = i;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  *out = s.substr(start, i - start);
  return i - start >= 3;
}

bool read_clock(const std::string& s, size_t& i, int32_t* out) {
  int sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
  int32_t parts[3] = {0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    if (p > 0) {
      if (i >= s.size() || s[i] != ':') break;
      ++i;
    }
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) parts[p] = parts[p] * 10 + (s[i++] - '0');
    if (i == start) return false;
  }
  *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool read_int(const std::string& s, size_t& i, int* out) {
  size_t start = i;
  *out = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) *out = *out * 10 + (s[i++] - '0');
  return i > start;
}

bool read_date(const std::string& s, size_t& i, PosixRule::Date* d) {
  if (i < s.size() && s[i] == 'M') {
    ++i;
    d->kind = 'M';
    if (!read_int(s, i, &d->month) || i >= s.size() || s[i++] != '.') return false;
    if (!read_int(s, i, &d->week) || i >= s.size() || s[i++] != '.') return false;
    if (!read_int(s, i, &d->day)) return false;
  } else if (i < s.size() && s[i] == 'J') {
    ++i;
    d->kind = 'J';
    if (!read_int(s, i, &d->day)) return false;
  } else {
    d->kind = 'D';
    if (!read_int(s, i, &d->day)) return false;
  }
  if (i < s.size() && s[i] == '/') {
    ++i;
    return read_clock(s, i, &d->time);
  }
  return true;
}

std::optional<PosixRule> parse_posix(const std::string& s) {
  PosixRule r;
  size_t i = 0;
  int32_t offset = 0;
  if (!read_name(s, i, &r.standard.abbreviation) || !read_clock(s, i, &offset)) return std::nullopt;
  r.standard.offset = -offset;  // POSIX counts west of Greenwich as positive
  if (i >= s.size()) return r;
  if (!read_name(s, i, &r.daylight.abbreviation)) return std::nullopt;
  r.daylight.dst = true;
  r.daylight.offset = r.standard.offset + 3600;
  if (i < s.size() && s[i] != ',') {
    if (!read_clock(s, i, &offset)) return std::nullopt;
    r.daylight.offset = -offset;
  }
  if (i >= s.size() || s[i++] != ',' || !read_date(s, i, &r.start)) return std::nullopt;
  if (i >= s.size() || s[i++] != ',' || !read_date(s, i, &r.end)) return std::nullopt;
  r.has_dst = true;
  return r;
}

// Seconds from the Unix epoch to local midnight of the rule's day in year y.
int64_t rule_day(const PosixRule::Date& d, int64_t y) {
  int64_t days = 0;
  if (d.kind == 'J') {
    days = days_from_civil(y, 1, 1) + d.day - 1 + (leap(y) && d.day >= 60 ? 1 : 0);
  } else if (d.kind == 'D') {
    days = days_from_civil(y, 1, 1) + d.day;
  } else {
    int64_t first = days_from_civil(y, d.month, 1);
    int weekday = static_cast<int>(((first % 7) + 11) % 7);  // 0 = Sunday
    int64_t day = first + (d.day - weekday + 7) % 7 + 7 * (d.week - 1);
    static const int kLengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int length = kLengths[d.month - 1] + (d.month == 2 && leap(y) ? 1 : 0);
    while (day >= first + length) day -= 7;
    days = day;
  }
  return days * 86400;
}

LocalType rule_at(const PosixRule& r, int64_t t) {
  if (!r.has_dst) return r.standard;
  const int64_t y = year_of(t + r.standard.offset);
  const int64_t start = rule_day(r.start, y) + r.start.time - r.standard.offset;
  const int64_t end = rule_day(r.end, y) + r.end.time - r.daylight.offset;
  const bool dst = start < end ? (t >= start && t < end) : (t < end || t >= start);
  return dst ? r.daylight : r.standard;
}

// ---- TZif files ----

int64_t be(const std::string& d, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(d[at + i]);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

std::optional<Zone> parse_tzif(const std::string& d) {
  auto header = [&](size_t at, int64_t counts[6]) {
    if (d.size() < at + 44 || d.compare(at, 4, "TZif") != 0) return false;
    for (int k = 0; k < 6; ++k) counts[k] = be(d, at + 20 + 4 * k, 4);
    return true;
  };
  int64_t c[6];
  if (!header(0, c)) return std::nullopt;
  const char version = d[4];
  // counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  auto block_size = [](const int64_t* n, int time_bytes) {
    return n[3] * time_bytes + n[3] + n[4] * 6 + n[5] + n[2] * (time_bytes + 4) + n[1] + n[0];
  };
  size_t at = 44;
  int time_bytes = 4;
  if (version >= '2') {
    at += static_cast<size_t>(block_size(c, 4));
    if (!header(at, c)) return std::nullopt;
    at += 44;
    time_bytes = 8;
  }
  if (d.size() < at + static_cast<size_t>(block_size(c, time_bytes))) return std::nullopt;
  Zone z;
  for (int64_t k = 0; k < c[3]; ++k) z.transitions.push_back(be(d, at + k * time_bytes, time_bytes));
  at += c[3] * time_bytes;
  for (int64_t k = 0; k < c[3]; ++k) z.type_of.push_back(static_cast<uint8_t>(d[at + k]));
  at += c[3];
  const size_t types_at = at, chars_at = at + c[4] * 6;
  for (int64_t k = 0; k < c[4]; ++k) {
    LocalType t;
    t.offset = static_cast<int32_t>(be(d, types_at + k * 6, 4));
    t.dst = d[types_at + k * 6 + 4] != 0;
    size_t name = chars_at + static_cast<uint8_t>(d[types_at + k * 6 + 5]);
    t.abbreviation = d.c_str() + std::min(name, d.size());
    z.types.push_back(t);
  }
  if (z.types.empty()) return std::nullopt;
  for (auto index : z.type_of) {
    if (index >= z.types.size()) return std::nullopt;
  }
  at += c[4] * 6 + c[5] + c[2] * (time_bytes + 4) + c[1] + c[0];
  if (version >= '2' && at < d.size() && d[at] == '\n') {
    size_t close = d.find('\n', at + 1);
    if (close != std::string::npos) z.rule = parse_posix(d.substr(at + 1, close - at - 1));
  }
  return z;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name[0] == '/' || name.find("..") != std::string::npos || name.size() > 255) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("_+-/").find(c) == std::string_view::npos) return false;
  }
  return true;
}

// The installed source and the zones read from it. Zones are kept once read
// and never freed: at most the few hundred that exist.
struct Zones {
  std::mutex mutex;
  ZoneSource source;
  std::map<std::string, std::unique_ptr<Zone>> loaded;
};

Zones& zones_state() {
  static Zones state;
  return state;
}

const Zone* load(const std::string& name) {
  Zones& state = zones_state();
  std::lock_guard<std::mutex> lock(state.mutex);
  auto& zones = state.loaded;
  auto it = zones.find(name);
  if (it != zones.end()) return it->second.get();
  std::unique_ptr<Zone> zone;
  if (valid_name(name) && state.source) {
    if (auto bytes = state.source(name)) {
      if (auto parsed = parse_tzif(*bytes)) zone = std::make_unique<Zone>(std::move(*parsed));
    }
  }
  // Only zones that exist are kept: names that do not cannot fill the map.
  const Zone* result = zone.get();
  if (zone) zones[name] = std::move(zone);
  return result;
}

LocalType type_at(const Zone& z, int64_t t) {
  if (z.transitions.empty() || t < z.transitions.front()) {
    if (z.transitions.empty() && z.rule) return rule_at(*z.rule, t);
    // Before the first transition: the first standard-time type, as Go picks.
    for (const auto& type : z.types) {
      if (!type.dst) return type;
    }
    return z.types.front();
  }
  if (t >= z.transitions.back() && z.rule) return rule_at(*z.rule, t);
  size_t k = static_cast<size_t>(std::upper_bound(z.transitions.begin(), z.transitions.end(), t) - z.transitions.begin()) - 1;
  return z.types[z.type_of[k]];
}

}  // namespace

}  // namespace skiff::expr::internal

namespace skiff::expr {

void set_zone_source(ZoneSource source) {
  internal::Zones& state = internal::zones_state();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.source = std::move(source);
  state.loaded.clear();
}

}  // namespace skiff::expr

namespace skiff::expr::internal {

bool is_utc_zone(const std::string& name) { return name.empty() || name == "UTC" || name == "Local"; }

bool known_zone(const std::string& name) { return is_utc_zone(name) || load(name) != nullptr; }

ZoneAt zone_at(const std::string& name, int64_t unix_seconds) {
  if (is_utc_zone(name)) return ZoneAt{0, "UTC"};
  const Zone* z = load(name);
  if (!z) return ZoneAt{0, "UTC"};
  LocalType t = type_at(*z, unix_seconds);
  return ZoneAt{t.offset, t.abbreviation};
}

int64_t zone_utc_of_local(const std::string& name, int64_t local_seconds) {
  const int32_t first = zone_at(name, local_seconds).offset_seconds;
  const int64_t utc = local_seconds - first;
  const int32_t second = zone_at(name, utc).offset_seconds;
  return second == first ? utc : local_seconds - second;
}

}  // namespace skiff::expr::internal
