// End-to-end tests of `skiff run`, `skiff lint`, `skiff logs` and `skiff
// get`: the real binary, real processes, a temporary SKIFF_HOME.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "subprocess.h"

namespace skiff {
namespace {

using testing::Child;
using testing::Output;

const std::string kSkiff = SKIFF_BINARY;
const std::string kWorkflows = std::string(SKIFF_TEST_DATA) + "/cli/workflows/";

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-home-XXXXXX";
    home_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  Output skiff(std::vector<std::string> args) {
    args.insert(args.begin(), kSkiff);
    return testing::run(args, {"SKIFF_HOME=" + home_});
  }

  std::string home_;
};

nlohmann::json parse_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text.substr(0, 400);
  return j;
}

TEST_F(RunTest, SucceedingWorkflowPrintsArgoShapedJsonAndExitsZero) {
  Output r = skiff({"run", kWorkflows + "params.yaml", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto wf = parse_json(r.out);
  EXPECT_EQ(wf["metadata"]["name"], "params-check");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(wf["status"]["progress"], "1/1");
  EXPECT_TRUE(wf["status"]["startedAt"].is_string());
  EXPECT_TRUE(wf["status"]["finishedAt"].is_string());
  const auto& root = wf["status"]["nodes"]["params-check"];
  EXPECT_EQ(root["type"], "Pod");
  EXPECT_EQ(root["templateName"], "main");
  EXPECT_EQ(root["outputs"]["result"], "hello world from params-check");
  EXPECT_EQ(root["outputs"]["exitCode"], "0");
}

// `-o name` builds no final tree: the nodes are streamed to the run's
// workflow.json, which `skiff get` then shows whole.
TEST_F(RunTest, NameOutputPrintsTheNameAndStillStoresEveryNode) {
  Output r = skiff({"run", kWorkflows + "params.yaml", "-o", "name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "params-check\n");
  Output get = skiff({"get", "params-check", "-o", "json"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  auto wf = parse_json(get.out);
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(wf["status"]["nodes"]["params-check"]["outputs"]["result"], "hello world from params-check");
  Output failed = skiff({"run", kWorkflows + "fail.yaml", "-o", "name"});
  EXPECT_EQ(failed.exit_code, 1) << "the exit code still follows the phase";
}

// The configuration's `load` paths are seen by every run, as the objects of
// a namespace: here a ConfigMap a workflow parameter is read from.
TEST_F(RunTest, ConfiguredLoadPathsAreSeenByEveryRun) {
  std::filesystem::create_directories(home_ + "/objects");
  std::ofstream(home_ + "/objects/words.yaml") << R"(apiVersion: v1
kind: ConfigMap
metadata: {name: words}
data: {greeting: sesame}
)";
  const std::string wf = home_ + "/wf.yaml";
  std::ofstream(wf) << R"(apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: from-configmap}
spec:
  entrypoint: main
  arguments:
    parameters:
    - name: greeting
      valueFrom: {configMapKeyRef: {name: words, key: greeting}}
  templates:
  - name: main
    container:
      image: alpine:3.19
      command: [echo, "{{workflow.parameters.greeting}}"]
)";
  Output missing = skiff({"run", wf, "-o", "json"});
  EXPECT_NE(missing.exit_code, 0) << missing.out;

  std::ofstream(home_ + "/config.yaml") << "load:\n- objects\n";  // beside the configuration file
  Output r = skiff({"run", wf, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_json(r.out)["status"]["nodes"]["from-configmap"]["outputs"]["result"], "sesame");
}

TEST_F(RunTest, ParameterAndEntrypointFlagsOverrideTheSpec) {
  Output r = skiff({"run", kWorkflows + "params.yaml", "-p", "who=skiff", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_json(r.out)["status"]["nodes"]["params-check"]["outputs"]["result"],
            "hello skiff from params-check");

  r = skiff({"run", kWorkflows + "params.yaml", "--entrypoint", "other", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto wf = parse_json(r.out);
  EXPECT_EQ(wf["status"]["nodes"]["params-check"]["templateName"], "other");
  EXPECT_EQ(wf["status"]["nodes"]["params-check"]["outputs"]["result"], "other entrypoint");
}

TEST_F(RunTest, FailingStepExitsOneWithArgoMessages) {
  Output r = skiff({"run", kWorkflows + "fail.yaml", "-o", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto wf = parse_json(r.out);
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  std::string boom_id;
  for (const auto& [id, node] : wf["status"]["nodes"].items()) {
    if (node["displayName"] == "boom") boom_id = id;
  }
  ASSERT_FALSE(boom_id.empty());
  EXPECT_EQ(wf["status"]["nodes"][boom_id]["message"], "Error (exit code 3)");
  EXPECT_EQ(wf["status"]["message"], "child '" + boom_id + "' failed");
}

TEST_F(RunTest, LogsAndGetShowAFinishedRun) {
  ASSERT_EQ(skiff({"run", kWorkflows + "fail.yaml", "--quiet"}).exit_code, 1);
  Output logs = skiff({"logs", "failing"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("going down"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("failing-boom-"), std::string::npos) << "lines are prefixed by pod name: " << logs.out;

  Output get = skiff({"get", "@latest", "-o", "json"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(parse_json(get.out)["status"]["phase"], "Failed");
  Output text = skiff({"get", "failing"});
  EXPECT_NE(text.out.find("Failed"), std::string::npos) << text.out;
}

struct BadInput {
  const char* file;
  const char* expected;  // a piece of the message, with the line where it matters
};

class InvalidInputTest : public RunTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(InvalidInputTest, ExitsTwoNamingTheFileAndPlace) {
  const BadInput& c = GetParam();
  Output r = skiff({"run", kWorkflows + c.file, "-o", "json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(c.file), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(c.expected), std::string::npos) << "expected '" << c.expected << "' in: " << r.err;
  EXPECT_TRUE(r.out.empty()) << "nothing on stdout for invalid input: " << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, InvalidInputTest,
    ::testing::Values(BadInput{"unknown-field.yaml", ":9:"}, BadInput{"unknown-field.yaml", "contaner"},
                      BadInput{"unknown-template.yaml", ":11:"},
                      BadInput{"unknown-template.yaml", "does-not-exist"},
                      BadInput{"no-entrypoint.yaml", "entrypoint"}, BadInput{"cycle.yaml", "cycle"},
                      BadInput{"malformed.yaml", ":10:"}, BadInput{"does-not-exist.yaml", "does-not-exist"}));

TEST_F(RunTest, LintReportsEveryFileAndPasses) {
  Output bad = skiff({"lint", kWorkflows + "unknown-template.yaml", kWorkflows + "cycle.yaml"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("unknown-template.yaml"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("cycle.yaml"), std::string::npos) << bad.out;
  Output good = skiff({"lint", kWorkflows + "params.yaml"});
  EXPECT_EQ(good.exit_code, 0) << good.out;
}

bool any_process_matches(const std::string& pattern) {
  return testing::run({"/usr/bin/pgrep", "-f", pattern}).exit_code == 0;
}

TEST_F(RunTest, InterruptTerminatesRunningStepsAndLeavesNothingBehind) {
  ASSERT_FALSE(any_process_matches("sleep 31[37]")) << "a previous run left processes behind";
  Child child({kSkiff, "run", kWorkflows + "sleeper.yaml", "-o", "json"}, {"SKIFF_HOME=" + home_});
  ASSERT_TRUE(child.wait_for_stderr("Running   stubborn", 20000));
  ASSERT_TRUE(child.wait_for_stderr("Running   nap", 20000));
  ::kill(child.pid(), SIGINT);
  Output r = child.wait();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto wf = parse_json(r.out);
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  EXPECT_EQ(wf["status"]["message"], "Stopped with strategy 'Terminate'");
  for (const auto& [id, node] : wf["status"]["nodes"].items()) {
    EXPECT_EQ(node["phase"], "Failed") << node["name"];
  }
  // The step that ignored SIGTERM was killed after its grace period, with
  // its child: nothing outlives `skiff run`.
  EXPECT_FALSE(any_process_matches("sleep 31[37]"));
}

}  // namespace
}  // namespace skiff
