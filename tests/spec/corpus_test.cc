// Every example workflow of the conformance corpus must decode. The corpus
// lives outside the repository; the test is skipped when it is absent.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "spec/spec.h"

namespace skiff::spec {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() {
  if (const char* env = std::getenv("SKIFF_CONFORMANCE_DIR"); env && *env) return env;
  return fs::path(SKIFF_TEST_DATA) / ".." / ".." / "shared" / "conformance" / "argo-examples";
}

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::path dir = corpus_dir();
  if (!fs::is_directory(dir, ec)) return files;
  for (auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Kubernetes objects that sit beside the examples (a PVC, a quota) are not
// documents this layer decodes; they must be refused by kind, nothing else.
bool only_foreign_kinds_refused(const std::string& message) {
  std::istringstream lines(message);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("unsupported kind") == std::string::npos) return false;
  }
  return true;
}

TEST(Corpus, EveryExampleDecodes) {
  auto files = corpus_files();
  if (files.empty()) GTEST_SKIP() << "no corpus at " << corpus_dir();
  int decoded = 0;
  for (const auto& file : files) {
    auto objects = load_file(file.string());
    if (!objects.is_ok()) {
      EXPECT_TRUE(only_foreign_kinds_refused(objects.status().message())) << objects.status().message();
      continue;
    }
    EXPECT_FALSE(objects->empty()) << file;
    for (const Object& o : *objects) {
      EXPECT_TRUE(o.doc.contains("metadata")) << file;
      // Round trip: what we print reads back to the same document.
      auto again = parse_documents(to_yaml(o.doc), "again.yaml");
      ASSERT_TRUE(again.is_ok()) << file << ": " << again.status().message() << "\n" << to_yaml(o.doc);
      ASSERT_EQ(again->size(), 1u);
      EXPECT_EQ((*again)[0].doc, o.doc) << file;
    }
    ++decoded;
  }
  EXPECT_GT(decoded, 100);
}

}  // namespace
}  // namespace skiff::spec
