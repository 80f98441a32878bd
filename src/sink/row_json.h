// A decoded row as a JSON object, for sinks that write JSON (redis, http `flatten`): integers
// and floating point as numbers, decimals as exact strings, bytes as base64, the rest as text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sink/sql/sql_value.h"

namespace vimur::sink {

nlohmann::ordered_json RowToJson(const Row& row);
std::string Base64Encode(const std::string& bytes);

}  // namespace vimur::sink
