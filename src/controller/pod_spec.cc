// A launched template as the runtime runs it locally: its init containers,
// sidecars and containerSet members, readiness probes, and every
// volumeMount bound to a directory of this machine.
//
// Where volumes live: an emptyDir is one directory per pod (shared by the
// pod's containers, as in Kubernetes); a persistentVolumeClaim, and so a
// volumeClaimTemplate's claim, is one directory per claim name for the
// whole run; configMap and secret volumes are the loaded objects' keys
// written as files; a hostPath is the host's path itself.
#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "controller/controller.h"
#include "controller/pod_env.h"

namespace skiff::controller {

namespace {

std::string str(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::vector<std::string> strings(const Json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) out.push_back(item.is_string() ? item.get<std::string>() : item.dump());
  return out;
}

// One path component from a node ID or volume name.
std::string component(std::string text) {
  for (char& c : text) {
    if (c == '/' || c == '\0') c = '_';
  }
  if (text.empty() || text[0] == '.') text.insert(text.begin(), '_');
  return text;
}

Status make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string partial = path.substr(0, i);
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return internal_error("mkdir " + partial + ": " + std::strerror(errno));
    }
  }
  return Status::ok();
}

bool exists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0;
}

using internal::base64_decode;
using internal::find_object;

}  // namespace

engine::Event container_event(const runtime::ContainerChange& change) {
  engine::Event event;
  event.kind = change.finished ? engine::Event::Kind::kContainerFinished : engine::Event::Kind::kContainerStarted;
  event.node_id = change.pod_id;
  event.containers.push_back({change.name, change.exit_code});
  return event;
}

engine::Event cancelled_before_start(const std::string& node_id) {
  engine::Event event;
  event.kind = engine::Event::Kind::kStepFinished;
  event.node_id = node_id;
  event.exit_code = 128 + SIGTERM;
  event.killed = true;
  return event;
}

namespace {

class PodBuilder {
 public:
  PodBuilder(const engine::LaunchAction& launch, const VolumeHost& host) : launch_(launch), host_(host) {}

  Result<runtime::StepSpec> build() {
    if (launch_.tmpl.contains("http")) return http_step();
    if (launch_.tmpl.contains("data")) return data_step();
    runtime::StepSpec spec = step_spec(launch_);
    const Json& tmpl = launch_.tmpl;
    const Json set = tmpl.value("containerSet", Json::object());
    const Json main = tmpl.contains("script") ? tmpl["script"] : tmpl.value("container", Json::object());
    auto env = internal::container_env(main, facts(), argo_env(), tmpl.contains("script") ? "script" : "container");
    if (!env) return env.status();
    spec.env = std::move(*env);
    expand_command(spec.env, &spec.command, &spec.args);

    Json main_mounts = main.value("volumeMounts", Json::array());
    auto mounts = mounts_for(main_mounts, "container");
    if (!mounts) return mounts.status();
    spec.mounts = std::move(*mounts);
    if (auto probe = probe_of(main)) spec.readiness = *probe;
    // A daemon is a server other steps reach at its pod IP: like a pod, it
    // gets a network of its own, so two may listen on one port.
    if (auto d = tmpl.find("daemon"); d != tmpl.end() && d->is_boolean() && d->get<bool>()) spec.own_network = true;

    if (tmpl.contains("containerSet")) {
      const Json shared = set.value("volumeMounts", Json::array());
      size_t i = 0;
      for (const auto& c : set.value("containers", Json::array())) {
        Json all = shared;
        for (const auto& m : c.value("volumeMounts", Json::array())) all.push_back(m);
        auto member = container(c, all, "containerSet.containers[" + std::to_string(i++) + "]");
        if (!member) return member.status();
        for (const auto& dep : c.value("dependencies", Json::array())) {
          if (dep.is_string()) member->dependencies.push_back(dep.get<std::string>());
        }
        spec.container_set.push_back(std::move(*member));
      }
      main_mounts = shared;
      if (auto retry = set.find("retryStrategy"); retry != set.end() && retry->is_object()) {
        SKIFF_RETURN_IF_ERROR(container_set_retry(*retry, &spec));
      }
    }
    for (const char* kind : {"initContainers", "sidecars"}) {
      size_t i = 0;
      for (const auto& c : tmpl.value(kind, Json::array())) {
        // mirrorVolumeMounts: the main container's mounts, at the same paths.
        Json all = c.value("mirrorVolumeMounts", false) ? main_mounts : Json::array();
        for (const auto& m : c.value("volumeMounts", Json::array())) all.push_back(m);
        auto extra = container(c, all, std::string(kind) + "[" + std::to_string(i++) + "]");
        if (!extra) return extra.status();
        (std::string(kind) == "sidecars" ? spec.sidecars : spec.init_containers).push_back(std::move(*extra));
      }
    }
    return spec;
  }

 private:
  // containerSet.retryStrategy {retries (int or string), duration}.
  static Status container_set_retry(const Json& retry, runtime::StepSpec* spec) {
    const Json retries = retry.value("retries", Json(0));
    std::optional<long long> count;
    if (retries.is_number_integer()) count = retries.get<long long>();
    if (retries.is_string()) {
      const std::string text = retries.get<std::string>();
      char* end = nullptr;
      long long n = std::strtoll(text.c_str(), &end, 10);
      if (!text.empty() && end && *end == '\0') count = n;
    }
    auto text_of = [](const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    if (!count || *count < 0) {
      return invalid_argument("containerSet.retryStrategy.retries: '" + text_of(retries) +
                              "' is not a number of retries");
    }
    spec->container_set_retries = static_cast<int>(*count);
    if (retry.contains("duration")) {
      const Json d = retry["duration"];
      auto delay = parse_duration(text_of(d));
      if (!delay) {
        return invalid_argument("containerSet.retryStrategy.duration: '" + text_of(d) + "' is not a duration");
      }
      spec->container_set_retry_delay = *delay;
    }
    return Status::ok();
  }

  // An http template runs skiff's HTTP agent with the request as its
  // input file; header values from Secrets are resolved here.
  Result<runtime::StepSpec> http_step() {
    const Json& http = launch_.tmpl["http"];
    Json request = {{"method", str(http, "method")},
                    {"url", str(http, "url")},
                    {"body", str(http, "body")},
                    {"insecureSkipVerify", http.value("insecureSkipVerify", false)},
                    {"headers", Json::array()}};
    if (auto from = http.find("bodyFrom"); from != http.end() && from->is_object() && from->contains("bytes")) {
      request["body"] = base64_decode(str(*from, "bytes"));
    }
    if (auto t = http.find("timeoutSeconds"); t != http.end() && t->is_number()) request["timeoutSeconds"] = *t;
    for (const auto& h : http.value("headers", Json::array())) {
      std::string value = str(h, "value");
      const Json ref = h.value("valueFrom", Json::object()).value("secretKeyRef", Json());
      if (ref.is_object()) {
        auto secret = secret_value(str(ref, "name"), str(ref, "key"));
        if (!secret) {
          // The agent reports it, as Argo's agent fails the node with it.
          request["failure"] = secret.status().message();
          break;
        }
        value = *secret;
      }
      request["headers"].push_back({{"name", str(h, "name")}, {"value", value}});
    }
    runtime::StepSpec spec;
    spec.id = launch_.node_id;
    spec.name = launch_.node_name;
    spec.image = "argoproj/argoexec";
    spec.command = {"argoexec", "agent", "http"};
    spec.script_source = request.dump(-1, ' ', false, Json::error_handler_t::replace);
    spec.env.emplace_back("ARGO_POD_NAME", launch_.pod_name);
    spec.env.emplace_back("ARGO_NODE_ID", launch_.node_id);
    return spec;
  }

  // A data template runs skiff's data agent over the keys of its source:
  // listed in the artifact's repository when the run has one, else the
  // directory of the key in the local artifact repository.
  Result<runtime::StepSpec> data_step() {
    const Json source = launch_.tmpl["data"].value("source", Json::object());
    const Json artifact = source.value("artifactPaths", Json::object());
    const Json s3 = artifact.value("s3", Json::object());
    const std::string key = str(s3, "key");
    Json request = {{"prefix", key}};
    if (!artifact.is_object() || artifact.empty()) {
      request["failure"] = "no valid source is used for data template";
    } else if (host_.store && (artifact.contains("s3") || artifact.contains("oss"))) {
      // Listed here, where the repositories' credentials are; the agent
      // only applies the transformation's input.
      auto keys = host_.store->list(artifact);
      if (keys) {
        request["paths"] = *keys;
      } else {
        request["failure"] = "unable to list artifact paths of '" + str(artifact, "name") + "': " + keys.status().message();
      }
    } else if (key.empty() || s3.contains("bucket") || s3.contains("endpoint") || host_.artifact_root.empty()) {
      request["failure"] = "only keys of the local artifact repository can be listed on this machine";
    } else if (key.find("..") != std::string::npos) {
      request["failure"] = "key " + key + " leaves the artifact repository";
    } else {
      request["directory"] = host_.artifact_root + "/" + key;
    }
    runtime::StepSpec spec;
    spec.id = launch_.node_id;
    spec.name = launch_.node_name;
    spec.image = "argoproj/argoexec";
    spec.command = {"argoexec", "agent", "data"};
    spec.script_source = request.dump(-1, ' ', false, Json::error_handler_t::replace);
    spec.env.emplace_back("ARGO_POD_NAME", launch_.pod_name);
    spec.env.emplace_back("ARGO_NODE_ID", launch_.node_id);
    // The repository may lie where the sandbox has a private directory (/tmp).
    if (request.contains("directory") && exists(host_.artifact_root)) {
      spec.mounts.push_back(runtime::Mount{host_.artifact_root, host_.artifact_root, true});
    }
    return spec;
  }

  Result<std::string> secret_value(const std::string& name, const std::string& key) const {
    const spec::Object* secret = find_object(host_.library, "Secret", name);
    if (!secret) return not_found("secrets \"" + name + "\" not found");
    const Json data = secret->doc.value("data", Json::object());
    if (auto v = data.find(key); v != data.end() && v->is_string()) return base64_decode(v->get<std::string>());
    const Json plain = secret->doc.value("stringData", Json::object());
    if (auto v = plain.find(key); v != plain.end() && v->is_string()) return v->get<std::string>();
    return not_found("secret " + name + " does not have the key " + key);
  }

  internal::PodFacts facts() const {
    return internal::PodFacts{host_.library, host_.namespace_, launch_.pod_name, launch_.pod_metadata};
  }
  // What Argo's executor puts in every container's environment.
  internal::Env argo_env() const { return {{"ARGO_POD_NAME", launch_.pod_name}, {"ARGO_NODE_ID", launch_.node_id}}; }
  // The kubelet expands $(VAR) in command and args with the container's env.
  static void expand_command(const internal::Env& env, std::vector<std::string>* command,
                             std::vector<std::string>* args) {
    for (auto* words : {command, args}) {
      for (auto& word : *words) word = internal::expand_references(word, env);
    }
  }

  Result<runtime::ContainerSpec> container(const Json& c, const Json& volume_mounts, const std::string& where) {
    runtime::ContainerSpec out;
    out.name = str(c, "name");
    out.image = str(c, "image");
    out.command = strings(c.value("command", Json::array()));
    out.args = strings(c.value("args", Json::array()));
    out.working_dir = str(c, "workingDir");
    auto env = internal::container_env(c, facts(), argo_env(), where);
    if (!env) return env.status();
    out.env = std::move(*env);
    expand_command(out.env, &out.command, &out.args);
    auto mounts = mounts_for(volume_mounts, where);
    if (!mounts) return mounts.status();
    out.mounts = std::move(*mounts);
    out.readiness = probe_of(c);
    return out;
  }

  static std::optional<runtime::Probe> probe_of(const Json& c) {
    auto p = c.find("readinessProbe");
    if (p == c.end() || !p->is_object()) return std::nullopt;
    runtime::Probe probe;
    auto seconds = [&](const char* key, int fallback) {
      return std::chrono::seconds(p->value(key, Json(fallback)).is_number() ? p->value(key, fallback) : fallback);
    };
    probe.initial_delay = seconds("initialDelaySeconds", 0);
    probe.period = seconds("periodSeconds", 10);
    probe.timeout = seconds("timeoutSeconds", 1);
    auto port_of = [](const Json& action) {
      const Json port = action.value("port", Json());
      return port.is_number() ? port.get<int>() : std::atoi(port.is_string() ? port.get<std::string>().c_str() : "0");
    };
    if (auto exec = p->find("exec"); exec != p->end() && exec->is_object()) {
      probe.exec = strings(exec->value("command", Json::array()));
    } else if (auto get = p->find("httpGet"); get != p->end() && get->is_object()) {
      probe.http = true;
      probe.port = port_of(*get);
      probe.http_path = str(*get, "path");
    } else if (auto tcp = p->find("tcpSocket"); tcp != p->end() && tcp->is_object()) {
      probe.port = port_of(*tcp);
    }
    return probe;
  }

  Result<std::vector<runtime::Mount>> mounts_for(const Json& volume_mounts, const std::string& where) {
    std::vector<runtime::Mount> out;
    if (!volume_mounts.is_array()) return out;
    for (size_t i = 0; i < volume_mounts.size(); ++i) {
      const Json& m = volume_mounts[i];
      const std::string name = str(m, "name");
      const std::string field = where + ".volumeMounts[" + std::to_string(i) + "]";
      auto dir = volume_dir(name, field);
      if (!dir) return dir.status();
      runtime::Mount mount;
      mount.host_path = *dir;
      if (std::string sub = str(m, "subPath"); !sub.empty()) {
        if (sub.find("..") != std::string::npos || sub[0] == '/') {
          return invalid_argument(field + ".subPath '" + sub + "' must be a relative path inside the volume");
        }
        mount.host_path += "/" + sub;
        if (!exists(mount.host_path)) SKIFF_RETURN_IF_ERROR(make_dirs(mount.host_path));
      }
      mount.container_path = str(m, "mountPath");
      if (mount.container_path.empty() || mount.container_path[0] != '/') {
        return invalid_argument(field + ".mountPath must be an absolute path");
      }
      mount.read_only = m.value("readOnly", false);
      out.push_back(std::move(mount));
    }
    return out;
  }

  const Json* find_volume(const std::string& name) const {
    for (const auto& v : launch_.volumes) {
      if (str(v, "name") == name) return &v;
    }
    return nullptr;
  }

  // The host directory behind a volume, made on first use.
  Result<std::string> volume_dir(const std::string& name, const std::string& field) {
    if (auto done = dirs_.find(name); done != dirs_.end()) return done->second;
    const Json* volume = find_volume(name);
    if (!volume) return invalid_argument(field + ": volume '" + name + "' not found");
    if (volume->contains("hostPath")) {
      std::string path = str((*volume)["hostPath"], "path");
      if (str((*volume)["hostPath"], "type").find("OrCreate") != std::string::npos) {
        SKIFF_RETURN_IF_ERROR(make_dirs(path));
      }
      if (!exists(path)) return not_found("volume '" + name + "': hostPath " + path + " does not exist");
      return dirs_[name] = path;
    }
    if (host_.run_dir.empty()) return failed_precondition("volume '" + name + "': no run directory to hold it");
    const std::string volumes = host_.run_dir + "/volumes";
    std::string dir;
    if (volume->contains("emptyDir")) {
      dir = pod_volumes_dir(host_.run_dir, launch_.node_id) + "/" + component(name);
    } else if (volume->contains("persistentVolumeClaim")) {
      std::string claim = str((*volume)["persistentVolumeClaim"], "claimName");
      dir = volumes + "/claims/" + component(claim.empty() ? name : claim);
    } else if (volume->contains("configMap") || volume->contains("secret")) {
      dir = pod_volumes_dir(host_.run_dir, launch_.node_id) + "/" + component(name);
      SKIFF_RETURN_IF_ERROR(make_dirs(dir));
      SKIFF_RETURN_IF_ERROR(write_object_files(*volume, name, dir));
      return dirs_[name] = dir;
    } else {
      std::string kind;
      for (const auto& [key, value] : volume->items()) {
        if (key != "name") kind = key;
      }
      return failed_precondition("volume '" + name + "': " + kind + " volumes are not supported by the local runtime");
    }
    SKIFF_RETURN_IF_ERROR(make_dirs(dir));
    return dirs_[name] = dir;
  }

  // A configMap or secret volume: each key (or each listed item) a file.
  Status write_object_files(const Json& volume, const std::string& name, const std::string& dir) {
    const bool is_secret = volume.contains("secret");
    const Json& source = is_secret ? volume["secret"] : volume["configMap"];
    const std::string object_name = str(source, is_secret ? "secretName" : "name");
    const spec::Object* object = find_object(host_.library, is_secret ? "Secret" : "ConfigMap", object_name);
    if (!object) {
      if (source.value("optional", false)) return Status::ok();
      return not_found("volume '" + name + "': " + (is_secret ? "Secret '" : "ConfigMap '") + object_name +
                       "' not found (load it with --load)");
    }
    // Named copies: iterating items() of the temporary value() returns would
    // read a destroyed object (only the items proxy outlives the loop head).
    const Json encoded = object->doc.value("data", Json::object());
    const Json plain = object->doc.value("stringData", Json::object());
    std::map<std::string, std::string> data;
    for (const auto& [key, value] : encoded.items()) {
      if (value.is_string()) data[key] = is_secret ? base64_decode(value.get<std::string>()) : value.get<std::string>();
    }
    for (const auto& [key, value] : plain.items()) {
      if (value.is_string()) data[key] = value.get<std::string>();
    }
    std::vector<std::pair<std::string, std::string>> files;  // key -> relative path
    if (auto items = source.find("items"); items != source.end() && items->is_array() && !items->empty()) {
      for (const auto& item : *items) files.emplace_back(str(item, "key"), str(item, "path"));
    } else {
      for (const auto& [key, value] : data) files.emplace_back(key, key);
    }
    for (const auto& [key, path] : files) {
      auto value = data.find(key);
      if (value == data.end()) return not_found("volume '" + name + "': key '" + key + "' not found in " + object_name);
      if (path.empty() || path[0] == '/' || path.find("..") != std::string::npos) {
        return invalid_argument("volume '" + name + "': item path '" + path + "' must be relative");
      }
      std::string file = dir + "/" + path;
      if (size_t slash = file.rfind('/'); slash != std::string::npos) SKIFF_RETURN_IF_ERROR(make_dirs(file.substr(0, slash)));
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << value->second;
      if (!out) return internal_error("cannot write " + file);
    }
    return Status::ok();
  }

  const engine::LaunchAction& launch_;
  const VolumeHost& host_;
  std::map<std::string, std::string> dirs_;
};

}  // namespace

std::string pod_volumes_dir(const std::string& run_dir, const std::string& node_id) {
  return run_dir + "/volumes/pods/" + component(node_id);
}

Result<runtime::StepSpec> pod_step_spec(const engine::LaunchAction& launch, const VolumeHost& host) {
  return PodBuilder(launch, host).build();
}

}  // namespace skiff::controller
