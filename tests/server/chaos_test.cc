// Kills `skiff server` with SIGKILL again and again while a batch of
// workflows runs, restarting it each time, and checks every result: each
// workflow finishes Succeeded with every step once in its tree, values
// passed from step to step arrive intact, every step ran exactly once (the
// steps outlive the server and the next one takes them over) and every
// line each step logged is there. Bounded to about a minute; run sandboxed
// and without the sandbox. Focused tests kill the server in the middle of
// one step.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <sstream>

#include "../runtime/runtime_test_util.h"
#include "server_test_util.h"

extern char** environ;

namespace skiff::server::testing {
namespace {

// `skiff server --port 0` as a child process; its port read from stderr.
class ServerProcess {
 public:
  ServerProcess(const std::string& home, const std::string& log_path, bool sandbox = true) {
    std::vector<std::string> argv = {SKIFF_BINARY, "server", "--port", "0"};
    if (!sandbox) argv.push_back("--no-sandbox");
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      if (std::string(*e).rfind("SKIFF_HOME=", 0) != 0) env_strings.emplace_back(*e);
    }
    env_strings.push_back("SKIFF_HOME=" + home);
    std::vector<char*> args, env;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    // Appended to: the log of every server of a test is kept.
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    size_t skip = 0;
    {
      std::string before;
      read_file(log_path, &before);
      skip = before.size();
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, log, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(log);
    // The server names its port once it listens.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+) ");
    while (pid_ > 0 && port_ == 0 && std::chrono::steady_clock::now() < deadline) {
      std::string text;
      read_file(log_path, &text);
      text = text.substr(std::min(skip, text.size()));
      std::smatch m;
      if (std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
      else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~ServerProcess() { kill(SIGKILL); }

  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  static void read_file(const std::string& path, std::string* out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
    ::close(fd);
  }
  pid_t pid_ = -1;
  int port_ = 0;
};

// Every step appends a line to <count dir>/<workflow>-<step> (a hostPath
// the test reads, mounted at its own path so that steps find it there with
// the sandbox and without), so that a step run twice shows; and logs a line
// before and after its nap, so that a log written while no server ran
// shows too.
Json counting_volume(const std::string& count_dir) {
  return Json::array({{{"name", "count"}, {"hostPath", {{"path", count_dir}, {"type", "DirectoryOrCreate"}}}}});
}
Json count_mount(const std::string& count_dir) {
  return Json::array({{{"name", "count"}, {"mountPath", count_dir}}});
}
std::string with_count_dir(std::string text, const std::string& count_dir) {
  for (size_t at = 0; (at = text.find("/count/", at)) != std::string::npos; at += count_dir.size()) {
    text.replace(at, 6, count_dir);
  }
  return text;
}

Json chained_workflow(const std::string& name, const std::string& count_dir) {
  // a makes a random token, b and c pass it on; a rerun of a completed step
  // would show as a token that does not match its successor's input.
  Json wf = Json::parse(with_count_dir(R"({"metadata": {"name": ")" + name + R"("},
    "spec": {"entrypoint": "main", "templates": [
      {"name": "main", "steps": [
        [{"name": "a", "template": "make"}],
        [{"name": "b", "template": "pass", "arguments": {"parameters": [{"name": "in", "value": "{{steps.a.outputs.result}}"}, {"name": "who", "value": "b"}]}}],
        [{"name": "c", "template": "pass", "arguments": {"parameters": [{"name": "in", "value": "{{steps.b.outputs.result}}"}, {"name": "who", "value": "c"}]}}]]},
      {"name": "make", "script": {"image": "alpine", "command": ["sh"],
        "source": "echo run >> /count/{{workflow.name}}-a; echo started-a >&2; sleep 0.7; echo finished-a >&2; od -An -N8 -tx8 /dev/urandom | tr -d ' '"}},
      {"name": "pass", "inputs": {"parameters": [{"name": "in"}, {"name": "who"}]},
       "script": {"image": "alpine", "command": ["sh"],
        "source": "echo run >> /count/{{workflow.name}}-{{inputs.parameters.who}}; echo started-{{inputs.parameters.who}} >&2; sleep 0.7; echo finished-{{inputs.parameters.who}} >&2; echo {{inputs.parameters.in}}"}}]}})", count_dir));
  wf["spec"]["volumes"] = counting_volume(count_dir);
  for (auto& tmpl : wf["spec"]["templates"]) {
    if (tmpl.contains("script")) tmpl["script"]["volumeMounts"] = count_mount(count_dir);
  }
  return wf;
}

// How many lines the file has (0 when it does not exist).
int lines_in(const std::filesystem::path& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// The content of every line of the workflow's log, as the API streams it.
std::vector<std::string> log_lines(httplib::Client& c, const std::string& name) {
  std::vector<std::string> lines;
  auto r = c.Get("/api/v1/workflows/chaos/" + name + "/log?logOptions.container=main");
  if (!r || r->status != 200) return lines;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("result")) lines.push_back(j["result"].value("content", ""));
  }
  return lines;
}

using skiff::runtime::testing_util::processes_with;

class ChaosTest : public ServerFixture, public ::testing::WithParamInterface<bool> {
 protected:
  bool sandbox() const { return GetParam(); }
  std::unique_ptr<ServerProcess> start_server() {
    return std::make_unique<ServerProcess>(home_.string(), (home_ / "server.log").string(), sandbox());
  }
  static std::unique_ptr<httplib::Client> http(int port) {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_read_timeout(30, 0);
    c->set_connection_timeout(5, 0);
    return c;
  }
  Json get(int port, const std::string& name) {
    auto r = http(port)->Get("/api/v1/workflows/chaos/" + name);
    if (!r || r->status != 200) return Json();
    return Json::parse(r->body, nullptr, false);
  }
  Json wait_until(int port, const std::string& name, const std::function<bool(const Json&)>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    Json last;
    while (std::chrono::steady_clock::now() < deadline) {
      last = get(port, name);
      if (!last.is_null() && done(last)) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << name << " did not get there; last: " << last.dump();
    return last;
  }
  static bool completed(const Json& wf) {
    std::string phase = wf["status"].value("phase", "");
    return phase == "Succeeded" || phase == "Failed" || phase == "Error";
  }
  static Json pod_node(const Json& wf) {
    for (auto& [id, node] : wf["status"]["nodes"].items()) {
      if (node["type"] == "Pod") return node;
    }
    return Json();
  }
};

TEST_P(ChaosTest, KillNineDuringABatchLosesNothing) {
  const int kWorkflows = 16;
  const auto budget = std::chrono::seconds(50);
  const auto started = std::chrono::steady_clock::now();
  std::mt19937 rng(12345);
  const std::filesystem::path count_dir = home_ / "count";
  // Few at a time, so the batch is still under way when the kills come (and
  // the limit itself must survive restarts).
  std::ofstream(home_ / "config.yaml") << "parallelism: 3\n";

  auto server = start_server();
  ASSERT_GT(server->port(), 0) << "the server did not start";
  for (int i = 0; i < kWorkflows; ++i) {
    auto c = http(server->port());
    auto r = c->Post("/api/v1/workflows/chaos",
                     Json{{"workflow", chained_workflow("wf-" + std::to_string(i), count_dir.string())}}.dump(),
                     "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }

  // Kill while the batch is under way, then let it finish.
  const int kKills = 6;
  int kills = 0;
  int done = 0;
  int done_at_last_kill = 0;
  auto count_done = [&] {
    auto c = http(server->port());
    auto r = c->Get("/api/v1/workflows/chaos?listOptions.labelSelector=workflows.argoproj.io/completed%3Dtrue"
                    "&fields=items.metadata.name");
    if (r && r->status == 200) done = static_cast<int>(Json::parse(r->body)["items"].size());
  };
  while (kills < kKills && std::chrono::steady_clock::now() - started < budget) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1200)(rng)));
    count_done();
    if (done == kWorkflows) break;
    server->kill(SIGKILL);
    ++kills;
    done_at_last_kill = done;
    server = start_server();
    ASSERT_GT(server->port(), 0) << "the server did not restart after kill " << kills;
  }
  while (done < kWorkflows && std::chrono::steady_clock::now() - started < budget) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    count_done();
  }
  EXPECT_EQ(kills, kKills) << "the batch finished before the server was killed enough to mean anything";
  {
    std::string log;
    std::ifstream in(home_ / "server.log");
    log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::regex took_over("took over ([0-9]+) steps");
    int adopted = 0;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), took_over); it != std::sregex_iterator(); ++it) {
      adopted += std::stoi((*it)[1]);
    }
    EXPECT_GT(adopted, 0) << "no kill came while a step ran: " << log;
  }
  EXPECT_LT(done_at_last_kill, kWorkflows);
  ASSERT_EQ(done, kWorkflows) << "not every workflow finished within the budget after " << kills << " kills";

  for (int i = 0; i < kWorkflows; ++i) {
    std::string name = "wf-" + std::to_string(i);
    auto c = http(server->port());
    auto r = c->Get("/api/v1/workflows/chaos/" + name);
    ASSERT_TRUE(r);
    Json wf = Json::parse(r->body);
    EXPECT_EQ(wf["status"]["phase"], "Succeeded") << name << ": " << wf["status"].dump();
    std::map<std::string, Json> pods;
    for (auto& [id, node] : wf["status"]["nodes"].items()) {
      if (node["type"] == "Pod") pods[node["displayName"]] = node;
    }
    ASSERT_EQ(pods.size(), 3u) << name;
    std::string token = pods["a"]["outputs"].value("result", "");
    EXPECT_EQ(token.size(), 16u) << name;
    EXPECT_EQ(pods["b"]["inputs"]["parameters"][0]["value"], token) << name;
    EXPECT_EQ(pods["b"]["outputs"].value("result", ""), token) << name;
    EXPECT_EQ(pods["c"]["outputs"].value("result", ""), token) << name;
    for (auto& [display, node] : pods) EXPECT_EQ(node["phase"], "Succeeded") << name << " " << display;
    auto c2 = http(server->port());
    std::vector<std::string> lines = log_lines(*c2, name);
    for (const std::string step : {"a", "b", "c"}) {
      EXPECT_EQ(lines_in(count_dir / (name + "-" + step)), 1) << name << " step " << step << " ran once";
      for (const std::string mark : {"started-", "finished-"}) {
        EXPECT_EQ(std::count(lines.begin(), lines.end(), mark + step), 1)
            << name << ": the log has " << mark << step << " once";
      }
    }
  }
}

// A step in the middle of its nap when the server is killed goes on, and
// the next server collects its output; it was started once.
TEST_P(ChaosTest, AStepRunningWhenTheServerIsKilledIsCollectedAfterTheRestart) {
  const std::filesystem::path count_dir = home_ / "count";
  Json wf = Json::parse(with_count_dir(R"({"metadata": {"name": "nap"},
    "spec": {"entrypoint": "main", "templates": [
      {"name": "main", "container": {"image": "alpine", "command": ["sh", "-c"],
        "args": ["echo run >> /count/nap; echo before-the-nap >&2; sleep 3; echo after-the-nap >&2; echo the-output"]}}]}})",
                                       count_dir.string()));
  wf["spec"]["volumes"] = counting_volume(count_dir.string());
  wf["spec"]["templates"][0]["container"]["volumeMounts"] = count_mount(count_dir.string());
  auto server = start_server();
  ASSERT_GT(server->port(), 0);
  auto r = http(server->port())->Post("/api/v1/workflows/chaos", Json{{"workflow", wf}}.dump(), "application/json");
  ASSERT_TRUE(r && r->status == 200);
  wait_until(server->port(), "nap", [&](const Json&) { return lines_in(count_dir / "nap") == 1; });
  server->kill(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(processes_with("before-the-nap").empty()) << "the step outlived the server";

  server = start_server();
  ASSERT_GT(server->port(), 0);
  Json done = wait_until(server->port(), "nap", completed);
  EXPECT_EQ(done["status"]["phase"], "Succeeded") << done.dump();
  EXPECT_EQ(pod_node(done)["outputs"].value("result", ""), "the-output") << done.dump();
  EXPECT_EQ(lines_in(count_dir / "nap"), 1) << "started exactly once";
  auto c = http(server->port());
  std::vector<std::string> lines = log_lines(*c, "nap");
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "before-the-nap"), 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "after-the-nap"), 1) << "logged while no server ran";
}

// A step that is gone when the server comes back, without having recorded
// its end (the machine went down with it), ends in Error "pod deleted", as
// Argo reports a pod that disappeared; retryPolicy OnError runs it again.
TEST_P(ChaosTest, AStepLostWithTheServerIsAnErrorThatRetryStrategyRetries) {
  const std::filesystem::path count_dir = home_ / "count";
  // Steps are found by their command line, across the whole machine: the
  // two variants of this test, which ctest may run at once, nap for
  // different times so neither kills the other's steps.
  const std::string nap = sandbox() ? "sleep 41.5" : "sleep 42.5";
  auto workflow = [&](const std::string& name, bool retry) {
    Json wf = Json::parse(with_count_dir(R"({"metadata": {"name": ")" + name + R"("},
      "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "container": {"image": "alpine", "command": ["sh", "-c"],
          "args": ["n=$(cat /count/)" + name + R"( 2>/dev/null | wc -l); echo run >> /count/)" + name +
                          R"(; if [ $n = 0 ]; then exec )" + nap + R"(; fi; echo second-run"]}}]}})",
                                         count_dir.string()));
    wf["spec"]["volumes"] = counting_volume(count_dir.string());
    wf["spec"]["templates"][0]["container"]["volumeMounts"] = count_mount(count_dir.string());
    if (retry) wf["spec"]["templates"][0]["retryStrategy"] = {{"limit", 1}, {"retryPolicy", "OnError"}};
    return wf;
  };
  auto server = start_server();
  ASSERT_GT(server->port(), 0);
  for (auto [name, retry] : {std::pair{"lost", false}, std::pair{"lost-retried", true}}) {
    auto r = http(server->port())->Post("/api/v1/workflows/chaos", Json{{"workflow", workflow(name, retry)}}.dump(),
                                        "application/json");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  }
  for (const char* name : {"lost", "lost-retried"}) {
    wait_until(server->port(), name, [&](const Json&) { return lines_in(count_dir / name) == 1; });
  }
  server->kill(SIGKILL);
  // What a reboot would do to the steps: nothing of them is left. All are
  // stopped before any is killed, so no guard sees its child end and records
  // it, which a reboot would not allow either.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<pid_t> left;
  while (!(left = processes_with(nap)).empty() && std::chrono::steady_clock::now() < deadline) {
    for (pid_t pid : left) ::kill(pid, SIGSTOP);
    for (pid_t pid : left) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(left.empty());

  server = start_server();
  ASSERT_GT(server->port(), 0);
  Json lost = wait_until(server->port(), "lost", completed);
  EXPECT_EQ(lost["status"]["phase"], "Error") << lost.dump();
  EXPECT_EQ(pod_node(lost)["phase"], "Error") << lost.dump();
  EXPECT_EQ(pod_node(lost).value("message", ""), "pod deleted") << lost.dump();
  EXPECT_EQ(lines_in(count_dir / "lost"), 1) << "not run again without a retryStrategy";

  Json retried = wait_until(server->port(), "lost-retried", completed);
  EXPECT_EQ(retried["status"]["phase"], "Succeeded") << retried.dump();
  EXPECT_EQ(lines_in(count_dir / "lost-retried"), 2) << "run again by its retryStrategy";
}

// Terminate and activeDeadlineSeconds reach a step the server took over.
TEST_P(ChaosTest, TakenOverStepsObeyTerminateAndTheirDeadline) {
  // Each variant naps for its own times: steps are found by their command
  // line across the machine, and ctest may run both variants at once.
  const std::string nap = sandbox() ? "sleep 43." : "sleep 44.";
  const std::vector<std::string> markers = {nap + "0", nap + "6"};
  auto napping = [&](const std::string& name, int deadline) {
    Json wf = Json::parse(R"({"metadata": {"name": ")" + name + R"("},
      "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "container": {"image": "alpine", "command": ["sh", "-c", "exec )" + nap +
                          std::to_string(deadline) + R"("]}}]}})");
    if (deadline > 0) wf["spec"]["activeDeadlineSeconds"] = deadline;
    return wf;
  };
  auto server = start_server();
  ASSERT_GT(server->port(), 0);
  for (auto [name, deadline] : {std::pair{"to-terminate", 0}, std::pair{"with-deadline", 6}}) {
    auto r = http(server->port())->Post("/api/v1/workflows/chaos", Json{{"workflow", napping(name, deadline)}}.dump(),
                                        "application/json");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  }
  for (const std::string& marker : markers) {
    wait_until(server->port(), "to-terminate", [&](const Json&) { return !processes_with(marker).empty(); });
  }
  server->kill(SIGKILL);
  server = start_server();
  ASSERT_GT(server->port(), 0);
  auto r = http(server->port())->Put("/api/v1/workflows/chaos/to-terminate/terminate", "{}", "application/json");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");

  Json terminated = wait_until(server->port(), "to-terminate", completed);
  EXPECT_EQ(terminated["status"]["phase"], "Failed") << terminated.dump();
  Json expired = wait_until(server->port(), "with-deadline", completed);
  EXPECT_EQ(expired["status"]["phase"], "Failed") << expired.dump();
  EXPECT_NE(expired["status"].value("message", "").find("deadline"), std::string::npos) << expired.dump();
  for (const std::string& marker : markers) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!processes_with(marker).empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(processes_with(marker).empty()) << marker << " was stopped";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, ChaosTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Sandboxed" : "NoSandbox"; });

}  // namespace
}  // namespace skiff::server::testing
