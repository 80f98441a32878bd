#include "source/mysql/table_schema_builder.h"

#include <string>

#include "source/mysql/mysql_decimal.h"

namespace vimur::mysql {
namespace {

using T = BinlogColumnType;

// Longest character of a collation's character set in bytes, for CHAR/VARCHAR lengths in
// characters. Unknown collations count bytes.
int MaxBytesPerChar(uint32_t collation) {
  if (collation == 33 || collation == 83 || (collation >= 192 && collation <= 215) ||
      collation == 223 || collation == 76) {
    return 3;  // utf8mb3
  }
  if (collation == 45 || collation == 46 || (collation >= 224 && collation <= 247) ||
      (collation >= 255 && collation <= 323)) {
    return 4;  // utf8mb4
  }
  return 1;
}

const char* GeometryTypeName(uint32_t geometry_type) {
  switch (geometry_type) {
    case 1: return "POINT";
    case 2: return "LINESTRING";
    case 3: return "POLYGON";
    case 4: return "MULTIPOINT";
    case 5: return "MULTILINESTRING";
    case 6: return "MULTIPOLYGON";
    case 7: return "GEOMETRYCOLLECTION";
    default: return "GEOMETRY";
  }
}

const char* BlobTypeName(uint16_t length_bytes, bool binary) {
  switch (length_bytes) {
    case 1: return binary ? "TINYBLOB" : "TINYTEXT";
    case 3: return binary ? "MEDIUMBLOB" : "MEDIUMTEXT";
    case 4: return binary ? "LONGBLOB" : "LONGTEXT";
    default: return binary ? "BLOB" : "TEXT";
  }
}

Status Bad(const TableMapEvent& map, size_t column, const std::string& what) {
  return Status::Corruption("TABLE_MAP of " + map.database + "." + map.table + " column " +
                            std::to_string(column) + ": " + what);
}

// Fills the type-derived fields of `c` from the wire type and metadata.
Status DescribeColumn(const TableMapEvent& map, size_t i, ColumnSchema* c) {
  const uint8_t wire = map.column_types[i];
  const uint16_t meta = map.column_meta[i];
  const uint8_t real = RealColumnType(wire, meta);
  const bool binary = c->collation == kBinaryCollation;
  const char* unsigned_suffix = c->is_unsigned ? " UNSIGNED" : "";
  auto need_metadata = [&](const char* what) {
    return Status::FailedPrecondition("TABLE_MAP of " + map.database + "." + map.table +
                                      " has no " + what + " for column " + c->name +
                                      "; set binlog_row_metadata=FULL on the server");
  };
  switch (real) {
    case T::kTiny:
      c->type = LogicalType::kInt16;
      c->type_name = std::string("TINYINT") + unsigned_suffix;
      return Status::Ok();
    case T::kShort:
      c->type = c->is_unsigned ? LogicalType::kInt32 : LogicalType::kInt16;
      c->type_name = std::string("SMALLINT") + unsigned_suffix;
      return Status::Ok();
    case T::kInt24:
      c->type = LogicalType::kInt32;
      c->type_name = std::string("MEDIUMINT") + unsigned_suffix;
      return Status::Ok();
    case T::kLong:
      c->type = c->is_unsigned ? LogicalType::kInt64 : LogicalType::kInt32;
      c->type_name = std::string("INT") + unsigned_suffix;
      return Status::Ok();
    case T::kLongLong:
      c->type = c->is_unsigned ? LogicalType::kUInt64 : LogicalType::kInt64;
      c->type_name = std::string("BIGINT") + unsigned_suffix;
      return Status::Ok();
    case T::kFloat:
      c->type = LogicalType::kFloat;
      c->type_name = std::string("FLOAT") + unsigned_suffix;
      return Status::Ok();
    case T::kDouble:
      c->type = LogicalType::kDouble;
      c->type_name = std::string("DOUBLE") + unsigned_suffix;
      return Status::Ok();
    case T::kNewDecimal:
      c->precision = meta >> 8;
      c->scale = meta & 0xff;
      if (DecimalBinarySize(c->precision, c->scale) == 0) {
        return Bad(map, i,
                   "invalid DECIMAL(" + std::to_string(c->precision) + "," +
                       std::to_string(c->scale) + ")");
      }
      c->type = LogicalType::kDecimal;
      c->type_name = std::string("DECIMAL") + unsigned_suffix;
      return Status::Ok();
    case T::kDecimal:
      return Status::Unsupported("column " + c->name + " of " + map.database + "." + map.table +
                                 " uses the pre-5.0 DECIMAL format; rebuild the table "
                                 "(ALTER TABLE ... FORCE) to convert it");
    case T::kBit: {
      c->precision = (meta >> 8) * 8 + (meta & 0xff);
      if (c->precision < 1 || c->precision > 64 || (meta & 0xff) > 7) {
        return Bad(map, i, "invalid BIT metadata " + std::to_string(meta));
      }
      c->type = c->precision == 1 ? LogicalType::kBoolean : LogicalType::kBits;
      c->type_name = "BIT";
      return Status::Ok();
    }
    case T::kDate:
    case T::kNewDate:
      c->type = LogicalType::kDate;
      c->type_name = "DATE";
      return Status::Ok();
    case T::kDatetime:
    case T::kDatetime2:
      c->fsp = real == T::kDatetime2 ? meta : 0;
      if (c->fsp > 6) return Bad(map, i, "invalid DATETIME precision " + std::to_string(meta));
      c->type = c->fsp <= 3 ? LogicalType::kTimestampMillis : LogicalType::kTimestampMicros;
      c->type_name = "DATETIME";
      return Status::Ok();
    case T::kTimestamp:
    case T::kTimestamp2:
      c->fsp = real == T::kTimestamp2 ? meta : 0;
      if (c->fsp > 6) return Bad(map, i, "invalid TIMESTAMP precision " + std::to_string(meta));
      c->type = LogicalType::kZonedTimestamp;
      c->type_name = "TIMESTAMP";
      return Status::Ok();
    case T::kTime:
    case T::kTime2:
      c->fsp = real == T::kTime2 ? meta : 0;
      if (c->fsp > 6) return Bad(map, i, "invalid TIME precision " + std::to_string(meta));
      c->type = LogicalType::kMicroTime;
      c->type_name = "TIME";
      return Status::Ok();
    case T::kYear:
      c->type = LogicalType::kYear;
      c->type_name = "YEAR";
      return Status::Ok();
    case T::kVarchar:
    case T::kVarString:
      c->type = binary ? LogicalType::kBytes : LogicalType::kString;
      c->precision = meta / MaxBytesPerChar(c->collation);
      c->type_name = binary ? "VARBINARY" : "VARCHAR";
      return Status::Ok();
    case T::kString:
      c->type = binary ? LogicalType::kBytes : LogicalType::kString;
      c->precision = static_cast<int>(StringColumnLength(meta)) / MaxBytesPerChar(c->collation);
      c->type_name = binary ? "BINARY" : "CHAR";
      return Status::Ok();
    case T::kTinyBlob:
    case T::kMediumBlob:
    case T::kLongBlob:
    case T::kBlob:
      if (meta < 1 || meta > 4)
        return Bad(map, i, "invalid BLOB length size " + std::to_string(meta));
      c->type = binary ? LogicalType::kBytes : LogicalType::kString;
      c->type_name = BlobTypeName(meta, binary);
      return Status::Ok();
    case T::kEnum:
    case T::kSet: {
      const bool is_enum = real == T::kEnum;
      const auto& values = is_enum ? map.enum_values : map.set_values;
      if (i >= values.size() || values[i].empty()) {
        return need_metadata(is_enum ? "ENUM values" : "SET values");
      }
      if (!is_enum && values[i].size() > 64) return Bad(map, i, "SET with over 64 members");
      c->enum_values = values[i];
      c->type = is_enum ? LogicalType::kEnum : LogicalType::kSet;
      c->type_name = is_enum ? "ENUM" : "SET";
      return Status::Ok();
    }
    case T::kJson:
      if (meta < 1 || meta > 4)
        return Bad(map, i, "invalid JSON length size " + std::to_string(meta));
      c->type = LogicalType::kJson;
      c->type_name = "JSON";
      return Status::Ok();
    case T::kGeometry:
      if (meta < 1 || meta > 4) {
        return Bad(map, i, "invalid GEOMETRY length size " + std::to_string(meta));
      }
      c->type = LogicalType::kGeometry;
      c->type_name = GeometryTypeName(c->geometry_type);
      return Status::Ok();
    case T::kVector:
      if (meta < 1 || meta > 4)
        return Bad(map, i, "invalid VECTOR length size " + std::to_string(meta));
      c->type = LogicalType::kBytes;
      c->type_name = "VECTOR";
      return Status::Ok();
    default:
      return Status::Unsupported("column " + c->name + " of " + map.database + "." + map.table +
                                 " has binlog type " + std::to_string(real) +
                                 ", which Vimur does not decode");
  }
}

}  // namespace

uint8_t RealColumnType(uint8_t type, uint16_t meta) {
  if (type == T::kString && meta >= 0x100) {
    const uint8_t real = static_cast<uint8_t>(meta >> 8);
    if (real == T::kEnum || real == T::kSet) return real;
  }
  return type;
}

uint32_t StringColumnLength(uint16_t meta) {
  return ((((meta >> 4) & 0x300) ^ 0x300) + (meta & 0xff));
}

bool IsLatin1Collation(uint32_t collation) {
  switch (collation) {
    case 5:     // latin1_german1_ci
    case 8:     // latin1_swedish_ci
    case 15:    // latin1_danish_ci
    case 31:    // latin1_german2_ci
    case 47:    // latin1_bin
    case 48:    // latin1_general_ci
    case 49:    // latin1_general_cs
    case 94:    // latin1_spanish_ci
    case 1032:  // MariaDB latin1_swedish_nopad_ci
    case 1071:  // MariaDB latin1_nopad_bin
      return true;
    default: return false;
  }
}

Result<TableSchema> BuildTableSchema(const TableMapEvent& map) {
  const size_t n = map.column_types.size();
  const std::string table = map.database + "." + map.table;
  if (map.column_meta.size() != n) {
    return Status::Corruption("TABLE_MAP of " + table + ": " + std::to_string(n) +
                              " column types but " + std::to_string(map.column_meta.size()) +
                              " metadata entries");
  }
  if (map.column_names.size() != n) {
    return Status::FailedPrecondition(
        "TABLE_MAP of " + table +
        " carries no column names; set binlog_row_metadata=FULL on "
        "the server (MySQL 8.0.1+, MariaDB 10.5+) so that rows can be decoded by name");
  }
  TableSchema schema;
  schema.database = map.database;
  schema.table = map.table;
  schema.source_table_id = map.table_id;
  schema.columns.resize(n);
  for (size_t i = 0; i < n; ++i) {
    ColumnSchema& c = schema.columns[i];
    c.name = map.column_names[i];
    c.nullable = i < map.nullable.size() ? static_cast<bool>(map.nullable[i]) : true;
    c.is_unsigned = i < map.is_unsigned.size() ? static_cast<bool>(map.is_unsigned[i]) : false;
    c.source_type = map.column_types[i];
    c.source_meta = map.column_meta[i];
    c.collation = i < map.column_charset.size() ? map.column_charset[i] : 0;
    c.geometry_type = i < map.geometry_types.size() ? map.geometry_types[i] : 0;
    VIMUR_RETURN_IF_ERROR(DescribeColumn(map, i, &c));
  }
  for (uint32_t k : map.primary_key) {
    if (k >= n) {
      return Status::Corruption("TABLE_MAP of " + table + ": primary key column " +
                                std::to_string(k) + " of " + std::to_string(n));
    }
    if (schema.columns[k].in_primary_key) {
      return Status::Corruption("TABLE_MAP of " + table + ": primary key repeats column " +
                                std::to_string(k));
    }
    schema.columns[k].in_primary_key = true;
    schema.key_columns.push_back(k);
  }
  return schema;
}

}  // namespace vimur::mysql
