// The Values a MySQL/MariaDB column's content becomes (Debezium's representations), shared by
// the binlog row-image decoder and the snapshot reader so both produce identical events.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/arena.h"
#include "core/table_schema.h"
#include "core/value.h"

namespace vimur::mysql {

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysSinceEpoch(int64_t year, unsigned month, unsigned day);
// A zero date ("0000-00-00"): null when the column allows it, else the epoch.
Value ZeroDateValue(const ColumnSchema& column);
// DATETIME as Timestamp (ms) or MicroTimestamp (µs) by the column's type, as if UTC; zero
// dates as ZeroDateValue.
Value DateTimeColumnValue(const ColumnSchema& column, uint64_t year, uint64_t month, uint64_t day,
                          uint64_t hour, uint64_t minute, uint64_t second, uint32_t micros);
// TIMESTAMP(fsp) of `seconds`.`micros` since the epoch as ISO-8601 UTC text in `arena`.
Value TimestampColumnValue(const ColumnSchema& column, uint64_t seconds, uint32_t micros, int fsp,
                           ByteArena* arena);
// Bytes of a string column: bytes for binary columns, else UTF-8 text (latin1 converted).
Value StringColumnValue(const ColumnSchema& column, std::string_view bytes, ByteArena* arena);

}  // namespace vimur::mysql
