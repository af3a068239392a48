// Cron schedules as Argo's CronWorkflows write them (internal): five fields
// (minute hour day-of-month month day-of-week) with lists, ranges, steps and
// names, the @yearly…@hourly shorthands and "@every <duration>", evaluated
// in an IANA time zone read from the system's zoneinfo files.
#pragma once

#include <bitset>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace skiff::controller::internal {

// UTC offsets of one zone over time (a TZif file).
class TimeZone {
 public:
  // "" and "UTC" need no file.
  static Result<std::shared_ptr<const TimeZone>> load(const std::string& name);
  std::chrono::seconds offset_at(Time utc) const;

 private:
  std::vector<int64_t> transitions_;          // UTC seconds
  std::vector<int32_t> offsets_after_;        // offset in force from each transition
  int32_t initial_offset_ = 0;
};

class CronSchedule {
 public:
  static Result<CronSchedule> parse(const std::string& text);
  // The first time strictly after `after` that the schedule fires.
  std::optional<Time> next(Time after, const TimeZone& zone) const;

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<8> weekdays_;  // 0 and 7 = Sunday
  bool any_day_ = true, any_weekday_ = true;
  std::optional<Duration> every_;
};

}  // namespace skiff::controller::internal
