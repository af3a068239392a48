#include "controller/artifact_staging.h"

#include "controller/controller.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>

namespace skiff::controller::internal {
namespace {

std::string str(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const char* const kLocationKinds[] = {"s3", "oss", "gcs", "azure", "hdfs", "http", "artifactory", "git", "raw"};

bool has_location(const Json& artifact) {
  for (const char* kind : kLocationKinds) {
    if (artifact.contains(kind)) return true;
  }
  return false;
}

std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0, value = 0;
  for (char c : in) {
    size_t pos = kAlphabet.find(c);
    if (pos == std::string::npos) continue;  // padding, newlines
    value = (value << 6) | static_cast<int>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

std::string normalized(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// Top-level directories a step shares with the host; any other top-level
// directory holding an output (/mnt, /out, /data...) is private to the step,
// as in a container, and host-backed so the output outlives the sandbox.
bool shared_top_level(const std::string& dir) {
  static const std::set<std::string> kShared = {"/",    "/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc",
                                                "/var", "/proc", "/dev", "/sys", "/tmp", "/run",  "/boot",
                                                "/root", "/home", "/nix", "/opt", "/work", "/srv"};
  return kShared.count(dir) > 0;
}

std::string top_level(const std::string& path) {
  size_t slash = path.find('/', 1);
  return slash == std::string::npos ? path : path.substr(0, slash);
}

}  // namespace

artifacts::SecretLookup secrets_from(const std::vector<spec::Object>& library) {
  std::vector<Json> secrets;
  for (const auto& object : library) {
    if (object.kind == "Secret") secrets.push_back(object.doc);
  }
  return [secrets](const std::string& name, const std::string& key) -> std::optional<std::string> {
    for (const auto& s : secrets) {
      if (str(s.value("metadata", Json::object()), "name") != name) continue;
      const Json string_data = s.value("stringData", Json::object());
      if (auto v = string_data.find(key); v != string_data.end() && v->is_string()) return v->get<std::string>();
      const Json data = s.value("data", Json::object());
      if (auto v = data.find(key); v != data.end() && v->is_string()) return base64_decode(v->get<std::string>());
    }
    return std::nullopt;
  };
}

Status apply_repository_ref(const spec::Object& workflow, const std::vector<spec::Object>& library,
                            Json* repository) {
  const Json ref = workflow.doc.value("spec", Json::object()).value("artifactRepositoryRef", Json());
  if (!ref.is_object()) return Status::ok();
  std::string map_name = str(ref, "configMap");
  if (map_name.empty()) map_name = "artifact-repositories";
  for (const auto& object : library) {
    if (object.kind != "ConfigMap" || object.name() != map_name) continue;
    std::string key = str(ref, "key");
    if (key.empty()) {
      const Json annotations = object.doc.value("metadata", Json::object()).value("annotations", Json::object());
      key = str(annotations, "workflows.argoproj.io/default-artifact-repository");
    }
    const Json data = object.doc.value("data", Json::object());
    std::string text = str(data, key.c_str());
    if (text.empty()) {
      return not_found("error in artifactRepositoryRef: key '" + key + "' not found in ConfigMap '" + map_name + "'");
    }
    auto parsed = artifacts::repository_from_yaml(text, "ConfigMap " + map_name + " key " + key);
    if (!parsed) return parsed.status();
    *repository = *parsed;
    return Status::ok();
  }
  // Argo's default ConfigMap is the installation's repositories; locally the
  // configured repository plays that part when no such ConfigMap is loaded.
  if (str(ref, "configMap").empty()) return Status::ok();
  return not_found("error in artifactRepositoryRef: ConfigMap '" + map_name + "' not found");
}

std::string ArtifactStaging::step_dir(const std::string& id) const {
  std::string safe = id;
  for (char& c : safe) {
    if (c == '/') c = '_';
  }
  return dir_ + "/" + safe;
}

Status ArtifactStaging::stage(const Json& tmpl, runtime::StepSpec& spec, bool fetch) {
  // A step run again (after a restart) starts from nothing staged.
  std::error_code ignored;
  if (fetch) std::filesystem::remove_all(step_dir(spec.id), ignored);
  const Json inputs = tmpl.value("inputs", Json::object()).value("artifacts", Json::array());
  size_t index = 0;
  for (const auto& art : inputs) {
    ++index;
    const std::string name = str(art, "name");
    const std::string path = str(art, "path");
    if (!has_location(art) || path.empty()) continue;
    std::string host = step_dir(spec.id) + "/inputs/" + std::to_string(index) + "/" + name;
    if (!fetch) {
      if (std::filesystem::exists(host, ignored)) spec.mounts.push_back({host, path, false});
      continue;
    }
    Status loaded = store_.load(art, host);
    if (!loaded) {
      if (art.value("optional", false) && loaded.code() == Code::kNotFound) continue;
      return Status(loaded.code(), "failed to load artifact '" + name + "': " + loaded.message());
    }
    spec.mounts.push_back({host, path, false});
  }
  const Json outputs = tmpl.value("outputs", Json::object()).value("artifacts", Json::array());
  std::set<std::string> private_parents;
  for (const auto& art : outputs) {
    std::string path = str(art, "path");
    if (path.empty()) continue;
    spec.output_paths.push_back(path);
    std::string top = top_level(normalized(path));
    if (top == normalized(path) || shared_top_level(top) || !private_parents.insert(top).second) continue;
    std::string host = step_dir(spec.id) + "/outputs" + top;
    ::mkdir((step_dir(spec.id)).c_str(), 0755);
    ::mkdir((step_dir(spec.id) + "/outputs").c_str(), 0755);
    ::mkdir(host.c_str(), 0755);
    spec.mounts.push_back({host, top, false});
  }
  return Status::ok();
}

Json ArtifactStaging::collect(const Json& tmpl, const runtime::Completion& completion, const std::string& log_file,
                              std::string* error) {
  Json records = Json::array();
  const Json outputs = tmpl.value("outputs", Json::object()).value("artifacts", Json::array());
  const bool succeeded = completion.exit_code == 0 && completion.error.empty() && !completion.killed;
  for (const auto& art : outputs) {
    const std::string name = str(art, "name");
    const std::string path = str(art, "path");
    std::string source;
    if (path.empty()) {
      if (name != "main-logs") continue;
      source = log_file;  // archiveLogs
    } else if (auto it = completion.output_paths.find(path); it != completion.output_paths.end()) {
      source = it->second;
    }
    if (source.empty()) {
      if (!art.value("optional", false) && succeeded && error->empty()) {
        *error = "failed to save artifact '" + name + "': open " + path + ": no such file or directory";
      }
      continue;
    }
    Json to_store = art;
    if (path.empty()) to_store["archive"] = {{"none", Json::object()}};
    Status saved = store_.save(to_store, source);
    if (!saved) {
      if (error->empty()) *error = "failed to save artifact '" + name + "': " + saved.message();
      continue;
    }
    Json record = art;
    // Credentials stay in the repository configuration, not in status.
    for (const char* kind : {"s3", "oss"}) {
      if (record.contains(kind) && record[kind].is_object()) {
        record[kind].erase("accessKeySecret");
        record[kind].erase("secretKeySecret");
      }
    }
    records.push_back(std::move(record));
  }
  // Staged inputs and private output directories go with the step.
  std::error_code ignored;
  std::filesystem::remove_all(step_dir(completion.id), ignored);
  return records;
}

std::vector<std::string> ArtifactStaging::collect_garbage(Json* workflow, const std::string& strategy) {
  std::vector<std::string> problems;
  const Json spec = workflow->value("spec", Json::object());
  const std::string workflow_strategy = str(spec.value("artifactGC", Json::object()), "strategy");
  Json& status = (*workflow)["status"];
  if (!status.is_object() || !status.contains("nodes") || !status["nodes"].is_object()) return problems;
  for (auto it = status["nodes"].begin(); it != status["nodes"].end(); ++it) {
    Json& node = it.value();
    if (str(node, "type") != "Pod" || !node.contains("outputs") || !node["outputs"].is_object()) continue;
    Json& arts = node["outputs"]["artifacts"];
    if (!arts.is_array()) continue;
    for (Json& art : arts) {
      // Only bucket artifacts can be deleted; http, git and raw ones stay as they are.
      if (art.value("deleted", false) || (!art.contains("s3") && !art.contains("oss"))) continue;
      std::string chosen = str(art.value("artifactGC", Json::object()), "strategy");
      if (chosen.empty()) chosen = workflow_strategy;
      if (chosen != strategy) continue;
      Status removed = store_.remove(art);
      if (removed) {
        art["deleted"] = true;
      } else {
        problems.push_back(it.key() + "/" + str(art, "name") + ": " + removed.message());
      }
    }
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& problem : problems) message += (message.empty() ? "" : "; ") + problem;
    Json& conditions = status["conditions"];
    if (!conditions.is_array()) conditions = Json::array();
    Json condition = {{"type", "ArtifactGCError"}, {"status", "True"}, {"message", message}};
    bool replaced = false;
    for (Json& existing : conditions) {
      if (str(existing, "type") == "ArtifactGCError") {
        existing = condition;
        replaced = true;
      }
    }
    if (!replaced) conditions.push_back(condition);
  }
  return problems;
}

Result<WorkflowArtifacts> open_artifacts(const spec::Object& workflow, const std::vector<spec::Object>& library,
                                         artifacts::Context context, const std::string& dir,
                                         engine::Options* engine_options) {
  SKIFF_RETURN_IF_ERROR(apply_repository_ref(workflow, library, &context.repository));
  if (context.repository.is_object()) {
    for (const char* kind : {"s3", "oss"}) {
      if (context.repository.contains(kind) && context.repository[kind].is_object()) {
        engine_options->artifact_key_format = context.repository[kind].value("keyFormat", "");
      }
    }
    const Json logs = context.repository.value("archiveLogs", Json());
    engine_options->archive_logs = (logs.is_boolean() && logs.get<bool>()) || (logs.is_string() && logs == "true");
  }
  if (!context.secrets) context.secrets = secrets_from(library);
  std::error_code ignored;  // a directory that cannot be made fails the first step that needs it
  std::filesystem::create_directories(dir, ignored);
  if (context.scratch_dir.empty()) context.scratch_dir = dir;
  WorkflowArtifacts out;
  out.store = std::make_unique<artifacts::Store>(std::move(context));
  out.staging = std::make_unique<ArtifactStaging>(*out.store, dir);
  return out;
}

}  // namespace skiff::controller::internal

namespace skiff::controller {

Result<artifacts::Context> artifact_context(const config::Config& config, const std::string& local_root) {
  artifacts::Context context;
  auto repository = artifacts::parse_repository(config.artifact_repository, config.path + ": artifactRepository");
  if (!repository) return repository.status();
  context.repository = *repository;
  if (config.archive_logs && context.repository.is_object()) {
    context.repository["archiveLogs"] = true;
  } else if (config.archive_logs) {
    context.repository = {{"archiveLogs", true}};
  }
  context.local_root = local_root;
  context.s3_endpoint_overrides = config.s3_endpoint_overrides;
  return context;
}

}  // namespace skiff::controller

namespace skiff::controller::internal {

bool mentions_artifact_gc(const Json& doc) {
  if (doc.is_object()) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it.key() == "artifactGC" || mentions_artifact_gc(it.value())) return true;
    }
  } else if (doc.is_array()) {
    for (const Json& item : doc) {
      if (mentions_artifact_gc(item)) return true;
    }
  }
  return false;
}

bool gc_failure_allowed(const Json& workflow) {
  const Json gc = workflow.value("spec", Json::object()).value("artifactGC", Json::object());
  return gc.is_object() && gc.value("forceFinalizerRemoval", false);
}

}  // namespace skiff::controller::internal
