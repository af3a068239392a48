// Steps that outlive their runtime (LocalOptions::steps_die_with_runtime
// false) and are taken over by another one, as a restarted server does.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "base/strings.h"
#include "runtime/runtime.h"
#include "runtime_test_util.h"

namespace skiff::runtime {
namespace {

using testing_util::shell_step;
using testing_util::TempDir;
using testing_util::wait_for;

class AdoptTest : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<Runtime> make() const {
    LocalOptions options;
    options.root = root_.path() + "/run";
    options.self_exe = testing_util::self_exe();
    options.sandbox = GetParam();
    options.steps_die_with_runtime = false;
    return make_local_runtime(options);
  }
  // A file both the test and a sandboxed step see.
  std::string shared(const std::string& name) const { return root_.path() + "/shared/" + name; }
  StepSpec step(const std::string& id, const std::string& script) const {
    std::filesystem::create_directories(root_.path() + "/shared");
    StepSpec spec = shell_step(id, script);
    spec.mounts = {{root_.path() + "/shared", root_.path() + "/shared", false}};
    return spec;
  }
  // Launches `spec` on a runtime that then goes away; returns its process.
  StepProcess launch_and_leave(const StepSpec& spec) const {
    auto first = make();
    Status launched = first->launch(spec);
    EXPECT_TRUE(launched.is_ok()) << launched.message();
    auto process = first->process_of(spec.id);
    EXPECT_TRUE(process.has_value());
    return process.value_or(StepProcess{});
  }
  static bool wait_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  static std::string log_of(Runtime& runtime, const std::string& id) {
    auto log = runtime.logs(id);
    return log ? *log : log.status().message();
  }
  // The process is gone, or a zombie (the leader is our child).
  static bool ended(int64_t pid) {
    std::string stat;
    if (!read_file("/proc/" + std::to_string(pid) + "/stat", &stat)) return true;
    return stat.find(") Z ") != std::string::npos;
  }
  static bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

  TempDir root_;
};

TEST_P(AdoptTest, ARunningStepIsTakenOverAndItsEndCollected) {
  const std::string go = shared("go");
  StepSpec spec = step("long", "echo started; while [ ! -e " + go + " ]; do sleep 0.05; done; echo finished >&2;"
                               " echo out > /tmp/out.txt; echo done");
  spec.output_files = {"/tmp/out.txt"};
  StepProcess process = launch_and_leave(spec);
  ASSERT_GT(process.pid, 0);
  EXPECT_EQ(::kill(static_cast<pid_t>(process.pid), 0), 0) << "the step outlived its runtime";

  auto second = make();
  ASSERT_TRUE(second->adopt(spec, process).is_ok());
  EXPECT_EQ(second->running(), 1u);
  std::ofstream(go) << "go";
  Completion c = wait_for(*second, "long");
  EXPECT_EQ(c.exit_code, 0) << log_of(*second, "long");
  EXPECT_FALSE(c.lost);
  EXPECT_EQ(c.result, "started\ndone");
  EXPECT_EQ(c.files["/tmp/out.txt"], "out\n");
  std::string log = log_of(*second, "long");
  EXPECT_NE(log.find("started\n"), std::string::npos) << log;
  EXPECT_NE(log.find("finished\n"), std::string::npos) << "written while no runtime watched: " << log;
  EXPECT_NE(log.find("done\n"), std::string::npos) << log;
}

TEST_P(AdoptTest, AStepThatEndedMeanwhileIsReportedFromItsRecord) {
  StepSpec spec = step("quick", "echo the-result; exit 3");
  StepProcess process = launch_and_leave(spec);
  const std::string record = root_.path() + "/run/quick/record/completion";
  ASSERT_TRUE(wait_until([&] { return exists(record); })) << "the guard recorded the end";
  ASSERT_TRUE(wait_until([&] { return ended(process.pid); }));

  auto second = make();
  ASSERT_TRUE(second->adopt(spec, process).is_ok());
  Completion c = wait_for(*second, "quick");
  EXPECT_EQ(c.exit_code, 3);
  EXPECT_FALSE(c.lost);
  EXPECT_EQ(c.result, "the-result");
  EXPECT_GT(c.finished.time_since_epoch().count(), 0);
}

TEST_P(AdoptTest, AStepGoneWithoutARecordIsLost) {
  StepSpec spec = step("vanished", "echo never");
  auto runtime = make();
  // Our own pid with another start time: a pid reused by someone else.
  StepProcess other{::getpid(), 1};
  ASSERT_TRUE(runtime->adopt(spec, other).is_ok());
  Completion c = wait_for(*runtime, "vanished");
  EXPECT_TRUE(c.lost);
  EXPECT_FALSE(c.error.empty());
  EXPECT_NE(c.exit_code, 0);
}

TEST_P(AdoptTest, AnAdoptedStepCanBeCancelled) {
  const std::string ready = shared("ready");
  StepSpec spec = step("cancel-me", "touch " + ready + "; exec sleep 30");
  StepProcess process = launch_and_leave(spec);
  ASSERT_TRUE(wait_until([&] { return exists(ready); }));
  auto second = make();
  ASSERT_TRUE(second->adopt(spec, process).is_ok());
  second->cancel("cancel-me");
  Completion c = wait_for(*second, "cancel-me");
  EXPECT_TRUE(c.killed);
  EXPECT_EQ(c.exit_code, 143);
  EXPECT_FALSE(c.lost);
  EXPECT_TRUE(wait_until([&] { return testing_util::processes_with(ready).empty(); }))
      << "nothing of the step is left";
}

TEST_P(AdoptTest, TheProcessIsFoundInTheStepDirectory) {
  StepSpec spec = step("noted", "sleep 0.2");
  Time before = now_from(Clock::now());
  StepProcess process = launch_and_leave(spec);
  auto second = make();
  auto found = second->find_process("noted", before);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->pid, process.pid);
  EXPECT_EQ(found->start_ticks, process.start_ticks);
  EXPECT_FALSE(second->find_process("noted", now_from(Clock::now()) + std::chrono::seconds(1)).has_value())
      << "a note older than the launch belongs to an earlier run";
  EXPECT_FALSE(second->find_process("never-launched", before).has_value());
  ASSERT_TRUE(second->adopt(spec, *found).is_ok());
  EXPECT_EQ(wait_for(*second, "noted").exit_code, 0);
}

TEST_P(AdoptTest, AStepStartedBeforeItsNoteIsFoundAmongTheProcesses) {
  StepSpec spec = step("unnoted", "sleep 2");
  Time before = now_from(Clock::now());
  StepProcess process = launch_and_leave(spec);
  // As if its runtime died between starting it and noting it, some time
  // before the next one looks: by then the step has left the fork for its
  // own command line, which is what the search reads.
  const std::string record = root_.path() + "/run/unnoted/record";
  ASSERT_TRUE(wait_until([&] { return testing_util::command_line_has(process.pid, record); }));
  ASSERT_EQ(::unlink((record + "/process").c_str()), 0);
  auto second = make();
  auto found = second->find_process("unnoted", before);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->pid, process.pid);
  EXPECT_EQ(found->start_ticks, process.start_ticks);
  ASSERT_TRUE(second->adopt(spec, *found).is_ok());
  EXPECT_EQ(wait_for(*second, "unnoted").exit_code, 0);

  // Ended before anyone looked: its record is found.
  StepSpec quick = step("unnoted-quick", "echo quick; exit 4");
  StepProcess quick_process = launch_and_leave(quick);
  ASSERT_TRUE(wait_until([&] { return ended(quick_process.pid); }));
  ASSERT_EQ(::unlink((root_.path() + "/run/unnoted-quick/record/process").c_str()), 0);
  auto ended = second->find_process("unnoted-quick", before);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->pid, 0);
  EXPECT_FALSE(second->find_process("unnoted-quick", now_from(Clock::now()) + std::chrono::seconds(1)).has_value())
      << "a record older than the launch belongs to an earlier run";
  ASSERT_TRUE(second->adopt(quick, *ended).is_ok());
  Completion c = wait_for(*second, "unnoted-quick");
  EXPECT_EQ(c.exit_code, 4);
  EXPECT_EQ(c.result, "quick");
  EXPECT_FALSE(c.lost);
}

TEST_P(AdoptTest, TiedStepsStillDieWithTheirRuntime) {
  // Its own nap (by this test process's pid): ctest may run the other
  // variant at once, and processes are found across the machine.
  const std::string nap = "sleep 37." + std::to_string(::getpid());
  StepSpec spec = step("tied", "exec " + nap);
  spec.dies_with_runtime = true;
  {
    auto runtime = make();
    ASSERT_TRUE(runtime->launch(spec).is_ok());
    EXPECT_FALSE(runtime->process_of("tied").has_value());
    ASSERT_TRUE(wait_until([&] { return !testing_util::processes_with(nap).empty(); }));
  }
  EXPECT_TRUE(wait_until([&] { return testing_util::processes_with(nap).empty(); }));
}

INSTANTIATE_TEST_SUITE_P(Modes, AdoptTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Sandboxed" : "Direct"; });

}  // namespace
}  // namespace skiff::runtime
