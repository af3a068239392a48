// Watches (server-sent events), info endpoints and authentication.
#include <fstream>

#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

using StreamAuthTest = ServerFixture;

TEST_F(StreamAuthTest, InfoVersionUserinfo) {
  start();
  Reply info = call("GET", "/api/v1/info");
  ASSERT_EQ(info.status, 200);
  EXPECT_TRUE(info.body["links"].is_array());
  Reply version = call("GET", "/api/v1/version");
  ASSERT_EQ(version.status, 200);
  EXPECT_EQ(version.body["version"].get<std::string>().rfind("v", 0), 0u);
  EXPECT_EQ(call("GET", "/api/v1/userinfo").status, 200);
}

// Reads server-sent events until `enough` says so; returns each `data:` JSON.
std::vector<Json> read_events(httplib::Client& c, const std::string& path,
                              const std::function<bool(const std::vector<Json>&)>& enough) {
  std::vector<Json> events;
  std::string buffer;
  c.set_read_timeout(60, 0);
  auto result = c.Get(path, [&](const char* data, size_t size) {
    buffer.append(data, size);
    for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
      std::string frame = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (frame.rfind("data: ", 0) == 0) events.push_back(Json::parse(frame.substr(6)));
    }
    return !enough(events);
  });
  (void)result;
  return events;
}

TEST_F(StreamAuthTest, WorkflowEventsStreamAddedThenModifiedUntilDone) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("ignored")}}).status, 200);
  std::thread submitter([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("watched")}});
  });
  auto c = client();
  auto events = read_events(c, "/api/v1/workflow-events/argo?listOptions.fieldSelector=metadata.name%3Dwatched",
                            [](const std::vector<Json>& seen) {
                              return !seen.empty() &&
                                     seen.back()["result"]["object"]["status"].value("phase", "") == "Succeeded";
                            });
  submitter.join();
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) {
    EXPECT_EQ(e["result"]["object"]["metadata"]["name"], "watched");
    std::string type = e["result"]["type"];
    EXPECT_TRUE(type == "ADDED" || type == "MODIFIED") << type;
  }
  EXPECT_EQ(events.back()["result"]["object"]["status"]["phase"], "Succeeded");
  EXPECT_EQ(events.back()["result"]["type"], "MODIFIED");
}

TEST_F(StreamAuthTest, KubernetesEventsStreamWorkflowAndNodeReasons) {
  start();
  std::thread submitter([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("evented")}});
  });
  auto c = client();
  auto events = read_events(c, "/api/v1/stream/events/argo", [](const std::vector<Json>& seen) {
    return !seen.empty() && seen.back()["result"]["reason"] == "WorkflowSucceeded";
  });
  submitter.join();
  std::vector<std::string> reasons;
  for (const auto& e : events) reasons.push_back(e["result"]["reason"]);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons.front(), "WorkflowRunning");
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "WorkflowNodeSucceeded"), reasons.end());
  EXPECT_EQ(events.back()["result"]["involvedObject"]["name"], "evented");
}

TEST_F(StreamAuthTest, ServerModeIsRefusedOffLoopback) {
  ServerOptions o = options();
  o.address = "0.0.0.0";
  auto started = Server::start(o);
  ASSERT_FALSE(started.is_ok());
  EXPECT_NE(started.status().message().find("--auth-mode client"), std::string::npos);
}

TEST_F(StreamAuthTest, ClientModeWantsATokenAndKeepsNamespacesApart) {
  std::ofstream(home_ / "tokens") << "# token namespaces\nteam-a-secret team-a\nadmin-secret *\n";
  ServerOptions o = options();
  o.auth_mode = "client";
  o.tokens_file = (home_ / "tokens").string();
  start(o);

  Reply anonymous = call("GET", "/api/v1/workflows/team-a");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.body["code"], 16);
  token_ = "wrong";
  EXPECT_EQ(call("GET", "/api/v1/workflows/team-a").status, 401);

  token_ = "team-a-secret";
  EXPECT_EQ(call("POST", "/api/v1/workflows/team-a", {{"workflow", echo_workflow("mine")}}).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/workflows/team-a").status, 200);
  Reply denied = call("GET", "/api/v1/workflows/team-b");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.body["code"], 7);
  EXPECT_EQ(call("POST", "/api/v1/workflows/team-b", {{"workflow", echo_workflow("theirs")}}).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/workflows/").status, 403);
  EXPECT_EQ(call("GET", "/api/v1/workflow-templates/team-b").status, 403);

  token_ = "admin-secret";
  EXPECT_EQ(call("GET", "/api/v1/workflows/team-b").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/workflows/").body["items"].size(), 1u);

  // A browser following a download link sends the UI's cookie instead.
  token_.clear();
  auto with_cookie = [&](const std::string& cookie, const std::string& path) {
    auto result = client().Get(path, httplib::Headers{{"Cookie", cookie}});
    return result ? result->status : 0;
  };
  EXPECT_EQ(with_cookie("theme=dark; authorization=Bearer%20team-a-secret", "/api/v1/workflows/team-a"), 200);
  EXPECT_EQ(with_cookie("authorization=Bearer team-a-secret", "/api/v1/workflows/team-b"), 403);
  EXPECT_EQ(with_cookie("authorization=Bearer%20wrong", "/api/v1/workflows/team-a"), 401);
  EXPECT_EQ(with_cookie("other=Bearer%20team-a-secret", "/api/v1/workflows/team-a"), 401);
}

TEST_F(StreamAuthTest, ClientModeNeedsAReadableTokensFile) {
  ServerOptions o = options();
  o.auth_mode = "client";
  EXPECT_FALSE(Server::start(o).is_ok());
  o.tokens_file = (home_ / "absent").string();
  EXPECT_FALSE(Server::start(o).is_ok());
  std::ofstream(home_ / "bad") << "lonely-token\n";
  o.tokens_file = (home_ / "bad").string();
  auto bad = Server::start(o);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find(":1:"), std::string::npos);
}

}  // namespace
}  // namespace skiff::server::testing
