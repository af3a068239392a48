// yaml-cpp nodes as JSON values, resolving plain scalars as YAML 1.2's core
// schema does (true/false, null, integers, floats); quoted scalars stay text.
#pragma once

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace skiff::config {

nlohmann::json yaml_to_json(const YAML::Node& node);

}  // namespace skiff::config
