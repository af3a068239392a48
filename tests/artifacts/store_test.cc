#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "artifacts/artifacts.h"
#include "artifacts/s3_client.h"
#include "test_util.h"

namespace skiff::artifacts {
namespace {

using skiff::testing::read_text;
using skiff::testing::TempDir;
using skiff::testing::write_text;

Context local_context(const TempDir& dir) {
  Context c;
  c.local_root = dir / "repo";
  c.scratch_dir = dir.path();
  return c;
}

TEST(LocalRepository, FileRoundTripsThroughTarGzip) {
  TempDir dir;
  Store store(local_context(dir));
  write_text(dir / "out/hello.txt", "hello world\n");
  Json art = {{"name", "hello"}, {"path", "/tmp/hello.txt"}, {"s3", {{"key", "wf/pod/hello.tgz"}}}};
  ASSERT_TRUE(store.save(art, dir / "out/hello.txt"));
  // Stored as a gzip archive, as Argo stores outputs by default.
  std::string stored = read_text(dir / "repo/wf/pod/hello.tgz");
  ASSERT_GE(stored.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(stored[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(stored[1]), 0x8b);
  ASSERT_TRUE(store.load(art, dir / "in/message"));
  EXPECT_EQ(read_text(dir / "in/message"), "hello world\n");
}

TEST(LocalRepository, DirectoryUnarchivedWithSubPathAndMode) {
  TempDir dir;
  Store store(local_context(dir));
  write_text(dir / "out/a.txt", "A");
  write_text(dir / "out/sub/b.txt", "B");
  Json art = {{"name", "d"}, {"archive", {{"none", Json::object()}}}, {"s3", {{"key", "k/d"}}}};
  ASSERT_TRUE(store.save(art, dir / "out"));
  EXPECT_EQ(read_text(dir / "repo/k/d/sub/b.txt"), "B");

  ASSERT_TRUE(store.load(art, dir / "whole"));
  EXPECT_EQ(read_text(dir / "whole/a.txt"), "A");
  EXPECT_EQ(read_text(dir / "whole/sub/b.txt"), "B");

  Json one = art;
  one["subPath"] = "sub/b.txt";
  one["mode"] = 0600;
  ASSERT_TRUE(store.load(one, dir / "one"));
  EXPECT_EQ(read_text(dir / "one"), "B");
  struct stat st{};
  ASSERT_EQ(::stat((dir / "one").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(LocalRepository, DirectoryTarGzipKeepsItsTree) {
  TempDir dir;
  Store store(local_context(dir));
  write_text(dir / "out/x/1.txt", "one");
  write_text(dir / "out/x/2.txt", "two");
  Json art = {{"name", "x"}, {"s3", {{"key", "x.tgz"}}}};
  ASSERT_TRUE(store.save(art, dir / "out/x"));
  ASSERT_TRUE(store.load(art, dir / "in/y"));
  EXPECT_EQ(read_text(dir / "in/y/1.txt"), "one");
  EXPECT_EQ(read_text(dir / "in/y/2.txt"), "two");
}

TEST(LocalRepository, ListingNamesTheKeysBelowAKey) {
  TempDir dir;
  Store store(local_context(dir));
  write_text(dir / "out/x.log", "x");
  write_text(dir / "out/sub/y.log", "y");
  Json art = {{"name", "d"}, {"archive", {{"none", Json::object()}}}, {"s3", {{"key", "runs/d"}}}};
  ASSERT_TRUE(store.save(art, dir / "out"));
  auto keys = store.list(art);
  ASSERT_TRUE(keys) << keys.status().message();
  EXPECT_EQ(*keys, (std::vector<std::string>{"runs/d/sub/y.log", "runs/d/x.log"}));
  auto all = store.list(Json{{"s3", {{"key", ""}}}});
  ASSERT_TRUE(all) << all.status().message();
  EXPECT_EQ(*all, *keys) << "an empty key lists the whole repository";
  auto one = store.list(Json{{"s3", {{"key", "runs/d/x.log"}}}});
  ASSERT_TRUE(one) << one.status().message();
  EXPECT_EQ(*one, std::vector<std::string>{"runs/d/x.log"});
  EXPECT_EQ(store.list(Json{{"s3", {{"key", "runs/none"}}}}).status().code(), Code::kNotFound);
}

TEST(LocalRepository, UnarchivedDirectoryKeepsLinkedFilesAndLeavesBrokenLinksOut) {
  TempDir dir;
  Store store(local_context(dir));
  write_text(dir / "out/real.txt", "R");
  write_text(dir / "elsewhere/inner.txt", "I");
  ASSERT_EQ(::symlink("real.txt", (dir / "out/to-file").c_str()), 0);
  ASSERT_EQ(::symlink("../missing", (dir / "out/broken").c_str()), 0);
  ASSERT_EQ(::symlink((dir / "elsewhere").c_str(), (dir / "out/to-dir").c_str()), 0);
  ASSERT_EQ(::symlink(".", (dir / "out/loop").c_str()), 0);
  Json art = {{"name", "d"}, {"archive", {{"none", Json::object()}}}, {"s3", {{"key", "links/d"}}}};
  Status saved = store.save(art, dir / "out");
  ASSERT_TRUE(saved) << saved.message();
  auto keys = store.list(art);
  ASSERT_TRUE(keys) << keys.status().message();
  EXPECT_EQ(*keys, (std::vector<std::string>{"links/d/real.txt", "links/d/to-file"}));
  ASSERT_TRUE(store.load(art, dir / "back"));
  EXPECT_EQ(read_text(dir / "back/to-file"), "R");
}

TEST(LocalRepository, ZerosStoredUnarchivedComeBackAsAFile) {
  // 64 KiB of zeros reads as an empty tar archive; it is still a file.
  TempDir dir;
  Store store(local_context(dir));
  write_text(dir / "zeros.bin", std::string(64 * 1024, '\0'));
  for (bool declared : {true, false}) {
    Json art = {{"name", "z"}, {"s3", {{"key", declared ? "z/declared" : "z/plain"}}}};
    if (declared) art["archive"] = {{"none", Json::object()}};
    ASSERT_TRUE(store.save(Json{{"name", "z"}, {"archive", {{"none", Json::object()}}}, {"s3", art["s3"]}},
                           dir / "zeros.bin"));
    std::string back = dir / (declared ? "back-declared" : "back-plain");
    Status st = store.load(art, back);
    ASSERT_TRUE(st) << st.message();
    EXPECT_EQ(read_text(back), std::string(64 * 1024, '\0')) << (declared ? "declared none" : "sniffed");
  }
}

TEST(LocalRepository, ZipArchive) {
  TempDir dir;
  Store store(local_context(dir));
  write_text(dir / "out/z.txt", "zipped");
  Json art = {{"name", "z"}, {"archive", {{"zip", Json::object()}}}, {"s3", {{"key", "z.zip"}}}};
  ASSERT_TRUE(store.save(art, dir / "out/z.txt"));
  EXPECT_EQ(read_text(dir / "repo/z.zip").substr(0, 2), "PK");
  ASSERT_TRUE(store.load(art, dir / "in/z"));
  EXPECT_EQ(read_text(dir / "in/z"), "zipped");
}

TEST(LocalRepository, MissingKeyIsNotFoundNamingTheKey) {
  TempDir dir;
  Store store(local_context(dir));
  Status st = store.load({{"name", "a"}, {"s3", {{"key", "nope/file"}}}}, dir / "in");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("nope/file"), std::string::npos) << st.message();
}

TEST(LocalRepository, KeyCannotLeaveTheRepository) {
  TempDir dir;
  Store store(local_context(dir));
  write_text(dir / "f", "x");
  Status st = store.save({{"name", "a"}, {"archive", {{"none", Json::object()}}}, {"s3", {{"key", "../escape"}}}},
                         dir / "f");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
}

TEST(LocalRepository, SaveOfMissingPathNamesIt) {
  TempDir dir;
  Store store(local_context(dir));
  Status st = store.save({{"name", "a"}, {"path", "/tmp/missing.txt"}, {"s3", {{"key", "k"}}}}, dir / "nothing");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("/tmp/missing.txt"), std::string::npos);
}

TEST(RawArtifact, DataIsWrittenAtThePath) {
  TempDir dir;
  Store store(local_context(dir));
  ASSERT_TRUE(store.load({{"name", "r"}, {"raw", {{"data", "this is\nraw\n"}}}}, dir / "in/raw.txt"));
  EXPECT_EQ(read_text(dir / "in/raw.txt"), "this is\nraw\n");
}

TEST(Repository, ParseChecksFieldsAndNamesThePlace) {
  EXPECT_TRUE(parse_repository(Json(), "config").is_ok());
  auto ok = parse_repository({{"s3", {{"bucket", "b"}, {"endpoint", "e:9000"}}}, {"archiveLogs", true}}, "config");
  EXPECT_TRUE(ok.is_ok());
  auto no_bucket = parse_repository({{"s3", {{"endpoint", "e"}}}}, "config.artifactRepository");
  ASSERT_FALSE(no_bucket.is_ok());
  EXPECT_EQ(no_bucket.status().message(), "config.artifactRepository.s3.bucket: required");
  EXPECT_FALSE(parse_repository({{"gcs", {{"bucket", "b"}}}}, "c").is_ok());
}

TEST(Repository, DefaultFileNames) {
  EXPECT_EQ(default_file_name({{"name", "out"}, {"path", "/tmp/a.txt"}}), "out.tgz");
  EXPECT_EQ(default_file_name({{"name", "out"}, {"path", "/tmp/a.txt"}, {"archive", {{"none", Json::object()}}}}),
            "a.txt");
  EXPECT_EQ(default_file_name({{"name", "out"}, {"archive", {{"zip", Json::object()}}}}), "out.zip");
}

TEST(S3Encoding, KeysAndQueryValues) {
  EXPECT_EQ(internal::uri_encode("a b/c+d~e", true), "a%20b/c%2Bd~e");
  EXPECT_EQ(internal::uri_encode("a/b=c", false), "a%2Fb%3Dc");
}

}  // namespace
}  // namespace skiff::artifacts

namespace skiff::artifacts {
namespace {

TEST(Repository, FromYamlAsAConfigMapValueHoldsIt) {
  auto repo = repository_from_yaml("archiveLogs: true\ns3:\n  bucket: b\n  endpoint: minio:9000\n  insecure: true\n",
                                   "ConfigMap artifact-repositories key my-key");
  ASSERT_TRUE(repo.is_ok()) << repo.status().message();
  EXPECT_EQ((*repo)["s3"]["bucket"], "b");
  EXPECT_EQ((*repo)["s3"]["insecure"], true);
  EXPECT_EQ((*repo)["archiveLogs"], true);
  auto bad = repository_from_yaml("s3:\n  endpoint: e\n", "ConfigMap x key y");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), "ConfigMap x key y.s3.bucket: required");
}

}  // namespace
}  // namespace skiff::artifacts
