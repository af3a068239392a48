// The Argo examples skiff must run unchanged in local mode, run through the
// real binary as the conformance runner does (`skiff run FILE --load CORPUS
// -o json`). The corpus sits beside the repository; without it the tests skip.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "subprocess.h"

namespace skiff {
namespace {

std::string corpus_dir() {
  if (const char* dir = std::getenv("SKIFF_CONFORMANCE_DIR")) return dir;
  return std::string(SKIFF_TEST_DATA) + "/../../shared/conformance/argo-examples";
}

class ArgoExample : public ::testing::TestWithParam<const char*> {};

TEST_P(ArgoExample, RunsToSucceeded) {
  const std::string corpus = corpus_dir();
  const std::string file = corpus + "/" + GetParam();
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no conformance corpus at " << corpus;
  char tmpl[] = "/tmp/skiff-home-XXXXXX";
  std::string home = ::mkdtemp(tmpl);
  testing::Output r = testing::run({SKIFF_BINARY, "run", file, "--load", corpus, "-o", "json"},
                                   {"SKIFF_HOME=" + home});
  std::filesystem::remove_all(home);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto wf = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(wf.is_discarded()) << r.out.substr(0, 400);
  EXPECT_EQ(wf["status"]["phase"], "Succeeded") << wf["status"].value("message", "");
}

INSTANTIATE_TEST_SUITE_P(
    Required, ArgoExample,
    ::testing::Values("hello-world.yaml", "steps.yaml", "dag-diamond.yaml", "dag-diamond-steps.yaml",
                      "dag-multiroot.yaml", "coinflip.yaml", "coinflip-recursive.yaml", "scripts-bash.yaml",
                      "scripts-python.yaml", "output-parameter.yaml", "arguments-parameters.yaml",
                      "exit-code-output-variable.yaml", "global-parameters.yaml", "workflow-template/dag.yaml",
                      "workflow-template/hello-world.yaml", "workflow-template/steps.yaml",
                      "workflow-template/workflow-template-ref.yaml",
                      "workflow-template/workflow-template-ref-with-entrypoint-arg-passing.yaml"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      std::string name = info.param;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace skiff
