// A `skiff run` publishes its status as it goes: `skiff get` in another
// process sees the live tree (steps Running, a containerSet's containers
// moving on one by one), not only the final one.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "subprocess.h"

namespace skiff {
namespace {

using testing::Child;
using testing::Output;

const std::string kSkiff = SKIFF_BINARY;
const std::string kWorkflows = std::string(SKIFF_TEST_DATA) + "/cli/workflows/";
constexpr auto kPatience = std::chrono::seconds(60);  // the machine is shared and may be slow

class LiveStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-home-XXXXXX";
    home_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  std::vector<std::string> env() const { return {"SKIFF_HOME=" + home_}; }

  Child start(std::vector<std::string> args) {
    args.insert(args.begin(), kSkiff);
    return Child(args, env());
  }

  // `skiff get NAME -o json` until `wanted` holds for what it prints (or the
  // patience runs out); returns the last workflow it read.
  nlohmann::json get_until(const std::string& name, const std::function<bool(const nlohmann::json&)>& wanted) {
    nlohmann::json last;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      Output r = testing::run({kSkiff, "get", name, "-o", "json"}, env());
      if (r.exit_code == 0) {
        auto wf = nlohmann::json::parse(r.out, nullptr, false);
        EXPECT_FALSE(wf.is_discarded()) << "a reader saw a damaged file: " << r.out.substr(0, 200);
        if (!wf.is_discarded()) {
          last = wf;
          if (wanted(wf)) return wf;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "never saw the wanted state; last: " << last.dump().substr(0, 2000);
    return last;
  }

  std::string home_;
};

std::string phase_of(const nlohmann::json& wf, const std::string& display_name) {
  if (!wf.contains("status") || !wf["status"].contains("nodes")) return "";
  for (const auto& [id, node] : wf["status"]["nodes"].items()) {
    if (node.value("displayName", "") == display_name) return node.value("phase", "");
  }
  return "";
}

TEST_F(LiveStatusTest, GetShowsARunningStepWhileTheRunGoesOn) {
  const std::string gate = home_ + "/gate";
  Child run = start({"run", kWorkflows + "gated.yaml", "-p", "gate=" + gate, "-o", "json", "--no-sandbox"});
  auto wf = get_until("gated", [](const nlohmann::json& w) { return phase_of(w, "first") == "Running"; });
  EXPECT_EQ(wf["status"].value("phase", ""), "Running");
  EXPECT_EQ(phase_of(wf, "second"), "");  // not created yet
  std::ofstream(gate) << "open";
  Output done = run.wait();
  ASSERT_EQ(done.exit_code, 0) << done.err;
  wf = get_until("gated", [](const nlohmann::json& w) { return w["status"].value("phase", "") == "Succeeded"; });
  EXPECT_EQ(phase_of(wf, "second"), "Succeeded");
}

TEST_F(LiveStatusTest, ContainerSetMembersShowRunningOneByOne) {
  const std::string gate = home_ + "/gate";
  Child run = start({"run", kWorkflows + "gated-set.yaml", "-p", "gate=" + gate, "-o", "json", "--no-sandbox"});
  auto wf = get_until("gated-set", [](const nlohmann::json& w) { return phase_of(w, "first") == "Running"; });
  EXPECT_EQ(phase_of(wf, "gated-set"), "Running");
  EXPECT_EQ(phase_of(wf, "second"), "Pending");
  std::ofstream(gate) << "open";
  Output done = run.wait();
  ASSERT_EQ(done.exit_code, 0) << done.err;
  auto final_wf = nlohmann::json::parse(done.out);
  EXPECT_EQ(phase_of(final_wf, "first"), "Succeeded");
  EXPECT_EQ(phase_of(final_wf, "second"), "Succeeded");
}

}  // namespace
}  // namespace skiff
