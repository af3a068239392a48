#include <gtest/gtest.h>

#include "base/status.h"
#include "base/strings.h"
#include "base/time.h"

namespace skiff {
namespace {

TEST(Fnv1a32, MatchesReferenceVectors) {
  // Reference values of the 32-bit FNV-1a function.
  EXPECT_EQ(fnv1a32(""), 0x811c9dc5u);
  EXPECT_EQ(fnv1a32("a"), 0xe40c292cu);
  EXPECT_EQ(fnv1a32("foobar"), 0xbf9cf968u);
}

TEST(Duration, ParsesGoSyntaxAndBareSeconds) {
  EXPECT_EQ(parse_duration("10"), std::chrono::seconds(10));
  EXPECT_EQ(parse_duration("1m30s"), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("2h"), std::chrono::hours(2));
  EXPECT_FALSE(parse_duration("ten").has_value());
  EXPECT_FALSE(parse_duration("5x").has_value());
  EXPECT_FALSE(parse_duration("").has_value());
}

TEST(Rfc3339, RoundTrips) {
  auto t = parse_rfc3339("2026-11-22T13:20:31Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_rfc3339(*t), "2026-11-22T13:20:31Z");
  auto offset = parse_rfc3339("2026-11-22T15:20:31+02:00");
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(*offset, *t);
  EXPECT_FALSE(parse_rfc3339("yesterday").has_value());
}

TEST(Strings, TrimsOneTrailingNewlineOnly) {
  EXPECT_EQ(trim_one_trailing_newline("hi\n\n"), "hi\n");
  EXPECT_EQ(trim_one_trailing_newline("hi\r\n"), "hi");
  EXPECT_EQ(trim_one_trailing_newline("hi"), "hi");
}

TEST(Strings, PercentEncodingKeepsUnreservedAndWhatIsAsked) {
  // Expected values follow RFC 3986 section 2.
  EXPECT_EQ(percent_encode("aZ09-_.~"), "aZ09-_.~");
  EXPECT_EQ(percent_encode("a b/c+d"), "a%20b%2Fc%2Bd");
  EXPECT_EQ(percent_encode("a b/c+d", "/"), "a%20b/c%2Bd");
  EXPECT_EQ(percent_encode("\xc3\xa9\n"), "%C3%A9%0A") << "bytes, upper-case hex";
  EXPECT_EQ(percent_encode(""), "");
}

TEST(Status, CarriesCodeAndContext) {
  Status s = invalid_argument("bad").with_context("spec.entrypoint");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "spec.entrypoint: bad");
  Result<int> r = 3;
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(*r, 3);
}

}  // namespace
}  // namespace skiff

#include "base/naming.h"

namespace skiff {
namespace {

TEST(Naming, RootNodeIdIsTheWorkflowName) {
  EXPECT_EQ(argo_node_id("hello-abc", "hello-abc"), "hello-abc");
  EXPECT_EQ(argo_node_id("wf", "wf[0]"), "wf-" + std::to_string(fnv1a32("wf[0]")));
}

TEST(Naming, PodNameUsesTemplateAndHash) {
  EXPECT_EQ(argo_pod_name("wf", "wf", "main"), "wf");
  EXPECT_EQ(argo_pod_name("wf", "wf[0].a", "echo"), "wf-echo-" + std::to_string(fnv1a32("wf[0].a")));
  EXPECT_EQ(argo_pod_name("wf", "wf.inline", "x"), "wf-" + std::to_string(fnv1a32("wf.inline")));
  std::string long_template(300, 't');
  EXPECT_EQ(argo_pod_name("wf", "wf.a", long_template).size(), 253u);
}

}  // namespace
}  // namespace skiff
