// Time.Format and time.Parse with Go's reference layout ("2006-01-02").
#include <cctype>
#include <cstdio>
#include <string>

#include "expr/go_calendar.h"
#include "expr/go_time.h"
#include "expr/zones.h"

namespace skiff::expr::internal {
namespace {

// The elements of a layout, as Go's time package finds them.
enum class Std {
  kNone, kLongMonth, kMonth, kNumMonth, kZeroMonth, kLongWeekDay, kWeekDay, kDay, kUnderDay, kZeroDay,
  kUnderYearDay, kZeroYearDay, kHour, kHour12, kZeroHour12, kMinute, kZeroMinute, kSecond, kZeroSecond,
  kLongYear, kYear, kPM, kpm, kTZ, kISO8601TZ, kISO8601SecondsTZ, kISO8601ShortTZ, kISO8601ColonTZ,
  kISO8601ColonSecondsTZ, kNumTZ, kNumSecondsTz, kNumShortTZ, kNumColonTZ, kNumColonSecondsTZ, kFrac0, kFrac9,
};

struct Chunk {
  std::string_view prefix;  // literal text before the element
  Std std = Std::kNone;
  std::string_view text;    // the element as written in the layout
  std::string_view rest;
};

bool starts_lower(std::string_view s) { return !s.empty() && s[0] >= 'a' && s[0] <= 'z'; }
bool starts(std::string_view s, size_t i, std::string_view what) { return s.substr(i, what.size()) == what; }

Chunk next_chunk(std::string_view layout) {
  for (size_t i = 0; i < layout.size(); ++i) {
    auto found = [&](Std std, size_t n) { return Chunk{layout.substr(0, i), std, layout.substr(i, n), layout.substr(i + n)}; };
    switch (layout[i]) {
      case 'J':
        if (starts(layout, i, "Jan")) {
          if (starts(layout, i, "January")) return found(Std::kLongMonth, 7);
          if (!starts_lower(layout.substr(i + 3))) return found(Std::kMonth, 3);
        }
        break;
      case 'M':
        if (starts(layout, i, "Mon")) {
          if (starts(layout, i, "Monday")) return found(Std::kLongWeekDay, 6);
          if (!starts_lower(layout.substr(i + 3))) return found(Std::kWeekDay, 3);
        }
        if (starts(layout, i, "MST")) return found(Std::kTZ, 3);
        break;
      case '0':
        if (i + 1 < layout.size() && layout[i + 1] >= '1' && layout[i + 1] <= '6') {
          static const Std kZero[] = {Std::kZeroMonth, Std::kZeroDay, Std::kZeroHour12, Std::kZeroMinute, Std::kZeroSecond, Std::kYear};
          return found(kZero[layout[i + 1] - '1'], 2);
        }
        if (starts(layout, i, "002")) return found(Std::kZeroYearDay, 3);
        break;
      case '1':
        if (starts(layout, i, "15")) return found(Std::kHour, 2);
        return found(Std::kNumMonth, 1);
      case '2':
        if (starts(layout, i, "2006")) return found(Std::kLongYear, 4);
        return found(Std::kDay, 1);
      case '_':
        if (starts(layout, i, "_2")) {
          if (starts(layout, i, "_2006")) return Chunk{layout.substr(0, i + 1), Std::kLongYear, layout.substr(i + 1, 4), layout.substr(i + 5)};
          return found(Std::kUnderDay, 2);
        }
        if (starts(layout, i, "__2")) return found(Std::kUnderYearDay, 3);
        break;
      case '3': return found(Std::kHour12, 1);
      case '4': return found(Std::kMinute, 1);
      case '5': return found(Std::kSecond, 1);
      case 'P':
        if (starts(layout, i, "PM")) return found(Std::kPM, 2);
        break;
      case 'p':
        if (starts(layout, i, "pm")) return found(Std::kpm, 2);
        break;
      case '-':
        if (starts(layout, i, "-070000")) return found(Std::kNumSecondsTz, 7);
        if (starts(layout, i, "-07:00:00")) return found(Std::kNumColonSecondsTZ, 9);
        if (starts(layout, i, "-0700")) return found(Std::kNumTZ, 5);
        if (starts(layout, i, "-07:00")) return found(Std::kNumColonTZ, 6);
        if (starts(layout, i, "-07")) return found(Std::kNumShortTZ, 3);
        break;
      case 'Z':
        if (starts(layout, i, "Z070000")) return found(Std::kISO8601SecondsTZ, 7);
        if (starts(layout, i, "Z07:00:00")) return found(Std::kISO8601ColonSecondsTZ, 9);
        if (starts(layout, i, "Z0700")) return found(Std::kISO8601TZ, 5);
        if (starts(layout, i, "Z07:00")) return found(Std::kISO8601ColonTZ, 6);
        if (starts(layout, i, "Z07")) return found(Std::kISO8601ShortTZ, 3);
        break;
      case '.':
      case ',':
        if (i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
          char digit = layout[i + 1];
          size_t j = i + 1;
          while (j < layout.size() && layout[j] == digit) ++j;
          if (j >= layout.size() || !std::isdigit(static_cast<unsigned char>(layout[j]))) {
            return found(digit == '0' ? Std::kFrac0 : Std::kFrac9, j - i);
          }
        }
        break;
      default: break;
    }
  }
  return Chunk{layout, Std::kNone, {}, {}};
}

std::string padded(int64_t v, int width, char pad = '0') {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out = v < 0 ? "-" : "";
  if (static_cast<int>(digits.size()) < width) out.append(static_cast<size_t>(width) - digits.size(), pad);
  return out + digits;
}

void append_offset(std::string& out, int offset, bool colon, bool with_seconds, bool hours_only) {
  int abs = offset < 0 ? -offset : offset;
  out += offset < 0 ? '-' : '+';
  out += padded(abs / 3600, 2);
  if (hours_only) return;
  if (colon) out += ':';
  out += padded(abs / 60 % 60, 2);
  if (with_seconds) {
    if (colon) out += ':';
    out += padded(abs % 60, 2);
  }
}

std::string fraction(int32_t nanos, size_t digits, bool trim) {
  std::string all = padded(nanos, 9);
  std::string out = all.substr(0, digits);
  if (trim) {
    while (!out.empty() && out.back() == '0') out.pop_back();
  }
  return out;
}

// Reads 1-2 digits (exactly `width` when fixed).
bool read_number(std::string_view& s, int width, bool fixed, int* out) {
  size_t n = 0;
  while (n < s.size() && n < static_cast<size_t>(width) && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0 || (fixed && n != static_cast<size_t>(width))) return false;
  *out = std::stoi(std::string(s.substr(0, n)));
  s.remove_prefix(n);
  return true;
}

bool read_name(std::string_view& s, const char* const* names, int count, size_t length, int* out) {
  for (int i = 0; i < count; ++i) {
    std::string_view name = length ? std::string_view(names[i]).substr(0, length) : std::string_view(names[i]);
    if (s.size() >= name.size()) {
      bool equal = true;
      for (size_t k = 0; k < name.size() && equal; ++k) equal = std::tolower(static_cast<unsigned char>(s[k])) == std::tolower(static_cast<unsigned char>(name[k]));
      if (equal) {
        *out = i;
        s.remove_prefix(name.size());
        return true;
      }
    }
  }
  return false;
}

bool read_offset(std::string_view& s, Std std, int* offset) {
  bool iso = std == Std::kISO8601TZ || std == Std::kISO8601SecondsTZ || std == Std::kISO8601ShortTZ ||
             std == Std::kISO8601ColonTZ || std == Std::kISO8601ColonSecondsTZ;
  if (iso && !s.empty() && s[0] == 'Z') {
    s.remove_prefix(1);
    *offset = 0;
    return true;
  }
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  bool colon = std == Std::kNumColonTZ || std == Std::kISO8601ColonTZ || std == Std::kNumColonSecondsTZ ||
               std == Std::kISO8601ColonSecondsTZ;
  bool seconds = std == Std::kNumSecondsTz || std == Std::kISO8601SecondsTZ || std == Std::kNumColonSecondsTZ ||
                 std == Std::kISO8601ColonSecondsTZ;
  bool short_form = std == Std::kNumShortTZ || std == Std::kISO8601ShortTZ;
  int hh = 0, mm = 0, ss = 0;
  if (!read_number(s, 2, true, &hh)) return false;
  if (!short_form) {
    if (colon) {
      if (s.empty() || s[0] != ':') return false;
      s.remove_prefix(1);
    }
    if (!read_number(s, 2, true, &mm)) return false;
    if (seconds) {
      if (colon) {
        if (s.empty() || s[0] != ':') return false;
        s.remove_prefix(1);
      }
      if (!read_number(s, 2, true, &ss)) return false;
    }
  }
  *offset = sign * (hh * 3600 + mm * 60 + ss);
  return true;
}

}  // namespace

std::string format_go_time(std::string_view layout, const GoTime& t) {
  const Civil c = civil_of(t);
  std::string out;
  while (!layout.empty()) {
    Chunk chunk = next_chunk(layout);
    out.append(chunk.prefix);
    if (chunk.std == Std::kNone) break;
    layout = chunk.rest;
    int hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
    switch (chunk.std) {
      case Std::kLongYear: out += padded(c.year, 4); break;
      case Std::kYear: out += padded(((c.year % 100) + 100) % 100, 2); break;
      case Std::kLongMonth: out += kMonths[c.month - 1]; break;
      case Std::kMonth: out += std::string(kMonths[c.month - 1]).substr(0, 3); break;
      case Std::kNumMonth: out += std::to_string(c.month); break;
      case Std::kZeroMonth: out += padded(c.month, 2); break;
      case Std::kLongWeekDay: out += kDays[c.weekday]; break;
      case Std::kWeekDay: out += std::string(kDays[c.weekday]).substr(0, 3); break;
      case Std::kDay: out += std::to_string(c.day); break;
      case Std::kUnderDay: out += padded(c.day, 2, ' '); break;
      case Std::kZeroDay: out += padded(c.day, 2); break;
      case Std::kUnderYearDay: out += padded(c.yearday, 3, ' '); break;
      case Std::kZeroYearDay: out += padded(c.yearday, 3); break;
      case Std::kHour: out += padded(c.hour, 2); break;
      case Std::kHour12: out += std::to_string(hour12); break;
      case Std::kZeroHour12: out += padded(hour12, 2); break;
      case Std::kMinute: out += std::to_string(c.minute); break;
      case Std::kZeroMinute: out += padded(c.minute, 2); break;
      case Std::kSecond: out += std::to_string(c.second); break;
      case Std::kZeroSecond: out += padded(c.second, 2); break;
      case Std::kPM: out += c.hour >= 12 ? "PM" : "AM"; break;
      case Std::kpm: out += c.hour >= 12 ? "pm" : "am"; break;
      case Std::kTZ:
        if (!t.zone.empty()) out += zone_at(t.zone, t.seconds).abbreviation;
        else if (t.offset_seconds == 0) out += "UTC";
        else append_offset(out, t.offset_seconds, false, false, false);
        break;
      case Std::kISO8601TZ:
      case Std::kISO8601SecondsTZ:
      case Std::kISO8601ShortTZ:
      case Std::kISO8601ColonTZ:
      case Std::kISO8601ColonSecondsTZ:
        if (t.offset_seconds == 0) {
          out += 'Z';
          break;
        }
        [[fallthrough]];
      case Std::kNumTZ:
      case Std::kNumSecondsTz:
      case Std::kNumShortTZ:
      case Std::kNumColonTZ:
      case Std::kNumColonSecondsTZ: {
        Std s = chunk.std;
        bool colon = s == Std::kNumColonTZ || s == Std::kISO8601ColonTZ || s == Std::kNumColonSecondsTZ || s == Std::kISO8601ColonSecondsTZ;
        bool secs = s == Std::kNumSecondsTz || s == Std::kISO8601SecondsTZ || s == Std::kNumColonSecondsTZ || s == Std::kISO8601ColonSecondsTZ;
        bool hours = s == Std::kNumShortTZ || s == Std::kISO8601ShortTZ;
        append_offset(out, t.offset_seconds, colon, secs, hours);
        break;
      }
      case Std::kFrac0:
      case Std::kFrac9: {
        std::string digits = fraction(t.nanos, chunk.text.size() - 1, chunk.std == Std::kFrac9);
        if (!digits.empty()) out += chunk.text[0] + digits;
        break;
      }
      case Std::kNone: break;
    }
  }
  return out;
}

bool parse_go_time(std::string_view layout, std::string_view text, GoTime* out, std::string* error, const std::string& zone) {
  const std::string original_layout(layout), original_text(text);
  auto cannot = [&](std::string_view value, std::string_view element) {
    *error = "parsing time \"" + original_text + "\" as \"" + original_layout + "\": cannot parse \"" +
             std::string(value) + "\" as \"" + std::string(element) + "\"";
    return false;
  };
  int64_t year = 0;  // Go: elements missing from the layout are zero (year 0)
  int month = 1, day = 1, hour = 0, minute = 0, second = 0, offset = 0, yearday = -1;
  bool zoned = false;  // the text gave its offset
  int64_t nanos = 0;
  bool pm = false, pm_set = false;
  std::string_view value = text;
  while (true) {
    Chunk chunk = next_chunk(layout);
    if (value.substr(0, chunk.prefix.size()) != chunk.prefix) return cannot(value, chunk.prefix);
    value.remove_prefix(chunk.prefix.size());
    if (chunk.std == Std::kNone) {
      if (!value.empty()) {
        *error = "parsing time \"" + original_text + "\": extra text: \"" + std::string(value) + "\"";
        return false;
      }
      break;
    }
    layout = chunk.rest;
    const std::string_view before = value;
    bool ok = true;
    int n = 0;
    switch (chunk.std) {
      case Std::kLongYear:
        ok = value.size() >= 4 && read_number(value, 4, true, &n);
        year = n;
        break;
      case Std::kYear:
        ok = read_number(value, 2, true, &n);
        year = n >= 69 ? 1900 + n : 2000 + n;
        break;
      case Std::kLongMonth: ok = read_name(value, kMonths, 12, 0, &n); month = n + 1; break;
      case Std::kMonth: ok = read_name(value, kMonths, 12, 3, &n); month = n + 1; break;
      case Std::kNumMonth:
      case Std::kZeroMonth: ok = read_number(value, 2, chunk.std == Std::kZeroMonth, &month); break;
      case Std::kLongWeekDay: ok = read_name(value, kDays, 7, 0, &n); break;
      case Std::kWeekDay: ok = read_name(value, kDays, 7, 3, &n); break;
      case Std::kDay:
      case Std::kUnderDay:
      case Std::kZeroDay:
        if (chunk.std == Std::kUnderDay && !value.empty() && value[0] == ' ') value.remove_prefix(1);
        ok = read_number(value, 2, chunk.std == Std::kZeroDay, &day);
        break;
      case Std::kUnderYearDay:
      case Std::kZeroYearDay:
        while (chunk.std == Std::kUnderYearDay && !value.empty() && value[0] == ' ') value.remove_prefix(1);
        ok = read_number(value, 3, chunk.std == Std::kZeroYearDay, &yearday);
        break;
      case Std::kHour: ok = read_number(value, 2, false, &hour) && hour < 24; break;
      case Std::kHour12:
      case Std::kZeroHour12: ok = read_number(value, 2, chunk.std == Std::kZeroHour12, &hour) && hour <= 12; break;
      case Std::kMinute:
      case Std::kZeroMinute: ok = read_number(value, 2, chunk.std == Std::kZeroMinute, &minute) && minute < 60; break;
      case Std::kSecond:
      case Std::kZeroSecond:
        ok = read_number(value, 2, chunk.std == Std::kZeroSecond, &second) && second < 60;
        // Go accepts a fraction after the seconds even when the layout has none.
        if (ok && value.size() >= 2 && value[0] == '.' && std::isdigit(static_cast<unsigned char>(value[1])) &&
            next_chunk(layout).std != Std::kFrac0 && next_chunk(layout).std != Std::kFrac9) {
          size_t k = 1;
          std::string digits;
          while (k < value.size() && std::isdigit(static_cast<unsigned char>(value[k]))) digits += value[k++];
          nanos = std::stoll((digits + "000000000").substr(0, 9));
          value.remove_prefix(k);
        }
        break;
      case Std::kPM:
      case Std::kpm: {
        std::string two(value.substr(0, 2));
        for (auto& ch : two) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        ok = two == "PM" || two == "AM";
        pm = two == "PM";
        pm_set = true;
        if (ok) value.remove_prefix(2);
        break;
      }
      case Std::kTZ:
        if (value.substr(0, 3) == "UTC") {
          value.remove_prefix(3);
        } else {
          size_t k = 0;
          while (k < value.size() && std::isupper(static_cast<unsigned char>(value[k]))) ++k;
          ok = k >= 3;
          value.remove_prefix(k);
        }
        break;
      case Std::kFrac0:
      case Std::kFrac9: {
        if (value.empty() || (value[0] != '.' && value[0] != ',')) {
          ok = chunk.std == Std::kFrac9;
          break;
        }
        size_t k = 1;
        std::string digits;
        while (k < value.size() && std::isdigit(static_cast<unsigned char>(value[k]))) digits += value[k++];
        ok = chunk.std == Std::kFrac9 ? true : digits.size() == chunk.text.size() - 1;
        if (ok && !digits.empty()) nanos = std::stoll((digits + "000000000").substr(0, 9));
        value.remove_prefix(k);
        break;
      }
      default:
        ok = read_offset(value, chunk.std, &offset);
        zoned = true;
        break;
    }
    if (!ok) return cannot(before, chunk.text);
  }
  if (pm_set && pm && hour < 12) hour += 12;
  if (pm_set && !pm && hour == 12) hour = 0;
  auto range_error = [&](const char* what) {
    *error = "parsing time \"" + original_text + "\": " + what + " out of range";
    return false;
  };
  if (month < 1 || month > 12) return range_error("month");
  if (yearday >= 0) {
    int64_t days = days_from_civil(year, 1, 1) + yearday - 1;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    month = static_cast<int>(m);
    day = static_cast<int>(d);
  }
  static const int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day < 1 || day > kDaysIn[month - 1] || (month == 2 && day == 29 && !leap)) return range_error("day");
  GoTime t;
  t.seconds = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 + hour * 3600 +
              minute * 60 + second - offset;
  t.nanos = static_cast<int32_t>(nanos);
  t.offset_seconds = offset;
  // time.ParseInLocation: a wall clock without an offset is read in the zone;
  // an offset that is the zone's own at that instant keeps the zone's name.
  if (!is_utc_zone(zone)) {
    if (!zoned) t.seconds = zone_utc_of_local(zone, t.seconds);
    if (!zoned || zone_at(zone, t.seconds).offset_seconds == offset) t = in_zone(t, zone);
  }
  *out = t;
  return true;
}

}  // namespace skiff::expr::internal
