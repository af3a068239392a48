// How many steps one process may run at once before it runs out of file
// descriptors: a step holds up to six (pipes, pidfds, its log) while it runs,
// and a few dozen are kept for everything else.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cstddef>

namespace skiff::controller::internal {

inline size_t steps_within_open_files() {
  rlimit files{};
  rlim_t limit = ::getrlimit(RLIMIT_NOFILE, &files) == 0 ? files.rlim_cur : 1024;
  if (limit == RLIM_INFINITY || limit > 1048576) limit = 1048576;
  return std::max<size_t>(16, (static_cast<size_t>(limit) - 64) / 8);
}

}  // namespace skiff::controller::internal
