// The custom metric registry folds samples as Prometheus series do.
#include <gtest/gtest.h>

#include "controller/metrics.h"

namespace skiff::controller {
namespace {

engine::MetricSample sample(const std::string& name, const std::string& type, double value,
                            std::vector<std::pair<std::string, std::string>> labels = {}) {
  engine::MetricSample s;
  s.name = name;
  s.help = "help of " + name;
  s.type = type;
  s.value = value;
  s.labels = std::move(labels);
  return s;
}

TEST(MetricRegistry, CountersAddGaugesTakeTheLastValue) {
  MetricRegistry r;
  r.add(sample("runs", "counter", 1, {{"status", "Failed"}}));
  r.add(sample("runs", "counter", 1, {{"status", "Failed"}}));
  r.add(sample("runs", "counter", 1, {{"status", "Succeeded"}}));
  r.add(sample("took", "gauge", 4.5));
  r.add(sample("took", "gauge", 2));
  EXPECT_EQ(r.prometheus_text(),
            "# HELP argo_workflows_runs help of runs\n"
            "# TYPE argo_workflows_runs counter\n"
            "argo_workflows_runs{status=\"Failed\"} 2\n"
            "argo_workflows_runs{status=\"Succeeded\"} 1\n"
            "# HELP argo_workflows_took help of took\n"
            "# TYPE argo_workflows_took gauge\n"
            "argo_workflows_took 2\n");
}

TEST(MetricRegistry, HistogramsObserveIntoCumulativeBuckets) {
  MetricRegistry r;
  for (double v : {0.5, 3.0, 7.0, 12.0}) {
    auto s = sample("score", "histogram", v, {{"b", "2"}, {"a", "1"}});
    s.buckets = {10, 1, 5};
    r.add(s);
  }
  EXPECT_EQ(r.prometheus_text(),
            "# HELP argo_workflows_score help of score\n"
            "# TYPE argo_workflows_score histogram\n"
            "argo_workflows_score_bucket{a=\"1\",b=\"2\",le=\"1\"} 1\n"
            "argo_workflows_score_bucket{a=\"1\",b=\"2\",le=\"5\"} 2\n"
            "argo_workflows_score_bucket{a=\"1\",b=\"2\",le=\"10\"} 3\n"
            "argo_workflows_score_bucket{a=\"1\",b=\"2\",le=\"+Inf\"} 4\n"
            "argo_workflows_score_sum{a=\"1\",b=\"2\"} 22.5\n"
            "argo_workflows_score_count{a=\"1\",b=\"2\"} 4\n");
}

TEST(MetricRegistry, ErrorsAndConflictingHelpAreKeptNotEmitted) {
  MetricRegistry r;
  engine::MetricSample bad;
  bad.name = "x";
  bad.error = "metric 'x' must contain a help string under 'help: ' field";
  r.add(bad);
  r.add(sample("y", "gauge", 1));
  auto other = sample("y", "gauge", 2);
  other.help = "another help";
  r.add(other);
  ASSERT_EQ(r.errors().size(), 2u);
  EXPECT_EQ(r.errors()[0], bad.error);
  EXPECT_NE(r.errors()[1].find("different help or type"), std::string::npos);
  EXPECT_NE(r.prometheus_text().find("argo_workflows_y 1\n"), std::string::npos);
}

TEST(MetricRegistry, LabelValuesAreEscaped) {
  MetricRegistry r;
  r.add(sample("q", "gauge", 1, {{"v", "a\"b\\c\nd"}}));
  EXPECT_NE(r.prometheus_text().find("argo_workflows_q{v=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace skiff::controller
