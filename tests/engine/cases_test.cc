// One test per folder under tests/engine/cases/: adding an engine rule's case
// needs a folder of YAML, no C++. See case_runner.h and case_expect.h for the
// file formats.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "case_expect.h"
#include "case_runner.h"
#include "case_yaml.h"

namespace skiff::enginetest {
namespace {

const std::string kCasesDir = std::string(SKIFF_TEST_DATA) + "/engine/cases";

std::vector<std::string> discover_cases() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kCasesDir)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// GoogleTest names allow letters, digits and underscores only.
std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class EngineCase : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineCase, MatchesArgo) {
  const std::string dir = kCasesDir + "/" + GetParam();
  auto expected = read_yaml_file(dir + "/expected.yaml", false);
  ASSERT_TRUE(expected.is_ok()) << "case " << GetParam() << ": " << expected.status().message();
  CaseRun run = run_case(dir);
  for (const auto& problem : check_case(*expected, run)) {
    ADD_FAILURE() << "case " << GetParam() << ": " << problem;
  }
}

// The engine walks only what changed since its last advance; walking the
// whole tree every time must give the same launches and the same tree at
// every second.
void expect_same_as_full_walk(const std::string& dir) {
  CaseRun incremental = run_case(dir);
  CaseRun full = run_case(dir, /*walk_everything=*/true);
  EXPECT_EQ(incremental.problems, full.problems) << dir;
  ASSERT_EQ(incremental.launches.size(), full.launches.size()) << dir;
  for (size_t i = 0; i < full.launches.size(); ++i) {
    EXPECT_EQ(incremental.launches[i].node_name, full.launches[i].node_name) << dir << " launch " << i;
    EXPECT_EQ(incremental.launches[i].second, full.launches[i].second) << dir << " launch " << i;
  }
  ASSERT_EQ(incremental.snapshots.size(), full.snapshots.size()) << dir;
  for (size_t i = 0; i < full.snapshots.size(); ++i) {
    EXPECT_EQ(incremental.snapshots[i].workflow, full.snapshots[i].workflow)
        << dir << " at second " << full.snapshots[i].second;
  }
}

TEST_P(EngineCase, IncrementalWalkMatchesFullWalk) { expect_same_as_full_walk(kCasesDir + "/" + GetParam()); }

// Larger shapes (loops of nested steps, retries, DAGs of loops) checked only
// against the full walk: folders of workflow.yaml and script.yaml.
TEST(EngineWalk, LoopShapesMatchFullWalk) {
  const std::string walk_dir = std::string(SKIFF_TEST_DATA) + "/engine/walk";
  size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(walk_dir)) {
    if (!entry.is_directory()) continue;
    CaseRun run = run_case(entry.path().string());
    EXPECT_TRUE(run.problems.empty()) << entry.path() << ": " << (run.problems.empty() ? "" : run.problems[0]);
    expect_same_as_full_walk(entry.path().string());
    ++checked;
  }
  EXPECT_GE(checked, 1u);
}

INSTANTIATE_TEST_SUITE_P(Cases, EngineCase, ::testing::ValuesIn(discover_cases()), test_name);

// The discovery itself: a broken path must not pass as "no cases, no failures".
TEST(EngineCaseDiscovery, FindsCaseFolders) { EXPECT_GE(discover_cases().size(), 20u); }

}  // namespace
}  // namespace skiff::enginetest
