// A real `skiff server` on 127.0.0.1 with a free port and a temp home, and
// a small JSON client for it.
#pragma once

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/server.h"

namespace skiff::server::testing {

using Json = nlohmann::json;

struct Reply {
  int status = 0;
  Json body;
  std::string text;
};

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() /
            ("skiff-server-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(home_);
    std::filesystem::create_directories(home_);
  }
  void TearDown() override {
    server_.reset();
    stop_steps_under(home_.string());
    std::error_code ignored;  // a step killed just now may still be letting go of its files
    std::filesystem::remove_all(home_, ignored);
  }

  // Server steps outlive their server, as they should; a test's must not
  // outlive the test. Each step's guard or sandbox leads its own session
  // and names its directory under the test's home on its command line.
  // /proc changes while it is read: a process that exits meanwhile can make
  // the listing fail (ESRCH), which must not fail the test; it is read again.
  static void stop_steps_under(const std::string& home) {
    for (int pass = 0; pass < 5; ++pass) {
      std::error_code error;
      for (std::filesystem::directory_iterator it("/proc", error), end; !error && it != end; it.increment(error)) {
        const std::filesystem::path entry = it->path();
        const pid_t pid = static_cast<pid_t>(std::atoi(entry.filename().c_str()));
        if (pid <= 0 || pid == ::getpid()) continue;
        std::ifstream in(entry / "cmdline", std::ios::binary);
        std::string words((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (words.find(home) == std::string::npos) continue;
        if (::getsid(pid) == pid) ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
      }
      if (!error) return;
    }
  }

  ServerOptions options() const {
    ServerOptions o;
    o.port = 0;
    o.home = home_.string();
    o.self_exe = SKIFF_BINARY;
    return o;
  }
  void start(ServerOptions o) {
    auto started = Server::start(o);
    ASSERT_TRUE(started.is_ok()) << started.status().message();
    server_ = std::move(*started);
  }
  void start() { start(options()); }
  void restart() {
    server_.reset();
    start();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60, 0);
    if (!token_.empty()) c.set_bearer_token_auth(token_);
    return c;
  }

  Reply call(const std::string& method, const std::string& path, const Json& body = nullptr) {
    auto c = client();
    std::string text = body.is_null() ? "" : body.dump();
    auto send = [&]() -> httplib::Result {
      if (method == "DELETE") return c.Delete(path);
      if (method == "POST") return c.Post(path, text, "application/json");
      if (method == "PUT") return c.Put(path, text, "application/json");
      return c.Get(path);
    };
    httplib::Result result = send();
    Reply reply;
    if (!result) {
      ADD_FAILURE() << method << " " << path << ": no response";
      return reply;
    }
    reply.status = result->status;
    reply.text = result->body;
    reply.body = Json::parse(result->body, nullptr, false);
    return reply;
  }
  Reply post_raw(const std::string& path, const std::string& text) {
    auto c = client();
    auto result = c.Post(path, text, "application/json");
    Reply reply;
    if (result) {
      reply.status = result->status;
      reply.text = result->body;
      reply.body = Json::parse(result->body, nullptr, false);
    }
    return reply;
  }

  // Runs the skiff CLI against this server; output and exit code.
  std::pair<int, std::string> cli(const std::string& args) const {
    std::string command = "ARGO_SERVER=127.0.0.1:" + std::to_string(server_->port()) + " SKIFF_HOME=" +
                          home_.string() + " " + SKIFF_BINARY + " " + args + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string out;
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  // Polls the workflow until `done` holds (generous: the machine is shared).
  Json wait_for(const std::string& ns, const std::string& name, const std::function<bool(const Json&)>& done,
                std::chrono::seconds timeout = std::chrono::seconds(90)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    Json last;
    while (std::chrono::steady_clock::now() < deadline) {
      Reply r = call("GET", "/api/v1/workflows/" + ns + "/" + name);
      if (r.status == 200) {
        last = r.body;
        if (done(last)) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "workflow " << ns << "/" << name << " did not get there; last: " << last.dump();
    return last;
  }
  Json wait_completed(const std::string& ns, const std::string& name) {
    return wait_for(ns, name, [](const Json& wf) {
      std::string phase = wf["status"].value("phase", "");
      return phase == "Succeeded" || phase == "Failed" || phase == "Error";
    });
  }

  static Json echo_workflow(const std::string& name, const std::string& text = "hello") {
    return Json::parse(R"({
      "metadata": {"name": ")" + name + R"(", "labels": {"team": "a"}},
      "spec": {"entrypoint": "main",
               "arguments": {"parameters": [{"name": "msg", "value": ")" + text + R"("}]},
               "templates": [{"name": "main", "inputs": {"parameters": [{"name": "msg"}]},
                              "container": {"image": "alpine", "command": ["sh", "-c"],
                                            "args": ["echo {{inputs.parameters.msg}}"]}}]}})");
  }
  static Json sleep_workflow(const std::string& name, int seconds) {
    return Json::parse(R"({
      "metadata": {"name": ")" + name + R"("},
      "spec": {"entrypoint": "main",
               "templates": [{"name": "main", "container": {"image": "alpine", "command": ["sleep", ")" +
                       std::to_string(seconds) + R"("]}}]}})");
  }

  std::filesystem::path home_;
  std::unique_ptr<Server> server_;
  std::string token_;
};

}  // namespace skiff::server::testing
