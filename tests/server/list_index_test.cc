// The list index must answer exactly what the store path answers (same
// bytes, same order, same paging), follow every write, and come back the
// same after a restart.
#include "server/list_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace skiff::server {
namespace {

// `argo list`'s projection, and the UI's.
const char kArgoListFields[] =
    "metadata,items.metadata.name,items.metadata.namespace,items.metadata.uid,items.metadata.creationTimestamp,"
    "items.metadata.labels,items.status.phase,items.status.message,items.status.finishedAt,items.status.startedAt,"
    "items.status.estimatedDuration,items.status.progress,items.spec.priority";
const char kUiFields[] =
    "metadata,items.metadata.uid,items.metadata.name,items.metadata.namespace,items.metadata.creationTimestamp,"
    "items.metadata.labels,items.metadata.annotations,items.status.phase,items.status.message,"
    "items.status.finishedAt,items.status.startedAt,items.status.estimatedDuration,items.status.progress,"
    "items.spec.suspend";

Time at_second(int64_t s) { return Time(Duration(s * 1000000)); }

class ListIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite({":memory:"});
    ASSERT_TRUE(opened.is_ok()) << opened.status().message();
    store_ = std::make_unique<IndexedStore>(std::move(*opened), index_);
  }

  // A workflow as the controller stores it; several share a creation time,
  // so the order and the continue tokens depend on the uid too.
  store::WorkflowRecord record(int i) {
    store::WorkflowRecord w;
    w.uid = "uid-" + std::to_string(1000 + (i * 7919) % 1000);
    w.namespace_ = i % 3 == 0 ? "other" : "argo";
    w.name = "wf-" + std::to_string(i);
    w.created_at = at_second(1700000000 + i / 3);
    Json labels = Json::object();
    if (i % 2 == 0) labels["app"] = i % 4 == 0 ? "a" : "b";
    if (i % 5 == 0) labels["tier"] = "batch";
    w.labels = labels;
    Json meta = {{"generateName", "wf-"}, {"labels", labels}};
    if (i % 4 == 1) meta["annotations"] = {{"note", "ü \"quoted\" \\ <b>"}};
    Json spec = {{"entrypoint", "main"},
                 {"templates", {{{"name", "main"}, {"container", {{"image", "alpine"}, {"command", {"true"}}}}}}}};
    if (i % 3 == 1) spec["priority"] = i;
    if (i % 7 == 3) spec["suspend"] = true;
    w.manifest = {{"metadata", meta}, {"spec", spec}};
    return w;
  }

  void create(int count) {
    for (int i = 0; i < count; ++i) {
      Status created = store_->create_workflow(record(i));
      ASSERT_TRUE(created.is_ok()) << created.message();
    }
  }

  // Moves a workflow on as the controller does: phase, times, status, nodes.
  void run(const std::string& ns, const std::string& name, const std::string& phase, bool finish) {
    auto w = store_->get_workflow(ns, name);
    ASSERT_TRUE(w.is_ok()) << w.status().message();
    store::WorkflowUpdate u;
    u.uid = w->uid;
    u.expected_version = w->version;
    u.phase = phase;
    u.started_at = w->created_at + std::chrono::seconds(1);
    if (finish) u.finished_at = w->created_at + std::chrono::seconds(9);
    u.status = {{"phase", phase}, {"startedAt", format_rfc3339(u.started_at)}, {"progress", finish ? "1/1" : "0/1"},
                {"estimatedDuration", 8}};
    if (finish) u.status["finishedAt"] = format_rfc3339(u.finished_at);
    if (phase == "Failed") u.status["message"] = "step \"main\" failed: exit code 1";
    u.nodes.push_back({name, {{"id", name}, {"name", name}, {"phase", phase}, {"type", "Pod"}}});
    auto version = store_->update_workflow(u);
    ASSERT_TRUE(version.is_ok()) << version.status().message();
  }

  static ListRequest request(const std::string& ns, const std::string& fields, const std::string& labels = "",
                             const std::string& field_selector = "", size_t limit = 0) {
    ListRequest r;
    r.namespace_ = ns;
    auto l = Selector::labels(labels);
    EXPECT_TRUE(l.is_ok()) << labels;
    if (l.is_ok()) r.labels = *l;
    auto f = Selector::fields(field_selector);
    EXPECT_TRUE(f.is_ok()) << field_selector;
    if (f.is_ok()) r.fields = *f;
    r.limit = limit;
    r.projection = fields;
    return r;
  }

  // Compares the index's answer with the store's for the request and every
  // page after it. Returns how many pages the index answered.
  int expect_same(ListRequest r, const ListIndex& index) {
    int answered = 0;
    for (int pages = 0; pages < 100; ++pages) {
      auto stored = list_from_store(*store_, r);
      EXPECT_TRUE(stored.is_ok()) << stored.status().message();
      if (!stored.is_ok()) return answered;
      auto indexed = index.list(r);
      if (indexed) {
        ++answered;
        EXPECT_EQ(*indexed, *stored) << "fields=" << r.projection << " limit=" << r.limit
                                     << " continue=" << r.continue_token;
      }
      Json body = Json::parse(*stored);
      std::string next = body.contains("metadata") ? body["metadata"].value("continue", "") : "";
      if (next.empty()) return answered;
      r.continue_token = next;
    }
    ADD_FAILURE() << "paging did not end";
    return answered;
  }
  int expect_same(const ListRequest& r) { return expect_same(r, index_); }

  // Every projection, selector and page size below, against the store path.
  void expect_same_everywhere() {
    const std::vector<std::string> answered_fields = {
        kArgoListFields, kUiFields, "items.metadata.name", "metadata", "items.metadata", "items.spec.priority",
        "-items.status.nodes", "items.kind,items.apiVersion,items.status.phase", "metadata.continue,items.status",
        "items.metadata.name,metadata.remainingItemCount", "-items.status.nodes,items.spec,metadata.continue",
        "items.metadata.name,items.metadata.name.first"};
    for (const auto& fields : answered_fields) {
      for (size_t limit : {0, 1, 4, 7}) {
        for (const std::string ns : {"argo", ""}) {
          int answered = expect_same(request(ns, fields, "", "", limit));
          if (fields != "metadata.continue,items.status") {
            EXPECT_GT(answered, 0) << fields;
          }
        }
      }
    }
    // Lists the index leaves to the store: nodes, or inside unsplit members.
    for (const std::string fields : {"", "items.status.nodes", "items.metadata.labels.app", "items"}) {
      EXPECT_EQ(expect_same(request("argo", fields)), 0) << fields;
    }
    const std::vector<std::pair<std::string, std::string>> selectors = {
        {"app=a", ""},
        {"app!=a", ""},
        {"app in (a,b),tier", ""},
        {"!app", ""},
        {"workflows.argoproj.io/completed=true", ""},
        {"workflows.argoproj.io/phase=Running", ""},
        {"", "metadata.name=wf-4"},
        {"", "status.phase!=Succeeded"},
        {"tier=batch", "metadata.namespace=other"},
    };
    for (const auto& [labels, fields] : selectors) {
      for (size_t limit : {0, 2}) {
        EXPECT_GT(expect_same(request("", kArgoListFields, labels, fields, limit)), 0) << labels << " " << fields;
      }
    }
  }

  ListIndex index_;
  std::unique_ptr<IndexedStore> store_;
};

TEST_F(ListIndexTest, AnswersAsTheStoreDoesForEveryProjectionSelectorAndPage) {
  create(23);
  run("argo", "wf-1", "Running", false);
  run("argo", "wf-2", "Succeeded", true);
  run("other", "wf-3", "Failed", true);
  expect_same_everywhere();
}

TEST_F(ListIndexTest, FollowsUpdatesManifestChangesAndDeletes) {
  create(12);
  ASSERT_EQ(index_.size(), 12u);
  run("argo", "wf-4", "Running", false);
  run("argo", "wf-4", "Succeeded", true);
  // suspend/resume replace the manifest: spec.suspend, kept metadata.
  auto w = store_->get_workflow("argo", "wf-5");
  ASSERT_TRUE(w.is_ok());
  store::WorkflowUpdate u;
  u.uid = w->uid;
  u.expected_version = w->version;
  u.phase = "Running";
  u.status = {{"phase", "Running"}};
  Json manifest = w->manifest;
  manifest["spec"]["suspend"] = true;
  manifest["metadata"]["annotations"] = {{"changed", "yes"}};
  u.manifest = manifest;
  ASSERT_TRUE(store_->update_workflow(u).is_ok());
  expect_same_everywhere();

  // The answer changed with them: wf-4 finished, wf-5 suspended.
  auto item = [&](const std::string& name) {
    auto listed = index_.list(request("argo", "items.status.phase,items.spec.suspend", "", "metadata.name=" + name));
    EXPECT_TRUE(listed.has_value());
    Json items = listed ? Json::parse(*listed).value("items", Json::array()) : Json::array();
    EXPECT_EQ(items.size(), 1u);
    return items.empty() ? Json::object() : items[0];
  };
  EXPECT_EQ(item("wf-4")["status"]["phase"], "Succeeded");
  EXPECT_EQ(item("wf-5")["spec"]["suspend"], true);

  // A refused update (stale version) changes nothing.
  EXPECT_FALSE(store_->update_workflow(u).is_ok());
  ASSERT_TRUE(store_->delete_workflow(w->uid).is_ok());
  EXPECT_EQ(index_.size(), 11u);
  EXPECT_EQ(index_.list(request("", "items.metadata.name", "", "metadata.name=wf-5"))->find("wf-5"),
            std::string::npos);
  expect_same_everywhere();
}

TEST_F(ListIndexTest, ALoadedIndexAnswersAsTheOneKeptCurrent) {
  create(17);
  run("argo", "wf-7", "Running", false);
  run("other", "wf-9", "Succeeded", true);
  ListIndex reloaded;  // as a restarted server builds it
  ASSERT_TRUE(reloaded.load(*store_).is_ok());
  EXPECT_EQ(reloaded.size(), index_.size());
  for (const std::string& fields : {std::string(kArgoListFields), std::string("-items.status.nodes")}) {
    for (size_t limit : {0, 5}) {
      auto r = request("", fields, "", "", limit);
      EXPECT_GT(expect_same(r, reloaded), 0);
      EXPECT_EQ(reloaded.list(r), index_.list(r));
    }
  }
}

TEST_F(ListIndexTest, AMemberTooLargeToKeepIsReadFromTheStore) {
  create(5);
  auto big = record(40);
  big.manifest["spec"]["templates"][0]["container"]["args"] = {std::string(6000, 'x')};
  ASSERT_TRUE(store_->create_workflow(big).is_ok());
  // Lists that show the large member go to the store, others do not.
  EXPECT_EQ(expect_same(request("argo", "items.metadata.name,items.spec.templates")), 0);
  EXPECT_EQ(expect_same(request("argo", "-items.status.nodes")), 0);
  EXPECT_GT(expect_same(request("argo", kArgoListFields)), 0);
  // A page without it is still answered.
  EXPECT_GT(expect_same(request("argo", "items.metadata.name,items.spec.templates", "", "metadata.name!=wf-40")), 0);
}

TEST_F(ListIndexTest, AContinueTokenItDidNotIssueIsLeftToTheStore) {
  create(3);
  auto r = request("argo", kArgoListFields, "", "", 1);
  r.continue_token = "not-a-token";
  EXPECT_FALSE(index_.list(r).has_value());
  EXPECT_FALSE(list_from_store(*store_, r).is_ok());
}

}  // namespace
}  // namespace skiff::server
