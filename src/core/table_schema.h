// TableSchema: the shape of a captured table (columns, logical types, primary key) as the
// source reports it. Formats derive Avro/JSON schemas from it; it never comes from parsing DDL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vimur {

// Logical column types, following Debezium's MySQL connector defaults
// (time.precision.mode=adaptive_time_microseconds, decimal.handling.mode=precise,
// bigint.unsigned.handling.mode=precise).
enum class LogicalType : uint8_t {
  kBoolean,          // BIT(1): Value kBool
  kInt16,            // TINYINT, SMALLINT, TINYINT UNSIGNED: kInt, Avro int
  kInt32,            // MEDIUMINT, INT, SMALLINT/MEDIUMINT UNSIGNED: kInt, Avro int
  kInt64,            // BIGINT, INT UNSIGNED: kInt, Avro long
  kUInt64,           // BIGINT UNSIGNED: kUInt, Avro bytes decimal(20,0)
  kFloat,            // FLOAT: kFloat
  kDouble,           // DOUBLE: kDouble
  kDecimal,          // DECIMAL(p,s): kText with exactly s digits after the point
  kBits,             // BIT(n>1): kBytes little-endian, io.debezium.data.Bits
  kDate,             // DATE: kInt days since epoch, io.debezium.time.Date
  kTimestampMillis,  // DATETIME(0-3): kInt ms since epoch as if UTC, io.debezium.time.Timestamp
  kTimestampMicros,  // DATETIME(4-6): kInt µs, io.debezium.time.MicroTimestamp
  kZonedTimestamp,   // TIMESTAMP(p): kText ISO-8601 UTC, io.debezium.time.ZonedTimestamp
  kMicroTime,        // TIME(p): kInt µs, io.debezium.time.MicroTime
  kYear,             // YEAR: kInt, io.debezium.time.Year
  kString,           // CHAR/VARCHAR/TEXT: kText
  kBytes,            // BINARY/VARBINARY/BLOB: kBytes
  kEnum,             // ENUM: kText, io.debezium.data.Enum
  kSet,              // SET: kText comma-joined, io.debezium.data.EnumSet
  kJson,             // JSON: kText, io.debezium.data.Json
  kGeometry,         // GEOMETRY family: kGeometry, io.debezium.data.geometry.Geometry
  kUuid,             // PostgreSQL uuid: kText, io.debezium.data.Uuid
  kXml,              // PostgreSQL xml: kText, io.debezium.data.Xml
  kZonedTime,        // PostgreSQL timetz: kText ISO-8601 time in UTC, io.debezium.time.ZonedTime
  kMicroDuration,    // PostgreSQL interval: kInt µs (a month = 30.4375 days),
                     // io.debezium.time.MicroDuration
};

const char* LogicalTypeName(LogicalType type);

struct ColumnSchema {
  std::string name;
  LogicalType type = LogicalType::kString;
  bool nullable = true;
  bool is_unsigned = false;
  bool in_primary_key = false;
  uint8_t source_type = 0;   // the source's wire type code (MySQL binlog column type)
  uint16_t source_meta = 0;  // the source's per-column metadata (MySQL TABLE_MAP metadata)
  int precision = 0;         // DECIMAL precision; BIT length in bits; string length
  int scale = 0;             // DECIMAL scale
  int fsp = 0;               // fractional seconds precision of TIME/DATETIME/TIMESTAMP
  uint32_t collation = 0;    // character set collation id; 63 = binary
  uint32_t geometry_type = 0;
  std::vector<std::string> enum_values;  // ENUM and SET members in order
  std::string type_name;                 // e.g. "VARCHAR", "DECIMAL" for docs and schemas
  // Integer/YEAR display width (the 11 of INT(11)) from information_schema; 0 when not read.
  int display_width = 0;
  // The column's default, read from information_schema (never by parsing DDL) when its column
  // list matched the binlog's: the value as text, unquoted (`dflt`, `12.50`, `2024-01-01
  // 00:00:00`, `b'101'` bits as their number). False for no default or a NULL default.
  bool has_default = false;
  std::string default_value;
  // PostgreSQL array column: the element type's OID, and `type` with its parameters describes
  // the elements; values are Value kArray (elements may be null), a Connect ARRAY of optional
  // elements. 0: not an array.
  uint32_t array_element_oid = 0;
  bool is_array() const { return array_element_oid != 0; }
};

struct TableSchema {
  std::string database;  // MySQL database; PostgreSQL schema
  std::string table;
  std::vector<ColumnSchema> columns;
  std::vector<size_t> key_columns;  // indexes into columns, in key order; empty: no key
  uint64_t source_table_id = 0;     // MySQL table id of the TABLE_MAP event
  uint32_t version = 0;             // bumped by the source when the shape changes
  std::string last_ddl;             // the DDL statement that gave this shape, when seen

  std::string qualified_name() const { return database + "." + table; }
  bool has_key() const { return !key_columns.empty(); }
  // True when both describe the same columns, types and key (ids and versions aside).
  bool SameShape(const TableSchema& other) const;
};

using TableSchemaPtr = std::shared_ptr<const TableSchema>;

}  // namespace vimur
