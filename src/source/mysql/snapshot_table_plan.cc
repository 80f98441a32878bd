#include "source/mysql/snapshot_table_plan.h"

#include "source/mysql/catalog_table_map.h"
#include "source/mysql/snapshot_row_decoder.h"
#include "source/mysql/table_schema_builder.h"

namespace vimur::mysql {
namespace {

bool IsNumericText(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  return true;
}

bool KeysetType(LogicalType type) {
  switch (type) {
    case LogicalType::kInt16:
    case LogicalType::kInt32:
    case LogicalType::kInt64:
    case LogicalType::kUInt64:
    case LogicalType::kDecimal:
    case LogicalType::kYear:
    case LogicalType::kDate:
    case LogicalType::kTimestampMillis:
    case LogicalType::kTimestampMicros:
    case LogicalType::kZonedTimestamp:
    case LogicalType::kMicroTime:
    case LogicalType::kString:
    case LogicalType::kBytes: return true;
    case LogicalType::kBoolean:
    case LogicalType::kFloat:
    case LogicalType::kDouble:
    case LogicalType::kBits:
    case LogicalType::kEnum:
    case LogicalType::kSet:
    case LogicalType::kJson:
    case LogicalType::kGeometry:
    case LogicalType::kUuid:  // PostgreSQL types: never a MySQL column
    case LogicalType::kXml:
    case LogicalType::kZonedTime:
    case LogicalType::kMicroDuration: return false;
  }
  return false;
}

// A SQL literal comparing as column `c` orders, from the cell read for it.
Result<std::string> KeyLiteral(const ColumnSchema& c, const std::string& charset,
                               std::string_view cell) {
  switch (c.type) {
    case LogicalType::kInt16:
    case LogicalType::kInt32:
    case LogicalType::kInt64:
    case LogicalType::kUInt64:
    case LogicalType::kDecimal:
    case LogicalType::kYear:
      if (!IsNumericText(cell)) {
        return Status::Corruption("key column " + c.name + " read as non-number '" +
                                  std::string(cell.substr(0, 40)) + "'");
      }
      return std::string(cell);
    case LogicalType::kZonedTimestamp:
      if (!IsNumericText(cell)) return Status::Corruption("bad TIMESTAMP key of " + c.name);
      return "FROM_UNIXTIME(" + std::string(cell) + ")";
    case LogicalType::kDate:
    case LogicalType::kTimestampMillis:
    case LogicalType::kTimestampMicros:
    case LogicalType::kMicroTime: return "CAST(X'" + KeyCellToHex(cell) + "' AS CHAR)";
    case LogicalType::kString:
      if (charset.empty() || charset == "binary") return "X'" + KeyCellToHex(cell) + "'";
      return "_" + charset + " X'" + KeyCellToHex(cell) + "'";
    case LogicalType::kBytes: return "X'" + KeyCellToHex(cell) + "'";
    default: return Status::Internal("column " + c.name + " cannot page a snapshot");
  }
}

}  // namespace

Result<std::string> SnapshotTablePlan::ChunkQuery(const std::vector<std::string>& after,
                                                  const std::string& where, uint64_t limit) const {
  std::string conditions;
  if (!where.empty()) conditions = "(" + where + ")";
  if (keyset && !after.empty()) {
    // "(k1 > v1) OR (k1 = v1 AND k2 > v2) ...": rows after `after` in key order.
    const TableSchema& t = *full;
    std::vector<std::string> names;
    std::vector<std::string> literals;
    for (size_t i = 0; i < t.key_columns.size(); ++i) {
      const size_t k = t.key_columns[i];
      names.push_back(QuoteIdentifier(t.columns[k].name));
      VIMUR_ASSIGN_OR_RETURN(std::string lit, KeyLiteral(t.columns[k], charsets[k], after.at(i)));
      literals.push_back(std::move(lit));
    }
    std::string past;
    for (size_t i = 0; i < names.size(); ++i) {
      if (i > 0) past += " OR ";
      past += "(";
      for (size_t j = 0; j < i; ++j) past += names[j] + " = " + literals[j] + " AND ";
      past += names[i] + " > " + literals[i] + ")";
    }
    conditions += (conditions.empty() ? "(" : " AND (") + past + ")";
  }
  std::string sql = select;
  if (!conditions.empty()) sql += " WHERE " + conditions;
  sql += order_by;
  if (keyset && limit > 0) sql += " LIMIT " + std::to_string(limit);
  return sql;
}

std::vector<std::string> SnapshotTablePlan::KeyCells(const char* const* cells,
                                                     const unsigned long* lengths) const {
  std::vector<std::string> key;
  for (size_t k : full->key_columns)
    key.emplace_back(cells[k] != nullptr ? cells[k] : "", lengths[k]);
  return key;
}

Result<SnapshotTablePlan> PlanSnapshotTable(MySqlConnection& conn, const CaptureFilter& filter,
                                            ColumnDefaultsSource* defaults,
                                            const std::string& database, const std::string& table) {
  SnapshotTablePlan plan;
  plan.database = database;
  plan.table = table;
  VIMUR_ASSIGN_OR_RETURN(TableMapEvent map,
                         TableMapFromCatalog(conn, database, table, &plan.charsets));
  VIMUR_ASSIGN_OR_RETURN(TableSchema schema, BuildTableSchema(map));
  schema.version = 1;
  if (defaults != nullptr) AddColumnDefaults(*defaults, /*mariadb=*/true, &schema);
  plan.full = std::make_shared<const TableSchema>(std::move(schema));
  plan.projected = ProjectedSchema(filter, plan.full, &plan.kept);
  const TableSchema& full = *plan.full;
  plan.keyset = full.has_key();
  std::string columns;
  for (const ColumnSchema& c : full.columns) {
    if (!columns.empty()) columns += ", ";
    columns += SnapshotSelectExpression(c);
  }
  for (size_t k : full.key_columns) {
    if (!KeysetType(full.columns[k].type)) plan.keyset = false;
    plan.order_by +=
        (plan.order_by.empty() ? " ORDER BY " : ", ") + QuoteIdentifier(full.columns[k].name);
  }
  plan.select =
      "SELECT " + columns + " FROM " + QuoteIdentifier(database) + "." + QuoteIdentifier(table);
  return plan;
}

std::string KeyCellToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

Result<std::string> KeyCellFromHex(std::string_view hex) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = i + 1 < hex.size() ? nibble(hex[i + 1]) : -1;
    if (hi < 0 || lo < 0) {
      return Status::Corruption("bad key in snapshot progress: '" + std::string(hex.substr(0, 80)) +
                                "'");
    }
    bytes.push_back(static_cast<char>(hi * 16 + lo));
  }
  return bytes;
}

}  // namespace vimur::mysql
