// Go's proleptic Gregorian calendar, shared by the time values and their
// layouts: days since the Unix epoch to and from dates, and a time's wall clock.
#pragma once

#include <cstdint>

#include "expr/go_time.h"

namespace skiff::expr::internal {

extern const char* const kMonths[12];
extern const char* const kDays[7];  // from Sunday

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d);
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
int64_t floor_div(int64_t a, int64_t b);

// The wall clock of a time in its own zone.
struct Civil {
  int64_t year;
  unsigned month, day;
  int hour, minute, second, weekday, yearday;
};
Civil civil_of(const GoTime& t);

}  // namespace skiff::expr::internal
