// Mutexes and semaphores shared by every workflow of the server: who holds
// them, who waits (in order), and when they are given back (completion,
// deletion, stop, terminate), also across a restart. Orders are read from
// the timestamps in the workflows' status, never from timing.
#include <algorithm>
#include <fstream>

#include "base/time.h"
#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

class LocksApiTest : public ServerFixture {
 protected:
  // A server whose configuration loads a ConfigMap with semaphore limits.
  ServerOptions with_limits() {
    std::filesystem::create_directories(home_ / "objects");
    std::ofstream(home_ / "objects" / "limits.yaml") << "apiVersion: v1\nkind: ConfigMap\n"
                                                        "metadata: {name: limits}\ndata: {jobs: \"2\"}\n";
    ServerOptions o = options();
    o.config.load = {(home_ / "objects").string()};
    return o;
  }

  std::string submit(const Json& workflow) {
    Reply created = call("POST", "/api/v1/workflows/argo", {{"workflow", workflow}});
    EXPECT_EQ(created.status, 200) << created.text;
    return created.body["metadata"].value("name", "");
  }

  static bool running(const Json& wf) { return wf["status"].value("phase", "") == "Running"; }
  static bool waiting(const Json& wf) {
    return wf["status"].value("phase", "") == "Pending" &&
           wf["status"].value("message", "").rfind("Waiting for ", 0) == 0;
  }
  static bool ended(const Json& wf) {
    const std::string phase = wf["status"].value("phase", "");
    return phase == "Succeeded" || phase == "Failed" || phase == "Error";
  }

  // A workflow that holds the mutex `m` (at workflow level) until resumed
  // or shut down.
  static Json holding_workflow(const std::string& name) {
    return Json::parse(R"({"metadata": {"name": ")" + name + R"("},
      "spec": {"entrypoint": "main", "synchronization": {"mutexes": [{"name": "m"}]},
               "templates": [{"name": "main", "suspend": {}}]}})");
  }
};

// [start, finish) of each interval; how many overlap at most. A finish and
// a start at the same second do not overlap (times are whole seconds).
size_t most_at_once(const std::vector<std::pair<Time, Time>>& intervals) {
  std::vector<std::pair<Time, int>> edges;
  for (const auto& [start, finish] : intervals) {
    edges.push_back({start, +1});
    edges.push_back({finish, -1});
  }
  std::sort(edges.begin(), edges.end());  // at equal times -1 sorts first
  int now = 0, most = 0;
  for (const auto& [at, step] : edges) most = std::max(most, now += step);
  return static_cast<size_t>(most);
}

Time time_of(const Json& text) { return parse_rfc3339(text.get<std::string>()).value_or(Time{}); }

TEST_F(LocksApiTest, WorkflowMutexIsSharedAndGivenInOrder) {
  start();
  std::vector<std::string> names;
  for (const char* name : {"first", "second", "third"}) {
    names.push_back(submit(Json::parse(std::string(R"({"metadata": {"name": ")") + name + R"("},
      "spec": {"entrypoint": "main", "synchronization": {"mutexes": [{"name": "deploy"}]},
               "templates": [{"name": "main", "container": {"image": "alpine", "command": ["sleep", "2"]}}]}})")));
  }
  // The second waits, saying for what and behind whom, with no node yet.
  Json second = wait_for("argo", "second", [](const Json& wf) { return waiting(wf) || ended(wf); });
  if (waiting(second)) {
    EXPECT_EQ(second["status"]["message"], "Waiting for argo/Mutex/deploy lock. Lock status: 0/1");
    EXPECT_FALSE(second["status"].contains("nodes")) << second.dump();
    EXPECT_EQ(second["status"]["synchronization"]["mutex"]["waiting"][0]["mutex"], "argo/Mutex/deploy");
  }
  std::vector<std::pair<Time, Time>> held;
  for (const auto& name : names) {
    Json wf = wait_completed("argo", name);
    ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
    EXPECT_FALSE(wf["status"].contains("synchronization")) << "released: " << wf["status"].dump();
    // Its nodes exist only from when it held the lock.
    for (const auto& [id, node] : wf["status"]["nodes"].items()) {
      if (node["name"] == name) held.push_back({time_of(node["startedAt"]), time_of(node["finishedAt"])});
    }
  }
  ASSERT_EQ(held.size(), 3u);
  EXPECT_EQ(most_at_once(held), 1u);
  EXPECT_LE(held[0].second, held[1].first) << "first come, first served";
  EXPECT_LE(held[1].second, held[2].first);
}

TEST_F(LocksApiTest, TemplateSemaphoreFromLoadedConfigMapAllowsItsLimit) {
  start(with_limits());
  // The semaphore is on a steps template: its pod exists only while the
  // lock is held, so the pods' times bound when each held it.
  auto limited = [](const std::string& name) {
    return Json::parse(R"({"metadata": {"name": ")" + name + R"("},
      "spec": {"entrypoint": "main",
        "templates": [
          {"name": "main", "steps": [[{"name": "guarded", "template": "guarded"}]]},
          {"name": "guarded", "synchronization": {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "jobs"}}]},
           "steps": [[{"name": "work", "template": "work"}]]},
          {"name": "work", "container": {"image": "alpine", "command": ["sleep", "2"]}}]}})");
  };
  std::vector<std::string> names = {submit(limited("one")), submit(limited("two")), submit(limited("three"))};
  Json third = wait_for("argo", "three", [](const Json& wf) {
    const Json nodes = wf["status"].value("nodes", Json::object());
    for (const auto& [id, node] : nodes.items()) {
      if (node.value("message", "").rfind("Waiting for ", 0) == 0) return true;
    }
    return ended(wf);
  });
  if (!ended(third)) {
    bool found = false;
    for (const auto& [id, node] : third["status"]["nodes"].items()) {
      if (node.value("message", "") != "Waiting for argo/ConfigMap/limits/jobs lock. Lock status: 0/2") continue;
      found = true;
      EXPECT_EQ(node["phase"], "Pending");
      EXPECT_EQ(node["synchronizationStatus"]["waiting"], "argo/ConfigMap/limits/jobs");
    }
    EXPECT_TRUE(found) << third.dump();
    EXPECT_EQ(third["status"]["synchronization"]["semaphore"]["waiting"][0]["holders"].size(), 2u) << third.dump();
  }
  std::vector<std::pair<Time, Time>> pods;
  for (const auto& name : names) {
    Json wf = wait_completed("argo", name);
    ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf.dump();
    for (const auto& [id, node] : wf["status"]["nodes"].items()) {
      if (node["type"] == "Pod") pods.push_back({time_of(node["startedAt"]), time_of(node["finishedAt"])});
    }
  }
  ASSERT_EQ(pods.size(), 3u);
  EXPECT_EQ(most_at_once(pods), 2u) << "two at once, never three";
  EXPECT_LE(std::min(pods[0].second, pods[1].second), pods[2].first) << "the third waited for a place";
}

TEST_F(LocksApiTest, ReleasedByTerminateDeleteAndStopAndKeptAcrossRestart) {
  start();
  for (const char* name : {"a", "b", "c"}) submit(holding_workflow(name));
  Json a = wait_for("argo", "a", running);
  EXPECT_EQ(a["status"]["synchronization"]["mutex"]["holding"][0],
            Json({{"mutex", "argo/Mutex/m"}, {"holder", "a"}}));
  Json b = wait_for("argo", "b", waiting);
  EXPECT_EQ(b["status"]["synchronization"]["mutex"]["waiting"][0],
            Json({{"mutex", "argo/Mutex/m"}, {"holder", "argo/a"}}));
  wait_for("argo", "c", waiting);

  // The table is rebuilt from the journal: the same holder, the same queue.
  restart();
  a = wait_for("argo", "a", running);
  EXPECT_EQ(a["status"]["synchronization"]["mutex"]["holding"][0]["holder"], "a");
  EXPECT_TRUE(waiting(call("GET", "/api/v1/workflows/argo/b").body));
  EXPECT_TRUE(waiting(call("GET", "/api/v1/workflows/argo/c").body));

  // Terminated, the holder gives the lock to the next in line only.
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/a/terminate", Json::object()).status, 200);
  wait_for("argo", "a", ended);
  b = wait_for("argo", "b", running);
  EXPECT_EQ(b["status"]["synchronization"]["mutex"]["holding"][0]["holder"], "b");
  EXPECT_TRUE(waiting(call("GET", "/api/v1/workflows/argo/c").body));

  // Deleted, too.
  ASSERT_EQ(call("DELETE", "/api/v1/workflows/argo/b").status, 200);
  wait_for("argo", "c", running);

  // Stopped, too: the next workflow takes it at once.
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/c/stop", Json::object()).status, 200);
  wait_for("argo", "c", ended);
  submit(holding_workflow("d"));
  wait_for("argo", "d", running);

  // A waiting workflow that is terminated never runs and leaves the queue.
  submit(holding_workflow("e"));
  wait_for("argo", "e", waiting);
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/e/terminate", Json::object()).status, 200);
  Json e = wait_for("argo", "e", ended);
  EXPECT_EQ(e["status"]["phase"], "Failed");
  EXPECT_FALSE(e["status"].contains("nodes")) << e.dump();
  submit(holding_workflow("f"));
  wait_for("argo", "f", waiting);
  ASSERT_EQ(call("PUT", "/api/v1/workflows/argo/d/resume", Json::object()).status, 200);
  EXPECT_EQ(wait_completed("argo", "d")["status"]["phase"], "Succeeded");
  wait_for("argo", "f", running);
}

}  // namespace
}  // namespace skiff::server::testing
