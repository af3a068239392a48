// Pods on the local runtime with real processes: init containers, sidecars,
// containerSet members with dependencies, shared volumes and readiness.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "base/strings.h"
#include "runtime/runtime.h"
#include "runtime_test_util.h"

namespace skiff::runtime {
namespace {

using testing_util::processes_with;
using testing_util::run_step;
using testing_util::TempDir;
using testing_util::wait_for;

ContainerSpec shell(const std::string& name, const std::string& script) {
  ContainerSpec c;
  c.name = name;
  c.image = "alpine:3.23";
  c.command = {"sh", "-c", script};
  return c;
}

std::map<std::string, int> exits(const Completion& c) {
  std::map<std::string, int> out;
  for (const auto& e : c.containers) out[e.name] = e.exit_code;
  return out;
}

std::vector<std::string> names(const Completion& c) {
  std::vector<std::string> out;
  for (const auto& e : c.containers) out.push_back(e.name);
  return out;
}

// Pods behave the same sandboxed and not; shared volumes at container paths
// need the sandbox, so those tests pass host paths when it is off.
class PodRuntimeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    LocalOptions options;
    options.root = root_.path() + "/run";
    options.self_exe = testing_util::self_exe();
    options.sandbox = GetParam();
    runtime_ = make_local_runtime(options);
    shared_ = root_.path() + "/shared";
    std::filesystem::create_directories(shared_);
  }

  // Where a container sees the shared volume.
  std::string shared_path() const { return GetParam() ? "/shared" : shared_; }
  Mount shared_mount() const { return Mount{shared_, "/shared", false}; }

  StepSpec pod(const std::string& id) const {
    StepSpec spec;
    spec.id = id;
    spec.name = id;
    spec.termination_grace = std::chrono::seconds(2);
    return spec;
  }

  TempDir root_;
  std::string shared_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_P(PodRuntimeTest, ContainerSetRunsMembersInDependencyOrderOnASharedVolume) {
  const std::string log = shared_path() + "/order";
  StepSpec spec = pod("set");
  for (auto [name, deps] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"a", {}}, {"b", {"a"}}, {"c", {"a"}}, {"main", {"b", "c"}}}) {
    ContainerSpec c = shell(name, "echo " + name + " >> " + log + (name == "main" ? "; cat " + log : ""));
    c.dependencies = deps;
    c.mounts = {shared_mount()};
    spec.container_set.push_back(c);
  }
  spec.output_files = {shared_path() + "/order"};
  Completion c = run_step(*runtime_, spec);
  EXPECT_TRUE(c.error.empty()) << c.error;
  EXPECT_EQ(c.exit_code, 0);
  // a first, main last; b and c in between in either order.
  std::vector<std::string> lines = split(c.result, '\n');
  ASSERT_EQ(lines.size(), 4u) << c.result;
  EXPECT_EQ(lines.front(), "a");
  EXPECT_EQ(lines.back(), "main");
  EXPECT_EQ(exits(c), (std::map<std::string, int>{{"a", 0}, {"b", 0}, {"c", 0}, {"main", 0}}));
  EXPECT_EQ(c.files.count(shared_path() + "/order"), 1u);
  // The pod's log is its main containers'.
  auto log_text = runtime_->logs("set");
  ASSERT_TRUE(log_text.is_ok());
  EXPECT_NE(log_text->find("main"), std::string::npos);
  EXPECT_EQ(runtime_->running(), 0u);
}

TEST_P(PodRuntimeTest, AMemberWhoseDependencyFailedDoesNotRunAndExits64) {
  StepSpec spec = pod("failing-set");
  spec.container_set.push_back(shell("fetch", "exit 3"));
  ContainerSpec use = shell("use", "touch " + shared_path() + "/ran");
  use.dependencies = {"fetch"};
  use.mounts = {shared_mount()};
  spec.container_set.push_back(use);
  ContainerSpec after = shell("after", "true");
  after.dependencies = {"use"};
  spec.container_set.push_back(after);
  spec.container_set.push_back(shell("side", "echo independent"));
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(exits(c), (std::map<std::string, int>{{"fetch", 3}, {"use", 64}, {"after", 64}, {"side", 0}}));
  EXPECT_FALSE(std::filesystem::exists(shared_ + "/ran"));
  // Without a member named "main", the pod's exit code is the first failure.
  EXPECT_EQ(c.exit_code, 3);
}

TEST_P(PodRuntimeTest, InitContainersRunInOrderBeforeMain) {
  const std::string log = shared_path() + "/init-order";
  StepSpec spec = pod("init");
  spec.image = "alpine:3.23";
  spec.command = {"sh", "-c", "echo main >> " + log + "; cat " + log};
  spec.mounts = {shared_mount()};
  for (const char* name : {"first", "second"}) {
    ContainerSpec c = shell(name, std::string("sleep 0.2; echo ") + name + " >> " + log);
    c.mounts = {shared_mount()};
    spec.init_containers.push_back(c);
  }
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.result, "first\nsecond\nmain");
  EXPECT_EQ(names(c), (std::vector<std::string>{"first", "second", "main"}));
}

TEST_P(PodRuntimeTest, AFailingInitContainerStopsThePodBeforeMain) {
  StepSpec spec = pod("init-fails");
  spec.image = "alpine:3.23";
  spec.command = {"sh", "-c", "touch " + shared_path() + "/main-ran"};
  spec.mounts = {shared_mount()};
  spec.init_containers.push_back(shell("setup", "exit 2"));
  spec.init_containers.push_back(shell("never", "true"));
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(names(c), (std::vector<std::string>{"setup"}));
  EXPECT_EQ(exits(c)["setup"], 2);
  EXPECT_FALSE(std::filesystem::exists(shared_ + "/main-ran"));
}

TEST_P(PodRuntimeTest, SidecarsStartWithMainAndAreStoppedAfterIt) {
  const std::string marker = "sidecar-marker-" + std::to_string(::getpid()) + (GetParam() ? "-s" : "-d");
  StepSpec spec = pod("with-sidecar");
  spec.image = "alpine:3.23";
  // Main waits until the sidecar has written, so both ran at once.
  spec.command = {"sh", "-c", "while [ ! -f " + shared_path() + "/up ]; do sleep 0.05; done; echo main done"};
  spec.mounts = {shared_mount()};
  ContainerSpec sidecar = shell("helper", "touch " + shared_path() + "/up; sleep 300; echo " + marker);
  sidecar.mounts = {shared_mount()};
  spec.sidecars.push_back(sidecar);
  auto start = std::chrono::steady_clock::now();
  Completion c = run_step(*runtime_, spec);
  EXPECT_EQ(c.result, "main done");
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_FALSE(c.killed);
  // Stopped with SIGTERM: 128 + 15.
  EXPECT_EQ(exits(c)["helper"], 143);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_TRUE(processes_with(marker).empty());
}

TEST_P(PodRuntimeTest, CancellingAPodStopsEveryContainer) {
  const std::string marker = "pod-cancel-marker-" + std::to_string(::getpid()) + (GetParam() ? "-s" : "-d");
  StepSpec spec = pod("cancelled");
  spec.container_set.push_back(shell("one", "sleep 300; echo " + marker));
  spec.container_set.push_back(shell("two", "true"));
  spec.container_set.back().dependencies = {"one"};
  ASSERT_TRUE(runtime_->launch(spec).is_ok());
  for (int i = 0; i < 200 && processes_with(marker).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  runtime_->cancel("cancelled");
  Completion c = wait_for(*runtime_, "cancelled");
  EXPECT_TRUE(c.killed);
  EXPECT_EQ(names(c), (std::vector<std::string>{"one"}));
  EXPECT_TRUE(processes_with(marker).empty());
}

TEST_P(PodRuntimeTest, ReadinessIsReportedOnceTheExecProbePasses) {
  StepSpec spec = pod("daemon");
  spec.image = "alpine:3.23";
  spec.command = {"sh", "-c", "sleep 0.3; touch " + shared_path() + "/ready; exec sleep 300"};
  spec.mounts = {shared_mount()};
  Probe probe;
  probe.exec = {"test", "-f", shared_path() + "/ready"};
  probe.period = std::chrono::milliseconds(100);
  spec.readiness = probe;
  ASSERT_TRUE(runtime_->launch(spec).is_ok());
  std::vector<std::string> ready;
  auto deadline = now_from(Clock::now()) + std::chrono::seconds(20);
  while (ready.empty() && now_from(Clock::now()) < deadline) {
    auto done = runtime_->wait(deadline);
    EXPECT_TRUE(done.empty());
    ready = runtime_->take_ready();
  }
  EXPECT_EQ(ready, std::vector<std::string>{"daemon"});
  EXPECT_TRUE(std::filesystem::exists(shared_ + "/ready"));
  runtime_->cancel("daemon");
  Completion c = wait_for(*runtime_, "daemon");
  EXPECT_TRUE(c.killed);
  EXPECT_TRUE(runtime_->take_ready().empty());
}

TEST_P(PodRuntimeTest, AnExecProbeRunsWhereTheContainerRuns) {
  // The ready mark is in the container's private /tmp, which only a probe
  // inside its sandbox can see.
  StepSpec spec = pod("private");
  spec.image = "alpine:3.23";
  spec.command = {"sh", "-c", "sleep 0.3; touch \"${TMPDIR:-/tmp}/ready-mark\"; exec sleep 300"};
  Probe probe;
  probe.exec = {"sh", "-c", "test -f \"${TMPDIR:-/tmp}/ready-mark\""};
  probe.period = std::chrono::milliseconds(100);
  spec.readiness = probe;
  ASSERT_TRUE(runtime_->launch(spec).is_ok());
  std::vector<std::string> ready;
  auto deadline = now_from(Clock::now()) + std::chrono::seconds(20);
  while (ready.empty() && now_from(Clock::now()) < deadline) {
    runtime_->wait(deadline);
    ready = runtime_->take_ready();
  }
  EXPECT_EQ(ready, std::vector<std::string>{"private"});
  runtime_->cancel("private");
  Completion c = wait_for(*runtime_, "private");
  EXPECT_TRUE(c.killed);
}

TEST_P(PodRuntimeTest, TcpReadinessWaitsForTheListener) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  StepSpec spec = pod("tcp");
  spec.image = "alpine:3.23";
  spec.command = {"sh", "-c", "exec sleep 300"};
  Probe probe;
  probe.port = port;
  probe.period = std::chrono::milliseconds(100);
  spec.readiness = probe;
  ASSERT_TRUE(runtime_->launch(spec).is_ok());
  // Bound but not listening: connections are refused, so not ready.
  runtime_->wait(now_from(Clock::now()) + std::chrono::milliseconds(400));
  EXPECT_TRUE(runtime_->take_ready().empty());
  ASSERT_EQ(::listen(listener, 4), 0);
  std::vector<std::string> ready;
  auto deadline = now_from(Clock::now()) + std::chrono::seconds(20);
  while (ready.empty() && now_from(Clock::now()) < deadline) {
    runtime_->wait(deadline);
    ready = runtime_->take_ready();
  }
  EXPECT_EQ(ready, std::vector<std::string>{"tcp"});
  runtime_->cancel("tcp");
  wait_for(*runtime_, "tcp");
  ::close(listener);
}

TEST_P(PodRuntimeTest, AMemberThatCannotStartErrorsThePod) {
  StepSpec spec = pod("bad-member");
  spec.container_set.push_back(shell("ok", "true"));
  ContainerSpec missing;
  missing.name = "missing";
  missing.image = "alpine:3.23";
  missing.command = {"no-such-program-anywhere"};
  missing.dependencies = {"ok"};
  spec.container_set.push_back(missing);
  Completion c = run_step(*runtime_, spec);
  EXPECT_NE(c.error.find("no-such-program-anywhere"), std::string::npos) << c.error;
}

// Runs the pod to its end, collecting the container starts and ends the
// runtime reported on the way.
std::vector<std::string> run_collecting_changes(Runtime& runtime, const StepSpec& spec, Completion* out) {
  std::vector<std::string> changes;
  EXPECT_TRUE(runtime.launch(spec).is_ok());
  auto deadline = now_from(Clock::now()) + std::chrono::seconds(30);
  for (bool done = false; !done && now_from(Clock::now()) < deadline;) {
    for (auto& c : runtime.wait(deadline)) {
      if (c.id == spec.id) {
        *out = std::move(c);
        done = true;
      }
    }
    for (const auto& change : runtime.take_container_changes()) {
      EXPECT_EQ(change.pod_id, spec.id);
      changes.push_back(change.name + (change.finished ? " ended " + std::to_string(change.exit_code) : " started"));
    }
  }
  return changes;
}

TEST_P(PodRuntimeTest, ContainerSetMembersAreReportedAsTheyStartAndEnd) {
  StepSpec spec = pod("reported");
  spec.container_set.push_back(shell("first", "sleep 0.2"));
  ContainerSpec second = shell("second", "exit 2");
  second.dependencies = {"first"};
  spec.container_set.push_back(second);
  ContainerSpec third = shell("third", "true");
  third.dependencies = {"second"};
  spec.container_set.push_back(third);
  Completion c;
  auto changes = run_collecting_changes(*runtime_, spec, &c);
  EXPECT_EQ(changes, (std::vector<std::string>{"first started", "first ended 0", "second started", "second ended 2",
                                               "third ended 64"}));
  EXPECT_EQ(exits(c), (std::map<std::string, int>{{"first", 0}, {"second", 2}, {"third", 64}}));
}

TEST_P(PodRuntimeTest, ContainerSetRetryStrategyRunsAFailedMemberAgainInPlace) {
  // Fails twice, then succeeds: the count lives on the shared volume.
  const std::string count = shared_path() + "/count";
  const std::string script = "n=$(cat " + count + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + count +
                             "; echo run $n; [ $n -ge 3 ]";
  StepSpec spec = pod("retried");
  ContainerSpec main = shell("main", script);
  main.mounts = {shared_mount()};
  spec.container_set.push_back(main);
  spec.container_set_retries = 2;
  spec.container_set_retry_delay = std::chrono::milliseconds(100);
  Completion c;
  auto changes = run_collecting_changes(*runtime_, spec, &c);
  EXPECT_EQ(c.exit_code, 0) << c.error;
  EXPECT_EQ(exits(c), (std::map<std::string, int>{{"main", 0}}));
  // One start and one end however many times it ran.
  EXPECT_EQ(changes, (std::vector<std::string>{"main started", "main ended 0"}));
  std::string text;
  ASSERT_TRUE(read_file(shared_ + "/count", &text));
  EXPECT_EQ(text, "3\n");
  // Its log holds every run.
  auto log_text = runtime_->logs("retried");
  ASSERT_TRUE(log_text.is_ok());
  EXPECT_NE(log_text->find("run 1"), std::string::npos) << *log_text;
  EXPECT_NE(log_text->find("run 3"), std::string::npos) << *log_text;
}

TEST_P(PodRuntimeTest, ContainerSetRetriesRunOut) {
  StepSpec spec = pod("exhausted");
  spec.container_set.push_back(shell("main", "echo attempt; exit 5"));
  spec.container_set_retries = 1;
  Completion c;
  auto changes = run_collecting_changes(*runtime_, spec, &c);
  EXPECT_EQ(c.exit_code, 5);
  EXPECT_EQ(changes, (std::vector<std::string>{"main started", "main ended 5"}));
  auto log_text = runtime_->logs("exhausted");
  ASSERT_TRUE(log_text.is_ok());
  EXPECT_EQ(split(trim_one_trailing_newline(*log_text), '\n').size(), 2u) << *log_text;
}

INSTANTIATE_TEST_SUITE_P(Sandbox, PodRuntimeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "sandboxed" : "direct";
                         });

}  // namespace
}  // namespace skiff::runtime
