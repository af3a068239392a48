#include "case_yaml.h"

#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "base/strings.h"

namespace skiff::enginetest {

namespace {

Json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json();
    case YAML::NodeType::Scalar:
      return node.Scalar();
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = to_json(item.second);
      return out;
    }
  }
  return Json();
}

}  // namespace

Result<Json> read_yaml_file(const std::string& path, bool optional) {
  if (!std::filesystem::exists(path)) {
    if (optional) return Json::object();
    return not_found(path + ": no such file");
  }
  std::string text;
  if (!read_file(path, &text)) return not_found(path + ": cannot read");
  try {
    Json out = to_json(YAML::Load(text));
    if (out.is_null()) out = Json::object();
    if (!out.is_object()) return invalid_argument(path + ": expected a mapping at the top level");
    return out;
  } catch (const YAML::Exception& e) {
    return invalid_argument(path + ": " + e.what());
  }
}

std::string scalar_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

}  // namespace skiff::enginetest
