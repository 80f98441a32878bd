#include "source/capture_filter.h"

namespace vimur {

CaptureFilter::CaptureFilter(const SourceConfig& config)
    : include_tables_(config.include_tables),
      exclude_tables_(config.exclude_tables),
      exclude_columns_(config.exclude_columns) {
  any_database_ = config.include_tables.empty();
  std::vector<std::string> database_patterns;
  for (const std::string& pattern : config.include_tables) {
    const size_t dot = pattern.find("\\.");
    if (dot == std::string::npos || pattern.find('|') != std::string::npos) {
      any_database_ = true;
      continue;
    }
    std::string prefix = pattern.substr(0, dot);
    if (RegexPattern::Compile(prefix).ok()) {
      database_patterns.push_back(std::move(prefix));
    } else {
      any_database_ = true;  // e.g. `(shop\.orders)`: the prefix alone is no regex
    }
  }
  include_databases_ = RegexList(database_patterns);
}

bool CaptureFilter::IncludesDatabase(const std::string& database) const {
  return any_database_ || include_databases_.AnyMatches(database);
}

bool CaptureFilter::IncludesTable(const std::string& database, const std::string& table) const {
  std::string name = database + "." + table;
  if (!include_tables_.empty() && !include_tables_.AnyMatches(name)) return false;
  return !exclude_tables_.AnyMatches(name);
}

bool CaptureFilter::ExcludesColumn(const std::string& database, const std::string& table,
                                   const std::string& column) const {
  return !exclude_columns_.empty() &&
         exclude_columns_.AnyMatches(database + "." + table + "." + column);
}

TableSchemaPtr ProjectedSchema(const CaptureFilter& filter, const TableSchemaPtr& full,
                               std::vector<size_t>* kept) {
  kept->clear();
  TableSchema projected = *full;
  projected.columns.clear();
  projected.key_columns.clear();
  std::vector<int> remap(full->columns.size(), -1);
  for (size_t i = 0; i < full->columns.size(); ++i) {
    if (filter.ExcludesColumn(full->database, full->table, full->columns[i].name)) continue;
    remap[i] = static_cast<int>(projected.columns.size());
    kept->push_back(i);
    projected.columns.push_back(full->columns[i]);
  }
  for (size_t k : full->key_columns) {
    if (remap[k] >= 0) projected.key_columns.push_back(static_cast<size_t>(remap[k]));
  }
  return kept->size() == full->columns.size()
             ? full
             : std::make_shared<const TableSchema>(std::move(projected));
}

}  // namespace vimur
