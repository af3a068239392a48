// Archived workflows run again (`argo archive retry`) once they are gone
// from the cluster, and archiveLabelSelector choosing what is archived.
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

class ArchiveRetryTest : public ServerFixture {
 protected:
  void start_with(const std::function<void(config::Config&)>& configure) {
    ServerOptions o = options();
    configure(o.config);
    start(o);
  }

  Json archived(const std::function<bool(const Json&)>& wanted) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
      Json items = call("GET", "/api/v1/archived-workflows").body.value("items", Json::array());
      if (wanted(items)) return items;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the archive never held what was expected";
    return Json::array();
  }

  // A first step that succeeds, then one that exits with the workflow's
  // `code` parameter.
  static Json exits_with(const std::string& name, const std::string& code) {
    return Json::parse(R"({"metadata": {"name": ")" + name + R"(", "labels": {"team": "a"}},
      "spec": {"entrypoint": "main", "arguments": {"parameters": [{"name": "code", "value": ")" + code + R"("}]},
        "templates": [
          {"name": "main", "steps": [[{"name": "ok", "template": "say"}], [{"name": "last", "template": "end"}]]},
          {"name": "say", "container": {"image": "alpine", "command": ["sh", "-c", "echo fine"]}},
          {"name": "end", "container": {"image": "alpine", "command": ["sh", "-c",
            "exit {{workflow.parameters.code}}"]}}]}})");
  }
};

TEST_F(ArchiveRetryTest, RetryRecreatesAWorkflowOnlyTheArchiveHolds) {
  start_with([](config::Config& c) { c.persistence.archive = true; });
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", exits_with("flaky", "3")}}).status, 200);
  Json failed = wait_completed("argo", "flaky");
  ASSERT_EQ(failed["status"]["phase"], "Failed") << failed.dump();
  const std::string uid = failed["metadata"]["uid"];
  std::string ok_id, ok_started;
  for (const auto& [id, node] : failed["status"]["nodes"].items()) {
    if (node["displayName"] == "ok") ok_id = id, ok_started = node.value("startedAt", "");
  }
  ASSERT_FALSE(ok_id.empty());
  archived([](const Json& items) { return items.size() == 1; });

  // Still on the cluster: Argo's answer.
  Reply refused = call("PUT", "/api/v1/archived-workflows/" + uid + "/retry", Json::object());
  EXPECT_EQ(refused.status, 409) << refused.text;
  EXPECT_EQ(refused.body["message"], "Workflow already exists on cluster, use argo retry {name} instead");

  ASSERT_EQ(call("DELETE", "/api/v1/workflows/argo/flaky").status, 200);
  Reply retried = call("PUT", "/api/v1/archived-workflows/" + uid + "/retry",
                       {{"uid", uid}, {"namespace", "argo"}, {"parameters", {"code=0"}}});
  ASSERT_EQ(retried.status, 200) << retried.text;
  EXPECT_EQ(retried.body["metadata"]["name"], "flaky");
  EXPECT_EQ(retried.body["metadata"]["labels"]["team"], "a");

  Json again = wait_completed("argo", "flaky");
  EXPECT_EQ(again["status"]["phase"], "Succeeded") << again.dump();
  // The step that had succeeded was kept, not run again.
  ASSERT_TRUE(again["status"]["nodes"].contains(ok_id)) << again.dump();
  EXPECT_EQ(again["status"]["nodes"][ok_id]["phase"], "Succeeded");
  EXPECT_EQ(again["status"]["nodes"][ok_id].value("startedAt", ""), ok_started);
  for (const auto& [id, node] : again["status"]["nodes"].items()) {
    if (node["displayName"] == "last") {
      EXPECT_EQ(node["phase"], "Succeeded");
    }
  }

  // A workflow that succeeded is not retried without restartSuccessful.
  const std::string again_uid = again["metadata"]["uid"];
  archived([&](const Json& items) {
    for (const auto& item : items) {
      if (item["metadata"]["uid"] == again_uid) return true;
    }
    return false;
  });
  ASSERT_EQ(call("DELETE", "/api/v1/workflows/argo/flaky").status, 200);
  Reply succeeded = call("PUT", "/api/v1/archived-workflows/" + again_uid + "/retry", Json::object());
  EXPECT_EQ(succeeded.status, 400) << succeeded.text;
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/flaky").status, 404);

  // The CLI's verb.
  auto [code, out] = cli("archive retry " + uid + " -p code=0 -o name");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "flaky\n");
  EXPECT_EQ(wait_completed("argo", "flaky")["status"]["phase"], "Succeeded");
}

TEST_F(ArchiveRetryTest, ArchiveLabelSelectorChoosesWhatIsArchived) {
  start_with([](config::Config& c) {
    c.persistence.archive = true;
    c.persistence.archive_label_selector = Json::parse(
        R"({"matchLabels": {"team": "a"}, "matchExpressions": [{"key": "keep", "operator": "NotIn", "values": ["no"]}]})");
  });
  Json other_team = echo_workflow("other-team");
  other_team["metadata"]["labels"]["team"] = "b";
  Json dropped = echo_workflow("dropped");
  dropped["metadata"]["labels"]["keep"] = "no";
  for (const Json& wf : {other_team, dropped}) {
    ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", wf}}).status, 200);
    wait_completed("argo", wf["metadata"]["name"]);
  }
  // Archived (or not) as each finished, one after the other.
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("kept")}}).status, 200);
  wait_completed("argo", "kept");
  Json items = archived([](const Json& items) { return !items.empty(); });
  ASSERT_EQ(items.size(), 1u) << items.dump();
  EXPECT_EQ(items[0]["metadata"]["name"], "kept");
}

}  // namespace
}  // namespace skiff::server::testing
