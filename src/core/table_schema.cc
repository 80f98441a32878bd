#include "core/table_schema.h"

namespace vimur {

const char* LogicalTypeName(LogicalType type) {
  switch (type) {
    case LogicalType::kBoolean: return "boolean";
    case LogicalType::kInt16: return "int16";
    case LogicalType::kInt32: return "int32";
    case LogicalType::kInt64: return "int64";
    case LogicalType::kUInt64: return "uint64";
    case LogicalType::kFloat: return "float";
    case LogicalType::kDouble: return "double";
    case LogicalType::kDecimal: return "decimal";
    case LogicalType::kBits: return "bits";
    case LogicalType::kDate: return "date";
    case LogicalType::kTimestampMillis: return "timestamp-millis";
    case LogicalType::kTimestampMicros: return "timestamp-micros";
    case LogicalType::kZonedTimestamp: return "zoned-timestamp";
    case LogicalType::kMicroTime: return "micro-time";
    case LogicalType::kYear: return "year";
    case LogicalType::kString: return "string";
    case LogicalType::kBytes: return "bytes";
    case LogicalType::kEnum: return "enum";
    case LogicalType::kSet: return "set";
    case LogicalType::kJson: return "json";
    case LogicalType::kGeometry: return "geometry";
    case LogicalType::kUuid: return "uuid";
    case LogicalType::kXml: return "xml";
    case LogicalType::kZonedTime: return "zoned-time";
    case LogicalType::kMicroDuration: return "micro-duration";
  }
  return "unknown";
}

bool TableSchema::SameShape(const TableSchema& other) const {
  if (database != other.database || table != other.table) return false;
  if (key_columns != other.key_columns || columns.size() != other.columns.size()) return false;
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnSchema& a = columns[i];
    const ColumnSchema& b = other.columns[i];
    if (a.name != b.name || a.type != b.type || a.nullable != b.nullable ||
        a.source_type != b.source_type || a.source_meta != b.source_meta ||
        a.is_unsigned != b.is_unsigned || a.enum_values != b.enum_values ||
        a.collation != b.collation || a.array_element_oid != b.array_element_oid) {
      return false;
    }
  }
  return true;
}

}  // namespace vimur
