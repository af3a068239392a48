#include <gtest/gtest.h>

#include "controller/lock_table.h"
#include "spec/spec.h"

namespace skiff::controller {
namespace {

engine::LockRequest mutex(const std::string& name) { return {"argo/Mutex/" + name, true, "argo", "", ""}; }
engine::LockRequest semaphore(const std::string& key) {
  return {"argo/ConfigMap/limits/" + key, false, "argo", "limits", key};
}

std::vector<spec::Object> limits() {
  auto parsed = spec::parse_documents(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits}\ndata: {two: \"2\", bad: many}\n", "limits.yaml");
  return parsed ? *parsed : std::vector<spec::Object>{};
}

TEST(LockTable, MutexWaitersAreServedInOrder) {
  LockTable table(nullptr);
  EXPECT_TRUE(table.acquire("u1", "argo/one", "one", {mutex("m")}).event.lock_acquired);
  auto second = table.acquire("u2", "argo/two", "two", {mutex("m")});
  EXPECT_FALSE(second.event.lock_acquired);
  EXPECT_EQ(second.event.message, "Waiting for argo/Mutex/m lock. Lock status: 0/1");
  EXPECT_EQ(second.event.lock_holders, std::vector<std::string>{"argo/one"});
  EXPECT_FALSE(table.acquire("u3", "argo/three", "node-1", {mutex("m")}).event.lock_acquired);

  auto given = table.release("u1", "one");
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0].uid, "u2");
  EXPECT_TRUE(given[0].event.lock_acquired);
  EXPECT_EQ(given[0].event.node_id, "two");
  EXPECT_EQ(table.holders("argo/Mutex/m"), std::vector<std::string>{"argo/two"});
  given = table.release_workflow("u2");
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0].uid, "u3");
  EXPECT_EQ(table.holders("argo/Mutex/m"), std::vector<std::string>{"argo/three/node-1"});
}

TEST(LockTable, SemaphoreLimitFromConfigMap) {
  const auto objects = limits();
  LockTable table(configmap_limits(&objects));
  EXPECT_TRUE(table.acquire("u1", "argo/a", "a", {semaphore("two")}).event.lock_acquired);
  EXPECT_TRUE(table.acquire("u2", "argo/b", "b", {semaphore("two")}).event.lock_acquired);
  auto third = table.acquire("u3", "argo/c", "c", {semaphore("two")});
  EXPECT_EQ(third.event.message, "Waiting for argo/ConfigMap/limits/two lock. Lock status: 0/2");
  EXPECT_EQ(table.release("u2", "b").size(), 1u);
  EXPECT_EQ(table.holders("argo/ConfigMap/limits/two").size(), 2u);

  auto bad = table.acquire("u4", "argo/d", "d", {semaphore("bad")});
  EXPECT_FALSE(bad.event.lock_acquired);
  EXPECT_NE(bad.event.error.find("has no integer at key 'bad'"), std::string::npos) << bad.event.error;
  auto missing = table.acquire("u4", "argo/d", "d", {semaphore("none")});
  EXPECT_FALSE(missing.event.error.empty());
  LockTable elsewhere(configmap_limits(&objects));
  engine::LockRequest other_namespace{"prod/ConfigMap/limits/two", false, "prod", "limits", "two"};
  EXPECT_TRUE(elsewhere.acquire("u1", "prod/a", "a", {other_namespace}).event.lock_acquired)
      << "a ConfigMap that names no namespace serves every namespace";
}

TEST(LockTable, AllOrNothingWithoutOvertaking) {
  LockTable table(nullptr);
  EXPECT_TRUE(table.acquire("u1", "argo/a", "a", {mutex("x")}).event.lock_acquired);
  // b needs x and y: it waits, holding neither.
  EXPECT_FALSE(table.acquire("u2", "argo/b", "b", {mutex("y"), mutex("x")}).event.lock_acquired);
  EXPECT_TRUE(table.holders("argo/Mutex/y").empty());
  // c only needs y, which is free, but b asked for it first.
  auto c = table.acquire("u3", "argo/c", "c", {mutex("y")});
  EXPECT_FALSE(c.event.lock_acquired);
  auto given = table.release("u1", "a");
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0].uid, "u2");
  given = table.release("u2", "b");
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0].uid, "u3");
}

TEST(LockTable, RestoredClaimsKeepTheirPlaces) {
  LockTable table(nullptr);
  engine::Engine::LockClaim held{"a", {mutex("m")}, Time{}, true, true};
  engine::Engine::LockClaim first{"b", {mutex("m")}, Time{}, true, false};
  engine::Engine::LockClaim unanswered{"c", {mutex("m")}, Time{}, false, false};
  table.restore("u1", "argo/a", held);
  table.restore("u2", "argo/b", first);
  table.restore("u3", "argo/c", unanswered);
  auto settled = table.settle();
  // Nothing may move; only the claim never answered is told it waits.
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].uid, "u3");
  EXPECT_FALSE(settled[0].event.lock_acquired);
  EXPECT_EQ(settled[0].event.message, "Waiting for argo/Mutex/m lock. Lock status: 0/1");
  auto given = table.release_workflow("u1");
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0].uid, "u2");
}

}  // namespace
}  // namespace skiff::controller
