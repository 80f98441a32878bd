// SnapshotRowDecoder: turns the cells of a snapshot SELECT (text protocol) into the Values the
// binlog row-image decoder produces for the same column content (see column_values.h), so a
// snapshot read and a streamed change of one row serialize identically.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "core/status.h"
#include "core/table_schema.h"
#include "core/value.h"

namespace vimur::mysql {

// The select-list expression that reads `column` in the form Decode expects: the column
// itself, UNIX_TIMESTAMP(column) for TIMESTAMP (exact whatever the session's time zone), or
// CAST(column AS DOUBLE) for FLOAT (the text protocol rounds FLOAT to 6 digits).
std::string SnapshotSelectExpression(const ColumnSchema& column);

// Quotes an identifier with backticks.
std::string QuoteIdentifier(std::string_view name);

// Decodes one cell read with SnapshotSelectExpression on a connection whose results are not
// converted (character_set_results = NULL): `cell` is null for SQL NULL. Text that must
// outlive the cell (everything but ENUM members) is copied into `arena`.
Status DecodeSnapshotCell(const ColumnSchema& column, const char* cell, size_t length,
                          ByteArena* arena, Value* out);

}  // namespace vimur::mysql
