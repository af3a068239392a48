// Reading a case folder's script.yaml / expected.yaml as plain JSON.
//
// Every scalar becomes a string (a case compares Argo's strings, and "0" and
// 0 must not differ), `~`/null becomes JSON null, so expectations can say
// "this field must be absent".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace skiff::enginetest {

using Json = nlohmann::json;

// Parses a single YAML document. A missing file is an empty object when
// `optional`, else an error naming the file.
Result<Json> read_yaml_file(const std::string& path, bool optional);

// The scalar as text: strings as they are, anything else as JSON.
std::string scalar_text(const Json& value);

}  // namespace skiff::enginetest
