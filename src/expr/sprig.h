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
void add_sprig_crypto(SprigTable& table);  // checksums, decryptAES, the unsupported ones
void add_sprig_semver(SprigTable& table);
void add_sprig_urls(SprigTable& table);

// The scope key holding the caller's entropy (set_entropy). Not a name an
// expression can spell.
inline constexpr const char* kEntropyKey = "\x01entropy";

// Where sprig's random functions (randAlphaNum, randInt, uuidv4, shuffle,
// encryptAES's IV, ...) draw from: a xoshiro256** generator seeded with the
// SHA-256 of the caller's entropy, the expression and its environment. An
// evaluation is repeatable given the same inputs; the engine varies them
// (workflow uid, clock, node scope), so values differ between nodes and runs.
class RandomSource {
 public:
  explicit RandomSource(const std::string& seed_material);
  uint64_t next();
  uint64_t below(uint64_t n);  // uniform in [0, n), n > 0
 private:
  uint64_t state_[4];
};
bool is_sprig_random_function(const std::string& name);
// random is null when the evaluation has no entropy: the call fails.
Json call_sprig_random(const std::string& name, Args& args, RandomSource* random);

// Semantic versions (sprig.semver) are values with methods, like times.
bool is_semver(const Json& v);
Json call_semver_method(const Json& subject, const std::string& name, Args& args);
std::string semver_text(const Json& v);  // what encoding/json writes: "1.2.3"

// Sprig's loose conversions.
std::string sprig_string(const Json& v);  // strval: strings as-is, else %v
int64_t sprig_int(const Json& v);         // cast.ToInt64, 0 when not convertible
double sprig_float(const Json& v);        // cast.ToFloat64, 0 when not convertible
bool sprig_empty(const Json& v);          // the "empty" test used by default/coalesce
Json sprig_list(const Json& v);           // a list argument, failing otherwise

}  // namespace skiff::expr::internal
