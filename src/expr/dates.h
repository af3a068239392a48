// Dates in expressions: expr-lang's now()/date()/duration(), the methods of
// time.Time and time.Duration values (t.Year(), d.Seconds(), ...), their
// operators, and sprig's date functions. The clock is the evaluation's:
// now() reads the time the caller put in the environment, never the system's.
#pragma once

#include <optional>
#include <string>

#include "expr/go_time.h"
#include "expr/values.h"

namespace skiff::expr::internal {

// The environment key holding the evaluation time (Unix nanoseconds, as
// decimal text). Not a name an expression can spell.
inline constexpr const char* kClockKey = "\x01now";
std::optional<GoTime> clock_of(const Json& env);

bool is_date_builtin(const std::string& name);  // now, date, duration, timezone
Json call_date_builtin(const std::string& name, Args& args, const std::optional<GoTime>& now);

bool is_sprig_date_function(const std::string& name);
Json call_sprig_date(const std::string& name, Args& args, const std::optional<GoTime>& now);

// subject.name(args...) for a time or duration subject.
Json call_time_method(const Json& subject, const std::string& name, Args& args);

// An operator with a time or duration operand; nothing when neither is one.
std::optional<Json> date_binary(const std::string& op, const Json& a, const Json& b);

}  // namespace skiff::expr::internal
