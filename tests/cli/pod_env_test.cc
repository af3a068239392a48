// A container's environment through `skiff run`, as the kubelet builds it:
// values from loaded Secrets and ConfigMaps, the pod's fields and
// resources, envFrom, and $(VAR) in env values, command and args.
#include <gtest/gtest.h>

#include <fstream>

#include "pods_fixture.h"

namespace skiff {
namespace {

using Json = nlohmann::json;

class PodEnvTest : public PodsTest {
 protected:
  std::string objects() {
    const std::string path = home_ + "/objects.yaml";
    std::ofstream(path) << R"(apiVersion: v1
kind: Secret
metadata: {name: creds}
data: {password: czNjcjN0}
stringData: {user: ada}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {colour: blue, size: large}
)";
    return path;
  }
};

TEST_F(PodEnvTest, ValuesComeFromSecretsConfigMapsFieldsAndResources) {
  Json wf = run(R"Y(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: env-sources}
spec:
  entrypoint: main
  podMetadata: {labels: {team: blue}}
  templates:
  - name: main
    container:
      image: alpine:3.23
      command: [sh, -c]
      args: ['echo "$PASSWORD $USER_NAME $COLOUR $POD $NS $TEAM $CPU $MEM_MI $S_size $S_colour $GREETING"']
      resources: {limits: {cpu: 1500m, memory: 64Mi}}
      envFrom:
      - {prefix: S_, configMapRef: {name: settings}}
      - {secretRef: {name: absent, optional: true}}
      env:
      - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
      - {name: USER_NAME, valueFrom: {secretKeyRef: {name: creds, key: user}}}
      - {name: COLOUR, valueFrom: {configMapKeyRef: {name: settings, key: colour}}}
      - {name: MISSING, valueFrom: {configMapKeyRef: {name: settings, key: nope, optional: true}}}
      - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
      - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
      - {name: TEAM, valueFrom: {fieldRef: {fieldPath: "metadata.labels['team']"}}}
      - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
      - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
      - {name: GREETING, value: "hello $(USER_NAME)"}
)Y",
                {"--load", objects(), "-n", "team-a"});
  ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf["status"].dump();
  EXPECT_EQ(node(wf, "env-sources")["outputs"]["result"],
            "s3cr3t ada blue env-sources team-a blue 2 64 large blue hello ada");
}

TEST_F(PodEnvTest, ReferencesInCommandAndArgsAreExpandedAsTheKubeletDoes) {
  Json wf = run(R"Y(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: env-refs}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine:3.23
      command: [sh, -c]
      args: ['echo "$(WHO) $$(WHO) $(UNKNOWN) $(printf x)"']
      env:
      - {name: WHO, value: world}
)Y");
  ASSERT_EQ(wf["status"]["phase"], "Succeeded") << wf["status"].dump();
  // $(WHO) is the kubelet's; $$(WHO) reaches the shell as $(WHO), a command
  // that does not exist; unknown names and shell substitutions stay.
  EXPECT_EQ(node(wf, "env-refs")["outputs"]["result"], "world   x");
}

TEST_F(PodEnvTest, AMissingSecretOrKeyErrorsTheStepNamingIt) {
  Json wf = run(R"Y(
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: env-missing}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: no-secret, template: no-secret}
      - {name: no-key, template: no-key}
  - name: no-secret
    container:
      image: alpine:3.23
      command: [env]
      env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: vault, key: token}}}]
  - name: no-key
    container:
      image: alpine:3.23
      command: [env]
      env: [{name: SIZE, valueFrom: {configMapKeyRef: {name: settings, key: weight}}}]
)Y",
                {"--load", objects()}, 1);
  EXPECT_EQ(wf["status"]["phase"], "Failed");
  const Json& no_secret = node(wf, "no-secret");
  EXPECT_EQ(no_secret["phase"], "Error");
  EXPECT_NE(no_secret["message"].get<std::string>().find("container.env TOKEN: secret \"vault\" not found"),
            std::string::npos)
      << no_secret.dump();
  const Json& no_key = node(wf, "no-key");
  EXPECT_EQ(no_key["phase"], "Error");
  EXPECT_NE(no_key["message"].get<std::string>().find("couldn't find key weight in ConfigMap default/settings"),
            std::string::npos)
      << no_key.dump();
}

}  // namespace
}  // namespace skiff
