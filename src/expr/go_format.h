// Go's text renderings of values. Argo's output is produced by Go's fmt and
// encoding/json, so substituted text must match them byte for byte (a float
// 1e6 prints as "1e+06" under %v but "1000000" in JSON).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace skiff::expr::internal {

using Json = nlohmann::json;

// fmt's %v of a float64.
std::string go_float_v(double value);
// encoding/json's rendering of a float64 (caller rejects NaN and Inf).
std::string go_float_json(double value);
// fmt's %v of a decoded JSON value: <nil>, [a b], map[k:v].
std::string go_sprint(const Json& value);
// encoding/json.Marshal: sorted keys, HTML characters escaped as \u003c.
// Returns false for NaN or Inf, which Go refuses to encode.
bool go_json_marshal(const Json& value, std::string* out);
// encoding/json string quoting with HTML escaping.
void go_json_quote(const std::string& s, std::string* out);

}  // namespace skiff::expr::internal
