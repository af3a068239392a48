// Artifact repositories written as YAML: the values of ConfigMaps that
// `artifactRepositoryRef` names.
#include <yaml-cpp/yaml.h>

#include "artifacts/artifacts.h"

namespace skiff::artifacts {
namespace {

Json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = to_json(item.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string text = node.Scalar();
      if (node.Tag() != "!") {  // plain scalars: booleans and integers keep their type
        if (text == "true") return true;
        if (text == "false") return false;
        if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 10) {
          return std::stoi(text);
        }
      }
      return text;
    }
    default:
      return Json();
  }
}

}  // namespace

Result<Json> repository_from_yaml(const std::string& text, const std::string& where) {
  try {
    return parse_repository(to_json(YAML::Load(text)), where);
  } catch (const YAML::Exception& e) {
    return invalid_argument(where + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace skiff::artifacts
