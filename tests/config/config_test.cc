#include "config/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace skiff::config {
namespace {

Config parse_ok(const std::string& text) {
  auto config = parse(text, "config.yaml");
  EXPECT_TRUE(config.is_ok()) << config.status().message();
  return config.is_ok() ? *config : Config{};
}

std::string parse_error(const std::string& text) {
  auto config = parse(text, "config.yaml");
  EXPECT_FALSE(config.is_ok());
  return config.is_ok() ? "" : config.status().message();
}

TEST(ConfigTest, EmptyFileMeansDefaults) {
  Config config = parse_ok("");
  EXPECT_EQ(config.parallelism, 0);
  EXPECT_EQ(config.namespace_parallelism, 0);
  EXPECT_TRUE(config.artifact_repository.is_null());
  EXPECT_FALSE(config.persistence.archive);
  EXPECT_FALSE(config.archive_logs);
}

TEST(ConfigTest, ReadsArgoControllerKeys) {
  Config config = parse_ok(R"(
parallelism: 10
namespaceParallelism: 4
archiveLogs: true
artifactRepository:
  archiveLogs: true
  s3:
    bucket: my-bucket
    endpoint: localhost:9000
    insecure: true
    accessKeySecret: {name: minio, key: accesskey}
persistence:
  archive: true
  archiveTTL: 7d
  postgresql:
    host: db
    port: 5432
retentionPolicy:
  completed: 10
  failed: 3
workflowDefaults:
  spec:
    ttlStrategy:
      secondsAfterCompletion: 300
    parallelism: "3"
podGCGracePeriodSeconds: 30
podGCDeleteDelayDuration: 90s
)");
  EXPECT_EQ(config.parallelism, 10);
  EXPECT_EQ(config.namespace_parallelism, 4);
  EXPECT_TRUE(config.archive_logs);
  EXPECT_EQ(config.artifact_repository["s3"]["bucket"], "my-bucket");
  EXPECT_EQ(config.artifact_repository["s3"]["insecure"], true);
  EXPECT_EQ(config.artifact_repository["archiveLogs"], true);
  EXPECT_TRUE(config.persistence.archive);
  ASSERT_TRUE(config.persistence.archive_ttl.has_value());
  EXPECT_EQ(*config.persistence.archive_ttl, std::chrono::hours(24 * 7));
  EXPECT_EQ(config.persistence.postgresql["port"], 5432);
  EXPECT_EQ(config.retention_policy.completed, 10);
  EXPECT_EQ(config.retention_policy.failed, 3);
  EXPECT_FALSE(config.retention_policy.errored.has_value());
  EXPECT_EQ(config.workflow_defaults["spec"]["ttlStrategy"]["secondsAfterCompletion"], 300);
  // Quoted text stays text, as a YAML reader of the Workflow would keep it.
  EXPECT_EQ(config.workflow_defaults["spec"]["parallelism"], "3");
  EXPECT_EQ(*config.pod_gc_grace_period, std::chrono::seconds(30));
  EXPECT_EQ(*config.pod_gc_delete_delay, std::chrono::seconds(90));
}

TEST(ConfigTest, ReadsAWholeConfigMap) {
  Config config = parse_ok(R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
data:
  parallelism: "25"
  artifactRepository: |
    s3:
      bucket: logs
  persistence: |
    archive: true
)");
  EXPECT_EQ(config.parallelism, 25);
  EXPECT_EQ(config.artifact_repository["s3"]["bucket"], "logs");
  EXPECT_TRUE(config.persistence.archive);
}

TEST(ConfigTest, ReadsSkiffsLocalKeys) {
  Config config = parse_ok(R"(
load:
- /etc/skiff/objects
- secrets.yaml
s3EndpointOverrides:
  s3.amazonaws.com: http://127.0.0.1:9000
)");
  EXPECT_EQ(config.load, (std::vector<std::string>{"/etc/skiff/objects", "secrets.yaml"}));
  EXPECT_EQ(config.s3_endpoint_overrides.at("s3.amazonaws.com"), "http://127.0.0.1:9000");

  EXPECT_EQ(parse_error("load: objects/\n"), "config.yaml:1: load: expected a list of files or directories");
  EXPECT_EQ(parse_error("s3EndpointOverrides:\n  s3.amazonaws.com: ''\n"),
            "config.yaml:2: s3EndpointOverrides.s3.amazonaws.com: expected an endpoint such as http://127.0.0.1:9000");
}

TEST(ConfigTest, ArchiveLabelSelector) {
  Config config = parse_ok(R"(
persistence:
  archive: true
  archiveLabelSelector:
    matchLabels: {workflows.argoproj.io/archive-strategy: always}
    matchExpressions:
    - {key: team, operator: In, values: [a, b]}
)");
  EXPECT_EQ(config.persistence.archive_label_selector["matchLabels"]["workflows.argoproj.io/archive-strategy"], "always");
  EXPECT_EQ(config.persistence.archive_label_selector["matchExpressions"][0]["operator"], "In");
  EXPECT_TRUE(parse_ok("persistence:\n  archive: true\n").persistence.archive_label_selector.is_null());

  std::string message = parse_error("persistence:\n  archiveLabelSelector:\n    matchLabel: {a: b}\n");
  EXPECT_NE(message.find("persistence.archiveLabelSelector.matchLabel"), std::string::npos) << message;
  message = parse_error(
      "persistence:\n  archiveLabelSelector:\n    matchExpressions:\n    - {key: a, operator: Is}\n");
  EXPECT_NE(message.find("operator \"Is\""), std::string::npos) << message;
}

TEST(ConfigTest, ConfigMapErrorsNameTheLineInTheFile) {
  std::string message = parse_error(R"(kind: ConfigMap
data:
  persistence: |
    archive: true
    archiveTTL: soon
)");
  EXPECT_NE(message.find("config.yaml:5:"), std::string::npos) << message;
  EXPECT_NE(message.find("persistence.archiveTTL"), std::string::npos) << message;
}

TEST(ConfigTest, UnknownKeyNamesFileAndLine) {
  std::string message = parse_error("parallelism: 3\nparalelism: 4\n");
  EXPECT_EQ(message, "config.yaml:2: paralelism: unknown key");
}

TEST(ConfigTest, UnknownNestedKeyNamesItsPath) {
  std::string message = parse_error("persistence:\n  archive: true\n  archiv: false\n");
  EXPECT_EQ(message, "config.yaml:3: persistence.archiv: unknown key");
  message = parse_error("retentionPolicy:\n  succeeded: 3\n");
  EXPECT_EQ(message, "config.yaml:2: retentionPolicy.succeeded: unknown key");
}

TEST(ConfigTest, ArgoKeysSkiffDoesNotHonourAreRefusedByName) {
  std::string message = parse_error("executor:\n  resources: {}\n");
  EXPECT_NE(message.find("config.yaml:1: executor:"), std::string::npos) << message;
  EXPECT_NE(message.find("not supported"), std::string::npos) << message;
}

TEST(ConfigTest, WrongTypesAreErrors) {
  EXPECT_EQ(parse_error("parallelism: many\n"),
            "config.yaml:1: parallelism: expected a non-negative integer, got \"many\"");
  EXPECT_EQ(parse_error("parallelism: -1\n"),
            "config.yaml:1: parallelism: expected a non-negative integer, got \"-1\"");
  EXPECT_EQ(parse_error("archiveLogs: yes please\n"), "config.yaml:1: archiveLogs: expected true or false");
  EXPECT_EQ(parse_error("artifactRepository: s3\n"), "config.yaml:1: artifactRepository: expected a mapping");
  EXPECT_EQ(parse_error("- parallelism\n"),
            "config.yaml:1: (top): expected a mapping of configuration keys");
  EXPECT_NE(parse_error("workflowDefaults:\n  status: {}\n").find("config.yaml:2: workflowDefaults.status"),
            std::string::npos);
}

TEST(ConfigTest, MalformedYamlNamesTheLine) {
  std::string message = parse_error("parallelism: 3\nfoo: [1, 2\n");
  EXPECT_EQ(message.rfind("config.yaml:", 0), 0u) << message;
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    saved_home_ = getenv_or_empty("SKIFF_HOME");
    saved_config_ = getenv_or_empty("SKIFF_CONFIG");
  }
  void TearDown() override {
    restore("SKIFF_HOME", saved_home_);
    restore("SKIFF_CONFIG", saved_config_);
    std::filesystem::remove_all(dir_);
  }
  static std::string getenv_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
  }
  static void restore(const char* name, const std::string& value) {
    if (value.empty()) ::unsetenv(name); else ::setenv(name, value.c_str(), 1);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
  std::string saved_home_, saved_config_;
};

TEST_F(ConfigFileTest, LoadReadsTheFileAndNamesItInErrors) {
  write("c.yaml", "parallelism: 2\n");
  auto config = load((dir_ / "c.yaml").string());
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  EXPECT_EQ(config->parallelism, 2);
  EXPECT_EQ(config->path, (dir_ / "c.yaml").string());

  write("bad.yaml", "\n\nbogus: 1\n");
  auto bad = load((dir_ / "bad.yaml").string());
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), (dir_ / "bad.yaml").string() + ":3: bogus: unknown key");

  auto missing = load((dir_ / "none.yaml").string());
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_F(ConfigFileTest, DefaultPathFollowsSkiffConfigThenSkiffHome) {
  ::unsetenv("SKIFF_CONFIG");
  ::setenv("SKIFF_HOME", dir_.c_str(), 1);
  EXPECT_EQ(default_path(), dir_.string() + "/config.yaml");
  EXPECT_EQ(skiff_home(), dir_.string());
  ::setenv("SKIFF_CONFIG", "/etc/skiff.yaml", 1);
  EXPECT_EQ(default_path(), "/etc/skiff.yaml");
}

TEST_F(ConfigFileTest, CliLoadAllowsAMissingDefaultFileOnly) {
  ::unsetenv("SKIFF_CONFIG");
  ::setenv("SKIFF_HOME", dir_.c_str(), 1);
  auto defaults = load_for_cli("");
  ASSERT_TRUE(defaults.is_ok()) << defaults.status().message();
  EXPECT_EQ(defaults->parallelism, 0);

  write("config.yaml", "namespaceParallelism: 7\n");
  auto from_home = load_for_cli("");
  ASSERT_TRUE(from_home.is_ok());
  EXPECT_EQ(from_home->namespace_parallelism, 7);

  EXPECT_FALSE(load_for_cli((dir_ / "missing.yaml").string()).is_ok());
  ::setenv("SKIFF_CONFIG", (dir_ / "missing.yaml").c_str(), 1);
  EXPECT_FALSE(load_for_cli("").is_ok());
}

}  // namespace
}  // namespace skiff::config
