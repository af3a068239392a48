// The configuration's `load` objects are every server workflow's, as
// `skiff run --load` gives them to a run: a container's env reads their
// Secret and ConfigMap keys, also after a restart of the server.
#include <fstream>

#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

class LoadedObjectsTest : public ServerFixture {
 protected:
  ServerOptions with_objects() {
    std::filesystem::create_directories(home_ / "objects");
    std::ofstream(home_ / "objects" / "vault.yaml") << "apiVersion: v1\nkind: Secret\n"
                                                       "metadata: {name: vault}\nstringData: {token: s3cr3t}\n";
    std::ofstream(home_ / "objects" / "settings.yaml") << "apiVersion: v1\nkind: ConfigMap\n"
                                                          "metadata: {name: settings}\ndata: {greeting: hello}\n";
    ServerOptions o = options();
    o.config.load = {(home_ / "objects").string()};
    return o;
  }

  static Json reading_workflow(const std::string& name, const std::string& secret) {
    return Json::parse(R"({"metadata": {"name": ")" + name + R"("},
      "spec": {"entrypoint": "main", "templates": [{"name": "main",
        "script": {"image": "alpine", "command": ["sh"], "source": "echo \"$TOKEN-$GREETING\"",
          "env": [
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": ")" + secret + R"(", "key": "token"}}},
            {"name": "GREETING", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "greeting"}}}]}}]}})");
  }

  std::string result_of(const Json& wf) {
    for (const auto& [id, node] : wf["status"]["nodes"].items()) {
      if (node["type"] == "Pod") return node["outputs"].value("result", "");
    }
    return "";
  }
};

TEST_F(LoadedObjectsTest, ContainerEnvReadsLoadedSecretsAndConfigMaps) {
  start(with_objects());
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", reading_workflow("reads", "vault")}}).status, 200);
  Json wf = wait_completed("argo", "reads");
  ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  EXPECT_EQ(result_of(wf), "s3cr3t-hello");

  // A name nothing loaded errors the step, naming what is missing.
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", reading_workflow("misses", "nowhere")}}).status,
            200);
  wf = wait_completed("argo", "misses");
  EXPECT_NE(wf["status"]["phase"], "Succeeded");
  EXPECT_NE(wf.dump().find("secret \\\"nowhere\\\" not found"), std::string::npos) << wf.dump();
}

TEST_F(LoadedObjectsTest, AWorkflowRebuiltAfterARestartStillSeesThem) {
  ServerOptions o = with_objects();
  start(o);
  Json waiting = reading_workflow("later", "vault");
  waiting["spec"]["templates"][0]["name"] = "read";
  waiting["spec"]["templates"].push_back(Json::parse(R"({"name": "main", "steps": [
      [{"name": "hold", "template": "hold"}], [{"name": "read", "template": "read"}]]})"));
  waiting["spec"]["templates"].push_back(Json::parse(R"({"name": "hold", "suspend": {}})"));
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", waiting}}).status, 200);
  wait_for("argo", "later", [](const Json& w) { return w["status"].value("phase", "") == "Running"; });
  server_.reset();
  start(o);
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/later/resume", Json::object()).status, 200);
  Json wf = wait_completed("argo", "later");
  ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  EXPECT_EQ(result_of(wf), "s3cr3t-hello");
}

}  // namespace
}  // namespace skiff::server::testing
