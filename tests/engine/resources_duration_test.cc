// A pod's resourcesDuration is kept as numbers (ResourceSeconds) and
// written as Argo's object: the same figures, names in order, either way.
#include <gtest/gtest.h>

#include "engine/internal.h"

namespace skiff::engine {
namespace {

TEST(ResourcesDuration, APodsSecondsPerResourceSortedByName) {
  const Json tmpl = Json::parse(R"json({"container": {"resources": {
      "requests": {"memory": "200Mi", "cpu": "2"}, "limits": {"nvidia.com/gpu": "1"}}}})json");
  const ResourceSeconds seconds = pod_resources_duration(tmpl, std::chrono::seconds(10));
  const ResourceSeconds expected = {{"cpu", 20}, {"memory", 20}, {"nvidia.com/gpu", 10}};
  EXPECT_EQ(seconds, expected);
  EXPECT_EQ(resources_duration_json(seconds), Json::parse(R"json({"cpu": 20, "memory": 20, "nvidia.com/gpu": 10})json"));
}

TEST(ResourcesDuration, WrittenAndReadBackUnchanged) {
  const ResourceSeconds seconds = {{"cpu", 3}, {"ephemeral-storage", 0}, {"memory", 7}};
  EXPECT_EQ(resources_duration_of(resources_duration_json(seconds)), seconds);
  // What is not a number is not a duration; nothing at all is no record.
  const ResourceSeconds only_cpu = {{"cpu", 1}};
  EXPECT_EQ(resources_duration_of(Json::parse(R"json({"cpu": 1, "memory": "x"})json")), only_cpu);
  EXPECT_TRUE(resources_duration_of(Json()).empty());
  EXPECT_TRUE(resources_duration_json({}).empty());
}

TEST(ResourcesDuration, SumsAddPodsRecords) {
  Json sum = add_resources_duration(Json(), {{"cpu", 2}, {"memory", 1}});
  sum = add_resources_duration(std::move(sum), {{"cpu", 3}, {"nvidia.com/gpu", 4}});
  sum = add_resources_duration(std::move(sum), {});
  EXPECT_EQ(sum, Json::parse(R"json({"cpu": 5, "memory": 1, "nvidia.com/gpu": 4})json"));
}

}  // namespace
}  // namespace skiff::engine
