// End-to-end tests of pod shapes through `skiff run`: containerSet, init
// containers, sidecars, daemons, volumes and http templates, with real
// processes (and, for http, a real server started here).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../runtime/runtime_test_util.h"
#include "pods_fixture.h"
#include "subprocess.h"

// The one translation unit of the CLI tests that holds cpp-httplib.
#include <httplib.h>

namespace skiff {
namespace {

using Json = nlohmann::json;
using testing::Output;

const std::string kSkiff = SKIFF_BINARY;

using skiff::runtime::testing_util::processes_with;

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

TEST_F(PodsTest, ContainerSetSharesAnEmptyDirAndReportsItsContainers) {
  Json wf = run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: set}
spec:
  entrypoint: main
  templates:
  - name: main
    volumes:
    - name: workspace
      emptyDir: {}
    containerSet:
      volumeMounts:
      - {name: workspace, mountPath: /workspace}
      containers:
      - name: a
        image: alpine:3.23
        command: [sh, -c, "echo a > /workspace/log"]
      - name: b
        image: alpine:3.23
        command: [sh, -c, "echo b >> /workspace/log"]
        dependencies: [a]
      - name: main
        image: alpine:3.23
        command: [sh, -c, "echo main >> /workspace/log; cat /workspace/log"]
        dependencies: [b]
    outputs:
      parameters:
      - name: log
        valueFrom: {path: /workspace/log}
)");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(wf["status"]["progress"], "4/4");
  const Json& pod = wf["status"]["nodes"]["set"];
  EXPECT_EQ(pod["type"], "Pod");
  EXPECT_EQ(pod["outputs"]["result"], "a\nb\nmain");
  EXPECT_EQ(pod["outputs"]["exitCode"], "0");
  EXPECT_EQ(pod["outputs"]["parameters"][0]["value"], "a\nb\nmain");
  for (const char* name : {"a", "b", "main"}) {
    const Json& c = node(wf, name);
    EXPECT_EQ(c["type"], "Container") << name;
    EXPECT_EQ(c["phase"], "Succeeded") << name;
    EXPECT_EQ(c["boundaryID"], "set") << name;
  }
  // The emptyDir went with its pod.
  EXPECT_TRUE(std::filesystem::is_empty(home_ + "/runs/set/volumes/pods"));
}

// configMap and secret volumes hold one file per key (secret data decoded,
// stringData as written), or the listed items at their paths.
TEST_F(PodsTest, ConfigMapAndSecretVolumesHoldTheirKeys) {
  const std::string objects = home_ + "/objects.yaml";
  std::ofstream(objects) << R"(apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {colour: blue, size: large}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
data: {encoded: c2VzYW1l}
stringData: {plain: open}
)";
  Json wf = run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: object-volumes}
spec:
  entrypoint: main
  volumes:
  - {name: settings, configMap: {name: settings, items: [{key: colour, path: nested/colour.txt}]}}
  - {name: token, secret: {secretName: token}}
  templates:
  - name: main
    container:
      image: alpine:3.19
      command: [sh, -c, "cat /etc/settings/nested/colour.txt /etc/token/encoded /etc/token/plain"]
      volumeMounts:
      - {name: settings, mountPath: /etc/settings}
      - {name: token, mountPath: /etc/token}
)",
                {"--load", objects});
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(node(wf, "object-volumes")["outputs"]["result"], "bluesesameopen");
}

TEST_F(PodsTest, AFailingContainerFailsTheSetAndItsDependents) {
  Json wf = run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: set-fails}
spec:
  entrypoint: main
  templates:
  - name: main
    containerSet:
      containers:
      - {name: a, image: alpine:3.23, command: [sh, -c, "exit 5"]}
      - {name: b, image: alpine:3.23, command: [sh, -c, "echo never"], dependencies: [a]}
)", {}, 1);
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  EXPECT_EQ(wf["status"]["message"], "Error (exit code 5)");
  EXPECT_EQ(node(wf, "a")["phase"], "Failed");
  EXPECT_EQ(node(wf, "b")["phase"], "Error");
  EXPECT_EQ(node(wf, "b")["message"], "Error (exit code 64): ");
}

TEST_F(PodsTest, VolumeClaimTemplatesOutliveTheirStepsAndHonourSubPathAndReadOnly) {
  Json wf = run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: claims}
spec:
  entrypoint: main
  volumeClaimTemplates:
  - metadata: {name: work}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
  templates:
  - name: main
    steps:
    - - {name: write, template: write}
    - - {name: read, template: read}
      - {name: read-only, template: read-only}
  - name: write
    container:
      image: alpine:3.23
      command: [sh, -c, "mkdir -p /mnt/data/sub && echo hello > /mnt/data/sub/greeting"]
      volumeMounts:
      - {name: work, mountPath: /mnt/data}
  - name: read
    container:
      image: alpine:3.23
      command: [cat, /in/greeting]
      volumeMounts:
      - {name: work, mountPath: /in, subPath: sub}
  - name: read-only
    container:
      image: alpine:3.23
      command: [sh, -c, "cat /ro/sub/greeting; if touch /ro/x 2>/dev/null; then echo writable; fi"]
      volumeMounts:
      - {name: work, mountPath: /ro, readOnly: true}
)");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(node(wf, "read")["outputs"]["result"], "hello");
  EXPECT_EQ(node(wf, "read-only")["outputs"]["result"], "hello");
  EXPECT_TRUE(std::filesystem::exists(home_ + "/runs/claims/volumes/claims/claims-work/sub/greeting"));
}

TEST_F(PodsTest, AMountOfAnUnknownVolumeErrorsTheStep) {
  Json wf = run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: no-volume}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine:3.23
      command: [true]
      volumeMounts:
      - {name: nowhere, mountPath: /x}
)", {}, 1);
  EXPECT_EQ(wf["status"]["phase"], "Error");
  EXPECT_NE(wf["status"]["message"].get<std::string>().find("volume 'nowhere' not found"), std::string::npos);
}

TEST_F(PodsTest, InitContainersAndSidecarsAroundTheMainContainer) {
  Json wf = run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: shaped}
spec:
  entrypoint: main
  templates:
  - name: main
    volumes:
    - name: shared
      emptyDir: {}
    initContainers:
    - name: prepare
      image: alpine:3.23
      command: [sh, -c, "echo prepared > /shared/state"]
      mirrorVolumeMounts: true
    sidecars:
    - name: ticker
      image: alpine:3.23
      command: [sh, -c, "echo ticking > /shared/sidecar; sleep 300"]
      mirrorVolumeMounts: true
    container:
      image: alpine:3.23
      command: [sh, -c, "while [ ! -f /shared/sidecar ]; do sleep 0.05; done; cat /shared/state /shared/sidecar"]
      volumeMounts:
      - {name: shared, mountPath: /shared}
)");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(wf["status"]["nodes"]["shaped"]["outputs"]["result"], "prepared\nticking");
}

TEST_F(PodsTest, AFailingInitContainerFailsTheNode) {
  Json wf = run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: init-fails}
spec:
  entrypoint: main
  templates:
  - name: main
    initContainers:
    - {name: setup, image: alpine:3.23, command: [sh, -c, "exit 7"]}
    container: {image: alpine:3.23, command: [echo, never]}
)", {}, 1);
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  EXPECT_EQ(wf["status"]["nodes"]["init-fails"]["message"], "Error (exit code 7)");
}

TEST_F(PodsTest, ADaemonServesTheStepsAfterItAndIsStoppedWithItsScope) {
  const int port = free_port();
  const std::string marker = "daemon-marker-" + std::to_string(::getpid());
  Json wf = run(R"WF(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: daemons}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: port}, {name: marker}]
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - name: client
        template: client
        arguments:
          parameters: [{name: ip, value: "{{steps.server.ip}}"}]
  - name: server
    daemon: true
    container:
      image: python:3.12
      command: [sh, -c, "mkdir -p /tmp/www && cd /tmp/www && echo served > index.html && python3 -m http.server {{workflow.parameters.port}} --bind 127.0.0.1; : {{workflow.parameters.marker}}"]
      readinessProbe:
        httpGet: {path: /index.html, port: "{{workflow.parameters.port}}"}
        periodSeconds: 1
  - name: client
    inputs:
      parameters: [{name: ip}]
    container:
      image: python:3.12
      command: [python3, -c, "import urllib.request; print(urllib.request.urlopen('http://{{inputs.parameters.ip}}:{{workflow.parameters.port}}/index.html').read().decode().strip())"]
)WF",
                {"-p", "port=" + std::to_string(port), "-p", "marker=" + marker});
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(node(wf, "server")["phase"], "Succeeded");
  EXPECT_FALSE(node(wf, "server").contains("daemoned"));
  // Its own address, in front of the network of its own it listens in.
  const std::string ip = node(wf, "client")["inputs"]["parameters"][0]["value"];
  EXPECT_EQ(ip.rfind("127.10.", 0), 0u) << ip;
  EXPECT_EQ(node(wf, "client")["outputs"]["result"], "served");
  EXPECT_TRUE(processes_with(marker).empty());
}

TEST_F(PodsTest, TwoDaemonsListenOnOnePortAndEachIsReachedAtItsOwnIp) {
  const int port = free_port();
  Json wf = run(R"WF(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: two-daemons}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: port}]
  templates:
  - name: main
    steps:
    - - {name: red, template: server, arguments: {parameters: [{name: color, value: red}]}}
      - {name: blue, template: server, arguments: {parameters: [{name: color, value: blue}]}}
    - - name: client
        template: client
        arguments:
          parameters:
          - {name: red, value: "{{steps.red.ip}}"}
          - {name: blue, value: "{{steps.blue.ip}}"}
  - name: server
    daemon: true
    inputs:
      parameters: [{name: color}]
    container:
      image: python:3.12
      command: [sh, -c, "mkdir -p /tmp/www && cd /tmp/www && echo {{inputs.parameters.color}} > index.html && exec python3 -m http.server {{workflow.parameters.port}}"]
      readinessProbe:
        tcpSocket: {port: "{{workflow.parameters.port}}"}
        periodSeconds: 1
  - name: client
    inputs:
      parameters: [{name: red}, {name: blue}]
    container:
      image: python:3.12
      command: [python3, -c, "import urllib.request as u; print(*[u.urlopen('http://%s:{{workflow.parameters.port}}/' % ip).read().decode().strip() for ip in ['{{inputs.parameters.red}}', '{{inputs.parameters.blue}}']])"]
)WF",
                {"-p", "port=" + std::to_string(port)});
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  const Json& inputs = node(wf, "client")["inputs"]["parameters"];
  const std::string red = inputs[0]["value"], blue = inputs[1]["value"];
  EXPECT_NE(red, blue);
  EXPECT_EQ(red.rfind("127.10.", 0), 0u) << red;
  EXPECT_EQ(blue.rfind("127.10.", 0), 0u) << blue;
  EXPECT_EQ(node(wf, "client")["outputs"]["result"], "red blue");
  EXPECT_EQ(node(wf, "red")["phase"], "Succeeded");
  EXPECT_FALSE(node(wf, "red").contains("podIP"));  // stopped: no longer an address
}

TEST_F(PodsTest, DataTemplatesListTheLocalArtifactRepositoryAndTransform) {
  const std::string logs = home_ + "/artifacts/runs/logs";
  std::filesystem::create_directories(logs + "/nested");
  for (const char* file : {"a.log", "b.txt", "nested/main.log"}) std::ofstream(logs + "/" + file) << "x";
  Json wf = run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: data}
spec:
  entrypoint: main
  templates:
  - name: main
    data:
      source:
        artifactPaths:
          name: logs
          s3: {key: runs/logs}
      transformation:
      - expression: 'filter(data, {# endsWith ".log"})'
)");
  EXPECT_EQ(wf["status"]["phase"], "Succeeded");
  EXPECT_EQ(wf["status"]["nodes"]["data"]["type"], "Pod");
  EXPECT_EQ(wf["status"]["nodes"]["data"]["outputs"]["result"], "[\"runs/logs/a.log\",\"runs/logs/nested/main.log\"]");
}

class HttpTemplateTest : public PodsTest {
 protected:
  void SetUp() override {
    PodsTest::SetUp();
    server_.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Greeting", "hi");
      res.set_content("hello " + req.get_header_value("X-Name"), "text/plain");
    });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "application/json");
    });
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("nope", "text/plain");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::seconds(3));
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
    PodsTest::TearDown();
  }

  Json run_http(const std::string& http_fields, int expected_exit) {
    return run(R"(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: http}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: base}]
  templates:
  - name: main
    http:
)" + http_fields,
               {"-p", "base=http://127.0.0.1:" + std::to_string(port_)}, expected_exit);
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(HttpTemplateTest, RequestWithHeadersGivesTheBodyAsResult) {
  Json wf = run_http(R"(
      url: "{{workflow.parameters.base}}/hello"
      headers:
      - {name: X-Name, value: skiff}
)", 0);
  const Json& n = wf["status"]["nodes"]["http"];
  EXPECT_EQ(n["type"], "HTTP");
  EXPECT_EQ(n["phase"], "Succeeded");
  EXPECT_EQ(n["outputs"]["result"], "hello skiff");
  EXPECT_EQ(wf["status"]["progress"], "1/1");
}

TEST_F(HttpTemplateTest, SuccessConditionSeesStatusBodyAndHeaders) {
  Json wf = run_http(R"(
      method: POST
      url: "{{workflow.parameters.base}}/echo"
      body: '{"ok": true}'
      successCondition: 'response.statusCode == 200 && response.body contains "ok" && response.headers["Content-Type"][0] == "application/json"'
)", 0);
  EXPECT_EQ(wf["status"]["nodes"]["http"]["outputs"]["result"], "{\"ok\": true}");

  wf = run_http(R"(
      url: "{{workflow.parameters.base}}/hello"
      successCondition: 'response.body == "something else"'
)", 1);
  EXPECT_EQ(wf["status"]["nodes"]["http"]["message"], "successCondition 'response.body == \"something else\"' evaluated false");
}

TEST_F(HttpTemplateTest, ANon2xxStatusFailsWithArgosMessage) {
  Json wf = run_http(R"(
      url: "{{workflow.parameters.base}}/missing"
)", 1);
  EXPECT_EQ(wf["status"]["nodes"]["http"]["phase"], "Failed");
  EXPECT_EQ(wf["status"]["nodes"]["http"]["message"], "received non-2xx response code: 404");
  EXPECT_EQ(wf["status"]["nodes"]["http"]["outputs"]["result"], "nope");
}

TEST_F(HttpTemplateTest, TimeoutSecondsBoundsTheRequest) {
  Json wf = run_http(R"(
      url: "{{workflow.parameters.base}}/slow"
      timeoutSeconds: 1
)", 1);
  EXPECT_EQ(wf["status"]["nodes"]["http"]["phase"], "Failed");
  EXPECT_NE(wf["status"]["nodes"]["http"]["message"].get<std::string>().find("context deadline exceeded"),
            std::string::npos);
}

}  // namespace
}  // namespace skiff
