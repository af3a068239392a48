#include "controller/cron.h"
#include "controller/time_zones.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <sstream>

#include "base/strings.h"

namespace skiff::controller::internal {

namespace {

int64_t big_endian(const unsigned char* p, int bytes) {
  int64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  if (bytes == 4) v = static_cast<int32_t>(v);
  return v;
}

const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

bool number(const std::string& text, int* out, int base_names, const char* const* names, int count) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; names && i < count; ++i) {
    if (lower == names[i]) {
      *out = i + base_names;
      return true;
    }
  }
  if (text.empty()) return false;
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0') return false;
  *out = static_cast<int>(v);
  return true;
}

template <size_t N>
Status field(const std::string& text, int lo, int hi, std::bitset<N>* bits, bool* any, const char* what,
             const char* const* names = nullptr, int names_base = 0, int name_count = 0) {
  if (any) *any = text == "*" || text == "?";
  for (const auto& part : split(text, ',')) {
    std::string range = part;
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string::npos) {
      range = part.substr(0, slash);
      if (!number(part.substr(slash + 1), &step, 0, nullptr, 0) || step <= 0) {
        return invalid_argument(std::string(what) + ": bad step in \"" + part + "\"");
      }
    }
    int first = lo, last = hi;
    if (range != "*" && range != "?") {
      auto dash = range.find('-');
      if (dash == std::string::npos) {
        if (!number(range, &first, names_base, names, name_count)) {
          return invalid_argument(std::string(what) + ": \"" + part + "\" is not a value");
        }
        last = part.find('/') == std::string::npos ? first : hi;
      } else if (!number(range.substr(0, dash), &first, names_base, names, name_count) ||
                 !number(range.substr(dash + 1), &last, names_base, names, name_count)) {
        return invalid_argument(std::string(what) + ": \"" + part + "\" is not a range");
      }
    }
    if (first < lo || last > hi || first > last) {
      return invalid_argument(std::string(what) + ": \"" + part + "\" is outside " + std::to_string(lo) + "-" +
                              std::to_string(hi));
    }
    for (int v = first; v <= last; v += step) bits->set(static_cast<size_t>(v));
  }
  return Status::ok();
}

}  // namespace

Result<std::shared_ptr<const TimeZone>> TimeZone::load(const std::string& name) {
  auto zone = std::make_shared<TimeZone>();
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return std::shared_ptr<const TimeZone>(zone);
  if (name.find("..") != std::string::npos || name.front() == '/') return invalid_argument("timezone: bad name \"" + name + "\"");
  auto read = read_system_zone(name);
  if (!read) return invalid_argument("timezone: unknown time zone \"" + name + "\"");
  const std::string& data = *read;
  auto bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) return invalid_argument("timezone: \"" + name + "\" is not a TZif file");
  // Version 2+ files repeat the data with 64-bit times after the 32-bit block.
  auto counts = [&](size_t at, int64_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = big_endian(bytes + at + 20 + 4 * i, 4);
  };
  int64_t c[6];
  counts(0, c);  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  size_t at = 44;
  int time_size = 4;
  if (data[4] >= '2') {
    at += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (data.size() < at + 44) return invalid_argument("timezone: \"" + name + "\" is truncated");
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  size_t need = at + c[3] * time_size + c[3] + c[4] * 6;
  if (data.size() < need || c[4] <= 0) return invalid_argument("timezone: \"" + name + "\" is truncated");
  const unsigned char* times = bytes + at;
  const unsigned char* indexes = times + c[3] * time_size;
  const unsigned char* types = indexes + c[3];
  zone->initial_offset_ = static_cast<int32_t>(big_endian(types, 4));
  for (int64_t i = 0; i < c[3]; ++i) {
    zone->transitions_.push_back(big_endian(times + i * time_size, time_size));
    int type = indexes[i];
    if (type >= c[4]) return invalid_argument("timezone: \"" + name + "\" is corrupt");
    zone->offsets_after_.push_back(static_cast<int32_t>(big_endian(types + type * 6, 4)));
  }
  return std::shared_ptr<const TimeZone>(zone);
}

std::chrono::seconds TimeZone::offset_at(Time utc) const {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(utc.time_since_epoch()).count();
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  if (it == transitions_.begin()) return std::chrono::seconds(initial_offset_);
  return std::chrono::seconds(offsets_after_[static_cast<size_t>(it - transitions_.begin() - 1)]);
}

Result<CronSchedule> CronSchedule::parse(const std::string& raw) {
  std::string text(trim(raw));
  CronSchedule s;
  if (starts_with(text, "@every ")) {
    auto d = parse_duration(trim(text.substr(7)));
    if (!d || d->count() <= 0) return invalid_argument("schedule \"" + raw + "\": bad duration");
    s.every_ = *d;
    return s;
  }
  if (text == "@yearly" || text == "@annually") text = "0 0 1 1 *";
  else if (text == "@monthly") text = "0 0 1 * *";
  else if (text == "@weekly") text = "0 0 * * 0";
  else if (text == "@daily" || text == "@midnight") text = "0 0 * * *";
  else if (text == "@hourly") text = "0 * * * *";
  std::vector<std::string> fields;
  std::istringstream in(text);
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5) {
    return invalid_argument("schedule \"" + raw + "\": expected 5 fields (minute hour day-of-month month day-of-week)");
  }
  auto with_schedule = [&](Status st) { return st.is_ok() ? st : invalid_argument("schedule \"" + raw + "\": " + st.message()); };
  SKIFF_RETURN_IF_ERROR(with_schedule(field(fields[0], 0, 59, &s.minutes_, nullptr, "minute")));
  SKIFF_RETURN_IF_ERROR(with_schedule(field(fields[1], 0, 23, &s.hours_, nullptr, "hour")));
  SKIFF_RETURN_IF_ERROR(with_schedule(field(fields[2], 1, 31, &s.days_, &s.any_day_, "day of month")));
  SKIFF_RETURN_IF_ERROR(with_schedule(field(fields[3], 1, 12, &s.months_, nullptr, "month", kMonths, 1, 12)));
  SKIFF_RETURN_IF_ERROR(with_schedule(field(fields[4], 0, 7, &s.weekdays_, &s.any_weekday_, "day of week", kDays, 0, 7)));
  if (s.weekdays_.test(7)) s.weekdays_.set(0);  // 7 is Sunday too
  return s;
}

std::optional<Time> CronSchedule::next(Time after, const TimeZone& zone) const {
  using std::chrono::minutes;
  using std::chrono::seconds;
  if (every_) return after + *every_;
  // Minute by minute in UTC, matching the fields against the zone's local
  // time: DST gaps and repeats fall out of the offsets. Five years at most.
  int64_t start = std::chrono::duration_cast<minutes>(after.time_since_epoch()).count() + 1;
  for (int64_t m = start; m < start + 5LL * 366 * 24 * 60; ++m) {
    Time utc{minutes(m)};
    int64_t local = std::chrono::duration_cast<seconds>(utc.time_since_epoch() + zone.offset_at(utc)).count();
    std::time_t t = static_cast<std::time_t>(local);
    std::tm tm{};
    gmtime_r(&t, &tm);
    if (!months_.test(static_cast<size_t>(tm.tm_mon + 1))) {
      // To the next local hour (not day: a DST change may fall in between).
      m += 60 - tm.tm_min - 1;
      continue;
    }
    bool day_ok = days_.test(static_cast<size_t>(tm.tm_mday));
    bool weekday_ok = weekdays_.test(static_cast<size_t>(tm.tm_wday));
    // As cron: when both day fields are restricted, either may match.
    bool day_match = (any_day_ || any_weekday_) ? (day_ok && weekday_ok) : (day_ok || weekday_ok);
    if (!day_match) {
      m += 60 - tm.tm_min - 1;
      continue;
    }
    if (!hours_.test(static_cast<size_t>(tm.tm_hour))) {
      m += 60 - tm.tm_min - 1;
      continue;
    }
    if (minutes_.test(static_cast<size_t>(tm.tm_min))) return utc;
  }
  return std::nullopt;
}

}  // namespace skiff::controller::internal
