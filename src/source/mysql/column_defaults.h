// Column defaults for table schemas. The binlog carries none, and Vimur parses no DDL: when a
// new table shape appears, the defaults are read from information_schema.COLUMNS and used only
// when the column list there matches the binlog's (otherwise they are left out and logged).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table_schema.h"
#include "source/mysql/mysql_connection.h"

namespace vimur::mysql {

// One row of information_schema.COLUMNS, in ORDINAL_POSITION order.
struct InfoSchemaColumn {
  std::string name;
  std::optional<std::string> column_default;  // COLUMN_DEFAULT; nullopt for SQL NULL
  std::string column_type;                    // COLUMN_TYPE: `int(11) unsigned`, `float`, ...
  bool expression = false;  // MySQL's DEFAULT_GENERATED: the default is an expression
};

// Where the columns of a table come from: a server connection, or rows in tests.
class ColumnDefaultsSource {
 public:
  virtual ~ColumnDefaultsSource() = default;
  virtual Result<std::vector<InfoSchemaColumn>> Columns(const std::string& database,
                                                        const std::string& table) = 0;
};

// The default of `column` as ColumnSchema::default_value holds it, from COLUMN_DEFAULT as
// MariaDB (literals quoted: 'dflt', NULL as the text NULL, expressions as written) or MySQL
// (literals unquoted) reports it; nullopt for none, NULL, and expressions (CURRENT_TIMESTAMP,
// functions), which have no constant value to declare.
std::optional<std::string> NormalizeColumnDefault(const std::optional<std::string>& column_default,
                                                  const ColumnSchema& column, bool mariadb);

// The display width in `column_type` (`int(11) unsigned` -> 11); 0 when it shows none.
int DisplayWidth(std::string_view column_type);

// Sets the defaults (and integer display widths) of `schema`'s columns from `columns` when
// those are the binlog's columns (same count, same names in order) and returns true; otherwise
// leaves `schema` untouched and returns false (the table changed since the binlog event: the
// defaults are not known).
bool ApplyColumnDefaults(const std::vector<InfoSchemaColumn>& columns, bool mariadb,
                         TableSchema* schema);

// Fills in the defaults of a new table shape from `source`: logs (naming the table) and leaves
// them out when the server cannot be asked or its columns differ from the binlog's.
void AddColumnDefaults(ColumnDefaultsSource& source, bool mariadb, TableSchema* schema);

// ColumnDefaultsSource over a connection of its own, opened on first use and again after an
// error. Not thread-safe (one per source thread).
class ServerColumnDefaults : public ColumnDefaultsSource {
 public:
  explicit ServerColumnDefaults(MySqlConnectOptions options) : options_(std::move(options)) {}
  Result<std::vector<InfoSchemaColumn>> Columns(const std::string& database,
                                                const std::string& table) override;

 private:
  MySqlConnectOptions options_;
  std::optional<MySqlConnection> connection_;
};

}  // namespace vimur::mysql
