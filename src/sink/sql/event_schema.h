// What the sinks' decoders need of an event's Kafka Connect schema: the columns of before and
// after, their types, and how each column's values are read.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sink/sql/sql_value.h"

namespace vimur::sink {

// How a column's values are decoded, by its type. kTree: a value read as a JSON tree
// (VariableScaleDecimal, array, struct).
enum class ValueRule {
  kDecimal,
  kDate,
  kTimestampMs,
  kMicroTimestamp,
  kMicroTime,
  kTimeMs,
  kZoned,
  kTree,
  kBytes,
  kBoolean,
  kString,
  kNumber
};

// A row image's columns as its schema declares them.
struct RowSchema {
  SharedVector<std::string> names;  // shared with every row decoded with this schema
  SharedVector<ColumnType> types;
  std::vector<ValueRule> rules;  // per column
  bool unique_names = true;      // false: the fast path declines
};

// What a sink needs of an event's schema: the columns of before and after (absent: no schema
// for that side).
struct EventSchema {
  std::optional<RowSchema> before;
  std::optional<RowSchema> after;
};

// Of the Connect schema of an envelope.
EventSchema ParseEventSchema(const nlohmann::json& envelope_schema);
// The field names of a key's Connect schema, in order.
std::vector<std::string> KeyColumnsOf(const nlohmann::json& key_schema);

}  // namespace vimur::sink
