// No process a step starts outlives `skiff run`: not its children, not a
// daemon in a session of its own, not a step that ignores SIGTERM — after
// the run completes, after Ctrl-C, after `skiff terminate`, and after
// `skiff run` itself is killed with SIGKILL. Real processes, both with the
// sandbox and without it.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "subprocess.h"

namespace skiff {
namespace {

using testing::Child;
using testing::Output;

const std::string kSkiff = SKIFF_BINARY;
const std::string kWorkflows = std::string(SKIFF_TEST_DATA) + "/cli/workflows/";
constexpr int kPatienceMs = 60000;

// The processes of lingering.yaml run as `sleep 3<tag><n>`.
std::string pattern(const std::string& tag) { return "sleep 3" + tag + "[1-4]"; }

bool any_process_matches(const std::string& pattern) {
  return testing::run({"/usr/bin/pgrep", "-f", pattern}).exit_code == 0;
}

// Killed processes disappear asynchronously; give them time, then judge.
bool all_gone(const std::string& pattern) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (any_process_matches(pattern)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// Waits until the stubborn step has started its child and its daemon.
bool started(const std::string& tag) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!any_process_matches("sleep 3" + tag + "3") || !any_process_matches("sleep 3" + tag + "4")) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class LifetimeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-home-XXXXXX";
    home_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    std::filesystem::remove_all(home_);
  }

  // A tag of two digits per test and mode, so parallel tests never see
  // each other's processes.
  std::string tag(int test) const { return std::to_string(test) + (GetParam() ? "5" : "6"); }

  std::vector<std::string> args(std::vector<std::string> extra) const {
    extra.insert(extra.begin(), kSkiff);
    if (!GetParam()) extra.push_back("--no-sandbox");
    return extra;
  }

  Child start_lingering(const std::string& tag) {
    Child child(args({"run", kWorkflows + "lingering.yaml", "-p", "tag=" + tag, "-o", "json"}),
                {"SKIFF_HOME=" + home_});
    return child;
  }

  std::string home_;
};

TEST_P(LifetimeTest, NothingOutlivesACompletedRun) {
  std::string t = tag(1);
  ASSERT_FALSE(any_process_matches(pattern(t)));
  Output r = testing::run(
      args({"run", kWorkflows + "lingering.yaml", "-p", "tag=" + t, "--entrypoint", "leave-daemons", "-o", "json"}),
      {"SKIFF_HOME=" + home_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(all_gone(pattern(t))) << "a step's child or daemon outlived the run";
}

TEST_P(LifetimeTest, NothingOutlivesAnInterruptedRun) {
  std::string t = tag(2);
  ASSERT_FALSE(any_process_matches(pattern(t)));
  Child run = start_lingering(t);
  ASSERT_TRUE(run.wait_for_stderr("Running   stubborn", kPatienceMs));
  ASSERT_TRUE(started(t));
  ::kill(run.pid(), SIGINT);
  Output r = run.wait();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(all_gone(pattern(t)));
}

TEST_P(LifetimeTest, NothingOutlivesATerminatedRun) {
  std::string t = tag(3);
  ASSERT_FALSE(any_process_matches(pattern(t)));
  Child run = start_lingering(t);
  ASSERT_TRUE(run.wait_for_stderr("Running   stubborn", kPatienceMs));
  ASSERT_TRUE(started(t));
  Output cmd = testing::run({kSkiff, "terminate", "lingering"}, {"SKIFF_HOME=" + home_});
  EXPECT_EQ(cmd.exit_code, 0) << cmd.err;
  EXPECT_EQ(cmd.out, "workflow lingering terminated\n");
  Output r = run.wait();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto wf = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(wf.is_discarded()) << r.out;
  EXPECT_EQ(wf["status"]["message"], "Stopped with strategy 'Terminate'");
  for (const auto& [id, node] : wf["status"]["nodes"].items()) {
    if (node["displayName"] == "stubborn") {
      // It ignored SIGTERM: killed after its one-second grace period.
      EXPECT_EQ(node["message"], "workflow shutdown with strategy:  Terminate");
    }
  }
  EXPECT_TRUE(all_gone(pattern(t)));
}

TEST_P(LifetimeTest, NothingOutlivesAKilledRun) {
  std::string t = tag(4);
  ASSERT_FALSE(any_process_matches(pattern(t)));
  Child run = start_lingering(t);
  ASSERT_TRUE(run.wait_for_stderr("Running   stubborn", kPatienceMs));
  ASSERT_TRUE(started(t));
  ::kill(run.pid(), SIGKILL);
  run.wait();
  EXPECT_TRUE(all_gone(pattern(t))) << "steps outlived a killed skiff run";
}

INSTANTIATE_TEST_SUITE_P(Modes, LifetimeTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Sandboxed" : "Unsandboxed";
                         });

}  // namespace
}  // namespace skiff
