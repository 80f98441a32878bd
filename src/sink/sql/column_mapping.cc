#include "sink/sql/column_mapping.h"

#include <algorithm>
#include <set>

namespace vimur::sink {

Result<ColumnMapping> ColumnMapping::Make(const std::string& sink,
                                          const std::map<std::string, SinkColumnConfig>& columns) {
  ColumnMapping m;
  m.sink_ = sink;
  m.rules_ = columns;
  const std::string where = "sink " + sink + ": columns.";
  for (const auto& [name, rule] : columns) {
    if (rule.drop && !rule.rename.empty()) {
      return Status::InvalidArgument(where + name + " is both dropped and renamed to '" +
                                     rule.rename + "'; keep one of drop and rename");
    }
    if (rule.drop && !rule.type.empty()) {
      return Status::InvalidArgument(where + name + " is dropped, so its type '" + rule.type +
                                     "' would never be used; remove one of them");
    }
    if (rule.rename.empty() || rule.rename == name) continue;
    auto [at, inserted] = m.renamed_to_.emplace(rule.rename, name);
    if (!inserted) {
      return Status::InvalidArgument(where + at->second + " and columns." + name +
                                     " are both renamed to '" + rule.rename +
                                     "'; give each its own name");
    }
  }
  // A rename onto a column that keeps its own name would give the target two columns of one
  // name (swapping two names is fine: both are renamed).
  for (const auto& [target, source] : m.renamed_to_) {
    auto other = columns.find(target);
    if (other != columns.end() && !other->second.drop &&
        (other->second.rename.empty() || other->second.rename == target)) {
      return Status::InvalidArgument(
          where + source + " is renamed to '" + target + "', which columns." + target +
          " keeps as its own name; rename or drop " + target + " as well");
    }
  }
  return m;
}

Status ColumnMapping::Apply(Row&& source, Row* out) const {
  if (!rules_.empty()) return Apply(static_cast<const Row&>(source), out);
  *out = std::move(source);
  return Status::Ok();
}

Status ColumnMapping::Apply(const Row& source, Row* out) const {
  if (rules_.empty()) {
    *out = source;
    return Status::Ok();
  }
  out->names.clear();
  out->values.clear();
  out->types.clear();
  const bool typed = source.types.size() == source.names.size();
  std::set<std::string> seen;
  for (size_t i = 0; i < source.names.size(); ++i) {
    const std::string& name = source.names[i];
    auto rule = rules_.find(name);
    std::string target = name;
    if (rule != rules_.end()) {
      if (rule->second.drop) continue;
      if (!rule->second.rename.empty()) target = rule->second.rename;
    }
    if (!seen.insert(target).second) {
      return Status::InvalidArgument("sink " + sink_ + ": column '" + SourceName(target) +
                                     "' is renamed to '" + target +
                                     "', but the row has a column of that name too; rename or "
                                     "drop it (columns." +
                                     target + ")");
    }
    out->names.push_back(target);
    out->values.push_back(source.values[i]);
    if (typed) {
      ColumnType type = source.types[i];
      if (rule != rules_.end() && !rule->second.type.empty()) type.sql_type = rule->second.type;
      out->types.push_back(std::move(type));
    }
  }
  return Status::Ok();
}

std::optional<std::string> ColumnMapping::TargetName(const std::string& name) const {
  auto rule = rules_.find(name);
  if (rule == rules_.end()) return name;
  if (rule->second.drop) return std::nullopt;
  return rule->second.rename.empty() ? name : rule->second.rename;
}

Result<std::vector<std::string>> ColumnMapping::TargetKey(
    const std::vector<std::string>& source_key) const {
  std::vector<std::string> key;
  for (const std::string& k : source_key) {
    std::optional<std::string> target = TargetName(k);
    if (!target) {
      return Status::InvalidArgument("sink " + sink_ + ": key column '" + k +
                                     "' is dropped (columns." + k +
                                     ".drop); set 'key' to the target's key columns");
    }
    key.push_back(*target);
  }
  return key;
}

std::string ColumnMapping::SourceName(const std::string& name) const {
  auto at = renamed_to_.find(name);
  return at == renamed_to_.end() ? name : at->second;
}

std::vector<std::string> ColumnMapping::NotIn(const std::vector<std::string>& names) const {
  std::vector<std::string> out;
  for (const auto& [name, rule] : rules_) {
    if (std::find(names.begin(), names.end(), name) == names.end()) out.push_back(name);
  }
  return out;
}

}  // namespace vimur::sink
