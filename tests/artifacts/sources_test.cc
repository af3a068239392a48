// HTTP and artifactory artifacts against a local HTTP server (the only
// translation unit that includes cpp-httplib), git artifacts against a
// local bare repository.
#include <httplib.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "artifacts/artifacts.h"
#include "test_util.h"

namespace skiff::artifacts {
namespace {

using skiff::testing::read_text;
using skiff::testing::TempDir;
using skiff::testing::write_text;

class HttpServer {
 public:
  HttpServer() {
    server_.Get("/plain.txt", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("plain body\n", "text/plain");
    });
    server_.Get("/private.txt", [](const httplib::Request& req, httplib::Response& res) {
      // "user:pass" in base64
      if (req.get_header_value("Authorization") != "Basic dXNlcjpwYXNz" || req.get_header_value("X-Token") != "t") {
        res.status = 401;
        return;
      }
      res.set_content("secret body\n", "text/plain");
    });
    server_.Get("/flaky.txt", [this](const httplib::Request&, httplib::Response& res) {
      if (++flaky_calls_ < 3) {
        res.status = 503;
        return;
      }
      res.set_content("after retries\n", "text/plain");
    });
    server_.Put("/upload/(.*)", [this](const httplib::Request& req, httplib::Response& res) {
      uploaded_ = req.body;
      res.status = 201;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~HttpServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int flaky_calls() const { return flaky_calls_; }
  const std::string& uploaded() const { return uploaded_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> flaky_calls_{0};
  std::string uploaded_;
};

Context context_with_secrets(const TempDir& dir) {
  Context c;
  c.local_root = dir / "repo";
  c.scratch_dir = dir.path();
  c.secrets = [](const std::string& name, const std::string& key) -> std::optional<std::string> {
    if (name == "creds" && key == "user") return std::string("user");
    if (name == "creds" && key == "pass") return std::string("pass");
    return std::nullopt;
  };
  return c;
}

TEST(HttpArtifact, PlainGet) {
  HttpServer server;
  TempDir dir;
  Store store(context_with_secrets(dir));
  ASSERT_TRUE(store.load({{"name", "h"}, {"http", {{"url", server.url("/plain.txt")}}}}, dir / "in/p"));
  EXPECT_EQ(read_text(dir / "in/p"), "plain body\n");
}

TEST(HttpArtifact, BasicAuthAndHeaders) {
  HttpServer server;
  TempDir dir;
  Store store(context_with_secrets(dir));
  Json art = {{"name", "h"},
              {"http",
               {{"url", server.url("/private.txt")},
                {"headers", {{{"name", "X-Token"}, {"value", "t"}}}},
                {"auth",
                 {{"basicAuth",
                   {{"usernameSecret", {{"name", "creds"}, {"key", "user"}}},
                    {"passwordSecret", {{"name", "creds"}, {"key", "pass"}}}}}}}}}};
  Status st = store.load(art, dir / "in/s");
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(read_text(dir / "in/s"), "secret body\n");
  art["http"].erase("auth");
  st = store.load(art, dir / "in/denied");
  EXPECT_EQ(st.code(), Code::kPermissionDenied);
  EXPECT_NE(st.message().find("/private.txt"), std::string::npos) << st.message();
}

TEST(HttpArtifact, RetriesServerErrors) {
  HttpServer server;
  TempDir dir;
  Store store(context_with_secrets(dir));
  Status st = store.load({{"name", "h"}, {"http", {{"url", server.url("/flaky.txt")}}}}, dir / "in/f");
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(read_text(dir / "in/f"), "after retries\n");
  EXPECT_EQ(server.flaky_calls(), 3);
}

TEST(HttpArtifact, NotFoundNamesTheUrl) {
  HttpServer server;
  TempDir dir;
  Store store(context_with_secrets(dir));
  Status st = store.load({{"name", "h"}, {"http", {{"url", server.url("/missing")}}}}, dir / "in/m");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("/missing"), std::string::npos);
}

TEST(ArtifactoryArtifact, UploadsAndDownloadsWithCredentials) {
  HttpServer server;
  TempDir dir;
  Store store(context_with_secrets(dir));
  write_text(dir / "f.txt", "to artifactory");
  Json art = {{"name", "a"},
              {"archive", {{"none", Json::object()}}},
              {"artifactory",
               {{"url", server.url("/upload/f.txt")},
                {"usernameSecret", {{"name", "creds"}, {"key", "user"}}},
                {"passwordSecret", {{"name", "creds"}, {"key", "pass"}}}}}};
  Status st = store.save(art, dir / "f.txt");
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(server.uploaded(), "to artifactory");
}

int sh(const std::string& command) { return std::system(("(" + command + ") >/dev/null 2>&1").c_str()); }

TEST(GitArtifact, ClonesARevisionOfABareRepository) {
  TempDir dir;
  std::string bare = dir / "repo.git", work = dir / "work";
  ASSERT_EQ(sh("git init -q --bare '" + bare + "' && git init -q '" + work + "' && cd '" + work +
               "' && git config user.email t@t && git config user.name t && echo one > f.txt && git add f.txt && "
               "git commit -qm one && git tag v1 && echo two > f.txt && git commit -qam two && "
               "git push -q '" + bare + "' HEAD:refs/heads/main --tags"),
            0);
  Store store(context_with_secrets(dir));
  Json art = {{"name", "g"}, {"git", {{"repo", "file://" + bare}, {"revision", "v1"}}}};
  Status st = store.load(art, dir / "in/src");
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(read_text(dir / "in/src/f.txt"), "one\n");

  Json shallow = {{"name", "g"},
                  {"git", {{"repo", "file://" + bare}, {"depth", 1}, {"singleBranch", true}, {"branch", "main"}}}};
  st = store.load(shallow, dir / "in/shallow");
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(read_text(dir / "in/shallow/f.txt"), "two\n");
}

TEST(GitArtifact, MissingRepositoryIsAClearError) {
  TempDir dir;
  Store store(context_with_secrets(dir));
  Status st = store.load({{"name", "g"}, {"git", {{"repo", "file://" + (dir / "none.git")}}}}, dir / "in/x");
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("git clone failed"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace skiff::artifacts
