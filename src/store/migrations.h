// The schema's migrations, numbered from 1, compiled in from migrations/*.sql
// (internal).
#pragma once

#include <string>
#include <vector>

namespace skiff::store::internal {

struct Migration {
  int number;
  std::string file;
  std::string sql;
};

// Sorted by number; a store at user_version N applies those above N.
const std::vector<Migration>& migrations();

}  // namespace skiff::store::internal
