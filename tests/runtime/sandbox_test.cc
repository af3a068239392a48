// Behaviour that only a sandboxed step has: isolation of paths and the
// guarantee that nothing a step started outlives it.
#include <sys/stat.h>
#include <unistd.h>

#include "base/strings.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "runtime_test_util.h"

namespace skiff::runtime {
namespace {

using testing_util::processes_with;
using testing_util::run_step;
using testing_util::shell_step;
using testing_util::TempDir;
using testing_util::wait_for;

bool host_has(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/bwrap", X_OK) != 0) GTEST_SKIP() << "bubblewrap is not installed";
    runtime_ = make();
  }

  std::unique_ptr<Runtime> make() {
    LocalOptions options;
    options.root = root_.path() + "/run";
    options.self_exe = testing_util::self_exe();
    return make_local_runtime(options);
  }

  // A marker unique to this test process, to find its processes in /proc.
  std::string marker(const std::string& what) const { return what + "." + std::to_string(::getpid()); }

  // A shell snippet that starts `sleep <marker>` in the background and
  // returns once it is running.
  static std::string start_background(const std::string& seconds) {
    return "sleep " + seconds + " & while ! grep -q " + seconds + " /proc/$!/cmdline 2>/dev/null; do :; done; ";
  }

  // A FIFO the step writes to once it is ready; reading it waits for that.
  std::string make_fifo() {
    std::string fifo = root_.path() + "/ready";
    EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    return fifo;
  }

  StepSpec with_root_mounted(StepSpec spec) {
    spec.mounts.push_back({root_.path(), root_.path(), false});
    return spec;
  }

  TempDir root_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(SandboxTest, ChildrenEndWhenTheMainProcessEnds) {
  std::string seconds = "100" + std::to_string(::getpid()) + ".1";
  Completion c = run_step(*runtime_, shell_step("parent", start_background(seconds) + "echo started"));
  EXPECT_EQ(c.result, "started");
  EXPECT_TRUE(processes_with(seconds).empty());
}

TEST_F(SandboxTest, CancelEndsTheStepsChildren) {
  std::string seconds = "100" + std::to_string(::getpid()) + ".2";
  std::string fifo = make_fifo();
  StepSpec spec = with_root_mounted(shell_step("tree", start_background(seconds) + "echo ready > " + fifo + "; wait"));
  ASSERT_TRUE(runtime_->launch(spec).is_ok());
  std::ifstream(fifo).get();
  EXPECT_FALSE(processes_with(seconds).empty());
  runtime_->cancel("tree");
  EXPECT_TRUE(wait_for(*runtime_, "tree").killed);
  EXPECT_TRUE(processes_with(seconds).empty());
}

TEST_F(SandboxTest, DestroyingTheRuntimeEndsRunningSteps) {
  std::string seconds = "100" + std::to_string(::getpid()) + ".3";
  std::string fifo = make_fifo();
  StepSpec spec = with_root_mounted(shell_step("orphan", start_background(seconds) + "echo ready > " + fifo + "; wait"));
  ASSERT_TRUE(runtime_->launch(spec).is_ok());
  std::ifstream(fifo).get();
  EXPECT_FALSE(processes_with(seconds).empty());
  runtime_.reset();
  EXPECT_TRUE(processes_with(seconds).empty());
}

TEST_F(SandboxTest, NewWorkingDirIsPrivateAndKept) {
  std::string dir = "/skiff-wd-" + std::to_string(::getpid());
  StepSpec spec = shell_step("wd", "pwd; echo made > here.txt");
  spec.working_dir = dir + "/src";
  spec.output_files = {dir + "/src/here.txt"};
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.result, dir + "/src");
  EXPECT_EQ(c.files[dir + "/src/here.txt"], "made\n");
  EXPECT_FALSE(host_has(dir)) << "nothing is created on the host's /";
}

TEST_F(SandboxTest, TopLevelOutputFilesAreKeptOnlyWhenWritten) {
  std::string written = "/skiff-out-" + std::to_string(::getpid());
  std::string untouched = written + "-untouched";
  StepSpec spec = shell_step("top", "printf value > " + written);
  spec.output_files = {written, untouched};
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_EQ(c.files[written], "value");
  EXPECT_EQ(c.files.count(untouched), 0u);
  EXPECT_FALSE(host_has(written));
}

TEST_F(SandboxTest, OutputsBesideAMountInsideAHostDirectoryAreKept) {
  // /usr exists on the host, so it is rebuilt in memory around the mount;
  // the output written beside the mount must still outlive the sandbox.
  std::string input = root_.path() + "/given.txt";
  std::ofstream(input) << "given";
  std::string in = "/usr/skiff-in-" + std::to_string(::getpid()) + ".txt";
  std::string out = "/usr/skiff-out-" + std::to_string(::getpid()) + ".txt";
  StepSpec spec = shell_step("beside", "cat " + in + " > " + out);
  spec.mounts = {{input, in, true}};
  spec.output_files = {out};
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.exit_code, 0) << runtime_->logs(spec.id).value();
  EXPECT_EQ(c.files[out], "given");
  EXPECT_FALSE(host_has(out));
  EXPECT_FALSE(host_has(in));
}

TEST_F(SandboxTest, MountsBindHostDirectories) {
  std::string data = root_.path() + "/data";
  std::string input = root_.path() + "/input";
  ASSERT_EQ(::mkdir(data.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(input.c_str(), 0755), 0);
  std::ofstream(input + "/in.txt") << "from host";
  std::string at = "/mnt/skiff-data-" + std::to_string(::getpid());
  StepSpec spec = shell_step("mounts", "cat /in/in.txt > " + at + "/copy.txt; echo x > /in/denied || echo read-only");
  spec.mounts = {{data, at, false}, {input, "/in", true}};
  spec.output_files = {at + "/copy.txt"};
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.files[at + "/copy.txt"], "from host");
  EXPECT_EQ(c.result, "read-only");
  std::string copied;
  EXPECT_TRUE(read_file(data + "/copy.txt", &copied));
  EXPECT_FALSE(host_has(at)) << "the mount point is not created in the host's /mnt";
}

TEST_F(SandboxTest, MissingMountSourceIsALaunchError) {
  StepSpec spec = shell_step("bad-mount", "true");
  spec.mounts = {{root_.path() + "/absent", "/data", false}};
  Status status = runtime_->launch(spec);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("absent"), std::string::npos) << status.message();
  EXPECT_EQ(runtime_->running(), 0u);
}

TEST_F(SandboxTest, ScriptIsAtArgosStagingPath) {
  StepSpec spec;
  spec.id = "script-path";
  spec.command = {"sh"};
  spec.script_source = "echo \"$0\"";
  EXPECT_EQ(run_step(*runtime_, spec).result, "/argo/staging/script");
}

TEST(PathMapping, NormalizeAndWithin) {
  using internal::normalize_path;
  using internal::path_within;
  EXPECT_EQ(normalize_path("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(normalize_path("/a/../b"), "/b");
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_TRUE(path_within("/tmp/x", "/tmp"));
  EXPECT_TRUE(path_within("/tmp", "/tmp"));
  EXPECT_FALSE(path_within("/tmpfoo", "/tmp"));
  EXPECT_TRUE(path_within("/anything", "/"));
}

TEST(PathMapping, SandboxedPathsMapToTheirHostBacking) {
  TempDir dir;
  auto paths = internal::StepPaths::under(dir.path(), "step");
  StepSpec spec;
  spec.mounts = {{dir.path(), "/work-area", false}};
  spec.output_files = {"/result.txt", "/out/deep/file"};
  auto layout = internal::StepLayout::sandboxed(spec, paths, "");
  ASSERT_TRUE(layout.is_ok()) << layout.status().message();
  struct Case {
    std::string container;
    std::string host;
  };
  const std::vector<Case> cases = {
      {"/tmp/out.txt", paths.tmp + "/out.txt"},
      {"/work-area/a/b", dir.path() + "/a/b"},
      {"/usr/bin/env", "/usr/bin/env"},
      {"/result.txt", paths.rootfs + "/result.txt"},
      {"/out/deep/file", paths.rootfs + "/out/deep/file"},
  };
  for (const Case& c : cases) EXPECT_EQ(layout->to_host(c.container), c.host) << c.container;
}

TEST(PathMapping, DirectStepsMapOnlyTmpAndMounts) {
  TempDir dir;
  auto paths = internal::StepPaths::under(dir.path(), "step");
  StepSpec spec;
  spec.mounts = {{dir.path(), "/work-area", false}};
  internal::StepLayout layout = internal::StepLayout::direct(spec, paths);
  ASSERT_TRUE(layout.prepare().is_ok());
  std::ofstream(paths.tmp + "/made.txt") << "x";
  EXPECT_EQ(layout.to_host("/tmp/made.txt"), paths.tmp + "/made.txt");
  EXPECT_EQ(layout.to_host("/tmp/other.txt"), "/tmp/other.txt") << "falls back to the literal host path";
  EXPECT_EQ(layout.to_host("/work-area/f"), dir.path() + "/f");
  EXPECT_EQ(layout.cwd(), paths.work);

  spec.working_dir = "/no-such-dir-on-this-host/src";
  internal::StepLayout with_wd = internal::StepLayout::direct(spec, paths);
  EXPECT_EQ(with_wd.cwd(), paths.work);
  EXPECT_EQ(with_wd.to_host("/no-such-dir-on-this-host/src/out.txt"), paths.work + "/out.txt");
}

}  // namespace
}  // namespace skiff::runtime
