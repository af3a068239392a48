// Argo Server's artifact downloads against a real server with its local
// repository: the object as stored (an archive stays packed), files of a
// directory stored file by file, archived logs, inputs, archived workflows
// by uid, and the errors for what is not there.
#include <map>

#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

class ArtifactDownloadTest : public ServerFixture {
 protected:
  void start_archiving() {
    ServerOptions o = options();
    o.config.archive_logs = true;
    o.config.persistence.archive = true;
    start(o);
  }

  struct Download {
    int status = 0;
    std::string body;
    std::string disposition;
    std::string content_type;
  };
  Download get(const std::string& path) {
    auto c = client();
    auto result = c.Get(path);
    Download d;
    if (!result) {
      ADD_FAILURE() << path << ": no response";
      return d;
    }
    d.status = result->status;
    d.body = result->body;
    d.disposition = result->get_header_value("Content-Disposition");
    d.content_type = result->get_header_value("Content-Type");
    return d;
  }

  static std::string node_id(const Json& wf, const std::string& display) {
    for (const auto& [id, n] : wf["status"]["nodes"].items()) {
      if (n.value("displayName", "") == display) return id;
    }
    ADD_FAILURE() << "no node " << display;
    return "";
  }

  // `make` writes a file (packed, the default), a file stored as is, and a
  // directory stored file by file; `use` reads the packed one as an input.
  static Json workflow(const std::string& name) {
    return Json::parse(R"({
      "metadata": {"name": ")" + name + R"("},
      "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "make", "template": "make"}],
          [{"name": "use", "template": "use", "arguments": {"artifacts": [
            {"name": "in", "from": "{{steps.make.outputs.artifacts.packed}}"}]}}]]},
        {"name": "make", "script": {"image": "alpine", "command": ["sh"],
           "source": "echo packed-text > /tmp/p.txt; echo plain-text > /tmp/plain.txt; mkdir -p /tmp/d/sub; echo one > /tmp/d/one.txt; echo two > /tmp/d/sub/two.txt; echo a logged line"},
         "outputs": {"artifacts": [
           {"name": "packed", "path": "/tmp/p.txt"},
           {"name": "plain", "path": "/tmp/plain.txt", "archive": {"none": {}}},
           {"name": "dir", "path": "/tmp/d", "archive": {"none": {}}}]}},
        {"name": "use", "inputs": {"artifacts": [{"name": "in", "path": "/tmp/in.txt"}]},
         "script": {"image": "alpine", "command": ["sh"], "source": "cat /tmp/in.txt"}}]}})");
  }
};

TEST_F(ArtifactDownloadTest, ServesOutputsAsStoredDirectoriesLogsAndInputs) {
  start_archiving();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", workflow("dl")}}).status, 200);
  Json wf = wait_completed("argo", "dl");
  ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
  const std::string make = node_id(wf, "make");
  const std::string base = "/artifact-files/argo/workflows/dl/" + make + "/outputs/";

  // Packed by default: the .tgz as stored, named after its key.
  Download packed = get(base + "packed");
  ASSERT_EQ(packed.status, 200) << packed.body;
  ASSERT_GE(packed.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(packed.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(packed.body[1]), 0x8b);
  EXPECT_EQ(packed.disposition, "filename=\"packed.tgz\"");
  EXPECT_EQ(packed.content_type, "application/gzip");

  Download plain = get(base + "plain");
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.body, "plain-text\n");
  EXPECT_EQ(plain.disposition, "filename=\"plain.txt\"");
  EXPECT_EQ(plain.content_type, "text/plain; charset=utf-8");
  // The older output endpoint serves the same bytes.
  EXPECT_EQ(get("/artifacts/argo/dl/" + make + "/plain").body, "plain-text\n");

  // A directory lists its entries; a file below it is served by its path.
  Download listing = get(base + "dir");
  ASSERT_EQ(listing.status, 200) << listing.body;
  EXPECT_NE(listing.body.find("href=\"" + base + "dir/one.txt\""), std::string::npos) << listing.body;
  EXPECT_NE(listing.body.find(">sub/<"), std::string::npos) << listing.body;
  EXPECT_EQ(listing.body.find("two.txt"), std::string::npos) << "only the directory's own entries";
  EXPECT_EQ(get(base + "dir/sub/two.txt").body, "two\n");
  EXPECT_NE(get(base + "dir/sub").body.find(">two.txt<"), std::string::npos);

  // archiveLogs: the step's log is an output artifact like the others.
  Download log = get(base + "main-logs");
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_NE(log.body.find("a logged line"), std::string::npos) << log.body;

  // The input `use` was given, from where it was fetched.
  const std::string use = node_id(wf, "use");
  Download input = get("/artifact-files/argo/workflows/dl/" + use + "/inputs/in");
  ASSERT_EQ(input.status, 200) << input.body;
  EXPECT_EQ(input.body, packed.body);
  EXPECT_EQ(get("/input-artifacts/argo/dl/" + use + "/in").body, packed.body);
}

TEST_F(ArtifactDownloadTest, ArchivedWorkflowsAreServedByUidAfterDeletion) {
  start_archiving();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", workflow("gone")}}).status, 200);
  Json wf = wait_completed("argo", "gone");
  const std::string uid = wf["metadata"]["uid"];
  const std::string make = node_id(wf, "make");
  // Archived after completion; then the live workflow goes.
  for (int i = 0; i < 200 && call("GET", "/api/v1/archived-workflows/" + uid).status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(call("DELETE", "/api/v1/workflows/argo/gone").status, 200);
  ASSERT_EQ(call("GET", "/api/v1/workflows/argo/gone").status, 404);

  EXPECT_EQ(get("/artifact-files/argo/archived-workflows/" + uid + "/" + make + "/outputs/plain").body,
            "plain-text\n");
  EXPECT_EQ(get("/artifacts-by-uid/" + uid + "/" + make + "/plain").body, "plain-text\n");
  EXPECT_NE(get("/artifacts-by-uid/" + uid + "/" + make + "/main-logs").body.find("a logged line"),
            std::string::npos);
  // Under another namespace it is not there.
  EXPECT_EQ(get("/artifact-files/other/archived-workflows/" + uid + "/" + make + "/outputs/plain").status, 404);
}

TEST_F(ArtifactDownloadTest, WhatIsNotThereIsAClearError) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", workflow("err")}}).status, 200);
  Json wf = wait_completed("argo", "err");
  const std::string make = node_id(wf, "make");
  const std::string base = "/artifact-files/argo/workflows/err/";

  Download no_workflow = get("/artifact-files/argo/workflows/nope/" + make + "/outputs/plain");
  EXPECT_EQ(no_workflow.status, 404);
  Download no_node = get(base + "err-123/outputs/plain");
  EXPECT_EQ(no_node.status, 404);
  EXPECT_NE(no_node.body.find("err-123"), std::string::npos) << no_node.body;
  Download no_artifact = get(base + make + "/outputs/nothing");
  EXPECT_EQ(no_artifact.status, 404);
  EXPECT_NE(no_artifact.body.find("nothing"), std::string::npos) << no_artifact.body;
  Download no_file = get(base + make + "/outputs/dir/missing.txt");
  EXPECT_EQ(no_file.status, 404) << no_file.body;
  EXPECT_EQ(get(base + make + "/sideways/plain").status, 400);
  EXPECT_EQ(get("/artifact-files/argo/pods/err/" + make + "/outputs/plain").status, 400);
  EXPECT_EQ(get(base + make + "/outputs/dir/../../escape").status, 400);
  // Without archiveLogs there is no log artifact.
  EXPECT_EQ(get(base + make + "/outputs/main-logs").status, 404);
}

}  // namespace
}  // namespace skiff::server::testing
