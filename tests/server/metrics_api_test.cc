// /metrics against a real server: the custom metrics of the workflows it
// runs (counters adding, gauges, realtime gauges read as they are scraped)
// and the controller's gauge of workflows by phase.
#include <fstream>
#include <optional>
#include <sstream>

#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

using MetricsApiTest = ServerFixture;

// The value of one series ("name{labels}" exactly as written), if present.
std::optional<double> series(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key + " ", 0) == 0) return std::stod(line.substr(key.size() + 1));
  }
  return std::nullopt;
}

Json metered_workflow(const std::string& name, const std::string& command) {
  return Json::parse(R"({
    "metadata": {"name": ")" + name + R"("},
    "spec": {"entrypoint": "main",
             "metrics": {"prometheus": [
               {"name": "wf_finished", "help": "Workflows finished",
                "labels": [{"key": "status", "value": "{{workflow.status}}"}],
                "counter": {"value": "1"}}]},
             "templates": [{"name": "main",
               "metrics": {"prometheus": [
                 {"name": "step_running_seconds", "help": "How long the step has run",
                  "labels": [{"key": "workflow", "value": "{{workflow.name}}"}],
                  "gauge": {"realtime": true, "value": "{{duration}}"}},
                 {"name": "step_cpu_seconds", "help": "CPU seconds of the step",
                  "gauge": {"value": "{{resourcesDuration.cpu}}"}}]},
               "container": {"image": "alpine", "command": ["sh", "-c", ")" + command + R"("]}}]}})");
}

class Scraper {
 public:
  explicit Scraper(std::function<Reply()> get) : get_(std::move(get)) {}
  // Scrapes until `ready` holds for the text (generous: the machine is shared).
  std::string until(const std::function<bool(const std::string&)>& ready, const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    std::string text;
    while (std::chrono::steady_clock::now() < deadline) {
      Reply r = get_();
      EXPECT_EQ(r.status, 200) << r.text;
      text = r.text;
      if (ready(text)) return text;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "the metrics never showed " << what << "; last:\n" << text;
    return text;
  }

 private:
  std::function<Reply()> get_;
};

TEST_F(MetricsApiTest, CustomMetricsOfWorkflowsRunHereAndWorkflowsByPhase) {
  start();
  Scraper scrape([this] { return call("GET", "/metrics"); });
  const std::string running_key = "argo_workflows_step_running_seconds{workflow=\"slow\"}";

  // A step that runs until stopped: its realtime gauge grows while it runs.
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", metered_workflow("slow", "sleep 600")}}).status, 200);
  std::string text = scrape.until(
      [&](const std::string& t) {
        auto v = series(t, running_key);
        return v && *v > 0 && series(t, "argo_workflows_gauge{phase=\"Running\"}") == 1.0;
      },
      "a running realtime gauge");
  const double first = *series(text, running_key);
  text = scrape.until([&](const std::string& t) { return series(t, running_key).value_or(0) > first; },
                      "the realtime gauge growing");
  EXPECT_NE(text.find("# TYPE argo_workflows_step_running_seconds gauge\n"), std::string::npos) << text;
  EXPECT_EQ(series(text, "argo_workflows_gauge{phase=\"Succeeded\"}"), 0.0) << text;
  // Nothing completed yet: no completion metrics.
  EXPECT_FALSE(series(text, "argo_workflows_wf_finished{status=\"Failed\"}")) << text;

  // Stopped, the node completes and its realtime gauge is fixed.
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/slow/terminate", Json::object()).status, 200);
  wait_completed("argo", "slow");
  text = scrape.until(
      [&](const std::string& t) { return series(t, "argo_workflows_wf_finished{status=\"Failed\"}") == 1.0; },
      "the stopped workflow's counter");
  const auto fixed = series(text, running_key);
  ASSERT_TRUE(fixed) << text;
  EXPECT_GT(*fixed, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(series(call("GET", "/metrics").text, running_key), fixed);

  // Two quick workflows: the counter adds, gauges take each last value, and
  // the controller's gauge counts workflows by phase.
  for (const char* name : {"quick-a", "quick-b"}) {
    ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", metered_workflow(name, "true")}}).status, 200);
    EXPECT_EQ(wait_completed("argo", name)["status"]["phase"], "Succeeded");
  }
  text = scrape.until(
      [&](const std::string& t) { return series(t, "argo_workflows_wf_finished{status=\"Succeeded\"}") == 2.0; },
      "two succeeded workflows counted");
  EXPECT_EQ(series(text, "argo_workflows_wf_finished{status=\"Failed\"}"), 1.0) << text;
  EXPECT_TRUE(series(text, "argo_workflows_step_cpu_seconds")) << text;
  EXPECT_TRUE(series(text, "argo_workflows_step_running_seconds{workflow=\"quick-a\"}")) << text;
  EXPECT_EQ(series(text, "argo_workflows_gauge{phase=\"Succeeded\"}"), 2.0) << text;
  EXPECT_EQ(series(text, "argo_workflows_gauge{phase=\"Failed\"}"), 1.0) << text;
  EXPECT_EQ(series(text, "argo_workflows_gauge{phase=\"Running\"}"), 0.0) << text;

  // A deleted workflow's realtime gauges go with it; counters stay.
  ASSERT_EQ(call("DELETE", "/api/v1/workflows/argo/slow").status, 200);
  text = call("GET", "/metrics").text;
  EXPECT_FALSE(series(text, running_key)) << text;
  EXPECT_EQ(series(text, "argo_workflows_wf_finished{status=\"Failed\"}"), 1.0) << text;
  EXPECT_EQ(series(text, "argo_workflows_gauge{phase=\"Failed\"}"), 0.0) << text;
}

TEST_F(MetricsApiTest, ATokenLimitedToSomeNamespacesMayNotReadThem) {
  std::filesystem::create_directories(home_);
  std::ofstream(home_ / "tokens") << "all-token *\nteam-token team-a\n";
  ServerOptions o = options();
  o.auth_mode = "client";
  o.tokens_file = (home_ / "tokens").string();
  start(o);
  token_ = "team-token";
  EXPECT_EQ(call("GET", "/metrics").status, 403);
  token_ = "all-token";
  Reply r = call("GET", "/metrics");
  EXPECT_EQ(r.status, 200) << r.text;
  EXPECT_NE(r.text.find("argo_workflows_gauge{phase=\"Running\"} 0\n"), std::string::npos) << r.text;
}

}  // namespace
}  // namespace skiff::server::testing
