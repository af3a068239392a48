// The service's journal: every event the engine was given must come back
// from its stored form exactly as it was, or a restarted server replays a
// different history.
#include <gtest/gtest.h>

#include "controller/service_internal.h"

namespace skiff::controller {
namespace {

using engine::Event;

Event round_trip(const Event& e) { return internal::decode_event(internal::encode_event(e)); }

TEST(JournalTest, FinishedStepKeepsOutputsArtifactsAndContainers) {
  Event e;
  e.kind = Event::Kind::kStepFinished;
  e.node_id = "wf-123";
  e.exit_code = 3;
  e.killed = true;
  e.result = "out";
  e.files = {{"/tmp/a", "x"}};
  e.error = "boom";
  e.artifacts = Json::array({{{"name", "blob"}, {"s3", {{"key", "wf/blob.tgz"}}}}});
  e.containers = {{"main", 3}, {"sidecar", 0}};
  e.host_node_name = "host";
  Event back = round_trip(e);
  EXPECT_EQ(back.kind, Event::Kind::kStepFinished);
  EXPECT_EQ(back.node_id, "wf-123");
  EXPECT_EQ(back.exit_code, 3);
  EXPECT_TRUE(back.killed);
  EXPECT_EQ(back.result, "out");
  EXPECT_EQ(back.files, e.files);
  EXPECT_EQ(back.error, "boom");
  EXPECT_EQ(back.artifacts, e.artifacts);
  ASSERT_EQ(back.containers.size(), 2u);
  EXPECT_EQ(back.containers[1].name, "sidecar");
  EXPECT_EQ(back.host_node_name, "host");
}

TEST(JournalTest, StartedAndReadyStepsKeepTheirPodIp) {
  for (Event::Kind kind : {Event::Kind::kStepStarted, Event::Kind::kStepReady}) {
    Event e;
    e.kind = kind;
    e.node_id = "wf-7";
    e.pod_ip = "127.10.3.4";
    Event back = round_trip(e);
    EXPECT_EQ(back.kind, kind);
    EXPECT_EQ(back.pod_ip, "127.10.3.4");
  }
}

TEST(JournalTest, EveryCommandKeepsItsKindAndArguments) {
  for (Event::Kind kind : {Event::Kind::kTerminate, Event::Kind::kStop, Event::Kind::kSuspend,
                           Event::Kind::kResume, Event::Kind::kSetNode}) {
    Event e;
    e.kind = kind;
    e.node_field_selector = "displayName=approve";
    e.phase = "Succeeded";
    e.message = "by hand";
    e.output_parameters = {{"answer", "42"}};
    Event back = round_trip(e);
    EXPECT_EQ(back.kind, kind);
    EXPECT_EQ(back.node_field_selector, "displayName=approve");
    EXPECT_EQ(back.phase, "Succeeded");
    EXPECT_EQ(back.message, "by hand");
    EXPECT_EQ(back.output_parameters, e.output_parameters);
  }
}

}  // namespace
}  // namespace skiff::controller
