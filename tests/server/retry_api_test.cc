// PUT /api/v1/workflows/{ns}/{name}/retry and resubmit with memoized, over
// HTTP against a real server, and `skiff retry` / `skiff resubmit` as a
// separate process against it.
#include <cstdio>
#include <fstream>

#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

class RetryApiTest : public ServerFixture {
 protected:
  // Steps run on the host (no sandbox) so that they see the files the test
  // creates between attempts.
  void start_plain() {
    ServerOptions o = options();
    o.sandbox = false;
    start(o);
  }

  // first (prints "hi", and adds a line to `<marker>.runs` each time it
  // runs) -> gate (fails until `marker` exists, then waits for `release`
  // when given) -> last (echoes first's result).
  static Json gated_workflow(const std::string& name, const std::string& marker, const std::string& release = "") {
    const std::string hello = "echo run >> " + marker + ".runs; echo hi";
    std::string gate = "test -f " + marker;
    if (!release.empty()) gate += " && while [ ! -f " + release + " ]; do sleep 0.05; done";
    return Json{
        {"metadata", {{"name", name}}},
        {"spec",
         {{"entrypoint", "main"},
          {"templates",
           Json::array({
               {{"name", "main"},
                {"steps", Json::array({
                              Json::array({{{"name", "first"}, {"template", "hello"}}}),
                              Json::array({{{"name", "gate"}, {"template", "gate"}}}),
                              Json::array({{{"name", "last"},
                                            {"template", "echo"},
                                            {"arguments",
                                             {{"parameters",
                                               Json::array({{{"name", "text"},
                                                             {"value", "{{steps.first.outputs.result}}"}}})}}}}}),
                          })}},
               {{"name", "hello"}, {"script", {{"image", "alpine"}, {"command", {"sh"}}, {"source", hello}}}},
               {{"name", "gate"}, {"container", {{"image", "alpine"}, {"command", {"sh", "-c"}}, {"args", {gate}}}}},
               {{"name", "echo"},
                {"inputs", {{"parameters", Json::array({{{"name", "text"}}})}}},
                {"container",
                 {{"image", "alpine"}, {"command", {"echo"}}, {"args", {"{{inputs.parameters.text}}"}}}}},
           })}}}};
  }

  static const Json& node(const Json& wf, const std::string& display_name) {
    static const Json none;
    for (const auto& [id, n] : wf["status"]["nodes"].items()) {
      if (n["displayName"] == display_name) return n;
    }
    ADD_FAILURE() << "no node " << display_name << " in " << wf["status"].dump();
    return none;
  }

  static int count(const Json& wf, const std::string& display_name) {
    int n = 0;
    for (const auto& [id, node] : wf["status"]["nodes"].items()) n += node["displayName"] == display_name;
    return n;
  }

  std::string marker(const std::string& name) const { return (home_ / name).string(); }

  // How many times `first` ran for the workflow gated on `marker`.
  static int runs_of_first(const std::string& marker) {
    std::ifstream in(marker + ".runs");
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }
};

TEST_F(RetryApiTest, RetryRunsTheFailedStepAgainAndKeepsWhatSucceeded) {
  start_plain();
  const std::string gate_file = marker("gate-open");
  const std::string release_file = marker("release");
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("gated", gate_file, release_file)}}).status,
            200);
  Json failed = wait_completed("argo", "gated");
  ASSERT_EQ(failed["status"]["phase"], "Failed");
  EXPECT_EQ(failed["metadata"]["labels"]["workflows.argoproj.io/completed"], "true");
  const Json first = node(failed, "first");
  ASSERT_EQ(first["phase"], "Succeeded");
  EXPECT_EQ(node(failed, "gate")["phase"], "Failed");

  std::ofstream(gate_file) << "open";
  Reply retried = call("PUT", "/api/v1/workflows/argo/gated/retry", {{"name", "gated"}, {"namespace", "argo"}});
  ASSERT_EQ(retried.status, 200) << retried.text;
  EXPECT_EQ(retried.body["status"]["phase"], "Running");
  EXPECT_FALSE(retried.body["status"].contains("message")) << retried.text;
  EXPECT_EQ(retried.body["metadata"]["labels"]["workflows.argoproj.io/completed"], "false");
  EXPECT_EQ(node(retried.body, "first")["startedAt"], first["startedAt"]);

  // The gate runs again and waits; the server restarts under it: the retry
  // is replayed from the journal and the gate runs once more.
  wait_for("argo", "gated", [](const Json& wf) {
    for (const auto& [id, n] : wf["status"]["nodes"].items()) {
      if (n["displayName"] == "gate" && n["phase"] == "Running") return true;
    }
    return false;
  });
  server_.reset();
  start_plain();
  std::ofstream(release_file) << "go";
  Json done = wait_completed("argo", "gated");
  ASSERT_EQ(done["status"]["phase"], "Succeeded") << done.dump();
  EXPECT_EQ(node(done, "first")["startedAt"], first["startedAt"]);
  EXPECT_EQ(node(done, "first")["finishedAt"], first["finishedAt"]);
  EXPECT_EQ(node(done, "first")["id"], first["id"]);
  EXPECT_EQ(count(done, "gate"), 1);
  EXPECT_EQ(node(done, "gate")["phase"], "Succeeded");
  EXPECT_EQ(node(done, "last")["inputs"]["parameters"][0]["value"], "hi");
  EXPECT_EQ(done["metadata"]["labels"]["workflows.argoproj.io/completed"], "true");
  EXPECT_EQ(runs_of_first(gate_file), 1);

  // Nothing left to retry in a Succeeded workflow unless asked for nodes.
  Reply refused = call("PUT", "/api/v1/workflows/argo/gated/retry", Json::object());
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body["message"],
            "To retry a succeeded workflow, set the options restartSuccessful and nodeFieldSelector");
  EXPECT_EQ(refused.body["code"], 3);
}

TEST_F(RetryApiTest, RetryWithASelectorRestartsOnlyThoseSucceededNodes) {
  start_plain();
  const std::string gate_file = marker("open");
  std::ofstream(gate_file) << "open";
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("once", gate_file)}}).status, 200);
  Json done = wait_completed("argo", "once");
  ASSERT_EQ(done["status"]["phase"], "Succeeded");
  Reply retried = call("PUT", "/api/v1/workflows/argo/once/retry",
                       {{"restartSuccessful", true}, {"nodeFieldSelector", "displayName=last"}});
  ASSERT_EQ(retried.status, 200) << retried.text;
  Json again = wait_completed("argo", "once");
  EXPECT_EQ(again["status"]["phase"], "Succeeded");
  EXPECT_EQ(node(again, "first")["startedAt"], node(done, "first")["startedAt"]);
  EXPECT_EQ(node(again, "gate")["startedAt"], node(done, "gate")["startedAt"]);
  EXPECT_EQ(node(again, "last")["phase"], "Succeeded");
  EXPECT_EQ(node(again, "last")["inputs"]["parameters"][0]["value"], "hi");
  EXPECT_EQ(runs_of_first(gate_file), 1);
}

TEST_F(RetryApiTest, RetryRefusalsCarryArgosCodesAndMessages) {
  start_plain();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", sleep_workflow("sleepy", 120)}}).status, 200);
  wait_for("argo", "sleepy", [](const Json& wf) { return wf["status"].value("phase", "") == "Running"; });
  Reply running = call("PUT", "/api/v1/workflows/argo/sleepy/retry", Json::object());
  EXPECT_EQ(running.status, 400);
  EXPECT_EQ(running.body["message"], "Cannot retry a workflow in phase Running");

  Reply missing = call("PUT", "/api/v1/workflows/argo/nobody/retry", Json::object());
  EXPECT_EQ(missing.status, 404);
  Reply bad_parameter = call("PUT", "/api/v1/workflows/argo/sleepy/retry", {{"parameters", {"novalue"}}});
  EXPECT_EQ(bad_parameter.status, 400);
  EXPECT_EQ(bad_parameter.body["message"], "expected parameter of the form: NAME=VALUE. Received: novalue");
  Reply bad_json = call("PUT", "/api/v1/workflows/argo/sleepy/retry", Json("not an object"));
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/workflows/argo/sleepy/terminate", Json::object()).status, 200);
  wait_completed("argo", "sleepy");
}

TEST_F(RetryApiTest, ResubmitMemoizedRunsOnlyWhatFailed) {
  start_plain();
  const std::string gate_file = marker("gate");
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("memo", gate_file)}}).status, 200);
  Json failed = wait_completed("argo", "memo");
  ASSERT_EQ(failed["status"]["phase"], "Failed");
  std::ofstream(gate_file) << "open";

  Reply again = call("PUT", "/api/v1/workflows/argo/memo/resubmit", {{"memoized", true}});
  ASSERT_EQ(again.status, 200) << again.text;
  const std::string name = again.body["metadata"]["name"];
  EXPECT_EQ(name.rfind("memo-", 0), 0u);
  EXPECT_EQ(again.body["metadata"]["labels"]["workflows.argoproj.io/resubmitted-from-workflow"], "memo");
  Json done = wait_completed("argo", name);
  ASSERT_EQ(done["status"]["phase"], "Succeeded") << done.dump();
  // The step that had succeeded is carried over under the new name, not run again.
  const Json& first = node(done, "first");
  EXPECT_EQ(first["startedAt"], node(failed, "first")["startedAt"]);
  EXPECT_EQ(first["name"], name + "[0].first");
  EXPECT_NE(first["id"], node(failed, "first")["id"]);
  EXPECT_EQ(node(done, "last")["inputs"]["parameters"][0]["value"], "hi");
  EXPECT_EQ(runs_of_first(gate_file), 1);
  // The old workflow is left as it was.
  Reply old = call("GET", "/api/v1/workflows/argo/memo");
  EXPECT_EQ(old.body["status"]["phase"], "Failed");
  // Only a Failed or Error workflow is resubmitted memoized.
  Reply refused = call("PUT", "/api/v1/workflows/argo/" + name + "/resubmit", {{"memoized", true}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body["message"], "workflow must be Failed/Error to resubmit in memoized mode");
}

TEST_F(RetryApiTest, CliRetriesAndResubmitsAsArgoDoes) {
  start_plain();
  const std::string gate_file = marker("cli-gate");
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", gated_workflow("by-cli", gate_file)}}).status, 200);
  Json failed = wait_completed("argo", "by-cli");
  ASSERT_EQ(failed["status"]["phase"], "Failed");
  std::ofstream(gate_file) << "open";
  auto [code, out] = cli("retry by-cli -n argo --wait");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("by-cli"), std::string::npos) << out;
  Json done = wait_completed("argo", "by-cli");
  EXPECT_EQ(done["status"]["phase"], "Succeeded");
  EXPECT_EQ(node(done, "first")["startedAt"], node(failed, "first")["startedAt"]);
  EXPECT_EQ(runs_of_first(gate_file), 1);

  auto [bad_code, bad_out] = cli("retry by-cli -n argo -p novalue");
  EXPECT_NE(bad_code, 0) << bad_out;
  EXPECT_NE(bad_out.find("expected parameter of the form: NAME=VALUE. Received: novalue"), std::string::npos)
      << bad_out;

  auto [done_code, done_out] = cli("retry by-cli -n argo");
  EXPECT_NE(done_code, 0) << done_out;
  EXPECT_NE(done_out.find("To retry a succeeded workflow, set the options restartSuccessful and nodeFieldSelector"),
            std::string::npos)
      << done_out;

  auto [name_code, name_out] = cli("resubmit by-cli -n argo -o name");
  EXPECT_EQ(name_code, 0) << name_out;
  EXPECT_EQ(name_out.rfind("by-cli-", 0), 0u) << name_out;
}

TEST_F(RetryApiTest, CliSaysLocalRunsCannotBeRetried) {
  start_plain();
  std::filesystem::create_directories(home_ / "runs" / "local-one");
  std::ofstream(home_ / "runs" / "local-one" / "workflow.json") << "{}";
  auto [code, out] = cli("retry local-one");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("local-one is a local run (skiff run): only workflows of `skiff server` can be retried"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace skiff::server::testing
