// TargetWriter: applies upserts and deletes to one target database in one transaction per
// call, creating missing tables and adding new columns from the rows' schemas when allowed.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "sink/sql/router.h"
#include "sink/sql/sql_connection.h"

namespace vimur::sink {

// The final state of one place: the row (upsert) or its absence (delete).
struct WriteAction {
  bool remove = false;
  Place place;
  Row row;  // upsert: the whole row as written; delete: unused
};

class TargetWriter {
 public:
  TargetWriter(std::string name, std::unique_ptr<SqlConnection> connection, bool create_tables,
               bool add_columns = true);

  // Applies `actions` (at most one per place) in one transaction: all or nothing. Retriable
  // errors are kUnavailable; the connection reconnects on the next call.
  Status Apply(const std::vector<const WriteAction*>& actions);
  SqlConnection& connection() { return *connection_; }
  const std::string& name() const { return name_; }

  // Statements, public for tests.
  static std::string UpsertSql(SqlConnection& c, const std::string& table,
                               const std::vector<std::string>& columns,
                               const std::vector<std::string>& key,
                               const std::vector<const Row*>& rows);
  // PostgreSQL: the upsert of every row staged in `stage` (loaded by COPY).
  static std::string UpsertFromStageSql(SqlConnection& c, const std::string& table,
                                        const std::vector<std::string>& columns,
                                        const std::vector<std::string>& key,
                                        const std::string& stage);
  static std::string DeleteSql(SqlConnection& c, const std::string& table,
                               const std::vector<std::string>& key,
                               const std::vector<const std::vector<SqlValue>*>& keys);
  static std::string CreateTableSql(SqlConnection& c, const std::string& table, const Row& row,
                                    const std::vector<std::string>& key);

 private:
  Status EnsureTable(const std::string& table, const WriteAction& sample,
                     const std::set<std::string>& columns_needed);

  // A temporary table emptied at each commit with `columns` of `table`, which COPY loads before
  // one INSERT ... SELECT upserts its rows: created on first use in a session.
  Result<std::string> StageFor(const std::string& table, const std::vector<std::string>& columns);
  Status CopyToStage(const std::string& stage, const std::vector<std::string>& columns,
                     const std::vector<const Row*>& rows);

  std::string name_;
  std::unique_ptr<SqlConnection> connection_;
  bool create_tables_;
  bool add_columns_;
  std::map<std::string, std::set<std::string>> known_;  // table -> its columns
  // (table, columns) -> its stage, in this session (forgotten after a failure).
  std::map<std::pair<std::string, std::vector<std::string>>, std::string> stages_;
  int next_stage_ = 0;
};

}  // namespace vimur::sink
