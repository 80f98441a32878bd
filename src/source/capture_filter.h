// CaptureFilter and ProjectedSchema: which tables and columns a source captures, shared by
// every source (include_tables, exclude_tables, exclude_columns of its configuration).
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/regex_pattern.h"
#include "core/table_schema.h"

namespace vimur {

// Decides which tables and columns are captured (include_tables, exclude_tables,
// exclude_columns of the source configuration; regexes matched against the whole name).
class CaptureFilter {
 public:
  explicit CaptureFilter(const SourceConfig& config);
  bool IncludesTable(const std::string& database, const std::string& table) const;
  // Whether a table of `database` may be captured: the part of each include_tables pattern
  // before its first `\.` is matched against the name; a pattern without `\.`, or with `|`,
  // may name any database. Decides which database-level DDL (CREATE DATABASE, CREATE VIEW,
  // ...) is published.
  bool IncludesDatabase(const std::string& database) const;
  bool ExcludesColumn(const std::string& database, const std::string& table,
                      const std::string& column) const;

 private:
  RegexList include_tables_;
  RegexList include_databases_;  // from include_tables, as IncludesDatabase says
  bool any_database_ = true;
  RegexList exclude_tables_;
  RegexList exclude_columns_;
};

// The schema the events of table `full` carry: without the columns `filter` excludes. `kept`
// receives the indexes of the kept columns of `full`. Returns `full` itself when none is.
TableSchemaPtr ProjectedSchema(const CaptureFilter& filter, const TableSchemaPtr& full,
                               std::vector<size_t>* kept);

}  // namespace vimur
