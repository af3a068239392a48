// Skiff's configuration file.
//
// One YAML file whose keys are those of Argo's workflow-controller ConfigMap
// `data` where they apply, so an Argo user's settings carry over unchanged.
// Two spellings are accepted: the keys at the top level of the file, or a
// whole Kubernetes ConfigMap (`kind: ConfigMap`) whose `data` values are YAML
// text, as `kubectl get cm workflow-controller-configmap -o yaml` prints it.
//
// Unknown keys are errors naming file:line, as are Argo keys Skiff does not
// act on (so a setting is never silently ignored).
//
// The file is read once, at the edge (the CLI); the Config value is handed
// down. Nothing below the CLI reads the environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/time.h"

namespace skiff::config {

using Json = nlohmann::json;

// Argo's `persistence`: where workflows are archived.
struct Persistence {
  bool archive = false;                  // persistence.archive
  std::optional<Duration> archive_ttl;   // persistence.archiveTTL ("7d", "12h")
  bool node_status_offload = false;      // accepted for compatibility; Skiff stores nodes as rows anyway
  std::string cluster_name;              // persistence.clusterName
  Json postgresql;                       // persistence.postgresql, as Argo spells it; null when absent
  bool skip_migration = false;           // persistence.skipMigration
  // persistence.archiveLabelSelector: a Kubernetes LabelSelector
  // (matchLabels, matchExpressions); only workflows it matches are
  // archived. Null: every workflow.
  Json archive_label_selector;
};

// Argo's `retentionPolicy`: how many completed workflows of each phase are
// kept before the oldest are deleted. Absent means unlimited.
struct RetentionPolicy {
  std::optional<int> completed;
  std::optional<int> failed;
  std::optional<int> errored;
};

struct Config {
  std::string path;  // the file this came from; empty for defaults

  // Most workflows running at once, overall and per namespace; 0: no limit.
  int parallelism = 0;
  int namespace_parallelism = 0;
  // Argo's ArtifactRepository object (s3, gcs, artifactory, http, git...)
  // kept as JSON for the artifacts layer to decode; null when absent.
  Json artifact_repository;
  Persistence persistence;
  // Keep step logs with archived workflows (Argo's `archiveLogs`).
  bool archive_logs = false;
  // A partial Workflow merged under every submitted workflow; null when absent.
  Json workflow_defaults;
  RetentionPolicy retention_policy;
  // Argo's `podGCGracePeriodSeconds` / `podGCDeleteDelayDuration`, applied to
  // step working directories.
  std::optional<Duration> pod_gc_grace_period;
  std::optional<Duration> pod_gc_delete_delay;
  // Argo's `namespace`: the namespace a single-namespace install manages.
  std::string namespace_;
  // Argo's `instanceID`: only workflows labelled with it are processed.
  std::string instance_id;
  // Argo's `links` and `columns` for the UI, kept as given; null when absent.
  Json links;
  Json columns;
  std::string nav_color;

  // Skiff's own keys, for running unchanged workflows on one machine:
  // `load`: files or directories of objects every local run sees, as a
  // namespace's ConfigMaps, Secrets and templates (what `--load` adds).
  std::vector<std::string> load;
  // `s3EndpointOverrides`: an S3 endpoint named in a workflow -> the one to
  // use instead ("http://127.0.0.1:9000" also turns TLS off), so a file
  // written for AWS runs against a local S3-protocol server.
  std::map<std::string, std::string> s3_endpoint_overrides;
};

// Reads and checks the file. Errors name file:line and the key.
Result<Config> load(const std::string& path);

// Decodes configuration text; `file_name` is used in error messages.
Result<Config> parse(const std::string& text, const std::string& file_name);

// Where Skiff keeps its state: $SKIFF_HOME, else ~/.skiff.
std::string skiff_home();

// The configuration file to read when no --config is given: $SKIFF_CONFIG,
// else $SKIFF_HOME/config.yaml.
std::string default_path();

// What the CLI does: an explicit path must exist; the default path may be
// missing, which means every default.
Result<Config> load_for_cli(const std::string& explicit_path);

}  // namespace skiff::config
