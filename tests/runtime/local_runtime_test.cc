#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "agent/argosay.h"
#include "agent/pod_connect.h"
#include "agent/step_guard.h"
#include "base/strings.h"
#include "runtime/runtime.h"
#include "runtime_test_util.h"

namespace skiff::runtime {
namespace {

using testing_util::processes_with;
using testing_util::run_step;
using testing_util::shell_step;
using testing_util::TempDir;
using testing_util::wait_for;

// When a step runs `<this binary> argosay ...`, `<this binary> step-guard
// ...` or the runtime starts `<this binary> pod-connect`, act as skiff would
// instead of running the tests.
[[maybe_unused]] const bool kRunsAsSkiff = [] {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  if (args.size() < 2 || (args[1] != "argosay" && args[1] != "step-guard" && args[1] != "pod-connect")) return false;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int argc = static_cast<int>(argv.size()) - 1;
  if (args[1] == "step-guard") std::exit(agent::step_guard_main(argc - 1, argv.data() + 1));
  if (args[1] == "pod-connect") std::exit(agent::pod_connect_main(argc - 1, argv.data() + 1));
  std::exit(agent::argosay_main(argc, argv.data()));
}();

// How the runtime runs its steps: sandboxed or directly on the host; tied
// to the runtime (`skiff run`) or detached, outliving it (`skiff server`).
struct Mode {
  bool sandbox;
  bool detached;
};

// Every behaviour that does not depend on isolation runs both sandboxed and
// directly on the host, with steps tied to the runtime and detached.
class LocalRuntimeTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override { runtime_ = make(); }

  LocalOptions options() const {
    LocalOptions options;
    options.root = root_.path() + "/run";
    options.self_exe = testing_util::self_exe();
    options.sandbox = GetParam().sandbox;
    options.steps_die_with_runtime = !GetParam().detached;
    return options;
  }
  std::unique_ptr<Runtime> make() { return make_local_runtime(options()); }

  bool sandboxed() const { return GetParam().sandbox; }
  bool detached() const { return GetParam().detached; }

  TempDir root_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_P(LocalRuntimeTest, ResultIsStdoutWithoutTrailingNewline) {
  Completion c = run_step(*runtime_, shell_step("echo", "echo hello; echo to-stderr >&2"));
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_EQ(c.result, "hello");
  EXPECT_TRUE(c.error.empty());
  EXPECT_FALSE(c.killed);
  EXPECT_LE(c.started, c.finished);
  EXPECT_EQ(runtime_->running(), 0u);
}

TEST_P(LocalRuntimeTest, ExitCodes) {
  struct Case {
    std::string script;
    int exit_code;
  };
  const std::vector<Case> cases = {{"exit 0", 0}, {"exit 3", 3}, {"exit 255", 255}, {"kill -9 $$", 137},
                                   {"kill -15 $$", 143}};
  for (size_t i = 0; i < cases.size(); ++i) {
    Completion c = run_step(*runtime_, shell_step("exit-" + std::to_string(i), cases[i].script));
    EXPECT_EQ(c.exit_code, cases[i].exit_code) << cases[i].script;
    EXPECT_FALSE(c.killed);
  }
}

TEST_P(LocalRuntimeTest, EnvironmentHasSpecVariablesAndSaneBase) {
  StepSpec spec = shell_step("env", "echo \"$GREETING|$HOME|$ARGO_NODE_ID|${PATH:+path}\"");
  spec.env = {{"GREETING", "hi there"}};
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.result, "hi there|/root|env|path");
}

TEST_P(LocalRuntimeTest, ExistingWorkingDirIsUsed) {
  StepSpec spec = shell_step("wd", "pwd");
  spec.working_dir = "/usr";
  EXPECT_EQ(run_step(*runtime_, spec).result, "/usr");
}

TEST_P(LocalRuntimeTest, ScriptsRunWithTheirPathBeforeArgs) {
  struct Case {
    std::vector<std::string> command;
    std::string source;
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"sh"}, "echo \"script says $1\"\n", {"first"}, "script says first"},
      {{"python3"}, "import sys\nprint(6 * 7, sys.argv[1:])\n", {"x"}, "42 ['x']"},
      {{"python"}, "print('via python')\n", {}, "via python"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    StepSpec spec;
    spec.id = "script-" + std::to_string(i);
    spec.image = "python:alpine3.23";
    spec.command = cases[i].command;
    spec.script_source = cases[i].source;
    spec.args = cases[i].args;
    Completion c = run_step(*runtime_, spec);
    EXPECT_EQ(c.exit_code, 0) << runtime_->logs(spec.id).value();
    EXPECT_EQ(c.result, cases[i].expected);
  }
}

TEST_P(LocalRuntimeTest, ParallelStepsHaveTheirOwnTmp) {
  // Skipped before launching: steps left behind would spin forever once the
  // test's directory, and the barrier in it, is removed.
  if (!sandboxed()) GTEST_SKIP() << "without a sandbox only TMPDIR is private";
  // Both write the same path, then wait for each other before reading it.
  std::string barrier = root_.path() + "/barrier";
  std::string script = "echo $ARGO_NODE_ID > /tmp/out.txt; touch " + barrier +
                       ".$ARGO_NODE_ID; while [ ! -e " + barrier + ".a ] || [ ! -e " + barrier +
                       ".b ]; do :; done; cat /tmp/out.txt";
  for (std::string id : {"a", "b"}) {
    StepSpec spec = shell_step(id, script);
    if (sandboxed()) spec.mounts = {{root_.path(), root_.path(), false}};
    spec.output_files = {"/tmp/out.txt"};
    ASSERT_TRUE(runtime_->launch(spec).is_ok());
  }
  for (std::string id : {"a", "b"}) {
    Completion c = wait_for(*runtime_, id);
    EXPECT_EQ(c.result, id);
    EXPECT_EQ(c.files["/tmp/out.txt"], id + "\n");
  }
}

TEST_P(LocalRuntimeTest, OutputFilesThatExistAreRead) {
  StepSpec spec = shell_step("files", "mkdir -p ${TMPDIR:-/tmp}/d; printf one > ${TMPDIR:-/tmp}/one.txt; echo two > \"${TMPDIR:-/tmp}/two.txt\"");
  spec.output_files = {"/tmp/one.txt", "/tmp/two.txt", "/tmp/missing.txt", "/tmp/d"};
  if (!sandboxed()) spec.output_files[0] = root_.path() + "/unused";
  Completion c = run_step(*runtime_, spec);
  if (sandboxed()) {
    EXPECT_EQ(c.files["/tmp/one.txt"], "one");
  }
  EXPECT_EQ(c.files["/tmp/two.txt"], "two\n");
  EXPECT_EQ(c.files.count("/tmp/missing.txt"), 0u);
  EXPECT_EQ(c.files.count("/tmp/d"), 0u) << "directories are not files";
}

TEST_P(LocalRuntimeTest, CancelSendsSigterm) {
  std::string fifo = root_.path() + "/ready";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  StepSpec spec = shell_step("cancel", "echo ready > " + fifo + "; exec sleep 30");
  if (sandboxed()) spec.mounts = {{root_.path(), root_.path(), false}};
  ASSERT_TRUE(runtime_->launch(spec).is_ok());
  std::ifstream(fifo).get();  // the command runs
  runtime_->cancel("cancel");
  Completion c = wait_for(*runtime_, "cancel");
  EXPECT_TRUE(c.killed);
  EXPECT_EQ(c.exit_code, 143);
}

TEST_P(LocalRuntimeTest, CancelRightAfterLaunch) {
  ASSERT_TRUE(runtime_->launch(shell_step("early", "exec sleep 30")).is_ok());
  runtime_->cancel("early");
  Completion c = wait_for(*runtime_, "early");
  EXPECT_TRUE(c.killed);
  EXPECT_TRUE(c.exit_code == 143 || c.exit_code == 137) << c.exit_code;
}

// A stop can reach the step's process group at any moment of the step
// guard's start, also between its look at held signals and the fork of the
// command. Swept over the first milliseconds: every step must end by the
// stop itself, well before the grace period's kill.
TEST_P(LocalRuntimeTest, CancelAtAnyMomentOfTheStartEndsTheStep) {
  for (int i = 0; i < 40; ++i) {
    const std::string id = "sweep-" + std::to_string(i);
    StepSpec spec = shell_step(id, "exec sleep 30");
    spec.termination_grace = std::chrono::seconds(60);
    ASSERT_TRUE(runtime_->launch(spec).is_ok());
    std::this_thread::sleep_for(std::chrono::microseconds(60 * i));
    runtime_->cancel(id);
    Completion c = wait_for(*runtime_, id);
    ASSERT_TRUE(c.killed) << id;
    EXPECT_TRUE(c.exit_code == 143 || c.exit_code == 137) << id << ": " << c.exit_code;
  }
}

TEST_P(LocalRuntimeTest, StepIgnoringSigtermIsKilledAfterGrace) {
  std::string fifo = root_.path() + "/ready";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  StepSpec spec = shell_step("stubborn", "trap '' TERM; echo ready > " + fifo + "; while :; do sleep 1; done");
  if (sandboxed()) spec.mounts = {{root_.path(), root_.path(), false}};
  spec.termination_grace = std::chrono::milliseconds(200);
  ASSERT_TRUE(runtime_->launch(spec).is_ok());
  std::ifstream(fifo).get();  // the trap is set
  runtime_->cancel("stubborn");
  Completion c = wait_for(*runtime_, "stubborn");
  EXPECT_TRUE(c.killed);
  EXPECT_EQ(c.exit_code, 137);
}

TEST_P(LocalRuntimeTest, LogsHoldStdoutAndStderr) {
  StepSpec spec = shell_step("logs", "echo out-line; echo err-line >&2");
  run_step(*runtime_, spec);
  Result<std::string> logs = runtime_->logs("logs");
  ASSERT_TRUE(logs.is_ok());
  EXPECT_NE(logs->find("out-line\n"), std::string::npos);
  EXPECT_NE(logs->find("err-line\n"), std::string::npos);
  EXPECT_FALSE(runtime_->logs("no-such-step").is_ok());
}

TEST_P(LocalRuntimeTest, WakeMakesWaitReturn) {
  ASSERT_TRUE(runtime_->launch(shell_step("long", "exec sleep 30")).is_ok());
  std::thread waker([&] { runtime_->wake(); });
  std::vector<Completion> got = runtime_->wait(std::nullopt);
  waker.join();
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(runtime_->running(), 1u);
  runtime_->cancel("long");
  EXPECT_TRUE(wait_for(*runtime_, "long").killed);
}

TEST_P(LocalRuntimeTest, WaitReturnsAtDeadline) {
  ASSERT_TRUE(runtime_->launch(shell_step("long", "exec sleep 30")).is_ok());
  Time until = now_from(Clock::now()) + std::chrono::milliseconds(20);
  EXPECT_TRUE(runtime_->wait(until).empty());
  EXPECT_GE(now_from(Clock::now()), until);
}

TEST_P(LocalRuntimeTest, MissingCommandIsAClearError) {
  StepSpec spec;
  spec.id = "missing";
  spec.command = {"no-such-command-xyz", "arg"};
  Completion c = run_step(*runtime_, spec);
  EXPECT_NE(c.error.find("\"no-such-command-xyz\""), std::string::npos) << c.error;
  EXPECT_NE(c.error.find("not found"), std::string::npos) << c.error;
  EXPECT_EQ(c.exit_code, 127);

  spec.id = "missing-path";
  spec.command = {"/no/such/program"};
  c = run_step(*runtime_, spec);
  EXPECT_NE(c.error.find("/no/such/program"), std::string::npos) << c.error;
}

TEST_P(LocalRuntimeTest, DuplicateLaunchIsRejected) {
  ASSERT_TRUE(runtime_->launch(shell_step("dup", "exec sleep 30")).is_ok());
  EXPECT_FALSE(runtime_->launch(shell_step("dup", "true")).is_ok());
  runtime_->cancel("dup");
  wait_for(*runtime_, "dup");
}

TEST_P(LocalRuntimeTest, ArgosayImageRunsTheBuiltInTool) {
  StepSpec spec;
  spec.id = "argosay";
  spec.image = "argoproj/argosay:v2";
  spec.args = {"echo", "hello argosay", "/tmp/said.txt"};
  spec.output_files = {"/tmp/said.txt"};
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.exit_code, 0) << runtime_->logs("argosay").value();
  if (sandboxed()) {
    EXPECT_EQ(c.files["/tmp/said.txt"], "hello argosay");
  }

  spec.id = "argosay-exit";
  spec.args = {"exit", "7"};
  EXPECT_EQ(run_step(*runtime_, spec).exit_code, 7);
}

TEST_P(LocalRuntimeTest, CowsayIsAvailableAsInArgosayV1) {
  StepSpec spec = shell_step("cow", "cowsay hello");
  spec.image = "argoproj/argosay:v1";
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.exit_code, 0) << runtime_->logs("cow").value();
  EXPECT_NE(c.result.find("< hello >"), std::string::npos) << c.result;
}

// With a skiff-step beside the skiff executable, argosay and the step guard
// run from it; without one, from skiff. Stand-ins for both print which ran
// and with what arguments.
TEST_P(LocalRuntimeTest, BuiltInToolsRunFromTheStepToolBesideSkiff) {
  // The stand-ins below would stand in for the recording step guard too.
  if (detached()) GTEST_SKIP() << "tied steps only";
  const std::string bin = root_.path() + "/bin";
  ::mkdir(bin.c_str(), 0755);
  auto stand_in = [&](const std::string& name, const std::string& says) {
    std::string path = bin + "/" + name;
    std::ofstream(path) << "#!/bin/sh\necho \"" << says << " $*\"\n";
    ::chmod(path.c_str(), 0755);
  };
  auto ends_with = [](const std::string& text, const std::string& tail) {
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
  };
  stand_in("skiff", "skiff");
  StepSpec argosay;
  argosay.id = "say";
  argosay.image = "argoproj/argosay:v2";
  argosay.args = {"echo", "hi"};
  LocalOptions options;
  options.root = root_.path() + "/run";
  options.self_exe = bin + "/skiff";
  options.sandbox = sandboxed();
  {
    auto runtime = make_local_runtime(options);
    std::string said = run_step(*runtime, argosay).result;
    if (sandboxed()) {
      EXPECT_EQ(said, "skiff argosay echo hi");
    } else {
      EXPECT_EQ(said.rfind("skiff step-guard ", 0), 0u) << said;
      EXPECT_TRUE(ends_with(said, "/skiff argosay echo hi")) << said;
    }
  }

  stand_in("skiff-step", "tool");
  auto runtime = make_local_runtime(options);
  argosay.id = "say-again";
  std::string said = run_step(*runtime, argosay).result;
  if (sandboxed()) {
    EXPECT_EQ(said, "tool argosay echo hi");
  } else {
    // Outside the sandbox every step starts under the step guard.
    EXPECT_EQ(said.rfind("tool step-guard ", 0), 0u) << said;
    EXPECT_TRUE(ends_with(said, "/skiff-step argosay echo hi")) << said;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, LocalRuntimeTest,
                         ::testing::Values(Mode{true, false}, Mode{false, false}, Mode{true, true},
                                           Mode{false, true}),
                         [](const auto& info) {
                           return std::string(info.param.sandbox ? "Sandboxed" : "Direct") +
                                  (info.param.detached ? "Detached" : "");
                         });

}  // namespace
}  // namespace skiff::runtime

namespace skiff::runtime {
namespace {

TEST(LocalRuntimeFallback, MissingBubblewrapRunsStepsDirectly) {
  testing_util::TempDir root;
  LocalOptions options;
  options.root = root.path() + "/run";
  options.bwrap_path = root.path() + "/no-bwrap-here";
  auto runtime = make_local_runtime(options);
  Completion c = testing_util::run_step(*runtime, testing_util::shell_step("direct", "echo \"$TMPDIR\""));
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_EQ(c.result, options.root + "/direct/tmp") << "TMPDIR is the step's private tmp";
}

TEST(LocalRuntimeFallback, BuiltInImageWithoutSelfExeIsAClearError) {
  testing_util::TempDir root;
  LocalOptions options;
  options.root = root.path() + "/run";
  auto runtime = make_local_runtime(options);
  StepSpec spec;
  spec.id = "argosay";
  spec.image = "argoproj/argosay:v2";
  spec.args = {"echo"};
  Completion c = testing_util::run_step(*runtime, spec);
  EXPECT_NE(c.error.find("skiff executable"), std::string::npos) << c.error;
}

}  // namespace
}  // namespace skiff::runtime
