#include "store/store.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace skiff::store {
namespace {

Time at(int64_t seconds) { return Time(std::chrono::seconds(seconds)); }

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto opened = open_sqlite({(dir_ / "db" / "skiff.db").string()});
    ASSERT_TRUE(opened.is_ok()) << opened.status().message();
    store_ = std::move(*opened);
  }
  WorkflowRecord workflow(const std::string& ns, const std::string& name, int64_t created) {
    WorkflowRecord w;
    w.uid = "uid-" + ns + "-" + name;
    w.namespace_ = ns;
    w.name = name;
    w.created_at = at(created);
    w.labels = {{"app", name.substr(0, 1)}};
    w.manifest = {{"metadata", {{"name", name}}}, {"spec", {{"entrypoint", "main"}}}};
    return w;
  }
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CreatesTheFileWithWalAndTheLatestSchema) {
  EXPECT_TRUE(std::filesystem::exists(dir_ / "db" / "skiff.db"));
  EXPECT_GE(latest_schema_version(), 1);
  // WAL leaves its side file beside the database once written.
  ASSERT_TRUE(store_->create_workflow(workflow("ns", "a", 1)).is_ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "db" / "skiff.db-wal"));
  // Reopening an up-to-date store applies nothing and keeps the data.
  reopen();
  EXPECT_TRUE(store_->get_workflow("ns", "a").is_ok());
}

TEST_F(StoreTest, WorkflowRoundTripAndUniqueNames) {
  WorkflowRecord w = workflow("ns", "hello", 100);
  w.run_options = {{"entrypoint", "main"}};
  ASSERT_TRUE(store_->create_workflow(w).is_ok());
  Status again = store_->create_workflow(workflow("ns", "hello", 101));
  EXPECT_EQ(again.code(), Code::kAlreadyExists);
  EXPECT_EQ(again.message(), "workflows.argoproj.io \"hello\" already exists");
  // The same name in another namespace is another workflow.
  EXPECT_TRUE(store_->create_workflow(workflow("other", "hello", 102)).is_ok());

  auto got = store_->get_workflow("ns", "hello");
  ASSERT_TRUE(got.is_ok());
  EXPECT_EQ(got->uid, "uid-ns-hello");
  EXPECT_EQ(got->created_at, at(100));
  EXPECT_EQ(got->manifest["spec"]["entrypoint"], "main");
  EXPECT_EQ(got->run_options["entrypoint"], "main");
  EXPECT_EQ(got->labels["app"], "h");
  EXPECT_EQ(got->version, 1);
  EXPECT_FALSE(got->finished());

  auto missing = store_->get_workflow("ns", "nope");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "workflows.argoproj.io \"nope\" not found");
}

TEST_F(StoreTest, UpdatesWriteChangedNodesAndEventsAtomicallyWithAVersionCheck) {
  ASSERT_TRUE(store_->create_workflow(workflow("ns", "wf", 1)).is_ok());
  WorkflowUpdate u;
  u.uid = "uid-ns-wf";
  u.expected_version = 1;
  u.phase = "Running";
  u.started_at = at(2);
  u.status = {{"phase", "Running"}};
  u.nodes = {{"wf", {{"id", "wf"}, {"phase", "Running"}}}, {"wf-1", {{"id", "wf-1"}, {"phase", "Pending"}}}};
  u.events = {{1, at(2), {{"kind", "start"}}}};
  auto v2 = store_->update_workflow(u);
  ASSERT_TRUE(v2.is_ok()) << v2.status().message();
  EXPECT_EQ(*v2, 2);

  // Only the node that changed is written; the other keeps its row.
  WorkflowUpdate next;
  next.uid = u.uid;
  next.expected_version = 2;
  next.phase = "Succeeded";
  next.started_at = at(2);
  next.finished_at = at(5);
  next.nodes = {{"wf-1", {{"id", "wf-1"}, {"phase", "Succeeded"}}}};
  next.events = {{2, at(5), {{"kind", "finished"}}}};
  ASSERT_TRUE(store_->update_workflow(next).is_ok());

  // A writer holding an old version is refused and changes nothing.
  WorkflowUpdate stale = next;
  stale.expected_version = 2;
  stale.phase = "Failed";
  stale.events = {{3, at(6), {}}};
  auto refused = store_->update_workflow(stale);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);

  auto nodes = store_->nodes(u.uid);
  ASSERT_TRUE(nodes.is_ok());
  ASSERT_EQ(nodes->size(), 2u);
  std::map<std::string, std::string> phases;
  for (auto& n : *nodes) phases[n.id] = n.body["phase"];
  EXPECT_EQ(phases["wf"], "Running");
  EXPECT_EQ(phases["wf-1"], "Succeeded");

  auto events = store_->events(u.uid);
  ASSERT_TRUE(events.is_ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].body["kind"], "start");
  EXPECT_EQ((*events)[1].seq, 2);

  auto wf = store_->get_workflow("ns", "wf");
  EXPECT_EQ(wf->phase, "Succeeded");
  EXPECT_TRUE(wf->finished());
  EXPECT_EQ(wf->version, 3);

  // A journal entry is written once: replaying a sequence number fails the
  // whole update, status included.
  WorkflowUpdate duplicate = next;
  duplicate.expected_version = 3;
  duplicate.phase = "Error";
  auto dup = store_->update_workflow(duplicate);
  EXPECT_FALSE(dup.is_ok());
  EXPECT_EQ(store_->get_workflow("ns", "wf")->phase, "Succeeded");
}

TEST_F(StoreTest, ListsNewestFirstWithFiltersAndKeysetPaging) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(store_->create_workflow(workflow("ns", std::string(1, char('a' + i)) + "wf", 10 + i)).is_ok());
  }
  ASSERT_TRUE(store_->create_workflow(workflow("other", "zwf", 50)).is_ok());

  WorkflowQuery all;
  all.namespace_ = "ns";
  auto page = store_->list_workflows(all);
  ASSERT_TRUE(page.is_ok());
  ASSERT_EQ(page->items.size(), 7u);
  EXPECT_EQ(page->items[0].name, "gwf");
  EXPECT_TRUE(page->continue_token.empty());

  WorkflowQuery everywhere;
  EXPECT_EQ(store_->list_workflows(everywhere)->items.size(), 8u);

  WorkflowQuery paged;
  paged.namespace_ = "ns";
  paged.limit = 3;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 5; ++pages) {
    auto p = store_->list_workflows(paged);
    ASSERT_TRUE(p.is_ok());
    for (auto& w : p->items) seen.push_back(w.name);
    if (p->continue_token.empty()) break;
    EXPECT_EQ(*p->remaining, 7 - static_cast<int64_t>(seen.size()));
    paged.continue_token = p->continue_token;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"gwf", "fwf", "ewf", "dwf", "cwf", "bwf", "awf"}));

  WorkflowQuery filtered;
  filtered.namespace_ = "ns";
  filtered.filter = [](const WorkflowRecord& w) { return w.name < "cwf"; };
  filtered.limit = 1;
  auto f = store_->list_workflows(filtered);
  ASSERT_EQ(f->items.size(), 1u);
  EXPECT_EQ(f->items[0].name, "bwf");
  EXPECT_EQ(*f->remaining, 1);

  WorkflowQuery light;
  light.namespace_ = "ns";
  light.with_manifest = false;
  light.created_after = at(15);
  auto l = store_->list_workflows(light);
  ASSERT_EQ(l->items.size(), 2u);
  EXPECT_TRUE(l->items[0].manifest.is_null());

  WorkflowQuery bad;
  bad.continue_token = "garbage";
  EXPECT_EQ(store_->list_workflows(bad).status().code(), Code::kInvalidArgument);
}

TEST_F(StoreTest, ListsByPhaseAndFinished) {
  ASSERT_TRUE(store_->create_workflow(workflow("ns", "a", 1)).is_ok());
  ASSERT_TRUE(store_->create_workflow(workflow("ns", "b", 2)).is_ok());
  WorkflowUpdate u;
  u.uid = "uid-ns-a";
  u.expected_version = 1;
  u.phase = "Failed";
  u.finished_at = at(3);
  ASSERT_TRUE(store_->update_workflow(u).is_ok());

  WorkflowQuery failed;
  failed.phases = {"Failed", "Error"};
  auto f = store_->list_workflows(failed);
  ASSERT_EQ(f->items.size(), 1u);
  EXPECT_EQ(f->items[0].name, "a");

  WorkflowQuery unfinished;
  unfinished.finished = false;
  auto u2 = store_->list_workflows(unfinished);
  ASSERT_EQ(u2->items.size(), 1u);
  EXPECT_EQ(u2->items[0].name, "b");
}

TEST_F(StoreTest, DeletingAWorkflowRemovesItsNodesEventsAndLogs) {
  ASSERT_TRUE(store_->create_workflow(workflow("ns", "wf", 1)).is_ok());
  WorkflowUpdate u;
  u.uid = "uid-ns-wf";
  u.expected_version = 1;
  u.nodes = {{"n", {{"id", "n"}}}};
  u.events = {{1, at(1), {}}};
  ASSERT_TRUE(store_->update_workflow(u).is_ok());
  ASSERT_TRUE(store_->put_log("uid-ns-wf", {"n", "wf-main-1", "/tmp/x.log"}).is_ok());
  ASSERT_EQ(store_->logs("uid-ns-wf")->size(), 1u);

  ASSERT_TRUE(store_->delete_workflow("uid-ns-wf").is_ok());
  EXPECT_EQ(store_->get_workflow("ns", "wf").status().code(), Code::kNotFound);
  EXPECT_TRUE(store_->nodes("uid-ns-wf")->empty());
  EXPECT_TRUE(store_->events("uid-ns-wf")->empty());
  EXPECT_TRUE(store_->logs("uid-ns-wf")->empty());
  EXPECT_EQ(store_->delete_workflow("uid-ns-wf").code(), Code::kNotFound);
}

TEST_F(StoreTest, TemplatesAndCronWorkflowsByKind) {
  ObjectRecord t;
  t.namespace_ = "ns";
  t.name = "tmpl";
  t.created_at = at(5);
  t.body = {{"kind", "WorkflowTemplate"}};
  auto created = store_->put_object(ObjectKind::kWorkflowTemplate, t, false);
  ASSERT_TRUE(created.is_ok()) << created.status().message();
  EXPECT_EQ(created->version, 1);
  EXPECT_FALSE(created->uid.empty());

  auto dup = store_->put_object(ObjectKind::kWorkflowTemplate, t, false);
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "workflowtemplates.argoproj.io \"tmpl\" already exists");

  t.body["spec"] = {{"entrypoint", "x"}};
  auto replaced = store_->put_object(ObjectKind::kWorkflowTemplate, t, true);
  ASSERT_TRUE(replaced.is_ok());
  EXPECT_EQ(replaced->version, 2);
  EXPECT_EQ(replaced->uid, created->uid);
  EXPECT_EQ(replaced->created_at, at(5));

  // Kinds are separate: the same name as a cluster template or cron workflow.
  EXPECT_EQ(store_->get_object(ObjectKind::kClusterWorkflowTemplate, "", "tmpl").status().code(), Code::kNotFound);
  ObjectRecord c = t;
  c.namespace_ = "";
  ASSERT_TRUE(store_->put_object(ObjectKind::kClusterWorkflowTemplate, c, false).is_ok());
  ASSERT_TRUE(store_->put_object(ObjectKind::kCronWorkflow, t, false).is_ok());
  EXPECT_EQ(store_->put_object(ObjectKind::kCronWorkflow, [&] { auto x = t; x.name = "none"; return x; }(), true)
                .status().code(),
            Code::kNotFound);

  auto got = store_->get_object(ObjectKind::kWorkflowTemplate, "ns", "tmpl");
  ASSERT_TRUE(got.is_ok());
  EXPECT_EQ(got->body["spec"]["entrypoint"], "x");
  EXPECT_EQ(store_->list_objects(ObjectKind::kWorkflowTemplate, "ns")->size(), 1u);
  EXPECT_EQ(store_->list_objects(ObjectKind::kWorkflowTemplate, "elsewhere")->size(), 0u);
  EXPECT_EQ(store_->list_objects(ObjectKind::kClusterWorkflowTemplate, "")->size(), 1u);

  ASSERT_TRUE(store_->delete_object(ObjectKind::kWorkflowTemplate, "ns", "tmpl").is_ok());
  EXPECT_EQ(store_->delete_object(ObjectKind::kWorkflowTemplate, "ns", "tmpl").code(), Code::kNotFound);
  EXPECT_TRUE(store_->get_object(ObjectKind::kCronWorkflow, "ns", "tmpl").is_ok());
}

TEST_F(StoreTest, ArchiveKeepsWholeWorkflows) {
  for (int i = 0; i < 4; ++i) {
    ArchivedRecord a;
    a.uid = "u" + std::to_string(i);
    a.namespace_ = i == 3 ? "other" : "ns";
    a.name = "wf" + std::to_string(i);
    a.phase = i == 0 ? "Failed" : "Succeeded";
    a.started_at = at(i);
    a.finished_at = at(i + 1);
    a.body = {{"metadata", {{"name", a.name}}}};
    ASSERT_TRUE(store_->archive_workflow(a).is_ok());
  }
  ArchiveQuery q;
  q.namespace_ = "ns";
  auto listed = store_->list_archived(q);
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].name, "wf2");
  EXPECT_TRUE((*listed)[0].body.is_null());
  q.limit = 1;
  q.offset = 1;
  q.filter = [](const ArchivedRecord& a) { return a.phase == "Succeeded"; };
  listed = store_->list_archived(q);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "wf1");

  auto got = store_->get_archived("u0");
  ASSERT_TRUE(got.is_ok());
  EXPECT_EQ(got->body["metadata"]["name"], "wf0");
  ASSERT_TRUE(store_->delete_archived("u0").is_ok());
  EXPECT_EQ(store_->get_archived("u0").status().code(), Code::kNotFound);
}

TEST_F(StoreTest, SurvivesReopenAndConcurrentWriters) {
  ASSERT_TRUE(store_->create_workflow(workflow("ns", "wf", 1)).is_ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        ASSERT_TRUE(store_->put_log("uid-ns-wf", {"n" + std::to_string(t * 100 + i), "pod", "path"}).is_ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  reopen();
  EXPECT_EQ(store_->logs("uid-ns-wf")->size(), 100u);
}

}  // namespace
}  // namespace skiff::store
