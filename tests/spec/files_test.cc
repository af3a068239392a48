// load_file and load_supporting on real files in a temporary directory.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "spec/spec.h"

namespace skiff::spec {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("skiff-spec-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& relative, const std::string& text) const {
    fs::path p = path_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

constexpr const char* kTemplate = R"(apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: greet}
spec:
  templates: [{name: hello, container: {image: alpine}}]
)";

TEST(LoadFile, ReadsAndNamesTheFile) {
  TempDir dir;
  std::string file = dir.write("wt.yaml", kTemplate);
  auto objects = load_file(file);
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ((*objects)[0].file, file);
  EXPECT_EQ((*objects)[0].locate("/spec/templates").to_string(), file + ":5:3");
}

TEST(LoadFile, MissingFileIsNotFound) {
  auto objects = load_file("/nonexistent/skiff/wf.yaml");
  ASSERT_FALSE(objects.is_ok());
  EXPECT_EQ(objects.status().code(), Code::kNotFound);
  EXPECT_NE(objects.status().message().find("/nonexistent/skiff/wf.yaml"), std::string::npos);
}

TEST(LoadSupporting, KeepsLibraryKindsAndIgnoresTheRest) {
  TempDir dir;
  dir.write("a/templates.yaml", std::string(kTemplate) + R"(---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: {name: shared}
spec: {templates: [{name: t, suspend: {}}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: ignored}
spec: {entrypoint: x, bogusField: 1}
)");
  dir.write("b/deep/config.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {k: v}\n");
  dir.write("b/secret.json", R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"p": "x"}})");
  dir.write("b/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n");
  dir.write("b/values.yaml", "replicaCount: 1\nimage: {tag: latest}\n");
  dir.write("b/cron.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: c}\n");
  dir.write("notes.txt", "kind: WorkflowTemplate\nnot: [yaml");
  dir.write(".hidden/t.yaml", kTemplate);

  auto objects = load_supporting(dir.path());
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  std::vector<std::string> found;
  for (const Object& o : *objects) found.push_back(o.kind + "/" + o.name());
  EXPECT_EQ(found, (std::vector<std::string>{"WorkflowTemplate/greet", "ClusterWorkflowTemplate/shared",
                                             "ConfigMap/cfg", "Secret/s"}));
}

TEST(LoadSupporting, ErrorsInALibraryTemplateAreReported) {
  TempDir dir;
  dir.write("ok.yaml", kTemplate);
  std::string bad = dir.write("bad.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\n"
                                          "metadata: {name: b}\nspec:\n  templats: []\n");
  auto objects = load_supporting(dir.path());
  ASSERT_FALSE(objects.is_ok());
  EXPECT_EQ(objects.status().message(), bad + ":5:3: spec.templats: unknown field \"templats\"");
}

TEST(LoadSupporting, SingleFileAndMissingPath) {
  TempDir dir;
  auto objects = load_supporting(dir.write("one.yaml", kTemplate));
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  EXPECT_EQ(objects->size(), 1u);
  auto missing = load_supporting(dir.path() + "/nope");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace skiff::spec
