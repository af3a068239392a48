// The kubelet's rules for a container's environment, with the Secrets and
// ConfigMaps a run loaded (--load, or the server's stored library) in the
// place of the cluster's.
#include "controller/pod_env.h"

#include <unistd.h>

#include <cmath>
#include <map>
#include <optional>

namespace skiff::controller::internal {

namespace {

std::string str(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool optional_ref(const Json& ref) { return ref.is_object() && ref.value("optional", false); }

// The data of a Secret (decoded) or ConfigMap, by key.
std::map<std::string, std::string> data_of(const spec::Object& object) {
  const bool secret = object.kind == "Secret";
  std::map<std::string, std::string> data;
  const Json encoded = object.doc.value("data", Json::object());
  for (const auto& [key, value] : encoded.items()) {
    if (value.is_string()) data[key] = secret ? base64_decode(value.get<std::string>()) : value.get<std::string>();
  }
  const Json plain = object.doc.value(secret ? "stringData" : "binaryData", Json::object());
  for (const auto& [key, value] : plain.items()) {
    if (value.is_string()) data[key] = secret ? value.get<std::string>() : base64_decode(value.get<std::string>());
  }
  return data;
}

// The kubelet's words for a missing object, in lower case as it says them.
std::string missing(const std::string& kind, const std::string& name) {
  return (kind == "Secret" ? "secret \"" : "configmap \"") + name + "\" not found (load it with --load)";
}

// A Kubernetes quantity ("500m", "2", "1.5Gi", "1e3") as a number.
std::optional<double> quantity(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  static const std::map<std::string, double> kSuffixes = {
      {"", 1},       {"m", 1e-3},           {"k", 1e3},           {"M", 1e6},           {"G", 1e9},
      {"T", 1e12},   {"P", 1e15},           {"E", 1e18},          {"Ki", 1024.0},       {"Mi", 1048576.0},
      {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0}};
  auto suffix = kSuffixes.find(text.substr(used));
  if (suffix == kSuffixes.end()) return std::nullopt;
  return number * suffix->second;
}

// What the machine offers when a container sets no limit, as the kubelet
// reports the node's allocatable resources.
double machine(const std::string& resource) {
  if (resource.find("cpu") != std::string::npos) {
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    return static_cast<double>(cpus > 0 ? cpus : 1);
  }
  if (resource.find("memory") != std::string::npos) {
    long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? static_cast<double>(pages) * static_cast<double>(size) : 0;
  }
  return 0;
}

Result<std::string> resource_field(const Json& ref, const Json& container) {
  const std::string resource = str(ref, "resource");
  const size_t dot = resource.find('.');
  if (dot == std::string::npos) return invalid_argument("resourceFieldRef: unsupported resource '" + resource + "'");
  const std::string group = resource.substr(0, dot), name = resource.substr(dot + 1);
  if ((group != "limits" && group != "requests") || (name != "cpu" && name != "memory" && name != "ephemeral-storage")) {
    return invalid_argument("resourceFieldRef: unsupported resource '" + resource + "'");
  }
  const Json resources = container.value("resources", Json::object());
  auto set = [&](const std::string& which) -> std::optional<double> {
    const Json values = resources.value(which, Json::object());
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return quantity(it->is_string() ? it->get<std::string>() : it->dump());
  };
  // A request without a limit reads the limit's default: the machine; a
  // limit without a request is also the request, as the API server does.
  std::optional<double> value = group == "limits" ? set("limits") : set("requests");
  if (!value && group == "requests") value = set("limits");
  if (!value) value = group == "limits" ? machine(name) : 0.0;
  const Json divisor_json = ref.value("divisor", Json("1"));
  auto divisor = quantity(divisor_json.is_string() ? divisor_json.get<std::string>() : divisor_json.dump());
  if (!divisor || *divisor <= 0) return invalid_argument("resourceFieldRef: bad divisor " + divisor_json.dump());
  // The kubelet rounds up: 500m of CPU with the default divisor is "1".
  return std::to_string(static_cast<long long>(std::ceil(*value / *divisor - 1e-9)));
}

Result<std::string> field(const std::string& path, const PodFacts& pod) {
  auto keyed = [&](const std::string& prefix) -> std::optional<std::string> {
    if (path.rfind(prefix + "['", 0) != 0 || path.size() < prefix.size() + 4 || path.substr(path.size() - 2) != "']") {
      return std::nullopt;
    }
    return path.substr(prefix.size() + 2, path.size() - prefix.size() - 4);
  };
  if (path == "metadata.name") return pod.pod_name;
  if (path == "metadata.namespace") return pod.namespace_;
  if (path == "spec.nodeName") return std::string("localhost");
  if (path == "spec.serviceAccountName") return std::string("default");
  if (path == "status.hostIP" || path == "status.hostIPs" || path == "status.podIP" || path == "status.podIPs") {
    return std::string("127.0.0.1");
  }
  for (const char* map : {"labels", "annotations"}) {
    if (auto key = keyed(std::string("metadata.") + map)) {
      const Json values = pod.metadata.value(map, Json::object());
      auto it = values.find(*key);
      return it != values.end() && it->is_string() ? it->get<std::string>() : std::string();
    }
  }
  return invalid_argument("fieldRef: unsupported fieldPath '" + path + "'");
}

}  // namespace

const spec::Object* find_object(const std::vector<spec::Object>* library, const std::string& kind,
                                const std::string& name) {
  if (!library) return nullptr;
  for (const auto& object : *library) {
    if (object.kind == kind && object.name() == name) return &object;
  }
  return nullptr;
}

std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int value = 0, bits = -8;
  for (char c : in) {
    size_t d = kAlphabet.find(c);
    if (d == std::string::npos) continue;  // padding and line breaks
    value = (value << 6) | static_cast<int>(d);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((value >> bits) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string expand_references(const std::string& text, const Env& env) {
  if (text.find('$') == std::string::npos) return text;
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out.push_back(text[i++]);
      continue;
    }
    if (text[i + 1] == '$') {  // an escaped $
      out.push_back('$');
      i += 2;
      continue;
    }
    if (text[i + 1] == '(') {
      size_t close = text.find(')', i + 2);
      if (close != std::string::npos) {
        const std::string name = text.substr(i + 2, close - i - 2);
        const std::pair<std::string, std::string>* found = nullptr;
        for (const auto& entry : env) {
          if (entry.first == name) found = &entry;  // the last definition wins
        }
        if (found) {
          out += found->second;
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

Result<Env> container_env(const Json& container, const PodFacts& pod, const Env& extra, const std::string& where) {
  Env env;
  auto set = [&env](const std::string& name, std::string value) {
    for (auto& entry : env) {
      if (entry.first == name) {
        entry.second = std::move(value);
        return;
      }
    }
    env.emplace_back(name, std::move(value));
  };
  const Json env_from = container.value("envFrom", Json::array());
  for (size_t i = 0; i < env_from.size(); ++i) {
    const Json& source = env_from[i];
    const bool secret = source.contains("secretRef");
    const Json ref = source.value(secret ? "secretRef" : "configMapRef", Json::object());
    const std::string name = str(ref, "name"), kind = secret ? "Secret" : "ConfigMap";
    const spec::Object* object = find_object(pod.library, kind, name);
    if (!object) {
      if (optional_ref(ref)) continue;
      return not_found(where + ".envFrom[" + std::to_string(i) + "]: " + missing(kind, name));
    }
    for (auto& [key, value] : data_of(*object)) set(str(source, "prefix") + key, std::move(value));
  }
  const Json entries = container.value("env", Json::array());
  for (const auto& entry : entries) {
    const std::string name = str(entry, "name");
    const std::string at = where + ".env " + name;
    auto from = entry.find("valueFrom");
    if (from == entry.end() || !from->is_object()) {
      set(name, expand_references(str(entry, "value"), env));
      continue;
    }
    for (const char* kind : {"Secret", "ConfigMap"}) {
      const Json ref = from->value(std::string(kind) == "Secret" ? "secretKeyRef" : "configMapKeyRef", Json());
      if (!ref.is_object()) continue;
      const spec::Object* object = find_object(pod.library, kind, str(ref, "name"));
      if (!object) {
        if (optional_ref(ref)) break;
        return not_found(at + ": " + missing(kind, str(ref, "name")));
      }
      auto data = data_of(*object);
      auto value = data.find(str(ref, "key"));
      if (value == data.end()) {
        if (optional_ref(ref)) break;
        return not_found(at + ": couldn't find key " + str(ref, "key") + " in " + kind + " " + pod.namespace_ + "/" +
                         str(ref, "name"));
      }
      set(name, value->second);
    }
    if (auto ref = from->find("fieldRef"); ref != from->end() && ref->is_object()) {
      auto value = field(str(*ref, "fieldPath"), pod);
      if (!value) return value.status().with_context(at);
      set(name, *value);
    }
    if (auto ref = from->find("resourceFieldRef"); ref != from->end() && ref->is_object()) {
      auto value = resource_field(*ref, container);
      if (!value) return value.status().with_context(at);
      set(name, *value);
    }
  }
  for (const auto& [name, value] : extra) set(name, value);
  return env;
}

}  // namespace skiff::controller::internal
