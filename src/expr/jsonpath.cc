#include "expr/values.h"

namespace skiff::expr::internal {
Json jsonpath_query(const Json&, const std::string&) { fail("jsonpath unsupported"); }
}  // namespace skiff::expr::internal
