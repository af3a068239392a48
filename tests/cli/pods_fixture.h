// The fixture of the pod tests: `skiff run` of a workflow text in a
// fresh SKIFF_HOME, and its nodes by display name.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "subprocess.h"

namespace skiff {

class PodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-home-XXXXXX";
    home_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  // Runs the workflow text and returns the final Workflow object.
  nlohmann::json run(const std::string& yaml, std::vector<std::string> extra = {}, int expected_exit = 0) {
    std::string path = home_ + "/wf-" + std::to_string(++files_) + ".yaml";
    std::ofstream(path) << yaml;
    std::vector<std::string> args = {std::string(SKIFF_BINARY), "run", path, "-o", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    testing::Output r = testing::run(args, {"SKIFF_HOME=" + home_});
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    nlohmann::json wf = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(wf.is_discarded()) << r.out.substr(0, 400) << r.err;
    return wf.is_discarded() ? nlohmann::json::object() : wf;
  }

  static const nlohmann::json& node(const nlohmann::json& wf, const std::string& display_name) {
    static const nlohmann::json kNone;
    for (const auto& [id, n] : wf["status"]["nodes"].items()) {
      if (n["displayName"] == display_name) return n;
    }
    ADD_FAILURE() << "no node " << display_name;
    return kNone;
  }

  std::string home_;
  int files_ = 0;
};

}  // namespace skiff
