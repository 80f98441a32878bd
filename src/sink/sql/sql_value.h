// SqlValue: one column value on its way into a SQL target, as text plus how to write it
// (a number, a boolean, text or raw bytes), and the row it belongs to.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vimur::sink {

enum class SqlKind { kNull, kNumber, kBool, kText, kBytes, kArray };

struct SqlValue {
  SqlKind kind = SqlKind::kNull;
  std::string text;  // kNumber: decimal text; kBool: "1" or "0"; kText: UTF-8; kBytes: raw bytes
  std::vector<SqlValue> items;  // kArray: the elements (none of them arrays)

  static SqlValue Null() { return {}; }
  static SqlValue Number(std::string t) { return {SqlKind::kNumber, std::move(t), {}}; }
  static SqlValue Bool(bool b) { return {SqlKind::kBool, b ? "1" : "0", {}}; }
  static SqlValue Text(std::string t) { return {SqlKind::kText, std::move(t), {}}; }
  static SqlValue Bytes(std::string t) { return {SqlKind::kBytes, std::move(t), {}}; }
  static SqlValue Array(std::vector<SqlValue> items) {
    return {SqlKind::kArray, std::string(), std::move(items)};
  }
  bool is_null() const { return kind == SqlKind::kNull; }
  bool operator==(const SqlValue&) const = default;
};

// The declared type of a column as the event's schema describes it (Kafka Connect type,
// logical name and decimal parameters, or a type the sink's settings give), used to create
// tables and add columns.
struct ColumnType {
  std::string
      connect_type;     // int8 int16 int32 int64 float double boolean string bytes struct array
  std::string logical;  // e.g. org.apache.kafka.connect.data.Decimal, io.debezium.time.Date
  int precision = -1;   // Decimal: connect.decimal.precision
  int scale = -1;       // Decimal: scale
  bool optional = true;
  std::string sql_type;           // the sink's `columns.NAME.type`: the target type as written
  std::vector<ColumnType> items;  // connect_type `array`: the element type (one)
  bool operator==(const ColumnType&) const = default;
};

// Column names with values (and, when the event had a schema, types), in the source's order.
struct Row {
  std::vector<std::string> names;
  std::vector<SqlValue> values;
  std::vector<ColumnType> types;  // empty when the event carried no schema

  const SqlValue* Find(const std::string& name) const {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return &values[i];
    }
    return nullptr;
  }
  const ColumnType* TypeOf(const std::string& name) const {
    for (size_t i = 0; i < names.size() && i < types.size(); ++i) {
      if (names[i] == name) return &types[i];
    }
    return nullptr;
  }
};

}  // namespace vimur::sink
