// Time as the engine sees it: a plain value passed in by the caller. Nothing
// below the controller reads a clock; the controller reads one and passes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skiff {

using Clock = std::chrono::system_clock;
using Time = std::chrono::time_point<Clock, std::chrono::microseconds>;
using Duration = std::chrono::microseconds;

inline Time now_from(Clock::time_point t) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(t);
}

// "2026-11-22T13:20:31Z" as Argo prints times (RFC 3339, whole seconds, UTC).
std::string format_rfc3339(Time t);
std::optional<Time> parse_rfc3339(std::string_view text);

// Go's time.ParseDuration syntax ("90s", "1h30m", "1.5s") plus a bare
// integer meaning seconds, as Argo accepts for suspend durations.
std::optional<Duration> parse_duration(std::string_view text);

// "1m30s"-style text for a duration, as `argo get` prints it.
std::string format_duration_short(Duration d);

}  // namespace skiff
