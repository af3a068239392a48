// CronWorkflow `when`: a condition over cronworkflow.* evaluated at each
// scheduled time; a false one skips the run.
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

using CronWhenTest = ServerFixture;

Json every_second(const std::string& name, const std::string& when, const Json& labels = Json::object()) {
  Json cron = Json::parse(R"({"spec": {"schedule": "@every 1s", "concurrencyPolicy": "Forbid",
      "workflowSpec": {"entrypoint": "main",
        "templates": [{"name": "main", "container": {"image": "alpine", "command": ["true"]}}]}}})");
  cron["metadata"] = {{"name", name}, {"labels", labels}};
  if (!when.empty()) cron["spec"]["when"] = when;
  return cron;
}

TEST_F(CronWhenTest, FalseSkipsTheRunAndCountsSteerIt) {
  start();
  auto children = [this](const std::string& cron) {
    return call("GET", "/api/v1/workflows/argo?listOptions.labelSelector=workflows.argoproj.io/cron-workflow%3D" + cron)
        .body.value("items", Json::array());
  };
  auto create = [this](const Json& cron) {
    Reply created = call("POST", "/api/v1/cron-workflows/argo", {{"cronWorkflow", cron}});
    ASSERT_EQ(created.status, 200) << created.text;
  };
  // Runs once, then not for an hour after its last run.
  create(every_second("once", "{{= cronworkflow.lastScheduledTime == nil || "
                              "(now() - cronworkflow.lastScheduledTime).Seconds() > 3600 }}"));
  // Its own label says no.
  create(every_second("off", "{{= cronworkflow.labels.enabled == 'true' }}", {{"enabled", "false"}}));
  // Forbid makes each run wait for the last to finish, so the count of
  // successes it reads is exact: two runs, then none.
  create(every_second("twice", "cronworkflow.succeeded < 2"));
  // Names a variable that does not exist: skipped with a SpecError.
  create(every_second("broken", "{{= cronworkflow.nope > 1 }}"));
  // No condition: the clock that shows the others had their chances.
  Json always = every_second("always", "");
  always["spec"]["successfulJobsHistoryLimit"] = 100;
  create(always);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    size_t finished = 0;
    for (const auto& wf : children("always")) {
      if (wf["metadata"]["labels"].value("workflows.argoproj.io/completed", "") == "true") ++finished;
    }
    const Json twice = call("GET", "/api/v1/cron-workflows/argo/twice").body.value("status", Json::object());
    if (finished >= 3 && twice.value("succeeded", 0) >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Each of the others was due at every tick "always" ran at (they were
  // created first and share its schedule).
  ASSERT_GE(children("always").size(), 3u);
  EXPECT_EQ(children("once").size(), 1u);
  EXPECT_EQ(children("off").size(), 0u);
  EXPECT_EQ(children("broken").size(), 0u);

  const Json off = call("GET", "/api/v1/cron-workflows/argo/off").body;
  EXPECT_FALSE(off.value("status", Json::object()).contains("lastScheduledTime")) << off.dump();
  const Json broken = call("GET", "/api/v1/cron-workflows/argo/broken").body;
  ASSERT_TRUE(broken["status"].contains("conditions")) << broken.dump();
  EXPECT_EQ(broken["status"]["conditions"][0]["type"], "SpecError");
  EXPECT_NE(broken["status"]["conditions"][0].value("message", "").find("spec.when"), std::string::npos);

  // A third run of "twice" would start within a tick of the second one's end.
  const Json twice = call("GET", "/api/v1/cron-workflows/argo/twice").body;
  EXPECT_EQ(twice["status"].value("succeeded", 0), 2) << twice.dump();
  auto last_run = [this]() {
    return call("GET", "/api/v1/cron-workflows/argo/always").body["status"].value("lastScheduledTime", "");
  };
  std::string seen = last_run();
  const auto later = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int ticks = 0; ticks < 2 && std::chrono::steady_clock::now() < later;) {
    if (std::string now = last_run(); now != seen) {
      seen = now;
      ++ticks;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(children("twice").size(), 2u);
  EXPECT_EQ(children("once").size(), 1u);
}

TEST_F(CronWhenTest, BadConditionIsRefusedNamingTheField) {
  start();
  Json bad = every_second("bad", "{{= cronworkflow.failed < }}");
  Reply linted = call("POST", "/api/v1/cron-workflows/argo/lint", {{"cronWorkflow", bad}});
  EXPECT_EQ(linted.status, 400) << linted.text;
  EXPECT_NE(linted.body.value("message", "").find("spec.when"), std::string::npos) << linted.text;
  Reply created = call("POST", "/api/v1/cron-workflows/argo", {{"cronWorkflow", bad}});
  EXPECT_EQ(created.status, 400) << created.text;
  EXPECT_NE(created.body.value("message", "").find("spec.when"), std::string::npos) << created.text;

  Json unclosed = every_second("unclosed", "{{= cronworkflow.failed < 1");
  EXPECT_EQ(call("POST", "/api/v1/cron-workflows/argo", {{"cronWorkflow", unclosed}}).status, 400);

  const std::string file = (home_ / "cron.yaml").string();
  FILE* out = std::fopen(file.c_str(), "w");
  // JSON is YAML: one document holding the whole object.
  Json whole = bad;
  whole["apiVersion"] = "argoproj.io/v1alpha1";
  whole["kind"] = "CronWorkflow";
  std::fputs(whole.dump().c_str(), out);
  std::fclose(out);
  auto [code, text] = cli("cron lint " + file);
  EXPECT_NE(code, 0) << text;
  EXPECT_NE(text.find("spec.when"), std::string::npos) << text;
  auto [created_code, created_text] = cli("cron create " + file);
  EXPECT_NE(created_code, 0) << created_text;
  EXPECT_NE(created_text.find("spec.when"), std::string::npos) << created_text;

  Json good = every_second("good", "{{= cronworkflow.failed < 3 }}");
  EXPECT_EQ(call("POST", "/api/v1/cron-workflows/argo/lint", {{"cronWorkflow", good}}).status, 200);
}

}  // namespace
}  // namespace skiff::server::testing
