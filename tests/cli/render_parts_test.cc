// The building blocks of the argo-style views, at their boundaries: the
// humanize thresholds (Go's argoproj/pkg/humanize tables), Go tabwriter
// alignment rules, and the node field selector.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "cli/render_internal.h"

namespace skiff::cli::render_detail {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Time kStart = *parse_rfc3339("2024-03-01T10:00:00Z");

TEST(Humanize, ShortDurationsTruncateToOneUnit) {
  struct Case {
    Duration elapsed;
    const char* text;
  };
  const Case cases[] = {
      {seconds(0), "0s"},         {milliseconds(999), "0s"},   {seconds(1), "1s"},
      {milliseconds(1999), "1s"}, {seconds(2), "2s"},          {seconds(59), "59s"},
      {seconds(60), "1m"},        {seconds(119), "1m"},        {seconds(120), "2m"},
      {seconds(3599), "59m"},     {hours(1), "1h"},            {seconds(7199), "1h"},
      {hours(2), "2h"},           {seconds(86399), "23h"},     {hours(24), "1d"},
      {hours(48), "2d"},          {hours(24 * 7 - 1), "6d"},   {hours(24 * 30), "30d"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(relative_duration_short(kStart, kStart + c.elapsed, kStart), c.text) << c.elapsed.count();
  }
}

TEST(Humanize, ShortDurationOfUnfinishedNodeRunsToNow) {
  EXPECT_EQ(relative_duration_short(kStart, go_zero_time(), kStart + seconds(42)), "42s");
  EXPECT_EQ(relative_duration_short(go_zero_time(), go_zero_time(), kStart), "0s");
}

TEST(Humanize, LongDurationsUseTwoUnits) {
  struct Case {
    Duration d;
    const char* text;
  };
  const Case cases[] = {
      {seconds(0), "0 seconds"},
      {seconds(1), "1 second"},
      {seconds(45), "45 seconds"},
      {seconds(60), "1 minute 0 seconds"},
      {seconds(90), "1 minute 30 seconds"},
      {seconds(150), "2 minutes 30 seconds"},
      {hours(1), "1 hour 0 minutes"},
      {hours(3) + minutes(25), "3 hours 25 minutes"},
      {hours(26), "1 day 2 hours"},
      {hours(72), "3 days 0 hours"},
      {hours(24 * 8 + 5), "1 week 5 hours"},
  };
  for (const Case& c : cases) EXPECT_EQ(humanize_duration(c.d), c.text) << c.d.count();
}

TEST(Humanize, TimestampsSayHowLongAgo) {
  struct Case {
    Duration before_now;
    const char* relative;
  };
  const Case cases[] = {
      {milliseconds(500), "now"},         {seconds(1), "1 second ago"},    {seconds(30), "30 seconds ago"},
      {seconds(90), "1 minute ago"},      {minutes(5), "5 minutes ago"},   {hours(2), "2 hours ago"},
      {hours(36), "1 day ago"},           {hours(72), "3 days ago"},       {hours(24 * 10), "1 week ago"},
      {hours(24 * 20), "2 weeks ago"},    {hours(24 * 45), "1 month ago"}, {hours(24 * 100), "3 months ago"},
      {seconds(-10), "10 seconds from now"},
  };
  RenderOptions options;
  options.now = kStart;
  for (const Case& c : cases) {
    std::string text = humanize_timestamp(kStart - c.before_now, options);
    std::string tail = std::string("(") + c.relative + ")";
    EXPECT_EQ(text.substr(text.size() - tail.size()), tail) << text;
  }
  EXPECT_EQ(humanize_timestamp(kStart, options), "Fri Mar 01 10:00:00 +0000 (now)");
}

TEST(Humanize, GoDurationStrings) {
  EXPECT_EQ(go_duration_string(0), "0s");
  EXPECT_EQ(go_duration_string(59), "59s");
  EXPECT_EQ(go_duration_string(65), "1m5s");
  EXPECT_EQ(go_duration_string(3600), "1h0m0s");
  EXPECT_EQ(go_duration_string(-5), "-5s");
}

TEST(TabWriter, AlignsLikeGo) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"a\tb\n", "a  b\n"},
      {"a\tb\nccc\td\n", "a    b\nccc  d\n"},
      // Every tab-terminated cell is padded, even an empty last one.
      {"x\t\n", "x  \n"},
      // A line without tabs ends all column blocks.
      {"a\tb\n\nccc\td\n", "a  b\n\nccc  d\n"},
      // A block only spans lines that have a cell in that column.
      {"a\tb\tc\nlong\td\n", "a     b  c\nlong  d\n"},
      // Widths count code points, not bytes.
      {"✔\tx\nab\ty\n", "✔   x\nab  y\n"},
      // Text after the last newline is written without one.
      {"a\tb\ncc", "a  b\ncc"},
  };
  for (const Case& c : cases) EXPECT_EQ(tabwrite(c.in), c.out) << c.in;
}

TEST(Selector, MatchesArgoNodeFields) {
  nlohmann::json node = {
      {"id", "wf-1"},
      {"name", "wf[0].a"},
      {"displayName", "a"},
      {"phase", "Failed"},
      {"templateRef", {{"name", "lib"}, {"template", "say"}}},
      {"inputs", {{"parameters", {{{"name", "msg"}, {"value", "hi"}}}}}},
  };
  struct Case {
    const char* selector;
    bool matches;
  };
  const Case cases[] = {
      {"", true},
      {"phase=Failed", true},
      {"phase==Failed", true},
      {"phase=Succeeded", false},
      {"phase!=Succeeded", true},
      {"phase!=Failed", false},
      {"displayName=a,phase=Failed", true},
      {"displayName=a,phase=Running", false},
      {"templateName=say", true},
      {"templateRef.name=lib", true},
      {"inputs.parameters.msg.value=hi", true},
      {"inputs.parameters.other.value=hi", false},
      {"id = wf-1", true},
      {"nonsense", false},
  };
  for (const Case& c : cases) EXPECT_EQ(selector_matches(c.selector, node), c.matches) << c.selector;
}

TEST(ResourcesDuration, SortedWithArgoDenominators) {
  nlohmann::json rd = {{"memory", 65}, {"cpu", 3}, {"nvidia.com/gpu", 1}, {"ephemeral-storage", 2}};
  EXPECT_EQ(resources_duration_text(rd),
            "3s*(1 cpu),2s*(10Gi ephemeral-storage),1m5s*(100Mi memory),1s*(1 nvidia.com/gpu)");
  EXPECT_EQ(resources_duration_text(nlohmann::json()), "");
}

}  // namespace
}  // namespace skiff::cli::render_detail
