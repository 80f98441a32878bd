// Builds a TableSchema (column names, Debezium-compatible logical types, key) from a MySQL or
// MariaDB TABLE_MAP event carrying full optional metadata (binlog_row_metadata=FULL).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/table_schema.h"
#include "source/mysql/binlog_event.h"

namespace vimur::mysql {

// MySQL binlog column type codes (enum_field_types in include/field_types.h).
struct BinlogColumnType {
  static constexpr uint8_t kDecimal = 0;
  static constexpr uint8_t kTiny = 1;
  static constexpr uint8_t kShort = 2;
  static constexpr uint8_t kLong = 3;
  static constexpr uint8_t kFloat = 4;
  static constexpr uint8_t kDouble = 5;
  static constexpr uint8_t kNull = 6;
  static constexpr uint8_t kTimestamp = 7;
  static constexpr uint8_t kLongLong = 8;
  static constexpr uint8_t kInt24 = 9;
  static constexpr uint8_t kDate = 10;
  static constexpr uint8_t kTime = 11;
  static constexpr uint8_t kDatetime = 12;
  static constexpr uint8_t kYear = 13;
  static constexpr uint8_t kNewDate = 14;
  static constexpr uint8_t kVarchar = 15;
  static constexpr uint8_t kBit = 16;
  static constexpr uint8_t kTimestamp2 = 17;
  static constexpr uint8_t kDatetime2 = 18;
  static constexpr uint8_t kTime2 = 19;
  static constexpr uint8_t kTypedArray = 20;
  static constexpr uint8_t kVector = 242;
  static constexpr uint8_t kJson = 245;
  static constexpr uint8_t kNewDecimal = 246;
  static constexpr uint8_t kEnum = 247;
  static constexpr uint8_t kSet = 248;
  static constexpr uint8_t kTinyBlob = 249;
  static constexpr uint8_t kMediumBlob = 250;
  static constexpr uint8_t kLongBlob = 251;
  static constexpr uint8_t kBlob = 252;
  static constexpr uint8_t kVarString = 253;
  static constexpr uint8_t kString = 254;
  static constexpr uint8_t kGeometry = 255;
};

constexpr uint32_t kBinaryCollation = 63;

// The real type of a column: ENUM and SET travel as STRING with the real type in the metadata.
uint8_t RealColumnType(uint8_t type, uint16_t meta);

// Declared byte length of a CHAR/BINARY (STRING) column from its metadata.
uint32_t StringColumnLength(uint16_t meta);

// True for collation ids of the latin1 character set (MySQL's cp1252 variant).
bool IsLatin1Collation(uint32_t collation);

// Builds the schema of the table `map` describes. Fails with FailedPrecondition when the event
// lacks column names (the server must run with binlog_row_metadata=FULL), and with Corruption
// when the metadata is inconsistent.
Result<TableSchema> BuildTableSchema(const TableMapEvent& map);

}  // namespace vimur::mysql
