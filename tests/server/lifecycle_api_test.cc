// A workflow's life after it finished, against a real server: the archive
// and its API, ttlStrategy (also across a restart), podGC of step
// directories and retentionPolicy.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "server_test_util.h"

namespace skiff::server::testing {
namespace {

class LifecycleApiTest : public ServerFixture {
 protected:
  void start_with(const std::function<void(config::Config&)>& configure) {
    ServerOptions o = options();
    configure(o.config);
    start(o);
  }

  // Polls until `path` answers `status` (with `check` on its body, if given).
  Reply wait_reply(const std::string& path, int status, const std::function<bool(const Json&)>& check = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    Reply last;
    while (std::chrono::steady_clock::now() < deadline) {
      last = call("GET", path);
      if (last.status == status && (!check || check(last.body))) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << path << " never answered " << status << " as expected; last: " << last.status << " "
                  << last.text;
    return last;
  }

  std::string uid_of(const std::string& ns, const std::string& name) {
    return call("GET", "/api/v1/workflows/" + ns + "/" + name).body["metadata"].value("uid", "");
  }

  // The entries of each Pod node's step directory, by display name.
  std::map<std::string, std::set<std::string>> step_dirs(const Json& wf) const {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& [id, node] : wf["status"]["nodes"].items()) {
      if (node["type"] != "Pod") continue;
      auto dir = home_ / "server" / "steps" / (wf["metadata"]["uid"].get<std::string>() + "_" + id);
      std::set<std::string> entries;
      std::error_code error;
      for (const auto& e : std::filesystem::directory_iterator(dir, error)) entries.insert(e.path().filename());
      out[node["displayName"]] = entries;
    }
    return out;
  }


  static Json two_steps(const std::string& name, bool second_fails) {
    Json wf = Json::parse(R"({"metadata": {"name": "", "labels": {"team": "a"}},
      "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "ok", "template": "say"}],
                                   [{"name": "last", "template": "end"}]]},
        {"name": "say", "container": {"image": "alpine", "command": ["sh", "-c", "echo fine"]}},
        {"name": "end", "container": {"image": "alpine", "command": ["sh", "-c", "echo bye; exit 0"]}}]}})");
    wf["metadata"]["name"] = name;
    if (second_fails) wf["spec"]["templates"][2]["container"]["command"][2] = "echo bye; exit 3";
    return wf;
  }
};

TEST_F(LifecycleApiTest, ArchiveListsPagesFiltersAndServesCompletedWorkflows) {
  start_with([](config::Config& c) { c.persistence.archive = true; });
  Json b = echo_workflow("second");
  b["metadata"]["labels"]["team"] = "b";
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("first")}}).status, 200);
  wait_completed("argo", "first");
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", b}}).status, 200);
  wait_completed("argo", "second");
  ASSERT_EQ(call("POST", "/api/v1/workflows/other", {{"workflow", echo_workflow("elsewhere")}}).status, 200);
  wait_completed("other", "elsewhere");
  const std::string first_uid = uid_of("argo", "first");

  Reply all = wait_reply("/api/v1/archived-workflows", 200, [](const Json& b) { return b["items"].size() == 3; });
  for (const auto& item : all.body["items"]) {
    EXPECT_FALSE(item["status"].contains("nodes")) << item.dump();
    EXPECT_EQ(item["status"]["phase"], "Succeeded");
    EXPECT_EQ(item["metadata"]["labels"]["workflows.argoproj.io/completed"], "true");
  }
  Reply in_argo = call("GET", "/api/v1/archived-workflows?namespace=argo");
  EXPECT_EQ(in_argo.body["items"].size(), 2u);
  Reply team_b = call("GET", "/api/v1/archived-workflows?listOptions.labelSelector=team%3Db");
  ASSERT_EQ(team_b.body["items"].size(), 1u);
  EXPECT_EQ(team_b.body["items"][0]["metadata"]["name"], "second");
  EXPECT_EQ(call("GET", "/api/v1/archived-workflows?namePrefix=fir").body["items"].size(), 1u);
  Reply named = call("GET", "/api/v1/archived-workflows?listOptions.fieldSelector=metadata.name%3Dsec&nameFilter=Prefix");
  ASSERT_EQ(named.body["items"].size(), 1u);
  EXPECT_EQ(named.body["items"][0]["metadata"]["name"], "second");

  // Argo pages its archive by offset: continue is where the next page starts.
  Reply page1 = call("GET", "/api/v1/archived-workflows?namespace=argo&listOptions.limit=1");
  ASSERT_EQ(page1.body["items"].size(), 1u);
  EXPECT_EQ(page1.body["metadata"]["continue"], "1");
  Reply page2 = call("GET", "/api/v1/archived-workflows?namespace=argo&listOptions.limit=1&listOptions.continue=1");
  ASSERT_EQ(page2.body["items"].size(), 1u);
  EXPECT_FALSE(page2.body["metadata"].contains("continue"));
  EXPECT_NE(page1.body["items"][0]["metadata"]["uid"], page2.body["items"][0]["metadata"]["uid"]);
  EXPECT_EQ(call("GET", "/api/v1/archived-workflows?listOptions.continue=x").status, 400);

  Reply got = call("GET", "/api/v1/archived-workflows/" + first_uid);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["kind"], "Workflow");
  EXPECT_EQ(got.body["metadata"]["name"], "first");
  EXPECT_EQ(got.body["status"]["nodes"].size(), 1u);
  EXPECT_EQ(got.body["spec"]["entrypoint"], "main");

  Reply keys = call("GET", "/api/v1/archived-workflows-label-keys");
  ASSERT_EQ(keys.status, 200);
  EXPECT_NE(std::find(keys.body["items"].begin(), keys.body["items"].end(), "team"), keys.body["items"].end());
  Reply values = call("GET", "/api/v1/archived-workflows-label-values?listOptions.labelSelector=team");
  EXPECT_EQ(values.body["items"], Json({"a", "b"}));
  EXPECT_EQ(call("GET", "/api/v1/archived-workflows-label-values").status, 400);

  Reply retried = call("PUT", "/api/v1/archived-workflows/" + first_uid + "/retry", Json::object());
  EXPECT_EQ(retried.status, 409);
  EXPECT_EQ(retried.body["message"], "Workflow already exists on cluster, use argo retry {name} instead");
  Reply resubmitted = call("PUT", "/api/v1/archived-workflows/" + first_uid + "/resubmit", Json::object());
  ASSERT_EQ(resubmitted.status, 200) << resubmitted.text;
  std::string again = resubmitted.body["metadata"]["name"];
  EXPECT_EQ(again.rfind("first-", 0), 0u) << again;
  EXPECT_EQ(resubmitted.body["metadata"]["labels"]["workflows.argoproj.io/resubmitted-from-workflow"], "first");

  EXPECT_EQ(call("DELETE", "/api/v1/archived-workflows/" + first_uid).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/archived-workflows/" + first_uid).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/archived-workflows/" + first_uid).status, 404);
  // Deleting from the archive leaves the stored workflow alone.
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/first").status, 200);
}

TEST_F(LifecycleApiTest, CliArchiveVerbsAsArgos) {
  start_with([](config::Config& c) { c.persistence.archive = true; });
  Json b = echo_workflow("cli-b");
  b["metadata"]["labels"]["team"] = "b";
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("cli-a")}}).status, 200);
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", b}}).status, 200);
  wait_completed("argo", "cli-a");
  wait_completed("argo", "cli-b");
  wait_reply("/api/v1/archived-workflows", 200, [](const Json& body) { return body["items"].size() == 2; });
  const std::string uid = uid_of("argo", "cli-a");

  auto [code, table] = cli("archive list -n argo");
  EXPECT_EQ(code, 0) << table;
  EXPECT_EQ(table.rfind("NAMESPACE", 0), 0u) << table;
  EXPECT_NE(table.find("P/R/C"), std::string::npos) << table;
  EXPECT_NE(table.find(uid), std::string::npos) << table;
  auto [name_code, names] = cli("archive list -n argo -o name --chunk-size 1");
  EXPECT_EQ(name_code, 0) << names;
  EXPECT_TRUE(names == "cli-a\ncli-b\n" || names == "cli-b\ncli-a\n") << names;
  auto [json_code, json] = cli("archive list -n argo -o json -l team=b");
  ASSERT_EQ(json_code, 0) << json;
  Json listed = Json::parse(json, nullptr, false);
  ASSERT_TRUE(listed.is_array()) << json;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["metadata"]["name"], "cli-b");

  auto [get_code, got] = cli("archive get " + uid);
  EXPECT_EQ(get_code, 0) << got;
  EXPECT_NE(got.find("Name:                cli-a\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Status:              Succeeded\n"), std::string::npos) << got;
  auto [keys_code, keys] = cli("archive list-label-keys");
  EXPECT_NE(keys.find("team\n"), std::string::npos) << keys;
  auto [values_code, values] = cli("archive list-label-values -l team");
  EXPECT_EQ(values, "a\nb\n");
  auto [delete_code, deleted] = cli("archive delete " + uid);
  EXPECT_EQ(delete_code, 0) << deleted;
  EXPECT_EQ(deleted, "Archived workflow '" + uid + "' deleted\n");
  auto [missing_code, missing] = cli("archive get " + uid);
  EXPECT_NE(missing_code, 0) << missing;
}

TEST_F(LifecycleApiTest, ArchiveTtlRemovesOldArchivedWorkflows) {
  start_with([](config::Config& c) {
    c.persistence.archive = true;
    c.persistence.archive_ttl = std::chrono::seconds(1);
  });
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("short-lived")}}).status, 200);
  wait_completed("argo", "short-lived");
  const std::string uid = uid_of("argo", "short-lived");
  wait_reply("/api/v1/archived-workflows/" + uid, 404);
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/short-lived").status, 200);
}

TEST_F(LifecycleApiTest, TtlStrategyDeletesAfterArchivingAndPublishesDeleted) {
  start_with([](config::Config& c) { c.persistence.archive = true; });
  Json wf = echo_workflow("ephemeral");
  // The phase's own field wins over secondsAfterCompletion.
  wf["spec"]["ttlStrategy"] = {{"secondsAfterCompletion", 3600}, {"secondsAfterSuccess", 1}};
  std::thread submitter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    call("POST", "/api/v1/workflows/argo", {{"workflow", wf}});
  });
  std::vector<Json> events;
  std::string buffer;
  auto c = client();
  c.Get("/api/v1/workflow-events/argo?listOptions.fieldSelector=metadata.name%3Dephemeral",
        [&](const char* data, size_t size) {
          buffer.append(data, size);
          for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
            std::string frame = buffer.substr(0, end);
            buffer.erase(0, end + 2);
            if (frame.rfind("data: ", 0) == 0) events.push_back(Json::parse(frame.substr(6)));
          }
          return events.empty() || events.back()["result"]["type"] != "DELETED";
        });
  submitter.join();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["result"]["type"], "DELETED");
  EXPECT_EQ(events.back()["result"]["object"]["status"]["phase"], "Succeeded");
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/ephemeral").status, 404);
  const std::string uid = events.back()["result"]["object"]["metadata"]["uid"];
  EXPECT_EQ(call("GET", "/api/v1/archived-workflows/" + uid).status, 200);
}

TEST_F(LifecycleApiTest, TtlThatPassedWhileTheServerWasDownDeletesAfterStart) {
  start();
  Json failing = two_steps("gone-later", /*second_fails=*/true);
  failing["spec"]["ttlStrategy"] = {{"secondsAfterFailure", 2}};
  Json kept = two_steps("kept", /*second_fails=*/false);
  kept["spec"]["ttlStrategy"] = {{"secondsAfterFailure", 0}};  // succeeds: no TTL applies
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", failing}}).status, 200);
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", kept}}).status, 200);
  Json done = wait_completed("argo", "gone-later");
  ASSERT_EQ(done["status"]["phase"], "Failed");
  wait_completed("argo", "kept");
  server_.reset();
  // Past finishedAt + 2s (finishedAt has whole seconds) while nothing runs.
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  start();
  wait_reply("/api/v1/workflows/argo/gone-later", 404);
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/kept").status, 200);
}

TEST_F(LifecycleApiTest, PodGcOnPodSuccessRemovesSucceededStepDirectoriesButKeepsLogs) {
  start();
  Json wf = two_steps("collected", /*second_fails=*/true);
  wf["spec"]["podGC"] = {{"strategy", "OnPodSuccess"}, {"deleteDelayDuration", "0s"}};
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", wf}}).status, 200);
  Json done = wait_completed("argo", "collected");
  auto dirs = step_dirs(done);
  EXPECT_EQ(dirs["ok"], std::set<std::string>({"log"}));
  EXPECT_GT(dirs["last"].size(), 1u) << "a failed step's directory stays";
  auto c = client();
  auto log = c.Get("/api/v1/workflows/argo/collected/log?logOptions.container=main");
  ASSERT_TRUE(log);
  EXPECT_NE(log->body.find("fine"), std::string::npos) << log->body;
  EXPECT_NE(log->body.find("bye"), std::string::npos) << log->body;
}

TEST_F(LifecycleApiTest, PodGcOnWorkflowCompletionWaitsForTheDelay) {
  start();
  Json wf = two_steps("later", /*second_fails=*/true);
  wf["spec"]["podGC"] = {{"strategy", "OnWorkflowCompletion"}, {"deleteDelayDuration", "1s"}};
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", wf}}).status, 200);
  Json done = wait_completed("argo", "later");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto all_collected = [&] {
    for (const auto& [name, entries] : step_dirs(done)) {
      if (entries != std::set<std::string>({"log"})) return false;
    }
    return true;
  };
  while (!all_collected() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(all_collected());
  EXPECT_EQ(step_dirs(done).size(), 2u);
}

TEST_F(LifecycleApiTest, PodGcLabelSelectorPicksThePods) {
  start();
  Json wf = two_steps("labelled", /*second_fails=*/false);
  wf["spec"]["templates"][1]["metadata"] = {{"labels", {{"gc", "yes"}}}};
  wf["spec"]["podGC"] = {{"strategy", "OnPodCompletion"},
                         {"deleteDelayDuration", "0s"},
                         {"labelSelector", {{"matchExpressions", Json::array({{{"key", "gc"},
                                                                                {"operator", "In"},
                                                                                {"values", {"yes"}}}})}}}};
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", wf}}).status, 200);
  Json done = wait_completed("argo", "labelled");
  ASSERT_EQ(done["status"]["phase"], "Succeeded");
  auto dirs = step_dirs(done);
  EXPECT_EQ(dirs["ok"], std::set<std::string>({"log"}));
  EXPECT_GT(dirs["last"].size(), 1u) << "a pod the selector does not pick stays";
}

// Deleting a workflow deletes its pods on Kubernetes: here its step
// directories, logs included, and those of steps still running once they
// have stopped.
TEST_F(LifecycleApiTest, DeletingAWorkflowRemovesItsStepDirectories) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", two_steps("finished", false)}}).status, 200);
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", sleep_workflow("running", 30)}}).status, 200);
  Json done = wait_completed("argo", "finished");
  ASSERT_EQ(step_dirs(done).size(), 2u);
  for (const auto& [name, entries] : step_dirs(done)) EXPECT_TRUE(entries.count("log")) << name;
  Json running = wait_reply("/api/v1/workflows/argo/running", 200, [](const Json& wf) {
    const Json nodes = wf["status"].value("nodes", Json::object());
    for (const auto& [id, node] : nodes.items()) {
      if (node["type"] == "Pod" && node["phase"] == "Running") return true;
    }
    return false;
  }).body;
  ASSERT_FALSE(step_dirs(running).begin()->second.empty());

  ASSERT_EQ(call("DELETE", "/api/v1/workflows/argo/finished").status, 200);
  ASSERT_EQ(call("DELETE", "/api/v1/workflows/argo/running").status, 200);
  auto steps = home_ / "server" / "steps";
  auto left = [&](const Json& wf) {
    std::vector<std::string> found;
    const std::string uid = wf["metadata"]["uid"];
    for (const auto& e : std::filesystem::directory_iterator(steps)) {
      if (e.path().filename().string().rfind(uid, 0) == 0) found.push_back(e.path().filename());
    }
    return found;
  };
  EXPECT_EQ(left(done), std::vector<std::string>{});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!left(running).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(left(running), std::vector<std::string>{}) << "removed once its step stopped";
}

// The archive is written after the workflow's last status; a server that
// died in between archives it when it starts again. Turning the archive on
// for a store that holds finished workflows takes the same path.
TEST_F(LifecycleApiTest, AFinishedWorkflowMissingFromTheArchiveIsArchivedAtStart) {
  start();
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", two_steps("unarchived", true)}}).status, 200);
  Json done = wait_completed("argo", "unarchived");
  const std::string uid = done["metadata"]["uid"];
  EXPECT_EQ(call("GET", "/api/v1/archived-workflows/" + uid).status, 404);
  server_.reset();
  start_with([](config::Config& c) { c.persistence.archive = true; });
  Reply archived = wait_reply("/api/v1/archived-workflows/" + uid, 200);
  EXPECT_EQ(archived.body["status"]["phase"], "Failed") << archived.text;
  EXPECT_EQ(archived.body["status"]["nodes"].size(), done["status"]["nodes"].size()) << archived.text;
}

TEST_F(LifecycleApiTest, RetentionPolicyKeepsTheNewestCompletedWorkflows) {
  start_with([](config::Config& c) { c.retention_policy.completed = 1; });
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", two_steps("broken", true)}}).status, 200);
  wait_completed("argo", "broken");
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("older")}}).status, 200);
  wait_completed("argo", "older");
  ASSERT_EQ(call("POST", "/api/v1/workflows/argo", {{"workflow", echo_workflow("newer")}}).status, 200);
  wait_completed("argo", "newer");
  wait_reply("/api/v1/workflows/argo/older", 404);
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/newer").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/workflows/argo/broken").status, 200) << "failed workflows have their own limit";
}

}  // namespace
}  // namespace skiff::server::testing
