// Every example workflow Argo's own CI runs to completion must lint clean,
// with the whole example folder as the template library. The corpus lives
// outside the repository; the test is skipped when it is absent.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "base/strings.h"
#include "spec/spec.h"

namespace skiff::spec {
namespace {

namespace fs = std::filesystem;

fs::path conformance_dir() {
  if (const char* env = std::getenv("SKIFF_CONFORMANCE_DIR"); env && *env) return fs::path(env).parent_path();
  return fs::path(SKIFF_TEST_DATA) / ".." / ".." / "shared" / "conformance";
}

struct Row {
  std::string path;
  std::string expect;
};

// manifest.tsv: path, mode, expected phase, note; '#' starts a comment.
std::vector<Row> manifest_rows(const fs::path& manifest) {
  std::vector<Row> rows;
  std::ifstream in(manifest);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = split(line, '\t');
    if (fields.size() >= 3) rows.push_back({fields[0], fields[2]});
  }
  return rows;
}

TEST(LintCorpus, ExamplesThatSucceedLintClean) {
  fs::path dir = conformance_dir();
  fs::path examples = dir / "argo-examples";
  std::error_code ec;
  if (!fs::is_regular_file(dir / "manifest.tsv", ec) || !fs::is_directory(examples, ec))
    GTEST_SKIP() << "no conformance corpus at " << dir;
  auto library = load_supporting(examples.string());
  ASSERT_TRUE(library.is_ok()) << library.status().message();

  int linted = 0;
  for (const auto& row : manifest_rows(dir / "manifest.tsv")) {
    if (row.expect != "Succeeded") continue;
    auto objects = load_file((examples / row.path).string());
    ASSERT_TRUE(objects.is_ok()) << row.path << ": " << objects.status().message();
    for (const auto& object : *objects) {
      Status status = lint(object, *library);
      EXPECT_TRUE(status.is_ok()) << status.message();
      ++linted;
    }
  }
  EXPECT_GT(linted, 50) << "the manifest lists far fewer examples than expected";
}

// The supporting templates themselves are valid too.
TEST(LintCorpus, LibraryTemplatesLintClean) {
  fs::path examples = conformance_dir() / "argo-examples";
  std::error_code ec;
  if (!fs::is_directory(examples, ec)) GTEST_SKIP() << "no conformance corpus at " << examples;
  auto library = load_supporting(examples.string());
  ASSERT_TRUE(library.is_ok()) << library.status().message();
  int templates = 0;
  for (const auto& object : *library) {
    if (object.kind != "WorkflowTemplate" && object.kind != "ClusterWorkflowTemplate") continue;
    Status status = lint(object, *library);
    EXPECT_TRUE(status.is_ok()) << status.message();
    ++templates;
  }
  EXPECT_GT(templates, 0);
}

}  // namespace
}  // namespace skiff::spec
