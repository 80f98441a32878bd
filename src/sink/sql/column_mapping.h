// ColumnMapping: a sql sink's `columns` settings (rename, drop, type per source column),
// turning a source row into the row written to, created in and compared with the target.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "sink/sql/sql_value.h"

namespace vimur::sink {

class ColumnMapping {
 public:
  // Checks `columns` (a column both renamed and dropped, two columns given one name); errors
  // name the sink.
  static Result<ColumnMapping> Make(const std::string& sink,
                                    const std::map<std::string, SinkColumnConfig>& columns);

  // `source` as the target holds it: dropped columns left out, renamed ones under their new
  // name, overridden types set on the column's type. A rename onto a column the row also
  // has under that name is an error naming both.
  Status Apply(const Row& source, Row* out) const;
  // The same, taking the values from `source` (left unspecified).
  Status Apply(Row&& source, Row* out) const;

  // The target's name of source column `name`; nullopt when it is dropped.
  std::optional<std::string> TargetName(const std::string& name) const;
  // The target's key from the source's key columns; an error when one of them is dropped.
  Result<std::vector<std::string>> TargetKey(const std::vector<std::string>& source_key) const;
  // The source column written under target name `name` (`name` itself when no rename gives
  // it).
  std::string SourceName(const std::string& name) const;
  // Columns named in `columns` that `names` (a table's columns) does not have.
  std::vector<std::string> NotIn(const std::vector<std::string>& names) const;

  bool empty() const { return rules_.empty(); }

 private:
  std::string sink_;
  std::map<std::string, SinkColumnConfig> rules_;  // by source column
  std::map<std::string, std::string> renamed_to_;  // target name -> source column
};

}  // namespace vimur::sink
