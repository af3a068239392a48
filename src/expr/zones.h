// Named time zones ("Europe/Paris") for time.LoadLocation, Time.In and
// time.ParseInLocation. Rules come from TZif data the installed ZoneSource
// gives (see set_zone_source in expr.h; the controller reads the system's tz
// database), asked for the first time a zone is named and kept for the
// process, so an evaluation stays repeatable. "UTC", "" and "Local" are UTC
// (Go's Local is UTC on a controller whose TZ is unset).
#pragma once

#include <cstdint>
#include <string>

namespace skiff::expr::internal {

struct ZoneAt {
  int32_t offset_seconds = 0;
  std::string abbreviation;  // "CET", "CEST", "UTC"
};

// Whether a zone of that name exists (names with "..", a leading '/' or
// characters outside [A-Za-z0-9_+-/] never do).
bool known_zone(const std::string& name);
// The zone in force at an instant (seconds since the Unix epoch); UTC for an
// unknown zone.
ZoneAt zone_at(const std::string& name, int64_t unix_seconds);
// The instant whose wall clock in the zone reads local_seconds (seconds since
// 1970-01-01 00:00 of that wall clock), choosing as Go does around changes.
int64_t zone_utc_of_local(const std::string& name, int64_t local_seconds);
// Whether the zone is UTC under another name.
bool is_utc_zone(const std::string& name);

}  // namespace skiff::expr::internal
