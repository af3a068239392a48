// Workflow templates, cluster workflow templates, cron workflows and submit.
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

using TemplatesApiTest = ServerFixture;

Json greeting_template(const std::string& kind, const std::string& name) {
  return Json::parse(R"({"apiVersion": "argoproj.io/v1alpha1", "kind": ")" + kind + R"(",
    "metadata": {"name": ")" + name + R"(", "labels": {"kind": "greeting"}},
    "spec": {"entrypoint": "main",
             "arguments": {"parameters": [{"name": "who", "value": "world"}]},
             "templates": [{"name": "main", "inputs": {"parameters": [{"name": "who"}]},
                            "container": {"image": "alpine", "command": ["echo", "hello {{inputs.parameters.who}}"]}}]}})");
}

TEST_F(TemplatesApiTest, WorkflowTemplateCrud) {
  start();
  Reply created = call("POST", "/api/v1/workflow-templates/argo",
                       {{"template", greeting_template("WorkflowTemplate", "greet")}});
  ASSERT_EQ(created.status, 200) << created.text;
  EXPECT_EQ(created.body["kind"], "WorkflowTemplate");
  EXPECT_EQ(created.body["metadata"]["namespace"], "argo");
  EXPECT_EQ(created.body["metadata"]["resourceVersion"], "1");
  EXPECT_FALSE(created.body["metadata"].value("uid", "").empty());

  Reply duplicate = call("POST", "/api/v1/workflow-templates/argo",
                         {{"template", greeting_template("WorkflowTemplate", "greet")}});
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.body["message"], "workflowtemplates.argoproj.io \"greet\" already exists");

  Reply got = call("GET", "/api/v1/workflow-templates/argo/greet");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["spec"]["entrypoint"], "main");

  Json changed = greeting_template("WorkflowTemplate", "greet");
  changed["spec"]["arguments"]["parameters"][0]["value"] = "moon";
  Reply updated = call("PUT", "/api/v1/workflow-templates/argo/greet", {{"template", changed}});
  ASSERT_EQ(updated.status, 200) << updated.text;
  EXPECT_EQ(updated.body["metadata"]["resourceVersion"], "2");
  EXPECT_EQ(updated.body["metadata"]["uid"], created.body["metadata"]["uid"]);

  Reply mismatch = call("PUT", "/api/v1/workflow-templates/argo/other", {{"template", changed}});
  EXPECT_EQ(mismatch.status, 400);

  Reply listed = call("GET", "/api/v1/workflow-templates/argo");
  ASSERT_EQ(listed.body["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/workflow-templates/argo?listOptions.labelSelector=kind%3Dother").body["items"].size(),
            0u);
  EXPECT_EQ(call("GET", "/api/v1/workflow-templates/elsewhere").body["items"].size(), 0u);

  Json invalid = greeting_template("WorkflowTemplate", "broken");
  invalid["spec"]["templates"][0]["container"]["imagee"] = "x";
  Reply rejected = call("POST", "/api/v1/workflow-templates/argo", {{"template", invalid}});
  EXPECT_EQ(rejected.status, 400);
  EXPECT_NE(rejected.body.value("message", "").find("imagee"), std::string::npos) << rejected.text;
  EXPECT_EQ(call("POST", "/api/v1/workflow-templates/argo/lint", {{"template", invalid}}).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/workflow-templates/argo/lint",
                 {{"template", greeting_template("WorkflowTemplate", "fine")}}).status,
            200);
  EXPECT_EQ(call("GET", "/api/v1/workflow-templates/argo/fine").status, 404);

  EXPECT_EQ(call("DELETE", "/api/v1/workflow-templates/argo/greet").status, 200);
  Reply gone = call("GET", "/api/v1/workflow-templates/argo/greet");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body["message"], "workflowtemplates.argoproj.io \"greet\" not found");
}

TEST_F(TemplatesApiTest, SubmitFromAWorkflowTemplateWithParameters) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflow-templates/argo",
                 {{"template", greeting_template("WorkflowTemplate", "greet")}}).status,
            200);
  Reply submitted = call("POST", "/api/v1/workflows/argo/submit",
                         {{"resourceKind", "WorkflowTemplate"},
                          {"resourceName", "greet"},
                          {"submitOptions", {{"parameters", {"who=skiff"}}, {"labels", "run=1"}}}});
  ASSERT_EQ(submitted.status, 200) << submitted.text;
  std::string name = submitted.body["metadata"]["name"];
  EXPECT_EQ(name.rfind("greet-", 0), 0u);
  EXPECT_EQ(submitted.body["metadata"]["labels"]["workflows.argoproj.io/workflow-template"], "greet");
  EXPECT_EQ(submitted.body["metadata"]["labels"]["run"], "1");
  Json wf = wait_completed("argo", name);
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();

  auto c = client();
  auto logs = c.Get("/api/v1/workflows/argo/" + name + "/log");
  ASSERT_TRUE(logs);
  EXPECT_NE(logs->body.find("hello skiff"), std::string::npos) << logs->body;

  Reply missing = call("POST", "/api/v1/workflows/argo/submit",
                       {{"resourceKind", "WorkflowTemplate"}, {"resourceName", "nope"}});
  EXPECT_EQ(missing.status, 404);
  Reply bad_kind = call("POST", "/api/v1/workflows/argo/submit",
                        {{"resourceKind", "Pod"}, {"resourceName", "greet"}});
  EXPECT_EQ(bad_kind.status, 400);
}

TEST_F(TemplatesApiTest, ClusterTemplatesAreSharedByNamespaces) {
  start();
  Reply created = call("POST", "/api/v1/cluster-workflow-templates",
                       {{"template", greeting_template("ClusterWorkflowTemplate", "shared")}});
  ASSERT_EQ(created.status, 200) << created.text;
  EXPECT_FALSE(created.body["metadata"].contains("namespace"));
  EXPECT_EQ(call("GET", "/api/v1/cluster-workflow-templates/shared").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/cluster-workflow-templates").body["items"].size(), 1u);

  Json wf = Json::parse(R"({"metadata": {"name": "uses-shared"},
    "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[
      {"name": "call", "templateRef": {"name": "shared", "template": "main", "clusterScope": true},
       "arguments": {"parameters": [{"name": "who", "value": "cluster"}]}}]]}]}})");
  ASSERT_EQ(call("POST", "/api/v1/workflows/team", {{"workflow", wf}}).status, 200);
  EXPECT_EQ(wait_completed("team", "uses-shared")["status"]["phase"], "Succeeded");

  Reply from_cluster = call("POST", "/api/v1/workflows/team/submit",
                            {{"resourceKind", "ClusterWorkflowTemplate"}, {"resourceName", "shared"}});
  ASSERT_EQ(from_cluster.status, 200) << from_cluster.text;
  EXPECT_EQ(wait_completed("team", from_cluster.body["metadata"]["name"])["status"]["phase"], "Succeeded");

  EXPECT_EQ(call("DELETE", "/api/v1/cluster-workflow-templates/shared").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/cluster-workflow-templates/shared").status, 404);
}

TEST_F(TemplatesApiTest, CronWorkflowsAreStored) {
  start();
  Json cron = Json::parse(R"({"metadata": {"name": "nightly"},
    "spec": {"schedule": "0 2 * * *", "workflowSpec": {"entrypoint": "main",
      "templates": [{"name": "main", "container": {"image": "alpine", "command": ["true"]}}]}}})");
  Reply created = call("POST", "/api/v1/cron-workflows/argo", {{"cronWorkflow", cron}});
  ASSERT_EQ(created.status, 200) << created.text;
  EXPECT_EQ(created.body["kind"], "CronWorkflow");
  EXPECT_EQ(call("GET", "/api/v1/cron-workflows/argo/nightly").body["spec"]["schedule"], "0 2 * * *");
  EXPECT_EQ(call("GET", "/api/v1/cron-workflows/argo").body["items"].size(), 1u);
  Reply run = call("POST", "/api/v1/workflows/argo/submit",
                   {{"resourceKind", "CronWorkflow"}, {"resourceName", "nightly"}});
  ASSERT_EQ(run.status, 200) << run.text;
  EXPECT_EQ(run.body["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"], "nightly");
  EXPECT_EQ(wait_completed("argo", run.body["metadata"]["name"])["status"]["phase"], "Succeeded");
  EXPECT_EQ(call("DELETE", "/api/v1/cron-workflows/argo/nightly").status, 200);
}

TEST_F(TemplatesApiTest, CronWorkflowsRunOnScheduleWithForbidAndHistoryLimits) {
  start();
  Json cron = Json::parse(R"({"metadata": {"name": "ticker"},
    "spec": {"schedule": "@every 1s", "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 2,
             "workflowMetadata": {"labels": {"from": "cron"}},
             "workflowSpec": {"entrypoint": "main",
      "templates": [{"name": "main", "container": {"image": "alpine", "command": ["true"]}}]}}})");
  ASSERT_EQ(call("POST", "/api/v1/cron-workflows/argo", {{"cronWorkflow", cron}}).status, 200);

  // Several runs happen; finished ones beyond the history limit are removed.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  Json status;
  while (std::chrono::steady_clock::now() < deadline) {
    status = call("GET", "/api/v1/cron-workflows/argo/ticker").body.value("status", Json::object());
    Reply children = call("GET", "/api/v1/workflows/argo?listOptions.labelSelector=workflows.argoproj.io/cron-workflow%3Dticker");
    int finished = 0;
    for (auto& wf : children.body["items"]) {
      EXPECT_EQ(wf["metadata"]["labels"]["from"], "cron");
      std::string name = wf["metadata"]["name"];
      EXPECT_EQ(name.rfind("ticker-", 0), 0u) << name;
      if (wf["metadata"]["labels"]["workflows.argoproj.io/completed"] == "true") ++finished;
    }
    EXPECT_LE(finished, 3);  // the limit, plus one that finished since the last tick
    if (status.contains("lastScheduledTime") && finished >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(status.contains("lastScheduledTime")) << status.dump();
  Reply children = call("GET", "/api/v1/workflows/argo?listOptions.labelSelector=workflows.argoproj.io/completed%3Dtrue");
  EXPECT_GE(children.body["items"].size(), 2u) << "the cron workflow did not run twice within a minute";

  Reply suspended = call("PUT", "/api/v1/cron-workflows/argo/ticker/suspend", Json::object());
  ASSERT_EQ(suspended.status, 200) << suspended.text;
  EXPECT_EQ(suspended.body["spec"]["suspend"], true);
  Reply resumed = call("PUT", "/api/v1/cron-workflows/argo/ticker/resume", Json::object());
  EXPECT_EQ(resumed.body["spec"]["suspend"], false);
  EXPECT_EQ(call("PUT", "/api/v1/cron-workflows/argo/none/suspend", Json::object()).status, 404);

  Json bad = cron;
  bad["metadata"]["name"] = "bad";
  bad["spec"]["schedule"] = "61 * * * *";
  Reply rejected = call("POST", "/api/v1/cron-workflows/argo", {{"cronWorkflow", bad}});
  EXPECT_EQ(rejected.status, 400);
  EXPECT_NE(rejected.body.value("message", "").find("minute"), std::string::npos) << rejected.text;
  EXPECT_EQ(call("DELETE", "/api/v1/cron-workflows/argo/ticker").status, 200);
}

}  // namespace
}  // namespace skiff::server::testing
