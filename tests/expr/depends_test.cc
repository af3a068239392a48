#include <gtest/gtest.h>

#include "expr/expr.h"

namespace skiff::expr {
namespace {

Json results() {
  return Json::parse(R"({
    "A": {"Succeeded": true},
    "B": {"Failed": true},
    "C": {"Skipped": true},
    "D": {"Errored": true},
    "my-task": {"Succeeded": true},
    "other-task": {"Failed": true, "ContinueOnFailed": true},
    "E": {"Omitted": true},
    "F": {"Daemoned": true},
    "G": {"AnySucceeded": true, "Failed": true},
    "H": {"AllFailed": true, "Failed": true},
    "I": {"Errored": true, "ContinueOnError": true}
  })");
}

struct Case {
  const char* depends;
  bool expected;
};

class Depends : public ::testing::TestWithParam<Case> {};

TEST_P(Depends, Evaluates) {
  auto result = evaluate_depends(GetParam().depends, results());
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(*result, GetParam().expected) << GetParam().depends;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Depends,
    ::testing::Values(
        Case{"A", true}, Case{"B", false}, Case{"C", true}, Case{"D", false}, Case{"E", false}, Case{"F", true},
        Case{"A.Succeeded", true}, Case{"B.Failed", true}, Case{"B.Succeeded", false},
        Case{"A && B", false}, Case{"A || B", true}, Case{"A && (B.Failed || C.Skipped)", true},
        Case{"!B.Succeeded", true}, Case{"my-task", true}, Case{"my-task.Succeeded && other-task.Failed", true},
        Case{"other-task", true}, Case{"I", true}, Case{"D.Errored", true}, Case{"E.Omitted", true},
        Case{"G.AnySucceeded", true}, Case{"H.AllFailed", true}, Case{"G.AllFailed", false},
        Case{"(A.Succeeded || A.Failed) && !D.Succeeded", true}, Case{"A.Succeeded && C", true}));

TEST(DependsNames, InOrderOfAppearance) {
  EXPECT_EQ(depends_task_names("A && (B.Failed || my-task) || A.Skipped"),
            (std::vector<std::string>{"A", "B", "my-task"}));
  EXPECT_EQ(depends_item_tasks("A.AnySucceeded || B.Failed || C.AllFailed"), (std::vector<std::string>{"A", "C"}));
}

TEST(DependsExpand, BareNamesFollowContinueOn) {
  EXPECT_EQ(expand_depends("A && other-task.Failed", results()), "(A.Succeeded || A.Skipped || A.Daemoned) && other-task.Failed");
  EXPECT_EQ(expand_depends("other-task", results()),
            "(other-task.Succeeded || other-task.Skipped || other-task.Daemoned || other-task.Failed)");
  EXPECT_EQ(expand_depends("I", results()), "(I.Succeeded || I.Skipped || I.Daemoned || I.Errored)");
}

TEST(DependsErrors, UnknownTaskIsAnError) {
  auto result = evaluate_depends("A && nope", results());
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("unable to evaluate expression '(A.Succeeded || A.Skipped || A.Daemoned) && (nope.Succeeded"),
            std::string::npos)
      << result.status().message();
}

}  // namespace
}  // namespace skiff::expr
