// A decoded row as a JSON object, for sinks that write JSON (redis, http `flatten`): integers
// and floating point as numbers, decimals as exact strings, bytes as base64, the rest as text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sink/sql/sql_value.h"

namespace vimur::sink {

nlohmann::ordered_json RowToJson(const Row& row);
// RowToJson(row).dump(), written directly (no tree) for the common cases.
std::string RowJsonText(const Row& row);
// One value as RowToJson writes it (an array as a JSON array of its elements); `type` may be
// null.
nlohmann::ordered_json ValueToJson(const SqlValue& value, const ColumnType* type);
std::string Base64Encode(const std::string& bytes);

}  // namespace vimur::sink
