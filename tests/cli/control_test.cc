// End-to-end tests of controlling a `skiff run` from another process:
// `skiff suspend|resume|stop|terminate` and `skiff node set`, each a real
// skiff process talking to a real run through its run directory.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "subprocess.h"

namespace skiff {
namespace {

using testing::Child;
using testing::Output;

const std::string kSkiff = SKIFF_BINARY;
const std::string kWorkflows = std::string(SKIFF_TEST_DATA) + "/cli/workflows/";
constexpr int kPatienceMs = 60000;  // the machine is shared and may be slow

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-home-XXXXXX";
    home_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  std::vector<std::string> env() const { return {"SKIFF_HOME=" + home_}; }

  Output skiff(std::vector<std::string> args) {
    args.insert(args.begin(), kSkiff);
    return testing::run(args, env());
  }

  Child start(std::vector<std::string> args) {
    args.insert(args.begin(), kSkiff);
    return Child(args, env());
  }

  std::string home_;
};

nlohmann::json parse_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text.substr(0, 400);
  return j;
}

const nlohmann::json& node_named(const nlohmann::json& wf, const std::string& display_name) {
  static const nlohmann::json none;
  for (const auto& [id, node] : wf["status"]["nodes"].items()) {
    if (node["displayName"] == display_name) return node;
  }
  ADD_FAILURE() << "no node " << display_name;
  return none;
}

TEST_F(ControlTest, NodeSetSuppliesOutputsAndResumeReleasesTheStep) {
  Child run = start({"run", kWorkflows + "approval.yaml", "-o", "json"});
  // A bare suspend does not wait silently: it says what would move it on.
  ASSERT_TRUE(run.wait_for_stderr(
      "approval[0].approve is waiting: resume it with `skiff resume approval --node-field-selector "
      "displayName=approve` after supplying its outputs with `skiff node set approval --node-field-selector "
      "displayName=approve --output-parameter answer=VALUE`",
      kPatienceMs));

  Output r = skiff({"resume", "approval"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("raw output parameter 'answer' has not been set and does not have a default value"),
            std::string::npos)
      << r.err;

  r = skiff({"node", "set", "@latest", "--node-field-selector", "displayName=approve", "--output-parameter",
             "answer=\"yes, ship it\""});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "workflow values set\n");

  r = skiff({"node", "set", "approval", "--node-field-selector", "displayName=approve", "-p", "answer=no"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot set output parameter 'answer' because it does not use valueFrom.raw or it was "
                       "already set"),
            std::string::npos)
      << r.err;

  r = skiff({"resume", "@latest"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "workflow approval resumed\n");

  Output done = run.wait();
  ASSERT_EQ(done.exit_code, 0) << done.err;
  auto wf = parse_json(done.out);
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(node_named(wf, "approve")["outputs"]["parameters"][0]["value"], "yes, ship it");
  EXPECT_EQ(node_named(wf, "release")["outputs"]["result"], "released: yes, ship it");

  // Once the run is over, commands get Argo's answers for a completed workflow.
  r = skiff({"terminate", "approval"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot shutdown a completed workflow: workflow: \"approval\", namespace: \"default\""),
            std::string::npos)
      << r.err;
  r = skiff({"suspend", "approval"});
  EXPECT_NE(r.err.find("cannot suspend completed workflows"), std::string::npos) << r.err;
}

TEST_F(ControlTest, SuspendHoldsNewStepsUntilResume) {
  const std::string gate = home_ + "/gate";
  // Without the sandbox, so that the step sees the gate file in the test's /tmp.
  Child run = start({"run", kWorkflows + "gated.yaml", "-p", "gate=" + gate, "-o", "json", "--no-sandbox"});
  ASSERT_TRUE(run.wait_for_stderr("gated[0].first", kPatienceMs));

  Output r = skiff({"suspend", "gated"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "workflow gated suspended\n");
  ASSERT_TRUE(run.wait_for_stderr("workflow gated is suspended: no new step starts until `skiff resume gated`",
                                  kPatienceMs));

  // The running step finishes; the next one waits for the resume.
  std::ofstream(gate) << "open";
  ASSERT_TRUE(run.wait_for_stderr("Succeeded", kPatienceMs));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_FALSE(run.wait_for_stderr("gated[1].second", 0)) << "a step started while the workflow was suspended";

  r = skiff({"resume", "gated"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "workflow gated resumed\n");
  Output done = run.wait();
  ASSERT_EQ(done.exit_code, 0) << done.err;
  auto wf = parse_json(done.out);
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(node_named(wf, "second")["phase"], "Succeeded");
  EXPECT_FALSE(wf["spec"].contains("suspend"));
}

TEST_F(ControlTest, StopFailsTheWaitingStepWithArgosMessages) {
  Child run = start({"run", kWorkflows + "approval.yaml", "-o", "json"});
  ASSERT_TRUE(run.wait_for_stderr("is waiting", kPatienceMs));
  Output r = skiff({"stop", "approval"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "workflow approval stopped\n");
  Output done = run.wait();
  EXPECT_EQ(done.exit_code, 1) << done.err;
  auto wf = parse_json(done.out);
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  EXPECT_EQ(wf["status"]["message"], "Stopped with strategy 'Stop'");
  EXPECT_EQ(wf["spec"]["shutdown"], "Stop");
  EXPECT_EQ(node_named(wf, "approve")["phase"], "Failed");
  EXPECT_EQ(node_named(wf, "approve")["message"], "Stopped with strategy 'Stop'");
}

TEST_F(ControlTest, StopWithASelectorFailsOnlyThatNode) {
  Child run = start({"run", kWorkflows + "approval.yaml", "-o", "json"});
  ASSERT_TRUE(run.wait_for_stderr("is waiting", kPatienceMs));
  Output r = skiff({"stop", "approval", "--node-field-selector", "displayName=nobody"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: "
                       "displayName=nobody"),
            std::string::npos)
      << r.err;
  r = skiff({"stop", "approval", "--node-field-selector", "displayName=approve", "--message", "not today"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Output done = run.wait();
  auto wf = parse_json(done.out);
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  EXPECT_EQ(node_named(wf, "approve")["message"], "not today");
  EXPECT_FALSE(wf["spec"].contains("shutdown"));
}

TEST_F(ControlTest, CommandsForAnUnknownWorkflowSayItIsNotFound) {
  Output r = skiff({"resume", "nowhere"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("workflows.argoproj.io \"nowhere\" not found"), std::string::npos) << r.err;
  r = skiff({"node", "set", "nowhere", "--phase", "Succeeded"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--node-field-selector is required"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace skiff
