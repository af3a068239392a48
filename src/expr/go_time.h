// Go's time package as far as expressions see it: layouts ("2006-01-02"),
// time.Time and time.Duration values and their texts. Times are UTC, carry a
// fixed offset, or belong to a named zone whose rules zones.h reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace skiff::expr::internal {

using Json = nlohmann::json;

// A time.Time: an instant (seconds since the Unix epoch and nanoseconds
// within the second) plus the zone offset it displays in.
struct GoTime {
  int64_t seconds = 0;
  int32_t nanos = 0;  // 0..999,999,999
  int32_t offset_seconds = 0;
  std::string zone;  // a named location ("Europe/Paris"); empty: UTC or a fixed offset
};
// The same instant shown in a zone ("", "UTC" and "Local" are UTC).
GoTime in_zone(GoTime t, const std::string& zone);
// The instant plus a duration, normalised.
GoTime add_duration(const GoTime& t, int64_t nanos);
// a - b in nanoseconds, saturating as Go's Time.Sub does.
int64_t time_difference(const GoTime& a, const GoTime& b);
int compare_times(const GoTime& a, const GoTime& b);

// Inside the evaluator times and durations are JSON objects with one marker
// key, which no decoded document or scope produces; they turn into Go's JSON
// (RFC 3339 text, integer nanoseconds) when they leave it.
Json make_time(const GoTime& t);
Json make_duration(int64_t nanos);
bool is_time(const Json& v);
bool is_duration(const Json& v);
GoTime time_of(const Json& v);
int64_t duration_of(const Json& v);
// Times and durations replaced by what encoding/json makes of them.
Json plain_json(const Json& v);

// Time.Format / time.Parse with Go's reference layout. Parse failures use
// Go's message: parsing time "x" as "2006": cannot parse "x" as "2006".
std::string format_go_time(std::string_view layout, const GoTime& t);
// With a zone, as time.ParseInLocation.
bool parse_go_time(std::string_view layout, std::string_view text, GoTime* out, std::string* error,
                   const std::string& zone = "");
// Time.String(): "2024-03-05 14:07:09 +0000 UTC".
std::string go_time_string(const GoTime& t);

// time.ParseDuration ("1h30m", "1.5s", "-2ms") and Duration.String().
bool parse_go_duration(std::string_view text, int64_t* nanos, std::string* error);
std::string format_go_duration(int64_t nanos);

// time.Month and time.Weekday: numbers that print by name ("March",
// "Tuesday"), compare and encode to JSON as their number.
Json make_month(int month);      // 1..12
Json make_weekday(int weekday);  // 0 = Sunday
bool is_named_number(const Json& v);
int64_t named_number_of(const Json& v);
std::string named_number_text(const Json& v);
std::string named_number_type(const Json& v);

// The zero time.Time (January 1, year 1, UTC).
GoTime zero_go_time();

}  // namespace skiff::expr::internal
