// The sprig template functions Argo exposes as `sprig.<name>` in expressions
// (github.com/Masterminds/sprig/v3, minus env and expandenv). Sprig takes
// the subject last ("sprig.trimPrefix('x', s)") and converts loosely, as the
// Go helpers it relies on do (cast.ToInt64 turns "abc" into 0).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "expr/values.h"

namespace skiff::expr::internal {

using SprigFunction = std::function<Json(Args&)>;
using SprigTable = std::map<std::string, SprigFunction>;

void add_sprig_strings(SprigTable& table);
void add_sprig_collections(SprigTable& table);
void add_sprig_more(SprigTable& table);  // after the others: it aliases some

// Sprig's loose conversions.
std::string sprig_string(const Json& v);  // strval: strings as-is, else %v
int64_t sprig_int(const Json& v);         // cast.ToInt64, 0 when not convertible
double sprig_float(const Json& v);        // cast.ToFloat64, 0 when not convertible
bool sprig_empty(const Json& v);          // the "empty" test used by default/coalesce
Json sprig_list(const Json& v);           // a list argument, failing otherwise

}  // namespace skiff::expr::internal
