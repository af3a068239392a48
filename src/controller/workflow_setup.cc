// What happens to a workflow before the engine sees it: naming, a UID, and
// parameters taken from ConfigMaps; and how a launched template becomes a
// runtime step.
#include <random>

#include "controller/controller.h"

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

// One generator per thread: the server names workflows from many threads.
std::mt19937_64& rng() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

}  // namespace

std::string workflow_name(const spec::Object& workflow) {
  std::string name = workflow.name();
  if (!name.empty()) return name;
  std::string prefix = str(workflow.doc.value("metadata", Json::object()), "generateName");
  if (prefix.empty()) prefix = "workflow-";
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";  // as Kubernetes' name generator
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  for (int i = 0; i < 5; ++i) prefix += kAlphabet[pick(rng())];
  return prefix;
}

std::string random_uid() {
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string out;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      out += '-';
    } else if (i == 14) {
      out += '4';
    } else if (i == 19) {
      out += hex[8 + nibble(rng()) % 4];
    } else {
      out += hex[nibble(rng())];
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> configmap_parameters(
    const spec::Object& workflow, const std::vector<spec::Object>& library) {
  std::vector<std::pair<std::string, std::string>> out;
  const Json spec = workflow.doc.value("spec", Json::object());
  const Json params = spec.value("arguments", Json::object()).value("parameters", Json::array());
  for (const auto& p : params) {
    auto from = p.find("valueFrom");
    if (p.contains("value") || from == p.end()) continue;
    auto ref = from->find("configMapKeyRef");
    if (ref == from->end()) continue;
    std::string map_name = str(*ref, "name"), key = str(*ref, "key");
    bool found = false;
    for (const auto& object : library) {
      if (object.kind != "ConfigMap" || object.name() != map_name) continue;
      const Json data = object.doc.value("data", Json::object());
      if (auto v = data.find(key); v != data.end() && v->is_string()) {
        out.emplace_back(str(p, "name"), v->get<std::string>());
        found = true;
      }
    }
    if (!found) {
      if (from->contains("default")) {
        out.emplace_back(str(p, "name"), str(*from, "default"));
      } else if (!ref->value("optional", false)) {
        return not_found("ConfigMap '" + map_name + "' with key '" + key + "' for parameter '" + str(p, "name") +
                         "' not found");
      }
    }
  }
  return out;
}

runtime::StepSpec step_spec(const engine::LaunchAction& launch) {
  runtime::StepSpec spec;
  spec.id = launch.node_id;
  spec.name = launch.node_name;
  const Json& tmpl = launch.tmpl;
  const bool is_script = tmpl.contains("script");
  // A containerSet has no single main container: its members come from pod_step_spec.
  const Json main = is_script ? tmpl["script"] : tmpl.value("container", Json::object());
  spec.image = str(main, "image");
  spec.command = strings(main.value("command", Json::array()));
  spec.args = strings(main.value("args", Json::array()));
  spec.working_dir = str(main, "workingDir");
  if (is_script) spec.script_source = str(main, "source");
  for (const auto& env : main.value("env", Json::array())) {
    if (env.contains("value")) spec.env.emplace_back(str(env, "name"), str(env, "value"));
  }
  spec.env.emplace_back("ARGO_POD_NAME", launch.pod_name);
  spec.env.emplace_back("ARGO_NODE_ID", launch.node_id);
  // Of the pod spec patches (workflow's, then template's), the grace period
  // matters locally: how long a cancelled step has between SIGTERM and
  // SIGKILL.
  for (const auto& text : launch.pod_spec_patches) {
    if (auto patch = Json::parse(text, nullptr, false);
        patch.is_object() && patch.contains("terminationGracePeriodSeconds") &&
        patch["terminationGracePeriodSeconds"].is_number()) {
      spec.termination_grace = std::chrono::seconds(patch["terminationGracePeriodSeconds"].get<long>());
    }
  }
  const Json outputs = tmpl.value("outputs", Json::object());
  for (const auto& p : outputs.value("parameters", Json::array())) {
    std::string path = str(p.value("valueFrom", Json::object()), "path");
    if (!path.empty()) spec.output_files.push_back(path);
  }
  return spec;
}

}  // namespace skiff::controller
