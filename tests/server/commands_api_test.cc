// PUT /api/v1/workflows/{ns}/{name}/suspend|resume|stop|set against a real
// server over HTTP: the bodies of Argo's requests, its answers and errors.
#include "../cli/subprocess.h"
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

using CommandsApiTest = ServerFixture;

// An approval gate (a suspend node whose answer is supplied), then a step
// that prints the answer; an exit handler that always runs.
Json gated_workflow(const std::string& name, const std::string& answer_default = "") {
  Json value_from = {{"supplied", Json::object()}};
  if (!answer_default.empty()) value_from["default"] = answer_default;
  return Json::parse(R"({
    "metadata": {"name": ")" + name + R"("},
    "spec": {"entrypoint": "main", "onExit": "bye",
             "templates": [
               {"name": "main", "steps": [[{"name": "approve", "template": "approve"}],
                                          [{"name": "show", "template": "show",
                                            "arguments": {"parameters": [
                                              {"name": "answer", "value": "{{steps.approve.outputs.parameters.answer}}"}]}}]]},
               {"name": "approve", "suspend": {},
                "outputs": {"parameters": [{"name": "answer", "valueFrom": )" + value_from.dump() + R"(}]}},
               {"name": "show", "inputs": {"parameters": [{"name": "answer"}]},
                "container": {"image": "alpine", "command": ["echo", "{{inputs.parameters.answer}}"]}},
               {"name": "bye", "container": {"image": "alpine", "command": ["true"]}}]}})");
}

bool gate_waiting(const Json& wf) {
  const Json nodes = wf["status"].value("nodes", Json::object());
  for (const auto& [id, node] : nodes.items()) {
    if (node.value("displayName", "") == "approve" && node.value("phase", "") == "Running") return true;
  }
  return false;
}

Json node_named(const Json& wf, const std::string& display_name) {
  const Json nodes = wf["status"].value("nodes", Json::object());
  for (const auto& [id, node] : nodes.items()) {
    if (node.value("displayName", "") == display_name) return node;
  }
  return Json();
}

TEST_F(CommandsApiTest, SetSuppliesAnOutputAndResumeLetsTheWorkflowGoOn) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("gate")}}).status, 200);
  wait_for("argo", "gate", gate_waiting);

  Reply bad = call("PUT", "/api/v1/workflows/argo/gate/set",
                   {{"nodeFieldSelector", "displayName=approve"}, {"outputParameters", "not json"}});
  EXPECT_EQ(bad.status, 400) << bad.text;
  Reply no_selector = call("PUT", "/api/v1/workflows/argo/gate/set", {{"outputParameters", R"({"answer":"x"})"}});
  EXPECT_EQ(no_selector.status, 400) << no_selector.text;

  Reply set = call("PUT", "/api/v1/workflows/argo/gate/set",
                   {{"name", "gate"}, {"nodeFieldSelector", "displayName=approve"},
                    {"outputParameters", R"({"answer":"ship it"})"}});
  ASSERT_EQ(set.status, 200) << set.text;
  EXPECT_EQ(set.body["metadata"]["name"], "gate") << "the answer is the Workflow";

  Reply resumed = call("PUT", "/api/v1/workflows/argo/gate/resume", {{"nodeFieldSelector", "displayName=approve"}});
  ASSERT_EQ(resumed.status, 200) << resumed.text;
  Json wf = wait_completed("argo", "gate");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  EXPECT_EQ(node_named(wf, "show")["outputs"]["result"], "ship it");
  EXPECT_EQ(node_named(wf, "approve")["outputs"]["parameters"][0]["value"], "ship it");

  Reply late = call("PUT", "/api/v1/workflows/argo/gate/suspend", Json::object());
  EXPECT_EQ(late.status, 400) << late.text;
  EXPECT_EQ(late.body["message"], "cannot suspend completed workflows");
}

TEST_F(CommandsApiTest, SuspendThenResumeOfTheWholeWorkflow) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("paused", "later")}}).status, 200);
  wait_for("argo", "paused", gate_waiting);
  Reply suspended = call("PUT", "/api/v1/workflows/argo/paused/suspend", Json::object());
  ASSERT_EQ(suspended.status, 200) << suspended.text;
  EXPECT_EQ(suspended.body["spec"].value("suspend", false), true) << suspended.body["spec"].dump();
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/paused").body["spec"].value("suspend", false), true);
  // A plain resume clears spec.suspend and resumes every suspend node.
  Reply resumed = call("PUT", "/api/v1/workflows/argo/paused/resume", Json::object());
  ASSERT_EQ(resumed.status, 200) << resumed.text;
  Json wf = wait_completed("argo", "paused");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  EXPECT_FALSE(wf["spec"].value("suspend", false));
  EXPECT_EQ(node_named(wf, "show")["outputs"]["result"], "later") << "the supplied output's default";
}

TEST_F(CommandsApiTest, StopEndsTheWorkflowButItsExitHandlerStillRuns) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("halted")}}).status, 200);
  wait_for("argo", "halted", gate_waiting);
  Reply stopped = call("PUT", "/api/v1/workflows/argo/halted/stop", Json::object());
  ASSERT_EQ(stopped.status, 200) << stopped.text;
  Json wf = wait_completed("argo", "halted");
  EXPECT_EQ(wf["status"]["phase"], "Failed") << wf.dump();
  EXPECT_EQ(wf["status"].value("message", ""), "Stopped with strategy 'Stop'");
  EXPECT_EQ(node_named(wf, "halted.onExit")["phase"], "Succeeded") << wf.dump();
  EXPECT_TRUE(node_named(wf, "show").is_null()) << "nothing after the gate ran";
}

TEST_F(CommandsApiTest, CommandsOutliveARestartOfTheServer) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("durable")}}).status, 200);
  wait_for("argo", "durable", gate_waiting);
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/durable/set",
                 {{"nodeFieldSelector", "displayName=approve"}, {"outputParameters", R"({"answer":"kept"})"}})
                .status,
            200);
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/durable/suspend", Json::object()).status, 200);
  restart();
  Json wf = wait_for("argo", "durable", gate_waiting);
  EXPECT_EQ(wf["spec"].value("suspend", false), true) << "still suspended after the restart";
  Reply resumed = call("PUT", "/api/v1/workflows/argo/durable/resume", Json::object());
  ASSERT_EQ(resumed.status, 200) << resumed.text;
  wf = wait_completed("argo", "durable");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  EXPECT_EQ(node_named(wf, "show")["outputs"]["result"], "kept") << "the value set before the restart";
}

TEST_F(CommandsApiTest, TheCliVerbsDriveAWorkflowOnTheServer) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("by-cli")}}).status, 200);
  wait_for("argo", "by-cli", gate_waiting);
  const std::string server = "127.0.0.1:" + std::to_string(server_->port());
  auto skiff = [&](std::vector<std::string> args) {
    args.insert(args.begin(), SKIFF_BINARY);
    return skiff::testing::run(args, {"ARGO_SERVER=" + server, "ARGO_NAMESPACE=argo", "SKIFF_HOME=" + home_.string()});
  };
  auto suspended = skiff({"suspend", "by-cli"});
  EXPECT_EQ(suspended.exit_code, 0) << suspended.err;
  EXPECT_EQ(suspended.out, "workflow by-cli suspended\n");
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/by-cli").body["spec"].value("suspend", false), true);

  auto set = skiff({"node", "set", "by-cli", "--node-field-selector", "displayName=approve", "--output-parameter",
                    "answer=from the cli"});
  EXPECT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "workflow values set\n");
  auto resumed = skiff({"resume", "by-cli"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.out, "workflow by-cli resumed\n");
  Json wf = wait_completed("argo", "by-cli");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  EXPECT_EQ(node_named(wf, "show")["outputs"]["result"], "from the cli");

  auto late = skiff({"stop", "by-cli"});
  EXPECT_NE(late.exit_code, 0);
  EXPECT_NE(late.err.find("cannot shutdown a completed workflow"), std::string::npos) << late.err;
}

TEST_F(CommandsApiTest, CommandsOnAMissingWorkflowAre404) {
  start();
  for (const char* verb : {"suspend", "resume", "stop", "set"}) {
    Reply r = call("PUT", std::string("/api/v1/workflows/argo/nobody/") + verb,
                   {{"nodeFieldSelector", "displayName=x"}});
    EXPECT_EQ(r.status, 404) << verb << ": " << r.text;
    EXPECT_EQ(r.body["code"], 5) << verb;
  }
}

}  // namespace
}  // namespace skiff::server::testing
