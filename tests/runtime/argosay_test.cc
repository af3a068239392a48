// argosay, called in-process: output and exit status as the image's tool.
#include "agent/argosay.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "base/strings.h"
#include "runtime_test_util.h"

namespace skiff::agent {
namespace {

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

Outcome argosay(std::vector<std::string> args) {
  args.insert(args.begin(), "argosay");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int code = argosay_main(static_cast<int>(argv.size()), argv.data());
  Outcome run{code, ::testing::internal::GetCapturedStdout(), ::testing::internal::GetCapturedStderr()};
  return run;
}

class ArgosayTest : public ::testing::Test {
 protected:
  std::string file(const std::string& name) const { return dir_.path() + "/" + name; }
  runtime::testing_util::TempDir dir_;
};

// Go's println writes to stderr, so the image's messages are on stderr.
TEST_F(ArgosayTest, EchoPrintsLikeGoPrintln) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{}, "hello argo\n"},
      {{"echo"}, "hello argo\n"},
      {{"echo", "hi there"}, "hi there\n"},
  };
  for (const Case& c : cases) {
    Outcome run = argosay(c.args);
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.err, c.err);
    EXPECT_EQ(run.out, "");
  }
}

TEST_F(ArgosayTest, EchoToFileCreatesParentsAndWritesNoNewline) {
  std::string path = file("a/b/out.txt");
  Outcome run = argosay({"echo", "content", path});
  EXPECT_EQ(run.exit_code, 0);
  std::string text;
  ASSERT_TRUE(read_file(path, &text));
  EXPECT_EQ(text, "content");
}

TEST_F(ArgosayTest, CatConcatenatesFilesToStdout) {
  std::ofstream(file("x")) << "one\n";
  Outcome run = argosay({"cat", file("x"), file("x")});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "one\none\n");
}

TEST_F(ArgosayTest, FailuresPanicWithExitStatusTwo) {
  std::ofstream(file("x")) << "needle in text";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"garbage"}, "panic: usage: argosay [assert_contains file string|cat [file...]|"},
      {{"echo", "a", "b", "c"}, "panic: usage: argosay echo [string] [file]"},
      {{"cat", file("missing")}, "panic: open " + file("missing") + ": no such file or directory"},
      {{"sleep"}, "panic: usage: argosay sleep duration"},
      {{"sleep", "garbage"}, "panic: time: invalid duration \"garbage\""},
      {{"sleep", "5"}, "panic: time: missing unit in duration \"5\""},
      {{"exit", "x"}, "panic: strconv.Atoi: parsing \"x\": invalid syntax"},
      {{"assert_contains", file("x")}, "panic: usage: assert_contains data string"},
      {{"assert_contains", file("x"), "hay"},
       "panic: expected \"" + file("x") + "\" to contain \"hay\", but was \"needle in text\""},
      {{"assert_contains", file("missing"), "a"}, "panic: open " + file("missing")},
  };
  for (const Case& c : cases) {
    Outcome run = argosay(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args[0];
    EXPECT_EQ(run.err.rfind(c.message, 0), 0u) << run.err;
  }
}

TEST_F(ArgosayTest, SucceedingVerbs) {
  std::ofstream(file("x")) << "needle in text";
  const std::vector<std::vector<std::string>> cases = {
      {"assert_contains", file("x"), "needle"}, {"sleep", "1ms"}, {"sleep", "0"}, {"exit"}, {"exit", "0"},
      {"exit", "1", "ignored"},
  };
  for (const auto& args : cases) EXPECT_EQ(argosay(args).exit_code, 0) << args[0] << " " << args[1 % args.size()];
}

TEST_F(ArgosayTest, ExitUsesTheGivenCode) {
  EXPECT_EQ(argosay({"exit", "1"}).exit_code, 1);
  EXPECT_EQ(argosay({"exit", "42"}).exit_code, 42);
}

}  // namespace
}  // namespace skiff::agent
