#include "config/yaml_json.h"

#include <cstdlib>
#include <string>

namespace skiff::config {

namespace {

nlohmann::json plain_scalar(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  char* end = nullptr;
  long long integer = std::strtoll(text.c_str(), &end, 10);
  if (*end == '\0') return integer;
  double real = std::strtod(text.c_str(), &end);
  if (*end == '\0' && text.find_first_of("0123456789") != std::string::npos) return real;
  return text;
}

}  // namespace

nlohmann::json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) object[entry.first.Scalar()] = yaml_to_json(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(yaml_to_json(item));
      return array;
    }
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!" and plain ones "?".
      return node.Tag() == "!" ? nlohmann::json(node.Scalar()) : plain_scalar(node.Scalar());
    default:
      return nullptr;
  }
}

}  // namespace skiff::config
