// Router: whether a row is kept (`filter`), where it goes (`target`, `table`, `key`) and what
// is written there (`columns`, `add_columns`) for a sql sink. Shared by the sink and verify.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "sink/sql/column_mapping.h"
#include "sink/sql/row_filter.h"
#include "sink/sql/row_template.h"
#include "sink/sql/sql_value.h"

namespace vimur::sink {

// A row's place: target, table and key values (in key-column order).
struct Place {
  std::string target;
  std::string table;
  std::vector<std::string> key_columns;
  std::vector<SqlValue> key;
  // Identity of the place, usable as a map key.
  std::string Id() const;
  // "db0.orders_1 {id=7}", for errors and reports.
  std::string Describe() const;
};

class Router {
 public:
  static Result<Router> Make(const SinkConfig& config);

  // The place of `context.row` and the row as written there (the source row through
  // `columns`, plus add_columns). `source_key` is the source's key columns, used (renamed as
  // `columns` says) when `key` is not set. Templates read the source row's names.
  Result<Place> Locate(const RowContext& context, const std::vector<std::string>& source_key,
                       Row* written) const;
  // The same, moving the values of `*source` (which `context.row` points to) into `written`.
  Result<Place> Locate(const RowContext& context, const std::vector<std::string>& source_key,
                       Row* source, Row* written) const;
  // Whether `context.row` (a source row) passes the filter; an error names the table when the
  // row lacks a column the filter reads.
  Result<bool> Keeps(const RowContext& context) const;
  bool has_filter() const { return !filter_.empty(); }
  // The (target, table) every row of a source table goes to when neither template reads a
  // column (only ${db}, ${table}, ${topic}); nullopt when the route depends on the row.
  Result<std::optional<std::pair<std::string, std::string>>> FixedPlace(
      const RowContext& context) const;
  // `key`: the target's key columns as set; empty for the source's key.
  const std::vector<std::string>& key() const { return key_; }
  const ColumnMapping& mapping() const { return mapping_; }
  const std::vector<std::string>& target_names() const { return target_names_; }
  // The names of the added columns (their values are text).
  std::vector<std::string> added_columns() const;

 private:
  std::vector<std::string> target_names_;
  RowTemplate target_;
  RowTemplate table_;
  std::vector<std::pair<std::string, RowTemplate>> add_columns_;
  std::vector<std::string> key_;
  ColumnMapping mapping_;
  RowFilter filter_;
  std::string sink_;
};

}  // namespace vimur::sink
