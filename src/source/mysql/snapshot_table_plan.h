// SnapshotTablePlan: how a snapshot reads one MariaDB table: its schema as the binlog's
// TABLE_MAP would describe it, the SELECT that reads it and the keyset pagination (primary-key
// order, `WHERE key > last`) shared by the initial and the incremental snapshot.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "core/table_schema.h"
#include "source/capture_filter.h"
#include "source/mysql/column_defaults.h"
#include "source/mysql/mysql_connection.h"

namespace vimur::mysql {

struct SnapshotTablePlan {
  std::string database;
  std::string table;
  TableSchemaPtr full;                // every column, as the stream's schema builder makes it
  TableSchemaPtr projected;           // after exclude_columns
  std::vector<size_t> kept;           // indexes of `full` columns kept in `projected`
  std::vector<std::string> charsets;  // per column of `full`
  bool keyset = false;                // read in primary-key chunks (resumable mid-table)
  std::string select;                 // "SELECT ... FROM `db`.`t`"
  std::string order_by;               // " ORDER BY `k1`, `k2`", or empty

  std::string qualified() const { return database + "." + table; }
  // The query for the rows after the key `after` (raw key cells; empty: from the start),
  // restricted by `where` (SQL, may be empty), at most `limit` rows when paged (0: no limit).
  Result<std::string> ChunkQuery(const std::vector<std::string>& after, const std::string& where,
                                 uint64_t limit) const;
  // The raw key cells of a row as read by `select` (what ChunkQuery's `after` takes).
  std::vector<std::string> KeyCells(const char* const* cells, const unsigned long* lengths) const;
};

// Reads the table's shape from information_schema; NotFound when it no longer exists.
Result<SnapshotTablePlan> PlanSnapshotTable(MySqlConnection& conn, const CaptureFilter& filter,
                                            ColumnDefaultsSource* defaults,
                                            const std::string& database, const std::string& table);

// Key cells as stored in a position (lower-case hex, JSON-safe) and back.
std::string KeyCellToHex(std::string_view bytes);
Result<std::string> KeyCellFromHex(std::string_view hex);

}  // namespace vimur::mysql
