// Decoding of the configuration file: YAML -> typed Config, strictly.
#include "config/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <yaml-cpp/yaml.h>

#include "config/yaml_json.h"

namespace skiff::config {

namespace {

// Argo keys that Skiff reads but does not act on would be silently ignored
// settings; they are refused with this note instead of "unknown key".
const char* const kArgoKeysNotSupported[] = {
    "containerRuntimeExecutor", "executor", "mainContainer", "kubeConfig", "sso",
    "metricsConfig", "telemetryConfig", "resourceRateLimit", "initialDelay",
    "workflowRestrictions", "nodeEvents", "workflowEvents", "images", "rbac",
    "artifactRepositoryRef", "semaphore", "synchronization", "podSpecLogStrategy",
    "executorImage", "executorResources", "artifactRepositories",
};

class Decoder {
 public:
  Decoder(std::string file, int line_offset) : file_(std::move(file)), line_offset_(line_offset) {}

  Status error(const YAML::Node& node, const std::string& field, const std::string& message) const {
    return invalid_argument(file_ + ":" + std::to_string(line(node)) + ": " + field + ": " + message);
  }
  int line(const YAML::Node& node) const { return node.Mark().line + 1 + line_offset_; }
  const std::string& file() const { return file_; }
  int line_offset() const { return line_offset_; }

  Status integer(const YAML::Node& node, const std::string& field, int* out) const {
    if (!node.IsScalar()) return error(node, field, "expected an integer");
    const std::string& text = node.Scalar();
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value < 0 || value > 1'000'000'000) {
      return error(node, field, "expected a non-negative integer, got \"" + text + "\"");
    }
    *out = static_cast<int>(value);
    return Status::ok();
  }

  Status boolean(const YAML::Node& node, const std::string& field, bool* out) const {
    if (node.IsScalar()) {
      const std::string& text = node.Scalar();
      if (text == "true" || text == "True" || text == "TRUE") { *out = true; return Status::ok(); }
      if (text == "false" || text == "False" || text == "FALSE") { *out = false; return Status::ok(); }
    }
    return error(node, field, "expected true or false");
  }

  Status string(const YAML::Node& node, const std::string& field, std::string* out) const {
    if (!node.IsScalar()) return error(node, field, "expected a string");
    *out = node.Scalar();
    return Status::ok();
  }

  // Argo's durations: Go's syntax, plus "d" for days ("7d") as archiveTTL allows.
  Status duration(const YAML::Node& node, const std::string& field, std::optional<Duration>* out) const {
    if (!node.IsScalar()) return error(node, field, "expected a duration such as \"7d\" or \"1h30m\"");
    std::string text = node.Scalar();
    if (!text.empty() && text.back() == 'd') {
      char* end = nullptr;
      long days = std::strtol(text.c_str(), &end, 10);
      if (end == text.c_str() + text.size() - 1 && days >= 0) {
        *out = std::chrono::duration_cast<Duration>(std::chrono::hours(24) * days);
        return Status::ok();
      }
    }
    auto parsed = parse_duration(text);
    if (!parsed || parsed->count() < 0) {
      return error(node, field, "expected a duration such as \"7d\" or \"1h30m\", got \"" + text + "\"");
    }
    *out = *parsed;
    return Status::ok();
  }

  Status json_map(const YAML::Node& node, const std::string& field, Json* out) const {
    if (!node.IsMap()) return error(node, field, "expected a mapping");
    *out = yaml_to_json(node);
    return Status::ok();
  }

  Status json_any(const YAML::Node& node, const std::string&, Json* out) const {
    *out = yaml_to_json(node);
    return Status::ok();
  }

 private:
  std::string file_;
  int line_offset_;
};

Status unknown_key(const Decoder& d, const YAML::Node& key, const std::string& field) {
  for (const char* argo : kArgoKeysNotSupported) {
    if (key.Scalar() == argo) {
      return d.error(key, field, "Argo's controller key is not supported by Skiff");
    }
  }
  return d.error(key, field, "unknown key");
}

Status decode_persistence(const Decoder& d, const YAML::Node& node, Persistence* out) {
  if (!node.IsMap()) return d.error(node, "persistence", "expected a mapping");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string field = "persistence." + key;
    const YAML::Node& value = entry.second;
    if (key == "archive") {
      SKIFF_RETURN_IF_ERROR(d.boolean(value, field, &out->archive));
    } else if (key == "archiveTTL") {
      SKIFF_RETURN_IF_ERROR(d.duration(value, field, &out->archive_ttl));
    } else if (key == "nodeStatusOffLoad") {
      SKIFF_RETURN_IF_ERROR(d.boolean(value, field, &out->node_status_offload));
    } else if (key == "clusterName") {
      SKIFF_RETURN_IF_ERROR(d.string(value, field, &out->cluster_name));
    } else if (key == "postgresql") {
      SKIFF_RETURN_IF_ERROR(d.json_map(value, field, &out->postgresql));
    } else if (key == "skipMigration") {
      SKIFF_RETURN_IF_ERROR(d.boolean(value, field, &out->skip_migration));
    } else if (key == "archiveLabelSelector") {
      SKIFF_RETURN_IF_ERROR(d.json_map(value, field, &out->archive_label_selector));
      for (const auto& [name, part] : out->archive_label_selector.items()) {
        if (name != "matchLabels" && name != "matchExpressions") {
          return d.error(value[name], field + "." + name, "unknown key (matchLabels or matchExpressions)");
        }
        for (const auto& e : name == "matchExpressions" && part.is_array() ? part : Json::array()) {
          const std::string op = e.is_object() ? e.value("operator", "") : "";
          if (op != "In" && op != "NotIn" && op != "Exists" && op != "DoesNotExist") {
            return d.error(value[name], field + ".matchExpressions",
                           "operator \"" + op + "\" is not one of In, NotIn, Exists, DoesNotExist");
          }
        }
      }
    } else if (key == "connectionPool") {
      // Pool sizes are accepted as Argo writes them.
    } else if (key == "mysql") {
      return d.error(entry.first, field, "MySQL is not supported by Skiff; use postgresql or the default SQLite store");
    } else {
      return d.error(entry.first, field, "unknown key");
    }
  }
  return Status::ok();
}

Status decode_retention(const Decoder& d, const YAML::Node& node, RetentionPolicy* out) {
  if (!node.IsMap()) return d.error(node, "retentionPolicy", "expected a mapping");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string field = "retentionPolicy." + key;
    std::optional<int>* target = key == "completed" ? &out->completed
                                 : key == "failed"  ? &out->failed
                                 : key == "errored" ? &out->errored
                                                    : nullptr;
    if (!target) return d.error(entry.first, field, "unknown key");
    int value = 0;
    SKIFF_RETURN_IF_ERROR(d.integer(entry.second, field, &value));
    *target = value;
  }
  return Status::ok();
}

Status decode_workflow_defaults(const Decoder& d, const YAML::Node& node, Json* out) {
  SKIFF_RETURN_IF_ERROR(d.json_map(node, "workflowDefaults", out));
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (key != "metadata" && key != "spec" && key != "apiVersion" && key != "kind") {
      return d.error(entry.first, "workflowDefaults." + key, "unknown key (a workflow has metadata and spec)");
    }
  }
  return Status::ok();
}

Status decode_load(const Decoder& d, const YAML::Node& node, std::vector<std::string>* out) {
  if (!node.IsSequence()) return d.error(node, "load", "expected a list of files or directories");
  for (size_t i = 0; i < node.size(); ++i) {
    std::string path;
    SKIFF_RETURN_IF_ERROR(d.string(node[i], "load[" + std::to_string(i) + "]", &path));
    out->push_back(std::move(path));
  }
  return Status::ok();
}

Status decode_endpoint_overrides(const Decoder& d, const YAML::Node& node, std::map<std::string, std::string>* out) {
  if (!node.IsMap()) return d.error(node, "s3EndpointOverrides", "expected a mapping of endpoint to endpoint");
  for (const auto& entry : node) {
    const std::string field = "s3EndpointOverrides." + entry.first.Scalar();
    std::string target;
    SKIFF_RETURN_IF_ERROR(d.string(entry.second, field, &target));
    if (target.empty()) return d.error(entry.second, field, "expected an endpoint such as http://127.0.0.1:9000");
    (*out)[entry.first.Scalar()] = target;
  }
  return Status::ok();
}

// One top-level key of the ConfigMap's data.
Status decode_key(const Decoder& d, const YAML::Node& key_node, const YAML::Node& value, Config* config) {
  const std::string key = key_node.Scalar();
  if (key == "parallelism") return d.integer(value, key, &config->parallelism);
  if (key == "namespaceParallelism") return d.integer(value, key, &config->namespace_parallelism);
  if (key == "artifactRepository") return d.json_map(value, key, &config->artifact_repository);
  if (key == "persistence") return decode_persistence(d, value, &config->persistence);
  if (key == "archiveLogs") return d.boolean(value, key, &config->archive_logs);
  if (key == "workflowDefaults") return decode_workflow_defaults(d, value, &config->workflow_defaults);
  if (key == "retentionPolicy") return decode_retention(d, value, &config->retention_policy);
  if (key == "podGCGracePeriodSeconds") {
    int seconds = 0;
    SKIFF_RETURN_IF_ERROR(d.integer(value, key, &seconds));
    config->pod_gc_grace_period = std::chrono::seconds(seconds);
    return Status::ok();
  }
  if (key == "podGCDeleteDelayDuration") return d.duration(value, key, &config->pod_gc_delete_delay);
  if (key == "namespace") return d.string(value, key, &config->namespace_);
  if (key == "instanceID") return d.string(value, key, &config->instance_id);
  if (key == "links") return d.json_any(value, key, &config->links);
  if (key == "columns") return d.json_any(value, key, &config->columns);
  if (key == "navColor") return d.string(value, key, &config->nav_color);
  if (key == "load") return decode_load(d, value, &config->load);
  if (key == "s3EndpointOverrides") return decode_endpoint_overrides(d, value, &config->s3_endpoint_overrides);
  return unknown_key(d, key_node, key);
}

Status decode_keys(const Decoder& d, const YAML::Node& map, Config* config) {
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) return d.error(entry.first, "(key)", "keys must be strings");
    SKIFF_RETURN_IF_ERROR(decode_key(d, entry.first, entry.second, config));
  }
  return Status::ok();
}

// `kind: ConfigMap`: every data value is YAML text holding that key's value.
Status decode_configmap(const Decoder& outer, const YAML::Node& root, Config* config) {
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (key == "apiVersion" || key == "kind" || key == "metadata") continue;
    if (key != "data") return outer.error(entry.first, key, "unknown key in a ConfigMap");
    if (entry.second.IsNull()) return Status::ok();
    if (!entry.second.IsMap()) return outer.error(entry.second, "data", "expected a mapping");
    for (const auto& item : entry.second) {
      const YAML::Node& text = item.second;
      if (!text.IsScalar()) {
        return outer.error(text, "data." + item.first.Scalar(), "a ConfigMap value is text");
      }
      // Multi-line text is a block scalar, which starts on the line after its key.
      bool block = text.Scalar().find('\n') != std::string::npos;
      int offset = outer.line(item.first) - (block ? 0 : 1);
      Decoder inner(outer.file(), offset);
      YAML::Node value;
      try {
        value = YAML::Load(text.Scalar());
      } catch (const YAML::Exception& e) {
        return inner.error(text, "data." + item.first.Scalar(), e.msg);
      }
      if (value.IsNull()) continue;
      SKIFF_RETURN_IF_ERROR(decode_key(inner, item.first, value, config));
    }
  }
  return Status::ok();
}

}  // namespace

Result<Config> parse(const std::string& text, const std::string& file_name) {
  Config config;
  config.path = file_name;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return invalid_argument(file_name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return config;  // an empty file: every default
  Decoder decoder(file_name, 0);
  if (!root.IsMap()) return decoder.error(root, "(top)", "expected a mapping of configuration keys");
  if (root["kind"] && root["kind"].IsScalar() && root["kind"].Scalar() == "ConfigMap") {
    SKIFF_RETURN_IF_ERROR(decode_configmap(decoder, root, &config));
  } else {
    SKIFF_RETURN_IF_ERROR(decode_keys(decoder, root, &config));
  }
  return config;
}

Result<Config> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot read the configuration file");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

std::string skiff_home() {
  if (const char* home = std::getenv("SKIFF_HOME"); home && *home) return home;
  const char* user_home = std::getenv("HOME");
  return std::string(user_home && *user_home ? user_home : ".") + "/.skiff";
}

std::string default_path() {
  if (const char* path = std::getenv("SKIFF_CONFIG"); path && *path) return path;
  return skiff_home() + "/config.yaml";
}

Result<Config> load_for_cli(const std::string& explicit_path) {
  if (!explicit_path.empty()) return load(explicit_path);
  std::string path = default_path();
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 && std::getenv("SKIFF_CONFIG") == nullptr) return Config{};
  return load(path);
}

}  // namespace skiff::config
