#include "controller/cron.h"

#include <gtest/gtest.h>

namespace skiff::controller::internal {
namespace {

Time at(const std::string& text) { return *parse_rfc3339(text); }

std::string next_after(const std::string& schedule, const std::string& after, const std::string& zone = "") {
  auto parsed = CronSchedule::parse(schedule);
  EXPECT_TRUE(parsed.is_ok()) << parsed.status().message();
  auto tz = TimeZone::load(zone);
  EXPECT_TRUE(tz.is_ok()) << tz.status().message();
  if (!parsed.is_ok() || !tz.is_ok()) return "";
  auto next = parsed->next(at(after), **tz);
  return next ? format_rfc3339(*next) : "never";
}

TEST(CronTest, FieldsListsRangesAndSteps) {
  EXPECT_EQ(next_after("*/15 * * * *", "2026-03-02T10:07:00Z"), "2026-03-02T10:15:00Z");
  EXPECT_EQ(next_after("*/15 * * * *", "2026-03-02T10:15:00Z"), "2026-03-02T10:30:00Z");
  EXPECT_EQ(next_after("5,35 2-3 * * *", "2026-03-02T03:40:00Z"), "2026-03-03T02:05:00Z");
  EXPECT_EQ(next_after("0 9 * * 1-5", "2026-03-06T09:00:00Z"), "2026-03-09T09:00:00Z");  // Friday -> Monday
  EXPECT_EQ(next_after("0 0 1 jan *", "2026-03-02T00:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(next_after("0 12 * * sun", "2026-03-02T00:00:00Z"), "2026-03-08T12:00:00Z");
  EXPECT_EQ(next_after("0 12 * * 7", "2026-03-02T00:00:00Z"), "2026-03-08T12:00:00Z");
  EXPECT_EQ(next_after("0 0 29 2 *", "2026-03-02T00:00:00Z"), "2028-02-29T00:00:00Z");
}

TEST(CronTest, RestrictedDayOfMonthAndWeekMatchEither) {
  // The 13th, or any Friday (2026-03-06 is a Friday).
  EXPECT_EQ(next_after("0 0 13 * 5", "2026-03-02T00:00:00Z"), "2026-03-06T00:00:00Z");
  EXPECT_EQ(next_after("0 0 13 * 5", "2026-03-10T00:00:00Z"), "2026-03-13T00:00:00Z");
}

TEST(CronTest, Shorthands) {
  EXPECT_EQ(next_after("@hourly", "2026-03-02T10:07:00Z"), "2026-03-02T11:00:00Z");
  EXPECT_EQ(next_after("@daily", "2026-03-02T10:07:00Z"), "2026-03-03T00:00:00Z");
  EXPECT_EQ(next_after("@weekly", "2026-03-02T10:07:00Z"), "2026-03-08T00:00:00Z");
  EXPECT_EQ(next_after("@every 90s", "2026-03-02T10:07:00Z"), "2026-03-02T10:08:30Z");
}

TEST(CronTest, TimeZonesFollowDaylightSaving) {
  // 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer.
  EXPECT_EQ(next_after("0 9 * * *", "2026-01-10T00:00:00Z", "America/New_York"), "2026-01-10T14:00:00Z");
  EXPECT_EQ(next_after("0 9 * * *", "2026-07-10T00:00:00Z", "America/New_York"), "2026-07-10T13:00:00Z");
  // 02:30 does not exist on the spring-forward day (2026-03-08): the next one is a day later.
  EXPECT_EQ(next_after("30 2 * * *", "2026-03-08T00:00:00Z", "America/New_York"), "2026-03-09T06:30:00Z");
  EXPECT_EQ(next_after("0 0 * * *", "2026-03-02T00:00:00Z", "Asia/Kolkata"), "2026-03-02T18:30:00Z");
}

TEST(CronTest, BadSchedulesAndZonesSayWhy) {
  auto four = CronSchedule::parse("* * * *");
  ASSERT_FALSE(four.is_ok());
  EXPECT_NE(four.status().message().find("expected 5 fields"), std::string::npos);
  auto minute = CronSchedule::parse("61 * * * *");
  ASSERT_FALSE(minute.is_ok());
  EXPECT_NE(minute.status().message().find("minute"), std::string::npos) << minute.status().message();
  EXPECT_FALSE(CronSchedule::parse("* * * foo *").is_ok());
  EXPECT_FALSE(CronSchedule::parse("*/0 * * * *").is_ok());
  EXPECT_FALSE(CronSchedule::parse("@every soon").is_ok());
  EXPECT_FALSE(TimeZone::load("Mars/Olympus").is_ok());
  EXPECT_FALSE(TimeZone::load("../../etc/passwd").is_ok());
}

}  // namespace
}  // namespace skiff::controller::internal
