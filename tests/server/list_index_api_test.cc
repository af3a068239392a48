// The server's workflow lists, answered from its index, are the store
// path's answers byte for byte, while workflows run, after a DELETE, after
// ttlStrategy deleted one, and after a restart.
#include <gtest/gtest.h>

#include "base/strings.h"
#include "server/list_index.h"
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

const char kArgoListFields[] =
    "metadata,items.metadata.name,items.metadata.namespace,items.metadata.uid,items.metadata.creationTimestamp,"
    "items.metadata.labels,items.status.phase,items.status.message,items.status.finishedAt,items.status.startedAt,"
    "items.status.estimatedDuration,items.status.progress,items.spec.priority";

class ListIndexApiTest : public ServerFixture {
 protected:
  // The list over HTTP, and the store path's answer to the same request
  // read from the server's database beside it.
  void expect_as_stored(const std::string& fields, size_t limit = 0, const std::string& labels = "") {
    std::string path = "/api/v1/workflows/argo?fields=" + percent_encode(fields);
    if (limit) path += "&listOptions.limit=" + std::to_string(limit);
    if (!labels.empty()) path += "&listOptions.labelSelector=" + percent_encode(labels);
    Reply served = call("GET", path);
    ASSERT_EQ(served.status, 200) << served.text;

    auto opened = store::open_sqlite({(home_ / "skiff.db").string()});
    ASSERT_TRUE(opened.is_ok()) << opened.status().message();
    ListRequest r;
    r.namespace_ = "argo";
    r.projection = fields;
    r.limit = limit;
    r.labels = *Selector::labels(labels);
    auto stored = list_from_store(**opened, r);
    ASSERT_TRUE(stored.is_ok()) << stored.status().message();
    EXPECT_EQ(served.text, *stored) << path;
  }

  void expect_all_as_stored() {
    expect_as_stored(kArgoListFields);
    expect_as_stored(kArgoListFields, 2);
    expect_as_stored("items.metadata.name,items.status.phase", 0, "team=a");
    expect_as_stored("-items.status.nodes");
  }

  std::vector<std::string> names() {
    Reply r = call("GET", "/api/v1/workflows/argo?fields=items.metadata.name");
    std::vector<std::string> out;
    for (const auto& item : r.body.value("items", Json::array())) out.push_back(item["metadata"]["name"]);
    return out;
  }
};

TEST_F(ListIndexApiTest, ListsFollowRunsDeletesTtlAndARestart) {
  start();
  for (const std::string name : {"one", "two", "three"}) {
    ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow(name, name)}}).status, 200);
  }
  Json held = sleep_workflow("held", 60);
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", held}}).status, 200);
  for (const std::string name : {"one", "two", "three"}) wait_completed("argo", name);
  wait_for("argo", "held", [](const Json& wf) { return wf["status"].value("phase", "") == "Running"; });
  expect_all_as_stored();

  // Deleted through the API.
  ASSERT_EQ(call("DELETE", "/api/v1/workflows/argo/two").status, 200);
  EXPECT_EQ(names(), (std::vector<std::string>{"held", "three", "one"}));
  expect_all_as_stored();

  // Deleted by the lifecycle: ttlStrategy, once it succeeded.
  Json brief = echo_workflow("brief");
  brief["spec"]["ttlStrategy"] = {{"secondsAfterSuccess", 0}};
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", brief}}).status, 200);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (call("GET", "/api/v1/workflows/argo/brief").status != 404 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(names(), (std::vector<std::string>{"held", "three", "one"}));
  expect_all_as_stored();

  // A restarted server builds its index again from the store.
  restart();
  EXPECT_EQ(names(), (std::vector<std::string>{"held", "three", "one"}));
  expect_all_as_stored();
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/held/terminate", Json::object()).status, 200);
  wait_completed("argo", "held");
  expect_all_as_stored();
}

}  // namespace
}  // namespace skiff::server::testing
