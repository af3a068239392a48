// Node rows as the SQLite store keeps them: compressed when written, old
// plain-JSON rows still read, a damaged row reported with its workflow and
// node. The rows are looked at and damaged through SQLite directly.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "store/node_body_codec.h"
#include "store/store.h"

namespace skiff::store {
namespace {

class NodeRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-node-rows-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = open_sqlite({path()});
    ASSERT_TRUE(opened.is_ok()) << opened.status().message();
    store_ = std::move(*opened);
    WorkflowRecord w;
    w.uid = "uid-1";
    w.namespace_ = "ns";
    w.name = "wf";
    w.manifest = {{"metadata", {{"name", "wf"}}}};
    ASSERT_TRUE(store_->create_workflow(w).is_ok());
    ASSERT_EQ(sqlite3_open(path().c_str(), &raw_), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(raw_);
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string path() const { return (dir_ / "skiff.db").string(); }

  Status write_nodes(std::vector<NodeRecord> nodes) {
    WorkflowUpdate u;
    u.uid = "uid-1";
    u.expected_version = version_;
    u.phase = "Running";
    u.nodes = std::move(nodes);
    auto v = store_->update_workflow(u);
    if (!v) return v.status();
    version_ = *v;
    return Status::ok();
  }
  // The row as stored, and whether SQLite holds it as a BLOB.
  std::pair<std::string, bool> row(const std::string& node_id) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw_, "SELECT body, typeof(body) = 'blob' FROM nodes WHERE node_id = ?1", -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, node_id.c_str(), -1, SQLITE_TRANSIENT);
    std::pair<std::string, bool> out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const char* data = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
      out.first.assign(data ? data : "", static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
      out.second = sqlite3_column_int(stmt, 1) != 0;
    }
    sqlite3_finalize(stmt);
    return out;
  }
  // Writes a row's bytes as they are, past the store.
  void put_row(const std::string& node_id, const std::string& bytes, bool as_blob) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw_, "INSERT OR REPLACE INTO nodes (workflow_uid, node_id, body) VALUES ('uid-1', ?1, ?2)",
                       -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, node_id.c_str(), -1, SQLITE_TRANSIENT);
    if (as_blob) sqlite3_bind_blob(stmt, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    else sqlite3_bind_text(stmt, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(raw_);
    sqlite3_finalize(stmt);
  }
  std::map<std::string, Json> read_nodes() {
    auto nodes = store_->nodes("uid-1");
    EXPECT_TRUE(nodes.is_ok()) << nodes.status().message();
    std::map<std::string, Json> out;
    if (nodes) for (auto& n : *nodes) out[n.id] = n.body;
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  sqlite3* raw_ = nullptr;
  int64_t version_ = 1;
};

Json pod(const std::string& id, const std::string& phase) {
  return {{"id", id}, {"name", "wf[0].work(0:" + id + ")"}, {"displayName", "work(0:" + id + ")"},
          {"type", "Pod"}, {"phase", phase}, {"templateName", "work"}, {"templateScope", "local/wf"},
          {"boundaryID", "wf"}, {"startedAt", "2026-11-23T12:00:00Z"}, {"finishedAt", nullptr},
          {"hostNodeName", "localhost"}, {"message", "déjà vu ✓"}};
}

TEST_F(NodeRowsTest, NodesAreStoredCompressedAndReadBackEqual) {
  ASSERT_TRUE(write_nodes({{"wf-1", pod("wf-1", "Running")}, {"wf-2", pod("wf-2", "Pending")}}).is_ok());
  auto [stored, is_blob] = row("wf-1");
  EXPECT_TRUE(is_blob);
  EXPECT_TRUE(NodeBodyCodec::is_compressed(stored));
  EXPECT_LT(stored.size(), pod("wf-1", "Running").dump().size() / 2);
  auto nodes = read_nodes();
  EXPECT_EQ(nodes["wf-1"], pod("wf-1", "Running"));
  EXPECT_EQ(nodes["wf-2"], pod("wf-2", "Pending"));
}

TEST_F(NodeRowsTest, APlainJsonRowFromBeforeReadsAndIsCompressedWhenRewritten) {
  // A row as every row was written before compression: TEXT, JSON.
  put_row("old", pod("old", "Running").dump(), /*as_blob=*/false);
  ASSERT_TRUE(write_nodes({{"new", pod("new", "Running")}}).is_ok());
  EXPECT_FALSE(row("old").second);
  auto nodes = read_nodes();
  EXPECT_EQ(nodes["old"], pod("old", "Running"));
  EXPECT_EQ(nodes["new"], pod("new", "Running"));

  ASSERT_TRUE(write_nodes({{"old", pod("old", "Succeeded")}}).is_ok());
  auto [stored, is_blob] = row("old");
  EXPECT_TRUE(is_blob);
  EXPECT_TRUE(NodeBodyCodec::is_compressed(stored));
  EXPECT_EQ(read_nodes()["old"], pod("old", "Succeeded"));
}

TEST_F(NodeRowsTest, ADamagedRowIsAnErrorNamingItsWorkflowAndNode) {
  ASSERT_TRUE(write_nodes({{"good", pod("good", "Running")}, {"bad", pod("bad", "Running")}}).is_ok());
  std::string stored = row("bad").first;
  put_row("bad", stored.substr(0, stored.size() / 2), /*as_blob=*/true);
  auto nodes = store_->nodes("uid-1");
  ASSERT_FALSE(nodes.is_ok());
  EXPECT_EQ(nodes.status().code(), Code::kInternal);
  const std::string& message = nodes.status().message();
  EXPECT_NE(message.find("workflow uid-1"), std::string::npos) << message;
  EXPECT_NE(message.find("node bad"), std::string::npos) << message;

  // A row that inflates, but not to JSON, is no body either.
  NodeBodyCodec codec;
  put_row("bad", *codec.encode("{\"id\": \"bad\", cut"), /*as_blob=*/true);
  nodes = store_->nodes("uid-1");
  ASSERT_FALSE(nodes.is_ok());
  EXPECT_NE(nodes.status().message().find("not JSON"), std::string::npos) << nodes.status().message();

  // Rewriting the node repairs it.
  ASSERT_TRUE(write_nodes({{"bad", pod("bad", "Failed")}}).is_ok());
  EXPECT_EQ(read_nodes()["bad"], pod("bad", "Failed"));
}

TEST_F(NodeRowsTest, RowsSurviveReopening) {
  ASSERT_TRUE(write_nodes({{"wf-1", pod("wf-1", "Succeeded")}}).is_ok());
  store_.reset();
  auto opened = open_sqlite({path()});
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  store_ = std::move(*opened);
  EXPECT_EQ(read_nodes()["wf-1"], pod("wf-1", "Succeeded"));
}

}  // namespace
}  // namespace skiff::store
