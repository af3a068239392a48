// Kills `skiff server` with SIGKILL again and again while a batch of
// workflows runs, restarting it each time, and checks every result: each
// workflow finishes Succeeded with every step once in its tree, and values
// passed from step to step arrive intact. Bounded to about a minute.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>

#include "server_test_util.h"

extern char** environ;

namespace skiff::server::testing {
namespace {

// `skiff server --port 0` as a child process; its port read from stderr.
class ServerProcess {
 public:
  ServerProcess(const std::string& home, const std::string& log_path) {
    std::vector<std::string> argv = {SKIFF_BINARY, "server", "--port", "0"};
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
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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

Json chained_workflow(const std::string& name) {
  // a makes a random token, b and c pass it on; a rerun of a completed step
  // would show as a token that does not match its successor's input.
  return Json::parse(R"({"metadata": {"name": ")" + name + R"("},
    "spec": {"entrypoint": "main", "templates": [
      {"name": "main", "steps": [
        [{"name": "a", "template": "make"}],
        [{"name": "b", "template": "pass", "arguments": {"parameters": [{"name": "in", "value": "{{steps.a.outputs.result}}"}]}}],
        [{"name": "c", "template": "pass", "arguments": {"parameters": [{"name": "in", "value": "{{steps.b.outputs.result}}"}]}}]]},
      {"name": "make", "script": {"image": "alpine", "command": ["sh"],
        "source": "sleep 0.5; od -An -N8 -tx8 /dev/urandom | tr -d ' '"}},
      {"name": "pass", "inputs": {"parameters": [{"name": "in"}]},
       "script": {"image": "alpine", "command": ["sh"], "source": "sleep 0.5; echo {{inputs.parameters.in}}"}}]}})");
}

class ChaosTest : public ServerFixture {};

TEST_F(ChaosTest, KillNineDuringABatchLosesNothing) {
  const int kWorkflows = 16;
  const auto budget = std::chrono::seconds(50);
  const auto started = std::chrono::steady_clock::now();
  std::mt19937 rng(12345);
  std::string log = (home_ / "server.log").string();
  // Few at a time, so the batch is still under way when the kills come (and
  // the limit itself must survive restarts).
  std::ofstream(home_ / "config.yaml") << "parallelism: 3\n";

  auto server = std::make_unique<ServerProcess>(home_.string(), log);
  ASSERT_GT(server->port(), 0) << "the server did not start";
  auto http = [&](int port) {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_read_timeout(30, 0);
    c->set_connection_timeout(5, 0);
    return c;
  };
  for (int i = 0; i < kWorkflows; ++i) {
    auto c = http(server->port());
    auto r = c->Post("/api/v1/workflows/chaos",
                     Json{{"workflow", chained_workflow("wf-" + std::to_string(i))}}.dump(), "application/json");
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
    server = std::make_unique<ServerProcess>(home_.string(), log);
    ASSERT_GT(server->port(), 0) << "the server did not restart after kill " << kills;
  }
  while (done < kWorkflows && std::chrono::steady_clock::now() - started < budget) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    count_done();
  }
  EXPECT_EQ(kills, kKills) << "the batch finished before the server was killed enough to mean anything";
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
  }
}

}  // namespace
}  // namespace skiff::server::testing
