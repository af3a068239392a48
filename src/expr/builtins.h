// expr-lang's builtin function table, split by subject across files.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "expr/values.h"

namespace skiff::expr::internal {

using BuiltinTable = std::map<std::string, std::function<Json(Args&)>>;

void add_string_builtins(BuiltinTable& table);

}  // namespace skiff::expr::internal
