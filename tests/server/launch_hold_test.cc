// The server starts no more steps at once than its limit; the rest wait
// Pending, as pods wait for a node, and start as slots free up.
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

class LaunchHoldTest : public ServerFixture {
 protected:
  static Json parallel_sleeps(const std::string& name, int count, const std::string& seconds) {
    Json steps = Json::array();
    Json group = Json::array();
    for (int i = 0; i < count; ++i) group.push_back({{"name", "s" + std::to_string(i)}, {"template", "nap"}});
    steps.push_back(group);
    return {{"metadata", {{"name", name}}},
            {"spec",
             {{"entrypoint", "main"},
              {"templates",
               {{{"name", "main"}, {"steps", steps}},
                {{"name", "nap"}, {"container", {{"image", "alpine"}, {"command", {"sleep", seconds}}}}}}}}}};
  }

  static std::map<std::string, int> pod_phases(const Json& wf) {
    std::map<std::string, int> counts;
    if (!wf["status"].contains("nodes")) return counts;
    for (const auto& [id, node] : wf["status"]["nodes"].items()) {
      if (node.value("type", "") == "Pod") ++counts[node.value("phase", "")];
    }
    return counts;
  }
};

TEST_F(LaunchHoldTest, NoMoreStepsRunThanTheLimitAndTheRestWaitPending) {
  ServerOptions o = options();
  o.max_running = 2;
  start(o);
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", parallel_sleeps("six", 6, "1")}}).status, 200);
  int most_running = 0;
  bool saw_waiting = false;
  Json wf = wait_for("argo", "six", [&](const Json& seen) {
    auto counts = pod_phases(seen);
    most_running = std::max(most_running, counts["Running"]);
    if (counts["Running"] == 2 && counts["Pending"] > 0) saw_waiting = true;
    std::string phase = seen["status"].value("phase", "");
    return phase == "Succeeded" || phase == "Failed" || phase == "Error";
  });
  EXPECT_EQ(wf["status"].value("phase", ""), "Succeeded") << wf.dump();
  EXPECT_EQ(pod_phases(wf)["Succeeded"], 6);
  EXPECT_LE(most_running, 2);
  EXPECT_TRUE(saw_waiting);
}

TEST_F(LaunchHoldTest, AStepStillWaitingEndsWhenItsWorkflowIsTerminated) {
  ServerOptions o = options();
  o.max_running = 1;
  start(o);
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", parallel_sleeps("held", 3, "60")}}).status, 200);
  wait_for("argo", "held", [&](const Json& seen) {
    auto counts = pod_phases(seen);
    return counts["Running"] == 1 && counts["Pending"] == 2;
  });
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/held/terminate", Json::object()).status, 200);
  Json wf = wait_completed("argo", "held");
  EXPECT_EQ(wf["status"].value("phase", ""), "Failed");
  auto counts = pod_phases(wf);
  EXPECT_EQ(counts["Running"], 0) << wf.dump();
  EXPECT_EQ(counts["Pending"], 0) << wf.dump();
}

}  // namespace
}  // namespace skiff::server::testing
