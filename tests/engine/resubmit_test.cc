// resubmit --memoized: the status a new workflow starts from, as a table of
// an old status (Argo's JSON) in and the carried status out.
#include <gtest/gtest.h>

#include "base/naming.h"
#include "engine/engine.h"

namespace skiff::engine {
namespace {

// old: [0] a (Succeeded, printed "hi") -> [1] b (Failed); the exit handler ran.
const char* kFailedSteps = R"JSON({
  "old": {"id": "old", "name": "old", "displayName": "old", "type": "Steps", "templateName": "main",
          "templateScope": "local/old", "phase": "Failed", "message": "child 'old-2' failed",
          "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:02Z",
          "children": ["old-g0"], "outboundNodes": ["old-b"]},
  "old-g0": {"id": "old-g0", "name": "old[0]", "displayName": "[0]", "type": "StepGroup", "templateScope": "local/old",
             "phase": "Succeeded", "boundaryID": "old", "startedAt": "2026-01-01T00:00:00Z",
             "finishedAt": "2026-01-01T00:00:01Z", "children": ["old-a"]},
  "old-a": {"id": "old-a", "name": "old[0].a", "displayName": "a", "type": "Pod", "templateName": "hello",
            "templateScope": "local/old", "phase": "Succeeded", "boundaryID": "old",
            "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:01Z",
            "outputs": {"result": "hi", "exitCode": "0"}, "children": ["old-g1"]},
  "old-g1": {"id": "old-g1", "name": "old[1]", "displayName": "[1]", "type": "StepGroup", "templateScope": "local/old",
             "phase": "Failed", "boundaryID": "old", "message": "child 'old-b' failed",
             "startedAt": "2026-01-01T00:00:01Z", "finishedAt": "2026-01-01T00:00:02Z", "children": ["old-b"]},
  "old-b": {"id": "old-b", "name": "old[1].b", "displayName": "b", "type": "Pod", "templateName": "gate",
            "templateScope": "local/old", "phase": "Failed", "boundaryID": "old", "message": "Error (exit code 1)",
            "startedAt": "2026-01-01T00:00:01Z", "finishedAt": "2026-01-01T00:00:02Z"},
  "old-exit": {"id": "old-exit", "name": "old.onExit", "displayName": "old.onExit", "type": "Pod",
               "templateName": "notify", "templateScope": "local/old", "phase": "Succeeded",
               "startedAt": "2026-01-01T00:00:02Z", "finishedAt": "2026-01-01T00:00:03Z",
               "nodeFlag": {"hooked": true}}
})JSON";

const Json kFailedStatus = {{"phase", "Failed"},
                            {"startedAt", "2026-01-01T00:00:00Z"},
                            {"finishedAt", "2026-01-01T00:00:03Z"},
                            {"message", "child 'old-2' failed"}};

const Time kLater = *parse_rfc3339("2026-01-02T00:00:00Z");

const Node* named(const WorkflowStatus& status, const std::string& name) {
  for (const auto& [id, node] : status.nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

TEST(MemoizedStatus, CarriesWhatSucceededUnderTheNewName) {
  auto previous = status_from_json(kFailedStatus, Json::parse(kFailedSteps), "old");
  ASSERT_TRUE(previous.is_ok()) << previous.status().message();
  auto carried = memoized_status(*previous, "old", "new", kLater);
  ASSERT_TRUE(carried.is_ok()) << carried.status().message();

  EXPECT_EQ(carried->phase, Phase::kRunning);
  EXPECT_EQ(carried->started_at, kLater);
  EXPECT_TRUE(carried->message.empty());
  // The failed pod and the exit handler are gone; the rest is renamed.
  EXPECT_EQ(carried->nodes.size(), 4u);
  EXPECT_EQ(named(*carried, "new[1].b"), nullptr);
  EXPECT_EQ(named(*carried, "new.onExit"), nullptr);

  const Node* a = named(*carried, "new[0].a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->id, argo_node_id("new", "new[0].a"));
  EXPECT_EQ(a->phase, Phase::kSucceeded);
  EXPECT_EQ(a->started_at, *parse_rfc3339("2026-01-01T00:00:00Z"));
  EXPECT_EQ(a->outputs["result"], "hi");
  EXPECT_EQ(a->boundary_id, "new");
  EXPECT_EQ(a->children, std::vector<std::string>{argo_node_id("new", "new[1]")});
  EXPECT_EQ(a->template_scope, "local/");

  const Node* group = named(*carried, "new[1]");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->phase, Phase::kRunning);
  EXPECT_TRUE(group->message.empty());
  EXPECT_TRUE(group->children.empty());
  EXPECT_FALSE(group->finished_at.has_value());

  const Node* root = named(*carried, "new");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->id, "new");
  EXPECT_EQ(root->phase, Phase::kRunning);
  EXPECT_TRUE(root->outbound_nodes.empty());
  EXPECT_EQ(root->children, std::vector<std::string>{argo_node_id("new", "new[0]")});
}

TEST(MemoizedStatus, OnlyAFailedOrErrorWorkflow) {
  Json succeeded = kFailedStatus;
  succeeded["phase"] = "Succeeded";
  auto previous = status_from_json(succeeded, Json::parse(kFailedSteps), "old");
  ASSERT_TRUE(previous.is_ok());
  auto carried = memoized_status(*previous, "old", "new", kLater);
  ASSERT_FALSE(carried.is_ok());
  EXPECT_EQ(carried.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(carried.status().message(), "workflow must be Failed/Error to resubmit in memoized mode");
}

TEST(MemoizedStatus, ABadNodeIsNamed) {
  Json nodes = Json::parse(kFailedSteps);
  nodes["old-a"]["phase"] = "Sleeping";
  auto previous = status_from_json(kFailedStatus, nodes, "old");
  ASSERT_FALSE(previous.is_ok());
  EXPECT_EQ(previous.status().message(), "status.nodes.old-a.phase: unknown phase 'Sleeping'");
}

TEST(RetryStatus, ARunningWorkflowIsRefusedWithArgosMessage) {
  WorkflowStatus running;
  running.started = true;
  running.phase = Phase::kRunning;
  auto retried = retry_status(running, "wf", RetryRequest{}, kLater);
  ASSERT_FALSE(retried.is_ok());
  EXPECT_EQ(retried.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(retried.status().message(), "Cannot retry a workflow in phase Running");
}

TEST(RetryStatus, ABadSelectorIsRefused) {
  auto previous = status_from_json(kFailedStatus, Json::parse(kFailedSteps), "old");
  ASSERT_TRUE(previous.is_ok());
  RetryRequest request;
  request.restart_successful = true;
  request.node_field_selector = "displayName";
  EXPECT_FALSE(retry_status(*previous, "old", request, kLater).is_ok());
}

}  // namespace
}  // namespace skiff::engine
