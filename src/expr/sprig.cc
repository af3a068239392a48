#include "expr/values.h"

namespace skiff::expr::internal {
bool is_sprig_function(const std::string&) { return false; }
Json call_sprig(const std::string& name, Args&) { fail("unknown func sprig." + name); }
}  // namespace skiff::expr::internal
