// DAG `depends` expressions (private to the engine).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace skiff::engine {

// Answers whether `task` has `result` ("Succeeded", "Failed", "Errored",
// "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"); an empty
// result is the bare-name form. An error for unknown tasks or results.
using TaskResultLookup = std::function<Result<bool>(const std::string& task, const std::string& result)>;

// The task names a depends expression mentions, in order of first mention.
std::vector<std::string> depends_task_names(std::string_view depends);

Result<bool> evaluate_depends(std::string_view depends, const TaskResultLookup& lookup);

}  // namespace skiff::engine
