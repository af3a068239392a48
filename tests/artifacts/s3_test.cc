// The S3 driver against a real S3-protocol server (s3rver, which checks
// SigV4 signatures).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "artifacts/artifacts.h"
#include "artifacts/s3_client.h"
#include "s3_server.h"
#include "test_util.h"

namespace skiff::artifacts {
namespace {

using skiff::testing::read_text;
using skiff::testing::S3Server;
using skiff::testing::TempDir;
using skiff::testing::write_text;

class S3Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new S3Server({"my-bucket"});
    ASSERT_TRUE(server_->ok()) << "the S3 test server did not start: run scripts/install-deps.sh (npm ci in tools/s3rver)";
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // The repository as a config file gives it; keys from a loaded Secret.
  Context context(const std::string& secret_key = "S3RVER") {
    Context c;
    c.repository = {{"s3",
                     {{"endpoint", server_->endpoint()},
                      {"bucket", "my-bucket"},
                      {"insecure", true},
                      {"accessKeySecret", {{"name", "my-s3-credentials"}, {"key", "accessKey"}}},
                      {"secretKeySecret", {{"name", "my-s3-credentials"}, {"key", "secretKey"}}}}}};
    c.secrets = [secret_key](const std::string& name, const std::string& key) -> std::optional<std::string> {
      if (name != "my-s3-credentials") return std::nullopt;
      if (key == "accessKey") return std::string("S3RVER");
      if (key == "secretKey") return secret_key;
      return std::nullopt;
    };
    c.scratch_dir = dir_.path();
    c.attempts = 2;
    return c;
  }

  static S3Server* server_;
  TempDir dir_;
};

S3Server* S3Test::server_ = nullptr;

TEST_F(S3Test, FileRoundTripWithSpecialCharactersInTheKey) {
  Store store(context());
  write_text(dir_ / "out.txt", "hello s3\n");
  Json art = {{"name", "a"}, {"path", "/tmp/out.txt"}, {"s3", {{"key", "wf/pod name+x/a.tgz"}}}};
  Status saved = store.save(art, dir_ / "out.txt");
  ASSERT_TRUE(saved) << saved.message();
  Status st = store.load(art, dir_ / "in/a");
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(read_text(dir_ / "in/a"), "hello s3\n");
}

TEST_F(S3Test, DirectoryStoredFileByFileIsListedBack) {
  Store store(context());
  for (int i = 0; i < 30; ++i) write_text(dir_ / ("d/f" + std::to_string(i) + ".txt"), std::to_string(i));
  write_text(dir_ / "d/sub/x.txt", "x");
  Json art = {{"name", "d"}, {"archive", {{"none", Json::object()}}}, {"s3", {{"key", "dirs/d"}}}};
  ASSERT_TRUE(store.save(art, dir_ / "d"));
  Status st = store.load(art, dir_ / "in/d");
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(read_text(dir_ / "in/d/f29.txt"), "29");
  EXPECT_EQ(read_text(dir_ / "in/d/sub/x.txt"), "x");
  Json one = art;
  one["subPath"] = "sub/x.txt";
  ASSERT_TRUE(store.load(one, dir_ / "in/one"));
  EXPECT_EQ(read_text(dir_ / "in/one"), "x");
  // GC removes every object of the directory.
  ASSERT_TRUE(store.remove(art));
  EXPECT_EQ(store.load(art, dir_ / "in/gone").code(), Code::kNotFound);
}

TEST_F(S3Test, ListingNamesTheKeysBelowAKeyOrTheKeyItself) {
  Store store(context());
  write_text(dir_ / "l/a.log", "a");
  write_text(dir_ / "l/deep/b.log", "b");
  Json dir = {{"name", "l"}, {"archive", {{"none", Json::object()}}}, {"s3", {{"key", "listing/l"}}}};
  ASSERT_TRUE(store.save(dir, dir_ / "l"));
  auto keys = store.list(dir);
  ASSERT_TRUE(keys) << keys.status().message();
  EXPECT_EQ(*keys, (std::vector<std::string>{"listing/l/a.log", "listing/l/deep/b.log"}));

  auto one = store.list(Json{{"s3", {{"key", "listing/l/a.log"}}}});
  ASSERT_TRUE(one) << one.status().message();
  EXPECT_EQ(*one, std::vector<std::string>{"listing/l/a.log"});

  auto bucket = store.list(Json{{"s3", {{"bucket", "my-bucket"}}}});
  ASSERT_TRUE(bucket) << bucket.status().message();
  EXPECT_NE(std::find(bucket->begin(), bucket->end(), "listing/l/deep/b.log"), bucket->end());

  auto absent = store.list(Json{{"s3", {{"key", "listing/none"}}}});
  EXPECT_EQ(absent.status().code(), Code::kNotFound);
}

TEST_F(S3Test, MultipartUploadOfALargeFile) {
  Context c = context();
  c.multipart_part_size = 5u << 20;  // S3's smallest part
  Store store(c);
  {
    std::ofstream out(dir_ / "big.bin", std::ios::binary);
    std::string block(1 << 20, '\0');
    for (int i = 0; i < 12; ++i) {
      for (size_t j = 0; j < block.size(); j += 4096) block[j] = static_cast<char>('a' + i);
      out << block;
    }
  }
  Json art = {{"name", "big"}, {"archive", {{"none", Json::object()}}}, {"s3", {{"key", "big/big.bin"}}}};
  Status st = store.save(art, dir_ / "big.bin");
  ASSERT_TRUE(st) << st.message();
  ASSERT_TRUE(store.load(art, dir_ / "in/big.bin"));
  EXPECT_EQ(read_text(dir_ / "in/big.bin"), read_text(dir_ / "big.bin"));
}

TEST_F(S3Test, WrongCredentialsAreAccessDeniedAndTheSecretStaysOut) {
  Store store(context("not-the-secret"));
  write_text(dir_ / "f.txt", "x");
  Status st = store.save({{"name", "f"}, {"s3", {{"key", "denied/f.tgz"}}}}, dir_ / "f.txt");
  EXPECT_EQ(st.code(), Code::kPermissionDenied);
  EXPECT_NE(st.message().find("s3://my-bucket/denied/f.tgz"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("403"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("not-the-secret"), std::string::npos) << st.message();
}

TEST_F(S3Test, MissingBucketIsNamed) {
  Store store(context());
  Json art = {{"name", "f"}, {"s3", {{"bucket", "no-such-bucket"}, {"key", "k.tgz"}}}};
  write_text(dir_ / "f.txt", "x");
  Status st = store.save(art, dir_ / "f.txt");
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("bucket 'no-such-bucket' does not exist"), std::string::npos) << st.message();
}

TEST_F(S3Test, MissingKeyIsNotFound) {
  Store store(context());
  Status st = store.load({{"name", "f"}, {"s3", {{"key", "no/such/key.tgz"}}}}, dir_ / "in/f");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("no/such/key.tgz"), std::string::npos) << st.message();
}

TEST_F(S3Test, MissingSecretIsNamed) {
  Context c = context();
  c.secrets = nullptr;
  Store store(c);
  Status st = store.load({{"name", "f"}, {"s3", {{"key", "k"}}}}, dir_ / "in/f");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("secret 'my-s3-credentials' with key 'accessKey'"), std::string::npos) << st.message();
}

TEST_F(S3Test, UnreachableEndpointIsUnavailableNamingIt) {
  Context c = context();
  c.repository["s3"]["endpoint"] = "127.0.0.1:1";  // nothing listens on port 1
  Store store(c);
  Status st = store.load({{"name", "f"}, {"s3", {{"key", "k.tgz"}}}}, dir_ / "in/f");
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("127.0.0.1:1"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("s3://my-bucket/k.tgz"), std::string::npos) << st.message();
}

// A location written for AWS reaches the local server through an override:
// http:// turns TLS off whatever the location says; without an override the
// named endpoint is used as written.
TEST_F(S3Test, EndpointOverridesRedirectAnAwsLocation) {
  Context c = context();
  c.repository = Json();
  Json art = {{"name", "a"},
              {"path", "/tmp/a.txt"},
              {"s3",
               {{"endpoint", "s3.amazonaws.com"},
                {"bucket", "my-bucket"},
                {"region", "us-west-2"},
                {"key", "aws/a.txt"},
                {"accessKeySecret", {{"name", "my-s3-credentials"}, {"key", "accessKey"}}},
                {"secretKeySecret", {{"name", "my-s3-credentials"}, {"key", "secretKey"}}}}}};
  c.s3_endpoint_overrides = {{"s3.amazonaws.com", "http://" + server_->endpoint()}};
  Store store(c);
  write_text(dir_ / "a.txt", "from aws\n");
  Status saved = store.save(art, dir_ / "a.txt");
  ASSERT_TRUE(saved) << saved.message();
  Status st = store.load(art, dir_ / "in/a");
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(read_text(dir_ / "in/a"), "from aws\n");

  c.s3_endpoint_overrides = {{"s3.amazonaws.com", "127.0.0.1:1"}};  // TLS stays on, nothing listens
  Store elsewhere(c);
  Status failed = elsewhere.load(art, dir_ / "in/b");
  EXPECT_EQ(failed.code(), Code::kUnavailable) << failed.message();
  EXPECT_NE(failed.message().find("127.0.0.1:1"), std::string::npos) << failed.message();
}

TEST_F(S3Test, ClientCreatesBuckets) {
  internal::S3Settings s;
  s.endpoint = "http://" + server_->endpoint();
  s.bucket = "made-by-test";
  s.access_key = s.secret_key = "S3RVER";
  internal::S3Client client(s);
  Status made = client.create_bucket();
  ASSERT_TRUE(made) << made.message();
  write_text(dir_ / "k", "v");
  ASSERT_TRUE(client.put_file("k", dir_ / "k"));
  auto keys = client.list("");
  ASSERT_TRUE(keys.is_ok());
  EXPECT_EQ(*keys, std::vector<std::string>{"k"});
}

TEST_F(S3Test, ListingReadsEveryPage) {
  internal::S3Settings s;
  s.endpoint = "http://" + server_->endpoint();
  s.bucket = "paged";
  s.access_key = s.secret_key = "S3RVER";
  s.list_page_size = 3;
  internal::S3Client client(s);
  ASSERT_TRUE(client.create_bucket());
  write_text(dir_ / "v", "v");
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(client.put_file("p/" + std::to_string(i), dir_ / "v"));
  auto keys = client.list("p/");
  ASSERT_TRUE(keys.is_ok()) << keys.status().message();
  EXPECT_EQ(keys->size(), 8u);
}

}  // namespace
}  // namespace skiff::artifacts
