// Artifacts of workflows the server runs, against the S3-protocol test
// server: inputs staged, outputs collected into the repository of the
// server's configuration file, archived logs, and artifact GC at completion
// and at deletion.
#include <cstdlib>
#include <fstream>
#include <set>

#include "../artifacts/s3_server.h"
#include "artifacts/artifacts.h"
#include "config/config.h"
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

class ArtifactsApiTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    s3_ = std::make_unique<skiff::testing::S3Server>(std::vector<std::string>{"my-bucket"});
    ASSERT_TRUE(s3_->ok()) << "the S3 test server did not start: run scripts/install-deps.sh";
  }
  void TearDown() override {
    ServerFixture::TearDown();
    s3_.reset();
  }

  // A server whose configuration file names the bucket and archives logs.
  void start_with_bucket() {
    std::string path = (home_ / "config.yaml").string();
    std::ofstream(path) << "artifactRepository:\n  archiveLogs: true\n  s3:\n    endpoint: " << s3_->endpoint()
                        << "\n    bucket: my-bucket\n    insecure: true\n";
    auto config = config::load(path);
    ASSERT_TRUE(config.is_ok()) << config.status().message();
    ServerOptions o = options();
    o.config = *config;
    start(o);
  }

  std::set<std::string> keys() {
    artifacts::Context context;
    context.repository = {{"s3", {{"endpoint", s3_->endpoint()}, {"bucket", "my-bucket"}, {"insecure", true}}}};
    context.scratch_dir = home_.string();
    artifacts::Store store(context);
    auto listed = store.list({{"name", "all"}, {"s3", {{"key", ""}}}});
    EXPECT_TRUE(listed.is_ok()) << listed.status().message();
    return listed ? std::set<std::string>(listed->begin(), listed->end()) : std::set<std::string>{};
  }

  // Null until the node exists: a workflow just created has no nodes yet.
  static const Json* node(const Json& wf, const std::string& display) {
    if (!wf.contains("status") || !wf["status"].contains("nodes")) return nullptr;
    for (auto& [id, n] : wf["status"]["nodes"].items()) {
      if (n.value("displayName", "") == display) return &n;
    }
    return nullptr;
  }

  // make writes four outputs: a key-only one the next step reads, and three
  // with their own keys and GC strategies (the workflow's is OnWorkflowDeletion).
  static Json pass_workflow(const std::string& name) {
    return Json::parse(R"({
      "metadata": {"name": ")" + name + R"("},
      "spec": {"entrypoint": "main", "artifactGC": {"strategy": "OnWorkflowDeletion"},
        "templates": [
          {"name": "main", "steps": [[{"name": "make", "template": "make"}],
            [{"name": "use", "template": "use", "arguments": {"artifacts": [
              {"name": "in", "from": "{{steps.make.outputs.artifacts.file}}"}]}}]]},
          {"name": "make", "script": {"image": "alpine", "command": ["sh"],
             "source": "echo made-by-make > /tmp/file.txt; echo a > /tmp/a; echo b > /tmp/b; echo c > /tmp/c; echo logged line"},
           "outputs": {"artifacts": [
             {"name": "file", "path": "/tmp/file.txt"},
             {"name": "gone", "path": "/tmp/a", "s3": {"key": "gc/gone.txt"}, "archive": {"none": {}},
              "artifactGC": {"strategy": "OnWorkflowCompletion"}},
             {"name": "kept", "path": "/tmp/b", "s3": {"key": "gc/kept.txt"}, "archive": {"none": {}},
              "artifactGC": {"strategy": "Never"}},
             {"name": "later", "path": "/tmp/c", "s3": {"key": "gc/later.txt"}, "archive": {"none": {}}}]}},
          {"name": "use", "inputs": {"artifacts": [{"name": "in", "path": "/work-in/in.txt"}]},
           "script": {"image": "alpine", "command": ["sh"], "source": "cat /work-in/in.txt"}}]}})");
  }

  std::unique_ptr<skiff::testing::S3Server> s3_;
};

TEST_F(ArtifactsApiTest, StagesCollectsArchivesLogsAndCollectsGarbageAsSkiffRunDoes) {
  start_with_bucket();
  Reply created = call("POST", "/api/v1/workflows/argo", {{"workflow", pass_workflow("pass")}});
  ASSERT_EQ(created.status, 200) << created.text;
  Json wf = wait_completed("argo", "pass");
  ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  // Collection runs once the workflow completed; what it deleted is marked.
  wf = wait_for("argo", "pass", [](const Json& w) { return w.dump().find("\"deleted\":true") != std::string::npos; });

  const Json* use = node(wf, "use");
  ASSERT_TRUE(use);
  EXPECT_EQ((*use)["outputs"]["result"], "made-by-make");
  const Json* make = node(wf, "make");
  ASSERT_TRUE(make);
  const std::string id = (*make)["id"];
  const std::string pod = "pass-make-" + id.substr(std::string("pass-").size());
  std::map<std::string, Json> outputs;
  for (const auto& art : (*make)["outputs"]["artifacts"]) outputs[art["name"]] = art;
  ASSERT_EQ(outputs.size(), 5u) << (*make)["outputs"].dump();
  // Key-only: the repository's bucket under Argo's default key format.
  EXPECT_EQ(outputs["file"]["s3"]["key"], "pass/" + pod + "/file.tgz");
  EXPECT_EQ(outputs["main-logs"]["s3"]["key"], "pass/" + pod + "/main.log");
  // Collected at completion and marked so, as Argo marks them.
  EXPECT_EQ(outputs["gone"].value("deleted", false), true);
  EXPECT_EQ(outputs["kept"].value("deleted", false), false);

  // Downloads come from the bucket as stored; what GC deleted is gone.
  const std::string files = "/artifact-files/argo/workflows/pass/" + id + "/outputs/";
  Reply log = call("GET", files + "main-logs");
  EXPECT_EQ(log.status, 200);
  EXPECT_NE(log.text.find("logged line"), std::string::npos) << log.text;
  EXPECT_EQ(call("GET", files + "kept").text, "b\n");
  Reply gone = call("GET", files + "gone");
  EXPECT_EQ(gone.status, 404);
  EXPECT_NE(gone.text.find("deleted"), std::string::npos) << gone.text;

  std::set<std::string> stored = keys();
  EXPECT_TRUE(stored.count("pass/" + pod + "/file.tgz"));
  EXPECT_TRUE(stored.count("pass/" + pod + "/main.log"));
  EXPECT_TRUE(stored.count("gc/kept.txt"));
  EXPECT_TRUE(stored.count("gc/later.txt"));
  EXPECT_FALSE(stored.count("gc/gone.txt"));

  // Deleting the workflow deletes what waited for it; Never stays.
  Reply deleted = call("DELETE", "/api/v1/workflows/argo/pass");
  ASSERT_EQ(deleted.status, 200) << deleted.text;
  stored = keys();
  EXPECT_EQ(stored, std::set<std::string>{"gc/kept.txt"});
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/pass").status, 404);
}

TEST_F(ArtifactsApiTest, AFailedDeletionKeepsTheWorkflowWithTheConditionUntilForced) {
  start_with_bucket();
  Reply created = call("POST", "/api/v1/workflows/argo", {{"workflow", pass_workflow("keep")}});
  ASSERT_EQ(created.status, 200) << created.text;
  Json wf = wait_completed("argo", "keep");
  ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();

  ::setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret", 1);  // deletions are refused now
  // A watcher sees the refusal: the workflow MODIFIED with its condition.
  auto has_condition = [](const Json& object) {
    for (const auto& c : object["status"].value("conditions", Json::array())) {
      if (c.value("type", "") == "ArtifactGCError") return true;
    }
    return false;
  };
  std::atomic<bool> watching{false};
  bool seen_refusal = false;
  std::thread watcher([&] {
    auto c = client();
    c.set_read_timeout(60, 0);
    std::string buffer;
    c.Get("/api/v1/workflow-events/argo?listOptions.fieldSelector=metadata.name%3Dkeep",
          [&](const char* data, size_t size) {
            watching = true;
            buffer.append(data, size);
            for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
              std::string frame = buffer.substr(0, end);
              buffer.erase(0, end + 2);
              if (frame.rfind("data: ", 0) != 0) continue;
              Json event = Json::parse(frame.substr(6), nullptr, false);
              if (event.is_object() && event["result"].value("type", "") == "MODIFIED" &&
                  has_condition(event["result"]["object"])) {
                seen_refusal = true;
              }
            }
            return !seen_refusal;
          });
  });
  for (int i = 0; i < 200 && !watching; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  Reply refused = call("DELETE", "/api/v1/workflows/argo/keep");
  watcher.join();
  EXPECT_TRUE(seen_refusal) << "no MODIFIED event carried the ArtifactGCError condition";
  EXPECT_EQ(refused.status, 400) << refused.text;
  std::string message = refused.body.value("message", "");
  EXPECT_NE(message.find("/later: "), std::string::npos) << message;
  EXPECT_NE(message.find("403"), std::string::npos) << message;
  EXPECT_EQ(message.find("wrong-secret"), std::string::npos) << message;

  Reply kept = call("GET", "/api/v1/workflows/argo/keep");
  ASSERT_EQ(kept.status, 200) << kept.text;
  bool condition = false;
  for (const auto& c : kept.body["status"]["conditions"]) condition |= c["type"] == "ArtifactGCError";
  EXPECT_TRUE(condition) << kept.body["status"].dump();
  ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  EXPECT_TRUE(keys().count("gc/later.txt"));
  ::setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret", 1);

  Reply forced = call("DELETE", "/api/v1/workflows/argo/keep?force=true");
  EXPECT_EQ(forced.status, 200) << forced.text;
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/keep").status, 404);
  ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
}

// The step outlives the server; the next one takes it over, its staged
// input still in place, and stores its outputs.
TEST_F(ArtifactsApiTest, AStepTakenOverAfterARestartKeepsItsStagedInputs) {
  start_with_bucket();
  Json workflow = pass_workflow("again");
  // `use` runs long enough for the server to stop under it.
  workflow["spec"]["templates"][2]["script"]["source"] = "sleep 5; cat /work-in/in.txt";
  Reply created = call("POST", "/api/v1/workflows/argo", {{"workflow", workflow}});
  ASSERT_EQ(created.status, 200) << created.text;
  wait_for("argo", "again", [](const Json& wf) {
    const Json* use = node(wf, "use");
    return use && use->value("phase", "") == "Running";
  });
  server_.reset();
  start_with_bucket();
  Json wf = wait_completed("argo", "again");
  ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  const Json* use = node(wf, "use");
  ASSERT_TRUE(use);
  EXPECT_EQ((*use)["outputs"]["result"], "made-by-make");
}

}  // namespace
}  // namespace skiff::server::testing
