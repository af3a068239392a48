// Daemons with a network of their own: two real servers on one port, each
// reached at its own pod IP by a step on the host's network, and readiness
// probes (HTTP, TCP, exec) that reach them the same way.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "runtime/pod_network.h"
#include "runtime/runtime.h"
#include "runtime_test_util.h"

namespace skiff::runtime {
namespace {

using testing_util::run_step;
using testing_util::shell_step;
using testing_util::TempDir;
using testing_util::wait_for;

// A port free on the host's loopback now (inside a pod every port is free).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Serves `name` as the body of every HTTP GET on `port`, listening on all
// addresses as a container's server does.
StepSpec http_daemon(const std::string& id, int port, const std::string& name) {
  StepSpec spec;
  spec.id = id;
  spec.name = id;
  spec.image = "python:3";
  spec.command = {"python3", "-c",
                  "import http.server, sys\n"
                  "class H(http.server.BaseHTTPRequestHandler):\n"
                  "    def do_GET(self):\n"
                  "        body = sys.argv[2].encode()\n"
                  "        self.send_response(200)\n"
                  "        self.send_header('Content-Length', str(len(body)))\n"
                  "        self.end_headers()\n"
                  "        self.wfile.write(body)\n"
                  "    def log_message(self, *args):\n"
                  "        pass\n"
                  "http.server.HTTPServer(('0.0.0.0', int(sys.argv[1])), H).serve_forever()\n",
                  std::to_string(port), name};
  spec.own_network = true;
  spec.termination_grace = std::chrono::seconds(2);
  return spec;
}

// Fetches http://<ip>:<port>/ for every ip given, trying again while the
// forwarder has not yet seen a fresh listener; prints the bodies.
StepSpec http_client(const std::string& id, int port, const std::vector<std::string>& ips) {
  StepSpec spec;
  spec.id = id;
  spec.name = id;
  spec.image = "python:3";
  spec.command = {"python3", "-c",
                  "import sys, time, urllib.request\n"
                  "out = []\n"
                  "for ip in sys.argv[2:]:\n"
                  "    for attempt in range(100):\n"
                  "        try:\n"
                  "            out.append(urllib.request.urlopen('http://%s:%s/' % (ip, sys.argv[1]), timeout=10)"
                  ".read().decode())\n"
                  "            break\n"
                  "        except OSError:\n"
                  "            time.sleep(0.1)\n"
                  "print(' '.join(out))\n",
                  std::to_string(port)};
  spec.command.insert(spec.command.end(), ips.begin(), ips.end());
  return spec;
}

class PodNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalOptions options;
    options.root = root_.path() + "/run";
    options.self_exe = testing_util::self_exe();
    runtime_ = make_local_runtime(options);
  }

  // Waits until every id in `ids` was reported ready.
  void wait_ready(std::set<std::string> ids) {
    auto deadline = now_from(Clock::now()) + std::chrono::seconds(60);
    while (!ids.empty() && now_from(Clock::now()) < deadline) {
      for (auto& c : runtime_->wait(deadline)) ADD_FAILURE() << c.id << " ended: " << runtime_->logs(c.id).value();
      for (const auto& id : runtime_->take_ready()) ids.erase(id);
    }
    EXPECT_TRUE(ids.empty()) << "never ready: " << *ids.begin();
  }

  // The sandbox can give steps a network of their own here.
  bool own_networks() {
    StepSpec probe = shell_step("netns-check", "exec sleep 30");
    probe.own_network = true;
    if (!runtime_->launch(probe).is_ok()) return false;
    bool own = runtime_->pod_ip("netns-check") != "127.0.0.1";
    runtime_->cancel("netns-check");
    wait_for(*runtime_, "netns-check");
    return own;
  }

  TempDir root_;
  std::unique_ptr<Runtime> runtime_;
};

TEST(ListeningSocketsTest, ParsesListenersOfBothTables) {
  const std::string tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000:270F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
      "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
      "   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1\n";
  auto v4 = internal::parse_listening(tcp, 4);
  ASSERT_EQ(v4.size(), 2u);  // the established connection is not a listener
  EXPECT_EQ(v4[0].port, 9999);
  EXPECT_TRUE(v4[0].wildcard());
  EXPECT_EQ(v4[1].port, 8080);
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, v4[1].address, text, sizeof text);
  EXPECT_STREQ(text, "127.0.0.1");

  const std::string tcp6 =
      "  sl  local_address                         remote_address                        st\n"
      "   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 0\n";
  auto v6 = internal::parse_listening(tcp6, 6);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].port, 80);
  EXPECT_FALSE(v6[0].wildcard());
  EXPECT_EQ(v6[0].address[15], 1);  // ::1
}

TEST(ListeningSocketsTest, APodIpIsALoopbackAddressNotTaken) {
  std::string first = internal::choose_pod_ip({});
  ASSERT_EQ(first.rfind("127.10.", 0), 0u) << first;
  std::string second = internal::choose_pod_ip({first});
  EXPECT_NE(second, first);
  EXPECT_EQ(second.rfind("127.10.", 0), 0u) << second;
}

TEST_F(PodNetworkTest, TwoDaemonsOnOnePortAnswerEachAtItsOwnAddress) {
  if (!own_networks()) GTEST_SKIP() << "no network namespaces for steps on this machine";
  const int port = free_port();
  // Ready when an HTTP GET through the pod IP answers 200.
  Probe http;
  http.port = port;
  http.http = true;
  http.http_path = "/";
  http.period = std::chrono::milliseconds(100);
  StepSpec blue = http_daemon("blue", port, "blue");
  blue.readiness = http;
  // Ready when the probe, run in the pod's own network, sees the server
  // listen on every address there (/proc/net is the reader's network; on
  // the host's only the pod IP listens).
  char listening[64];
  std::snprintf(listening, sizeof listening, "00000000:%04X 00000000:0000 0A", port);
  Probe exec;
  exec.exec = {"grep", "-q", listening, "/proc/net/tcp"};
  exec.period = std::chrono::milliseconds(100);
  StepSpec green = http_daemon("green", port, "green");
  green.readiness = exec;
  ASSERT_TRUE(runtime_->launch(blue).is_ok());
  ASSERT_TRUE(runtime_->launch(green).is_ok());
  wait_ready({"blue", "green"});

  const std::string blue_ip = runtime_->pod_ip("blue");
  const std::string green_ip = runtime_->pod_ip("green");
  EXPECT_EQ(blue_ip.rfind("127.10.", 0), 0u) << blue_ip;
  EXPECT_EQ(green_ip.rfind("127.10.", 0), 0u) << green_ip;
  EXPECT_NE(blue_ip, green_ip);

  // A step on the host's network reaches each by its address.
  Completion client = run_step(*runtime_, http_client("client", port, {green_ip, blue_ip, green_ip}));
  EXPECT_EQ(client.exit_code, 0) << runtime_->logs("client").value();
  EXPECT_EQ(client.result, "green blue green");

  for (const char* id : {"blue", "green"}) {
    runtime_->cancel(id);
    wait_for(*runtime_, id);
    EXPECT_EQ(runtime_->pod_ip(id), "");
  }
}

TEST_F(PodNetworkTest, ATcpProbeWaitsForTheListenerInsideThePod) {
  if (!own_networks()) GTEST_SKIP() << "no network namespaces for steps on this machine";
  // Something listens on the host's loopback at the pod's port: the pod
  // must not be ready because of it.
  int host_listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(host_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(host_listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(host_listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  // The server starts listening only once told to, through a file.
  const std::string signal = root_.path() + "/signal";
  std::filesystem::create_directories(signal);
  StepSpec late = http_daemon("late", port, "late");
  late.command = {"sh", "-c", "while [ ! -e /signal/go ]; do sleep 0.05; done; exec python3 -c \"$0\" \"$@\"",
                  late.command[2], std::to_string(port), "late"};
  late.mounts = {Mount{signal, "/signal", false}};
  Probe tcp;
  tcp.port = port;
  tcp.period = std::chrono::milliseconds(100);
  late.readiness = tcp;
  ASSERT_TRUE(runtime_->launch(late).is_ok());
  runtime_->wait(now_from(Clock::now()) + std::chrono::milliseconds(800));
  EXPECT_TRUE(runtime_->take_ready().empty());
  std::ofstream(signal + "/go") << "go";
  wait_ready({"late"});
  Completion client = run_step(*runtime_, http_client("client", port, {runtime_->pod_ip("late")}));
  EXPECT_EQ(client.result, "late") << runtime_->logs("client").value();
  runtime_->cancel("late");
  wait_for(*runtime_, "late");
  ::close(host_listener);
}

TEST(PodNetworkWithoutSandboxTest, ADaemonSharesTheHostsNetwork) {
  TempDir root;
  LocalOptions options;
  options.root = root.path() + "/run";
  options.self_exe = testing_util::self_exe();
  options.sandbox = false;
  auto runtime = make_local_runtime(options);
  StepSpec spec = shell_step("daemon", "exec sleep 30");
  spec.own_network = true;
  ASSERT_TRUE(runtime->launch(spec).is_ok());
  EXPECT_EQ(runtime->pod_ip("daemon"), "127.0.0.1");
  runtime->cancel("daemon");
  wait_for(*runtime, "daemon");
}

}  // namespace
}  // namespace skiff::runtime
