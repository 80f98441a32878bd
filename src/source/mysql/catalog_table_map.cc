#include "source/mysql/catalog_table_map.h"

#include <cstdlib>

#include "source/mysql/table_schema_builder.h"

namespace vimur::mysql {
namespace {

using T = BinlogColumnType;

uint32_t GeometryCode(const std::string& data_type) {
  if (data_type == "point") return 1;
  if (data_type == "linestring") return 2;
  if (data_type == "polygon") return 3;
  if (data_type == "multipoint") return 4;
  if (data_type == "multilinestring") return 5;
  if (data_type == "multipolygon") return 6;
  if (data_type == "geometrycollection" || data_type == "geomcollection") return 7;
  return 0;
}

// CHAR/BINARY metadata: the real type with the length's high bits folded in, then its low byte.
uint16_t StringMeta(uint64_t octets) {
  const auto len = static_cast<uint16_t>(octets);
  const auto byte0 = static_cast<uint16_t>(T::kString ^ ((len & 0x300) >> 4));
  return static_cast<uint16_t>((byte0 << 8) | (len & 0xff));
}

uint16_t BlobLengthBytes(const std::string& data_type) {
  if (data_type == "tinytext" || data_type == "tinyblob") return 1;
  if (data_type == "mediumtext" || data_type == "mediumblob") return 3;
  if (data_type == "longtext" || data_type == "longblob" || data_type == "json") return 4;
  return 2;  // text, blob
}

// Fills the wire type and metadata of column `i` from its catalog description.
Status Describe(const std::string& table, const CatalogColumn& c, size_t i, TableMapEvent* map) {
  uint8_t type = 0;
  uint16_t meta = 0;
  const std::string& t = c.data_type;
  bool character = false;
  if (t == "tinyint") {
    type = T::kTiny;
  } else if (t == "smallint") {
    type = T::kShort;
  } else if (t == "mediumint") {
    type = T::kInt24;
  } else if (t == "int" || t == "integer") {
    type = T::kLong;
  } else if (t == "bigint") {
    type = T::kLongLong;
  } else if (t == "float") {
    type = T::kFloat;
    meta = 4;
  } else if (t == "double" || t == "real") {
    type = T::kDouble;
    meta = 8;
  } else if (t == "decimal" || t == "numeric") {
    type = T::kNewDecimal;
    meta = static_cast<uint16_t>((c.numeric_precision << 8) | c.numeric_scale);
  } else if (t == "bit") {
    type = T::kBit;
    meta = static_cast<uint16_t>(((c.numeric_precision / 8) << 8) | (c.numeric_precision % 8));
  } else if (t == "date") {
    type = T::kDate;
  } else if (t == "datetime") {
    type = T::kDatetime2;
    meta = static_cast<uint16_t>(c.datetime_precision);
  } else if (t == "timestamp") {
    type = T::kTimestamp2;
    meta = static_cast<uint16_t>(c.datetime_precision);
  } else if (t == "time") {
    type = T::kTime2;
    meta = static_cast<uint16_t>(c.datetime_precision);
  } else if (t == "year") {
    type = T::kYear;
  } else if (t == "char" || t == "binary") {
    type = T::kString;
    meta = StringMeta(c.octet_length);
    character = true;
  } else if (t == "varchar" || t == "varbinary") {
    type = T::kVarchar;
    meta = static_cast<uint16_t>(c.octet_length);
    character = true;
  } else if (t == "tinytext" || t == "text" || t == "mediumtext" || t == "longtext" ||
             t == "tinyblob" || t == "blob" || t == "mediumblob" || t == "longblob") {
    type = T::kBlob;
    meta = BlobLengthBytes(t);
    character = true;
  } else if (t == "json") {
    type = c.mariadb ? T::kBlob : T::kJson;  // MariaDB's JSON is LONGTEXT
    meta = 4;
    character = c.mariadb;
  } else if (t == "enum" || t == "set") {
    VIMUR_ASSIGN_OR_RETURN(std::vector<std::string> members, ParseEnumMembers(c.column_type));
    const bool is_enum = t == "enum";
    uint16_t width = 1;
    if (is_enum) {
      width = members.size() > 255 ? 2 : 1;
    } else {
      width = static_cast<uint16_t>((members.size() + 7) / 8);
      if (width > 4) width = 8;
    }
    type = T::kString;
    meta = static_cast<uint16_t>(((is_enum ? T::kEnum : T::kSet) << 8) | width);
    (is_enum ? map->enum_values : map->set_values)[i] = std::move(members);
    character = true;
  } else if (t == "geometry" || GeometryCode(t) != 0) {
    type = T::kGeometry;
    meta = 4;
    map->geometry_types[i] = GeometryCode(t);
    character = c.mariadb;
  } else {
    return Status::Unsupported("column " + c.name + " of " + table + " has type " + c.column_type +
                               ", which Vimur does not snapshot yet; exclude the table or the "
                               "column (exclude_tables, exclude_columns)");
  }
  map->column_types[i] = type;
  map->column_meta[i] = meta;
  map->is_unsigned[i] = c.column_type.find("unsigned") != std::string::npos;
  map->column_charset[i] = character ? (c.collation != 0 ? c.collation : kBinaryCollation) : 0;
  return Status::Ok();
}

int ToInt(const std::optional<std::string>& text) { return text ? std::atoi(text->c_str()) : 0; }

}  // namespace

Result<std::vector<std::string>> ParseEnumMembers(const std::string& column_type) {
  std::vector<std::string> members;
  size_t i = column_type.find('(');
  if (i == std::string::npos) {
    return Status::Corruption("ENUM/SET column type without members: " + column_type);
  }
  ++i;
  while (i < column_type.size() && column_type[i] == '\'') {
    std::string member;
    ++i;
    while (true) {
      if (i >= column_type.size()) {
        return Status::Corruption("unterminated member in column type " + column_type);
      }
      if (column_type[i] == '\'') {
        if (i + 1 < column_type.size() && column_type[i + 1] == '\'') {
          member.push_back('\'');
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      member.push_back(column_type[i++]);
    }
    members.push_back(std::move(member));
    if (i < column_type.size() && column_type[i] == ',') ++i;
  }
  return members;
}

Result<TableMapEvent> TableMapFromColumns(const std::string& database, const std::string& table,
                                          const std::vector<CatalogColumn>& columns,
                                          const std::vector<uint32_t>& key) {
  const std::string qualified = database + "." + table;
  TableMapEvent map;
  map.database = database;
  map.table = table;
  const size_t n = columns.size();
  map.column_types.resize(n);
  map.column_meta.resize(n);
  map.nullable.resize(n);
  map.is_unsigned.resize(n);
  map.column_charset.resize(n);
  map.enum_values.resize(n);
  map.set_values.resize(n);
  map.geometry_types.resize(n);
  for (size_t i = 0; i < n; ++i) {
    map.column_names.push_back(columns[i].name);
    map.nullable[i] = columns[i].nullable;
    VIMUR_RETURN_IF_ERROR(Describe(qualified, columns[i], i, &map));
  }
  map.primary_key = key;
  map.primary_key_prefix.assign(key.size(), 0);
  return map;
}

Result<TableMapEvent> TableMapFromCatalog(MySqlConnection& conn, const std::string& database,
                                          const std::string& table,
                                          std::vector<std::string>* charsets) {
  const std::string where = "TABLE_SCHEMA = '" + conn.Escape(database) + "' AND TABLE_NAME = '" +
                            conn.Escape(table) + "'";
  VIMUR_ASSIGN_OR_RETURN(
      std::vector<SqlRow> rows,
      conn.Query(
          "SELECT c.COLUMN_NAME, LOWER(c.DATA_TYPE), c.COLUMN_TYPE, c.IS_NULLABLE, "
          "c.CHARACTER_OCTET_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE, "
          "c.DATETIME_PRECISION, co.ID, c.CHARACTER_SET_NAME FROM information_schema.COLUMNS c "
          "LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = "
          "c.COLLATION_NAME WHERE c." +
          where + " ORDER BY c.ORDINAL_POSITION"));
  if (rows.empty()) {
    return Status::NotFound("table " + database + "." + table +
                            " has no columns in "
                            "information_schema (dropped, or no privilege to see it)");
  }
  std::vector<CatalogColumn> columns;
  if (charsets != nullptr) charsets->clear();
  for (const SqlRow& row : rows) {
    if (row.size() < 10 || !row[0] || !row[1] || !row[2]) {
      return Status::Corruption("unexpected information_schema.COLUMNS row for " + database + "." +
                                table);
    }
    CatalogColumn c;
    c.name = *row[0];
    c.data_type = *row[1];
    c.column_type = *row[2];
    c.nullable = row[3] && *row[3] == "YES";
    c.octet_length = row[4] ? std::strtoull(row[4]->c_str(), nullptr, 10) : 0;
    c.numeric_precision = ToInt(row[5]);
    c.numeric_scale = ToInt(row[6]);
    c.datetime_precision = ToInt(row[7]);
    c.collation = static_cast<uint32_t>(ToInt(row[8]));
    c.mariadb = conn.is_mariadb();
    if (charsets != nullptr) charsets->push_back(row[9].value_or(""));
    columns.push_back(std::move(c));
  }
  VIMUR_ASSIGN_OR_RETURN(std::vector<SqlRow> key_rows,
                         conn.Query("SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE " +
                                    where + " AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX"));
  std::vector<uint32_t> key;
  for (const SqlRow& row : key_rows) {
    if (row.empty() || !row[0]) continue;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].name == *row[0]) key.push_back(static_cast<uint32_t>(i));
    }
  }
  return TableMapFromColumns(database, table, columns, key);
}

}  // namespace vimur::mysql
