// The file-backed memoization caches the local controller answers the
// engine's lookups from.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "controller/controller.h"

namespace skiff::controller {
namespace {

class MemoCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff-memo-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/cache";  // created by the first store
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static engine::Action lookup(const std::string& cache, const std::string& key) {
    engine::Action a;
    a.kind = engine::Action::Kind::kCacheLookup;
    a.node_id = "wf-1";
    a.cache_name = cache;
    a.cache_key = key;
    return a;
  }

  std::string root_, dir_;
  const Time t0_ = Time(std::chrono::seconds(1767225600));
};

TEST_F(MemoCacheTest, StoredOutputsAreFoundWithTheirAge) {
  engine::Action save = lookup("greetings", "greet-a");
  save.kind = engine::Action::Kind::kCacheSave;
  save.outputs = Json{{"parameters", Json::array({Json{{"name", "hello"}, {"value", "hi"}}})}};
  ASSERT_TRUE(cache_store(dir_, save, t0_).is_ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/greetings.json"));

  engine::Event hit = cache_answer(dir_, lookup("greetings", "greet-a"), t0_ + std::chrono::seconds(30));
  EXPECT_EQ(hit.kind, engine::Event::Kind::kCacheAnswer);
  EXPECT_EQ(hit.node_id, "wf-1");
  EXPECT_TRUE(hit.cache_hit);
  EXPECT_EQ(hit.cache_outputs, save.outputs);
  EXPECT_EQ(hit.cache_created, t0_);
}

TEST_F(MemoCacheTest, UnknownKeysCachesAndDirectoriesMiss) {
  engine::Action save = lookup("greetings", "greet-a");
  save.kind = engine::Action::Kind::kCacheSave;
  ASSERT_TRUE(cache_store(dir_, save, t0_).is_ok());
  EXPECT_FALSE(cache_answer(dir_, lookup("greetings", "greet-b"), t0_).cache_hit);
  EXPECT_FALSE(cache_answer(dir_, lookup("other", "greet-a"), t0_).cache_hit);
  EXPECT_FALSE(cache_answer("", lookup("greetings", "greet-a"), t0_).cache_hit);
}

TEST_F(MemoCacheTest, CacheNamesStayInsideTheDirectory) {
  engine::Action save = lookup("../escape", "k");
  save.kind = engine::Action::Kind::kCacheSave;
  ASSERT_TRUE(cache_store(dir_, save, t0_).is_ok());
  EXPECT_FALSE(std::filesystem::exists(root_ + "/escape.json"));
  EXPECT_TRUE(cache_answer(dir_, lookup("../escape", "k"), t0_).cache_hit);
}

}  // namespace
}  // namespace skiff::controller
