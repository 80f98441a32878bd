// The text forms of PostgreSQL's interval (IntervalStyle postgres) and timetz values, read
// into Debezium's representations: io.debezium.time.MicroDuration and ZonedTime.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vimur::postgresql {

// Microseconds of "1 year 2 mons -3 days +04:05:06.789" as Debezium's MicroDuration computes
// them: a month is 365.25 / 12 days, a year 12 months. False when the text is not an interval.
bool ParseIntervalMicros(std::string_view text, int64_t* micros);

// "HH:MM:SS[.ffffff]+HH[:MM[:SS]]" to the same instant in UTC, as Java's ISO_OFFSET_TIME writes
// it: "HH:MM:SS[.f...]Z", the fraction without trailing zeros. False when not a timetz.
bool ParseTimeTz(std::string_view text, std::string* iso_utc);

}  // namespace vimur::postgresql
