// End-to-end artifact passing through `skiff run`: the local directory
// repository (no configuration) and an S3 repository on the S3-protocol
// test server, with the failures a user meets (bad credentials, missing
// bucket, unreachable endpoint, missing inputs and outputs).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../artifacts/s3_server.h"
#include "artifacts/artifacts.h"
#include "subprocess.h"

namespace skiff {
namespace {

using testing::Output;
using Json = nlohmann::json;

const std::string kSkiff = SKIFF_BINARY;
const std::string kWorkflows = std::string(SKIFF_TEST_DATA) + "/cli/workflows/";

class ArtifactsRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-home-XXXXXX";
    home_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  Json run(const std::string& workflow, int want_exit, std::vector<std::string> env = {}) {
    env.push_back("SKIFF_HOME=" + home_);
    Output r = testing::run({kSkiff, "run", kWorkflows + workflow, "-o", "json"}, env);
    EXPECT_EQ(r.exit_code, want_exit) << r.err;
    stderr_ = r.err;
    auto wf = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(wf.is_discarded()) << r.out.substr(0, 400) << r.err;
    return wf;
  }

  const Json* node(const Json& wf, const std::string& display) {
    for (auto& [id, n] : wf["status"]["nodes"].items()) {
      if (n["displayName"] == display) return &n;
    }
    ADD_FAILURE() << "no node " << display;
    return nullptr;
  }

  void write_config(const std::string& s3) {
    std::ofstream(home_ + "/config.yaml") << "artifactRepository:\n  s3:\n" << s3;
  }

  std::string home_;
  std::string stderr_;
};

TEST_F(ArtifactsRunTest, LocalRepositoryPassesFilesDirectoriesKeysAndRawData) {
  Json wf = run("artifacts-pass.yaml", 0);
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf["status"].dump();
  const Json* use = node(wf, "use");
  ASSERT_TRUE(use);
  EXPECT_EQ((*use)["outputs"]["result"], "hello A C B kept raw data600");
  const Json* make = node(wf, "make");
  ASSERT_TRUE(make);
  const Json& arts = (*make)["outputs"]["artifacts"];
  ASSERT_EQ(arts.size(), 3u) << arts.dump();  // the optional one was not written
  EXPECT_EQ(arts[0]["name"], "file");
  // Keyed "{{workflow.name}}/{{pod.name}}/<name>.tgz"; the pod is named
  // <workflow>-<template>-<the node ID's hash>.
  const std::string id = (*make)["id"];
  const std::string pod = "artifacts-pass-make-" + id.substr(std::string("artifacts-pass-").size());
  EXPECT_EQ(arts[0]["s3"]["key"], "artifacts-pass/" + pod + "/file.tgz");
  EXPECT_TRUE(std::filesystem::exists(home_ + "/artifacts/shelf/kept.txt"));
  // /mnt is private to the step, as in a container.
  EXPECT_FALSE(std::filesystem::exists("/mnt/kept.txt"));
}

TEST_F(ArtifactsRunTest, MissingInputErrorsTheStepNamingTheArtifact) {
  Json wf = run("artifacts-missing-input.yaml", 1);
  EXPECT_EQ(wf["status"]["phase"], "Failed");  // the steps fail; the step errors
  const Json* read = node(wf, "read");
  ASSERT_TRUE(read);
  EXPECT_EQ((*read)["phase"], "Error");
  std::string message = (*read)["message"];
  EXPECT_NE(message.find("artifact 'data'"), std::string::npos) << message;
  EXPECT_NE(message.find("never/stored.tgz"), std::string::npos) << message;
  // The step before it keeps its outputs.
  const Json* first = node(wf, "first");
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["phase"], "Succeeded");
  EXPECT_EQ((*first)["outputs"]["artifacts"][0]["name"], "out");
}

TEST_F(ArtifactsRunTest, MissingOutputErrorsTheStep) {
  Json wf = run("artifacts-missing-output.yaml", 1);
  EXPECT_EQ(wf["status"]["phase"], "Error");
  const Json* main = node(wf, "artifacts-missing-output");
  ASSERT_TRUE(main);
  EXPECT_EQ((*main)["message"], "failed to save artifact 'report': open /tmp/report.txt: no such file or directory");
}

TEST_F(ArtifactsRunTest, GarbageCollectionOnCompletionAndArchivedLogs) {
  Json wf = run("artifacts-gc-logs.yaml", 0);
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_FALSE(std::filesystem::exists(home_ + "/artifacts/gc/gone.tgz"));
  EXPECT_TRUE(std::filesystem::exists(home_ + "/artifacts/gc/stays.tgz"));
  const Json* main = node(wf, "artifacts-gc-logs");
  ASSERT_TRUE(main);
  bool found_logs = false;
  for (const auto& art : (*main)["outputs"]["artifacts"]) {
    if (art["name"] != "main-logs") continue;
    found_logs = true;
    std::ifstream log(home_ + "/artifacts/" + art["s3"]["key"].get<std::string>());
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("logged line"), std::string::npos);
  }
  EXPECT_TRUE(found_logs);
}

// Outputs are read as the step saw them: a link is resolved in the step's
// own filesystem, a link inside a directory is archived as a link, and a
// host file the step could not see is never read.
TEST_F(ArtifactsRunTest, LinksInOutputsNeverReachHostFilesTheStepCouldNotSee) {
  const std::string secret = home_ + "/secret.txt";
  std::ofstream(secret) << "TOP-SECRET\n";
  Output r = testing::run({kSkiff, "run", kWorkflows + "artifacts-hostile-links.yaml", "-o", "json", "-p",
                           "secret=" + secret},
                          {"SKIFF_HOME=" + home_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json wf = Json::parse(r.out, nullptr, false);
  ASSERT_FALSE(wf.is_discarded()) << r.out;
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf["status"].dump();
  const std::string repo = home_ + "/artifacts/links/";
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  // /mnt/data is the step's own: the link to it is followed there.
  EXPECT_EQ(read(repo + "inview.txt"), "inside\n");
  // The host file is not in the step's view: to the step the link is broken.
  EXPECT_FALSE(std::filesystem::exists(repo + "leak.txt"));
  // In an archive, links stay links.
  const std::string unpacked = home_ + "/unpacked";
  std::filesystem::create_directories(unpacked);
  ASSERT_EQ(std::system(("tar -xzf '" + repo + "dir.tgz' -C '" + unpacked + "'").c_str()), 0);
  EXPECT_EQ(read(unpacked + "/dir/own.txt"), "mine\n");
  EXPECT_TRUE(std::filesystem::is_symlink(unpacked + "/dir/alias"));
  EXPECT_EQ(std::filesystem::read_symlink(unpacked + "/dir/alias"), "own.txt");
  EXPECT_TRUE(std::filesystem::is_symlink(unpacked + "/dir/leak"));
  // Nothing stored anywhere holds the secret as a file.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(home_ + "/artifacts")) {
    if (!entry.is_symlink() && entry.is_regular_file()) {
      EXPECT_EQ(read(entry.path()).find("TOP-SECRET"), std::string::npos) << entry.path();
    }
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(unpacked)) {
    if (!entry.is_symlink() && entry.is_regular_file()) {
      EXPECT_EQ(read(entry.path()).find("TOP-SECRET"), std::string::npos) << entry.path();
    }
  }
}

class S3RunTest : public ArtifactsRunTest {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::S3Server({"my-bucket"});
    ASSERT_TRUE(server_->ok()) << "the S3 test server did not start: run scripts/install-deps.sh";
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  std::vector<std::string> keys(const std::string& secret = "S3RVER") {
    return {"AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=" + secret};
  }
  static testing::S3Server* server_;
};

testing::S3Server* S3RunTest::server_ = nullptr;

TEST_F(S3RunTest, PassesArtifactsThroughTheBucket) {
  write_config("    endpoint: " + server_->endpoint() + "\n    bucket: my-bucket\n    insecure: true\n");
  Json wf = run("artifacts-pass.yaml", 0, keys());
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf["status"].dump();
  const Json* use = node(wf, "use");
  ASSERT_TRUE(use);
  EXPECT_EQ((*use)["outputs"]["result"], "hello A C B kept raw data600");
  // Nothing went to the local directory.
  EXPECT_FALSE(std::filesystem::exists(home_ + "/artifacts/shelf"));
}

TEST_F(S3RunTest, ADirectoryStoredFileByFileLeavesOutLinksThatLeaveIt) {
  write_config("    endpoint: " + server_->endpoint() + "\n    bucket: my-bucket\n    insecure: true\n");
  const std::string secret = home_ + "/secret.txt";
  std::ofstream(secret) << "TOP-SECRET\n";
  std::vector<std::string> env = keys();
  env.push_back("SKIFF_HOME=" + home_);
  Output r = testing::run({kSkiff, "run", kWorkflows + "artifacts-hostile-links.yaml", "-o", "json", "-p",
                           "secret=" + secret},
                          env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  artifacts::Context context;
  // Credentials from a Secret, not this process's environment: the runs of
  // later tests inherit that environment.
  context.repository = {{"s3",
                         {{"endpoint", server_->endpoint()},
                          {"bucket", "my-bucket"},
                          {"insecure", true},
                          {"accessKeySecret", {{"name", "creds"}, {"key", "id"}}},
                          {"secretKeySecret", {{"name", "creds"}, {"key", "secret"}}}}}};
  context.secrets = [](const std::string&, const std::string&) -> std::optional<std::string> { return "S3RVER"; };
  context.scratch_dir = home_;
  artifacts::Store store(context);
  auto listed = store.list({{"name", "flat"}, {"s3", {{"key", "links/flat"}}}});
  ASSERT_TRUE(listed.is_ok()) << listed.status().message();
  EXPECT_EQ(*listed, (std::vector<std::string>{"links/flat/alias", "links/flat/own.txt"}));
}

TEST_F(S3RunTest, WrongCredentialsErrorTheStepAndStayOutOfStatusAndLogs) {
  write_config("    endpoint: " + server_->endpoint() + "\n    bucket: my-bucket\n    insecure: true\n");
  Json wf2 = run("artifacts-pass.yaml", 1, keys("wrong-secret-value"));
  EXPECT_EQ(wf2["status"]["phase"], "Failed");
  const Json* make = node(wf2, "make");
  ASSERT_TRUE(make);
  EXPECT_EQ((*make)["phase"], "Error");
  std::string message = (*make)["message"];
  EXPECT_NE(message.find("failed to save artifact 'file'"), std::string::npos) << message;
  EXPECT_NE(message.find("403"), std::string::npos) << message;
  EXPECT_EQ(wf2.dump().find("wrong-secret-value"), std::string::npos);
  EXPECT_EQ(stderr_.find("wrong-secret-value"), std::string::npos);
}

TEST_F(S3RunTest, MissingBucketIsNamed) {
  write_config("    endpoint: " + server_->endpoint() + "\n    bucket: no-such-bucket\n    insecure: true\n");
  Json wf = run("artifacts-pass.yaml", 1, keys());
  const Json* make = node(wf, "make");
  ASSERT_TRUE(make);
  EXPECT_EQ((*make)["phase"], "Error");
  std::string message = (*make)["message"];
  EXPECT_NE(message.find("bucket 'no-such-bucket' does not exist"), std::string::npos) << message;
}

TEST_F(S3RunTest, UnreachableEndpointIsNamed) {
  write_config("    endpoint: 127.0.0.1:1\n    bucket: my-bucket\n    insecure: true\n");
  // The first step's output cannot be stored: it errors, and nothing after it runs.
  Json wf = run("artifacts-missing-input.yaml", 1, keys());
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  const Json* first = node(wf, "first");
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["phase"], "Error");
  std::string message = (*first)["message"];
  EXPECT_NE(message.find("artifact 'out'"), std::string::npos) << message;
  EXPECT_NE(message.find("127.0.0.1:1"), std::string::npos) << message;
}

}  // namespace
}  // namespace skiff
