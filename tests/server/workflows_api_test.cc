// /api/v1/workflows against a real server over HTTP.
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

using WorkflowsApiTest = ServerFixture;

TEST_F(WorkflowsApiTest, CreateRunsTheWorkflowAndGetShowsItsNodes) {
  start();
  Reply created = call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("hello")}});
  ASSERT_EQ(created.status, 200) << created.text;
  EXPECT_EQ(created.body["metadata"]["name"], "hello");
  EXPECT_EQ(created.body["metadata"]["namespace"], "argo");
  EXPECT_FALSE(created.body["metadata"].value("uid", "").empty());
  EXPECT_FALSE(created.body["metadata"].value("creationTimestamp", "").empty());

  Json wf = wait_completed("argo", "hello");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  EXPECT_EQ(wf["metadata"]["labels"]["workflows.argoproj.io/phase"], "Succeeded");
  EXPECT_EQ(wf["metadata"]["labels"]["workflows.argoproj.io/completed"], "true");
  EXPECT_EQ(wf["metadata"]["labels"]["team"], "a");
  ASSERT_TRUE(wf["status"]["nodes"].contains("hello"));
  EXPECT_EQ(wf["status"]["nodes"]["hello"]["phase"], "Succeeded");
  EXPECT_EQ(wf["status"]["nodes"]["hello"]["type"], "Pod");
  EXPECT_EQ(wf["spec"]["entrypoint"], "main");
}

TEST_F(WorkflowsApiTest, GenerateNameGivesAFreshName) {
  start();
  Json workflow = echo_workflow("");
  workflow["metadata"].erase("name");
  workflow["metadata"]["generateName"] = "gen-";
  Reply a = call("POST", "/api/v1/workflows/argo", {{"workflow", workflow}});
  Reply b = call("POST", "/api/v1/workflows/argo", {{"workflow", workflow}});
  ASSERT_EQ(a.status, 200) << a.text;
  ASSERT_EQ(b.status, 200) << b.text;
  std::string name = a.body["metadata"]["name"];
  EXPECT_EQ(name.rfind("gen-", 0), 0u);
  EXPECT_EQ(name.size(), 9u);
  EXPECT_NE(a.body["metadata"]["name"], b.body["metadata"]["name"]);
}

TEST_F(WorkflowsApiTest, ErrorsAreGrpcGatewayJsonWithTheRightStatus) {
  start();
  Reply bad_json = post_raw("/api/v1/workflows/argo", "{\"workflow\": ");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.body["code"], 3);
  EXPECT_NE(bad_json.body.value("message", "").find("request body"), std::string::npos) << bad_json.text;

  Reply no_workflow = call("POST", "/api/v1/workflows/argo", Json::object());
  EXPECT_EQ(no_workflow.status, 400);
  EXPECT_EQ(no_workflow.body["message"], "workflow: required");

  Json unknown_field = echo_workflow("typo");
  unknown_field["spec"]["entrypont"] = "main";
  Reply invalid = call("POST", "/api/v1/workflows/argo", {{"workflow", unknown_field}});
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.body["code"], 3);
  EXPECT_NE(invalid.body.value("message", "").find("entrypont"), std::string::npos) << invalid.text;

  Json bad_entry = echo_workflow("badentry");
  bad_entry["spec"]["entrypoint"] = "nope";
  Reply lint_failure = call("POST", "/api/v1/workflows/argo", {{"workflow", bad_entry}});
  EXPECT_EQ(lint_failure.status, 400) << lint_failure.text;
  EXPECT_NE(lint_failure.body.value("message", "").find("nope"), std::string::npos) << lint_failure.text;

  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("twice")}}).status, 200);
  Reply duplicate = call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("twice")}});
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.body["code"], 6);
  EXPECT_EQ(duplicate.body["message"], "workflows.argoproj.io \"twice\" already exists");

  Reply missing = call("GET", "/api/v1/workflows/argo/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["code"], 5);
  EXPECT_EQ(missing.body["message"], "workflows.argoproj.io \"nope\" not found");

  EXPECT_EQ(call("DELETE", "/api/v1/workflows/argo/nope").status, 404);
  Reply no_route = call("GET", "/api/v1/nothing-here");
  EXPECT_EQ(no_route.status, 404);
  EXPECT_EQ(no_route.body["code"], 5);
  Reply wrong_method = call("PUT", "/api/v1/workflows/argo/twice");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.body["code"], 12);
}

TEST_F(WorkflowsApiTest, DryRunAndLintStoreNothing) {
  start();
  Reply dry = call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("dry")}, {"serverDryRun", true}});
  ASSERT_EQ(dry.status, 200) << dry.text;
  EXPECT_EQ(dry.body["metadata"]["name"], "dry");
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/dry").status, 404);

  Reply linted = call("POST", "/api/v1/workflows/argo/lint", {{"workflow", echo_workflow("linted")}});
  ASSERT_EQ(linted.status, 200) << linted.text;
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/linted").status, 404);
  Json broken = echo_workflow("broken");
  broken["spec"]["templates"][0]["name"] = "other";
  EXPECT_EQ(call("POST", "/api/v1/workflows/argo/lint", {{"workflow", broken}}).status, 400);
}

TEST_F(WorkflowsApiTest, ListFiltersPagesAndProjects) {
  start();
  for (const char* name : {"l1", "l2", "l3"}) {
    ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow(name)}}).status, 200);
  }
  Json other = echo_workflow("l4");
  other["metadata"]["labels"]["team"] = "b";
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", other}}).status, 200);
  ASSERT_EQ(call("POST", "/api/v1/workflows/elsewhere", {{"workflow", echo_workflow("e1")}}).status, 200);
  for (const char* name : {"l1", "l2", "l3", "l4"}) wait_completed("argo", name);

  Reply all = call("GET", "/api/v1/workflows/argo");
  ASSERT_EQ(all.status, 200);
  ASSERT_EQ(all.body["items"].size(), 4u);
  EXPECT_EQ(all.body["items"][0]["metadata"]["name"], "l4");  // newest first

  Reply everywhere = call("GET", "/api/v1/workflows/");
  ASSERT_EQ(everywhere.status, 200);
  EXPECT_EQ(everywhere.body["items"].size(), 5u);

  Reply team_a = call("GET", "/api/v1/workflows/argo?listOptions.labelSelector=team%3Da");
  ASSERT_EQ(team_a.body["items"].size(), 3u);
  Reply done = call("GET",
                    "/api/v1/workflows/argo?listOptions.labelSelector=workflows.argoproj.io/phase%20in%20(Succeeded)"
                    ",team!%3Da");
  ASSERT_EQ(done.body["items"].size(), 1u) << done.text;
  EXPECT_EQ(done.body["items"][0]["metadata"]["name"], "l4");

  Reply by_name = call("GET", "/api/v1/workflows/argo?listOptions.fieldSelector=metadata.name%3Dl2");
  ASSERT_EQ(by_name.body["items"].size(), 1u);
  EXPECT_EQ(by_name.body["items"][0]["metadata"]["name"], "l2");

  Reply page1 = call("GET", "/api/v1/workflows/argo?listOptions.limit=3");
  ASSERT_EQ(page1.body["items"].size(), 3u);
  EXPECT_EQ(page1.body["metadata"]["remainingItemCount"], 1);
  std::string token = page1.body["metadata"]["continue"];
  Reply page2 = call("GET", "/api/v1/workflows/argo?listOptions.limit=3&listOptions.continue=" + token);
  ASSERT_EQ(page2.body["items"].size(), 1u);
  EXPECT_EQ(page2.body["items"][0]["metadata"]["name"], "l1");
  EXPECT_FALSE(page2.body["metadata"].contains("continue"));

  Reply projected = call("GET", "/api/v1/workflows/argo?fields=items.metadata.name,items.status.phase");
  ASSERT_EQ(projected.body["items"].size(), 4u);
  const Json& item = projected.body["items"][0];
  EXPECT_EQ(item["metadata"].size(), 1u) << item.dump();
  EXPECT_EQ(item["status"].size(), 1u) << item.dump();
  EXPECT_EQ(item["status"]["phase"], "Succeeded");
  EXPECT_FALSE(item.contains("spec"));

  Reply without_nodes = call("GET", "/api/v1/workflows/argo?fields=-items.status.nodes");
  EXPECT_FALSE(without_nodes.body["items"][0]["status"].contains("nodes"));
  EXPECT_TRUE(without_nodes.body["items"][0]["status"].contains("phase"));

  Reply one = call("GET", "/api/v1/workflows/argo/l1?fields=metadata.name,status.phase");
  const Json expected_one = {{"metadata", {{"name", "l1"}}}, {"status", {{"phase", "Succeeded"}}}};
  EXPECT_EQ(one.body, expected_one);

  EXPECT_EQ(call("GET", "/api/v1/workflows/argo?listOptions.labelSelector=a%20in%20b").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo?listOptions.fieldSelector=spec.x%3D1").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo?listOptions.continue=bogus").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo?listOptions.limit=x").status, 400);
}

TEST_F(WorkflowsApiTest, DeleteRemovesARunningWorkflowAndStopsIt) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", sleep_workflow("sleepy", 60)}}).status, 200);
  wait_for("argo", "sleepy", [](const Json& wf) { return wf["status"].value("phase", "") == "Running"; });
  Reply deleted = call("DELETE", "/api/v1/workflows/argo/sleepy");
  EXPECT_EQ(deleted.status, 200) << deleted.text;
  EXPECT_EQ(deleted.body, Json::object());
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/sleepy").status, 404);
  // The name is free again.
  EXPECT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("sleepy")}}).status, 200);
}

TEST_F(WorkflowsApiTest, TerminateStopsRunningStepsAndFailsTheWorkflow) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", sleep_workflow("long", 60)}}).status, 200);
  wait_for("argo", "long", [](const Json& wf) {
    return wf["status"].contains("nodes") && wf["status"]["nodes"]["long"].value("phase", "") == "Running";
  });
  Reply terminated = call("PUT", "/api/v1/workflows/argo/long/terminate", Json::object());
  EXPECT_EQ(terminated.status, 200) << terminated.text;
  Json wf = wait_completed("argo", "long");
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  EXPECT_EQ(wf["status"].value("message", ""), "Stopped with strategy 'Terminate'");
  Reply again = call("PUT", "/api/v1/workflows/argo/long/terminate", Json::object());
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body["code"], 9);
}

TEST_F(WorkflowsApiTest, ResubmitMakesANewWorkflowFromTheOldSpec) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("orig", "again")}}).status, 200);
  wait_completed("argo", "orig");
  Reply again = call("PUT", "/api/v1/workflows/argo/orig/resubmit", Json::object());
  ASSERT_EQ(again.status, 200) << again.text;
  std::string name = again.body["metadata"]["name"];
  EXPECT_EQ(name.rfind("orig-", 0), 0u);
  EXPECT_EQ(again.body["metadata"]["labels"]["workflows.argoproj.io/resubmitted-from-workflow"], "orig");
  EXPECT_EQ(again.body["metadata"]["labels"]["team"], "a");
  Json wf = wait_completed("argo", name);
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(wf["spec"]["arguments"]["parameters"][0]["value"], "again");
  EXPECT_EQ(call("PUT", "/api/v1/workflows/argo/none/resubmit", Json::object()).status, 404);
  EXPECT_EQ(call("PUT", "/api/v1/workflows/argo/orig/resubmit", {{"memoized", true}}).status, 400);
}

TEST_F(WorkflowsApiTest, LogsStreamEachLineAsAResult) {
  start();
  Json wf = echo_workflow("logged", "line-one");
  wf["spec"]["templates"][0]["container"]["args"] = {"echo {{inputs.parameters.msg}}; echo second"};
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", wf}}).status, 200);
  wait_completed("argo", "logged");
  auto c = client();
  auto result = c.Get("/api/v1/workflows/argo/logged/log?logOptions.container=main");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  std::vector<Json> lines;
  std::stringstream in(result->body);
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << result->body;
  EXPECT_EQ(lines[0]["result"]["content"], "line-one");
  EXPECT_EQ(lines[1]["result"]["content"], "second");
  EXPECT_EQ(lines[0]["result"]["podName"], "logged");

  auto grep = c.Get("/api/v1/workflows/argo/logged/log?grep=sec");
  ASSERT_TRUE(grep);
  const std::string expected = Json{{"result", {{"content", "second"}, {"podName", "logged"}}}}.dump() + "\n";
  EXPECT_EQ(grep->body, expected);

  auto by_pod = c.Get("/api/v1/workflows/argo/logged/logged/log?logOptions.container=main");
  ASSERT_TRUE(by_pod);
  EXPECT_NE(by_pod->body.find("line-one"), std::string::npos);
  auto other_pod = c.Get("/api/v1/workflows/argo/logged/nobody/log");
  ASSERT_TRUE(other_pod);
  EXPECT_EQ(other_pod->body, "");
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/missing/log").status, 404);
}

TEST_F(WorkflowsApiTest, RestartContinuesUnfinishedWorkflows) {
  start();
  Json wf = Json::parse(R"({"metadata": {"name": "steps"},
    "spec": {"entrypoint": "main", "templates": [
      {"name": "main", "steps": [[{"name": "a", "template": "nap"}], [{"name": "b", "template": "nap"}]]},
      {"name": "nap", "container": {"image": "alpine", "command": ["sh", "-c", "sleep 1; echo done"]}}]}})");
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", wf}}).status, 200);
  wait_for("argo", "steps", [](const Json& w) { return w["status"].value("phase", "") == "Running"; });
  restart();
  Json done = wait_completed("argo", "steps");
  EXPECT_EQ(done["status"]["phase"], "Succeeded") << done.dump();
  int pods = 0;
  for (auto& [id, node] : done["status"]["nodes"].items()) {
    if (node["type"] == "Pod") {
      ++pods;
      EXPECT_EQ(node["phase"], "Succeeded");
    }
  }
  EXPECT_EQ(pods, 2);
}

TEST_F(WorkflowsApiTest, ADaemonKeepsItsPodIpAcrossARestart) {
  start();
  // The server answers on a port of its own network; the client, started
  // before the restart and run again after it, reaches it at the address
  // it was given then.
  Json wf = Json::parse(R"({"metadata": {"name": "daemon"},
    "spec": {"entrypoint": "main", "templates": [
      {"name": "main", "steps": [
        [{"name": "server", "template": "server"}],
        [{"name": "client", "template": "client",
          "arguments": {"parameters": [{"name": "ip", "value": "{{steps.server.ip}}"}]}}]]},
      {"name": "server", "daemon": true, "container": {"image": "python:3.12", "command": ["sh", "-c",
        "mkdir -p /tmp/www && cd /tmp/www && echo served > index.html && exec python3 -m http.server 8080"]}},
      {"name": "client", "inputs": {"parameters": [{"name": "ip"}]},
       "container": {"image": "python:3.12", "command": ["python3", "-c",
        "import time, urllib.request as u\ntime.sleep(2)\nfor i in range(300):\n  try:\n    print(u.urlopen('http://{{inputs.parameters.ip}}:8080/', timeout=5).read().decode().strip()); break\n  except OSError:\n    time.sleep(0.1)\n"]}}]}})");
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", wf}}).status, 200);
  auto client_of = [](const Json& w) -> Json {
    const Json nodes = w.value("status", Json::object()).value("nodes", Json::object());
    for (auto& [id, node] : nodes.items()) {
      if (node.value("displayName", "") == "client") return node;
    }
    return Json::object();
  };
  Json running =
      wait_for("argo", "daemon", [&](const Json& w) { return client_of(w).value("phase", "") == "Running"; });
  const std::string ip = client_of(running)["inputs"]["parameters"][0].value("value", "");
  EXPECT_EQ(ip.rfind("127.10.", 0), 0u) << ip;
  restart();
  Json done = wait_completed("argo", "daemon");
  EXPECT_EQ(done["status"]["phase"], "Succeeded") << done.dump();
  EXPECT_EQ(client_of(done)["inputs"]["parameters"][0].value("value", ""), ip);
  EXPECT_EQ(client_of(done)["outputs"].value("result", ""), "served") << done.dump();
}

}  // namespace
}  // namespace skiff::server::testing
