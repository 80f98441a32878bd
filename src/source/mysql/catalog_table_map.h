// The TABLE_MAP a table's rows would carry in the binlog (binlog_row_metadata=FULL), built from
// information_schema, so snapshot reads get their TableSchema from BuildTableSchema as streamed
// rows do: one type mapping for both.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "source/mysql/binlog_event.h"
#include "source/mysql/mysql_connection.h"

namespace vimur::mysql {

// One row of the catalog query, as information_schema.COLUMNS reports a column.
struct CatalogColumn {
  std::string name;
  std::string data_type;    // DATA_TYPE, lower case: "int", "varchar", "enum", ...
  std::string column_type;  // COLUMN_TYPE: "int(10) unsigned", "enum('a','b')", ...
  bool nullable = true;
  uint64_t octet_length = 0;   // CHARACTER_OCTET_LENGTH (strings)
  int numeric_precision = 0;   // NUMERIC_PRECISION (DECIMAL, BIT)
  int numeric_scale = 0;       // NUMERIC_SCALE
  int datetime_precision = 0;  // DATETIME_PRECISION
  uint32_t collation = 0;      // collation id; 0 for non-strings
  bool mariadb = true;
};

// The members of an ENUM or SET COLUMN_TYPE ("enum('a','it''s')" -> a, it's).
Result<std::vector<std::string>> ParseEnumMembers(const std::string& column_type);

// The TABLE_MAP of `database`.`table` with `columns` (in ORDINAL_POSITION order) and the
// primary key `key` (column indexes in key order). Unsupported for column types the binlog
// decoder does not decode, naming the column.
Result<TableMapEvent> TableMapFromColumns(const std::string& database, const std::string& table,
                                          const std::vector<CatalogColumn>& columns,
                                          const std::vector<uint32_t>& key);

// Reads the columns and primary key of `database`.`table` from the server's information_schema
// and builds its TABLE_MAP. NotFound when the table does not exist. `charsets`, when given,
// receives each column's character set name (empty for non-strings).
Result<TableMapEvent> TableMapFromCatalog(MySqlConnection& conn, const std::string& database,
                                          const std::string& table,
                                          std::vector<std::string>* charsets = nullptr);

}  // namespace vimur::mysql
