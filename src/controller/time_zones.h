// Named time zones from the system's tz database (/usr/share/zoneinfo,
// Debian's tzdata), for cron schedules and for expressions, which only parse
// the bytes they are given.
#pragma once

#include <optional>
#include <string>

namespace skiff::controller {

// The bytes of the zone's TZif file, or nullopt when there is no such zone
// (names with "..", a leading '/' or an empty name never are).
std::optional<std::string> read_system_zone(const std::string& name);

// Makes expressions read named zones with read_system_zone. Called where a
// program starts (the CLI, a service) before anything is evaluated.
void use_system_time_zones();

}  // namespace skiff::controller
