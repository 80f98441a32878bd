#include "sink/sql/router.h"

#include <algorithm>

namespace vimur::sink {

std::string Place::Id() const {
  std::string id = target + '\0' + table;
  for (const SqlValue& v : key) {
    id += '\0';
    id += static_cast<char>('0' + static_cast<int>(v.kind));
    id += v.text;
  }
  return id;
}

std::string Place::Describe() const {
  std::string out = target + "." + table + " {";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i) out += ", ";
    out += (i < key_columns.size() ? key_columns[i] : "?") + "=" +
           (key[i].is_null() ? "NULL" : key[i].text);
  }
  return out + "}";
}

Result<Router> Router::Make(const SinkConfig& c) {
  Router r;
  r.sink_ = c.name;
  for (const auto& [name, url] : c.targets) r.target_names_.push_back(name);
  if (r.target_names_.empty()) {
    return Status::InvalidArgument("sink " + c.name + ": 'targets' is empty; name at least one");
  }
  std::string target = c.target;
  if (target.empty()) {
    if (r.target_names_.size() > 1) {
      return Status::InvalidArgument(
          "sink " + c.name + ": " + std::to_string(r.target_names_.size()) +
          " targets but no 'target' template choosing between them; write e.g. target: "
          "'db${mod(user_id, 2)}'");
    }
    target = r.target_names_[0];
  }
  const std::string prefix = "sinks." + c.name + ".";
  VIMUR_ASSIGN_OR_RETURN(r.target_, RowTemplate::Compile(target, prefix + "target"));
  VIMUR_ASSIGN_OR_RETURN(r.table_, RowTemplate::Compile(c.table, prefix + "table"));
  for (const auto& [column, text] : c.add_columns) {
    VIMUR_ASSIGN_OR_RETURN(RowTemplate t,
                           RowTemplate::Compile(text, prefix + "add_columns." + column));
    r.add_columns_.emplace_back(column, std::move(t));
  }
  r.key_ = c.key;
  VIMUR_ASSIGN_OR_RETURN(r.mapping_, ColumnMapping::Make(c.name, c.columns));
  for (const std::string& k : r.key_) {
    // `key` names the target's columns: a source name that the mapping changes is a mistake.
    auto rule = c.columns.find(k);
    if (rule == c.columns.end() || r.mapping_.SourceName(k) != k) continue;
    if (rule->second.drop) {
      return Status::InvalidArgument("sink " + c.name + ": key column '" + k +
                                     "' is dropped (columns." + k + ".drop)");
    }
    if (!rule->second.rename.empty() && rule->second.rename != k) {
      return Status::InvalidArgument(
          "sink " + c.name + ": 'key' names the target's columns, and '" + k + "' is renamed to '" +
          rule->second.rename + "' there; write key: [" + rule->second.rename + ", ...]");
    }
  }
  auto filter = RowFilter::Parse(c.filter);
  if (!filter.ok()) return filter.status().WithContext("sink " + c.name);
  r.filter_ = std::move(filter).value();
  if (r.target_.constant() && std::find(r.target_names_.begin(), r.target_names_.end(),
                                        r.target_.source()) == r.target_names_.end()) {
    return Status::InvalidArgument("sink " + c.name + ": target '" + target +
                                   "' is not one of 'targets'");
  }
  return r;
}

std::vector<std::string> Router::added_columns() const {
  std::vector<std::string> out;
  for (const auto& [name, t] : add_columns_) out.push_back(name);
  return out;
}

Result<Place> Router::Locate(const RowContext& context, const std::vector<std::string>& source_key,
                             Row* written) const {
  return Locate(context, source_key, nullptr, written);
}

Result<Place> Router::Locate(const RowContext& context, const std::vector<std::string>& source_key,
                             Row* source, Row* written) const {
  Place p;
  VIMUR_ASSIGN_OR_RETURN(p.target, target_.Evaluate(context));
  if (std::find(target_names_.begin(), target_names_.end(), p.target) == target_names_.end()) {
    return Status::InvalidArgument("sink " + sink_ + ": the target template '" + target_.source() +
                                   "' gave '" + p.target + "', which is not one of 'targets'");
  }
  VIMUR_ASSIGN_OR_RETURN(p.table, table_.Evaluate(context));
  if (p.table.empty()) {
    return Status::InvalidArgument("sink " + sink_ + ": the table template '" + table_.source() +
                                   "' gave an empty name");
  }
  // Every template reads the source row before its values may move.
  std::vector<std::string> added;
  added.reserve(add_columns_.size());
  for (const auto& [column, t] : add_columns_) {
    VIMUR_ASSIGN_OR_RETURN(std::string v, t.Evaluate(context));
    added.push_back(std::move(v));
  }
  Status mapped = source != nullptr ? mapping_.Apply(std::move(*source), written)
                                    : mapping_.Apply(*context.row, written);
  if (!mapped.ok()) return mapped.WithContext(context.db + "." + context.table);
  size_t next_added = 0;
  for (const auto& [column, t] : add_columns_) {
    std::string& v = added[next_added++];
    auto at = std::find(written->names.begin(), written->names.end(), column);
    if (at != written->names.end()) {
      written->values[static_cast<size_t>(at - written->names.begin())] =
          SqlValue::Text(std::move(v));
      continue;
    }
    written->names.push_back(column);
    written->values.push_back(SqlValue::Text(std::move(v)));
    if (!written->types.empty())
      written->types.push_back(ColumnType{"string", "", -1, -1, false, "", {}});
  }
  if (key_.empty()) {
    VIMUR_ASSIGN_OR_RETURN(p.key_columns, mapping_.TargetKey(source_key));
  } else {
    p.key_columns = key_;
  }
  if (p.key_columns.empty()) {
    return Status::InvalidArgument("sink " + sink_ + ": " + context.db + "." + context.table +
                                   " has no primary key; set 'key' to the columns that identify "
                                   "a row in the target");
  }
  for (const std::string& k : p.key_columns) {
    const SqlValue* v = written->Find(k);
    if (v == nullptr) {
      return Status::InvalidArgument("sink " + sink_ + ": key column '" + k + "' is not in " +
                                     context.db + "." + context.table +
                                     " (after 'columns') or add_columns");
    }
    p.key.push_back(*v);
  }
  return p;
}

Result<std::optional<std::pair<std::string, std::string>>> Router::FixedPlace(
    const RowContext& context) const {
  if (!target_.columns().empty() || !table_.columns().empty())
    return std::optional<std::pair<std::string, std::string>>();
  const Row none;
  RowContext c = context;
  c.row = &none;
  VIMUR_ASSIGN_OR_RETURN(std::string target, target_.Evaluate(c));
  VIMUR_ASSIGN_OR_RETURN(std::string table, table_.Evaluate(c));
  if (std::find(target_names_.begin(), target_names_.end(), target) == target_names_.end() ||
      table.empty()) {
    return std::optional<std::pair<std::string, std::string>>();  // (Locate reports it)
  }
  return std::optional(std::pair{target, table});
}

Result<bool> Router::Keeps(const RowContext& context) const {
  if (filter_.empty()) return true;
  auto keeps = filter_.Keeps(*context.row);
  if (!keeps.ok()) {
    return keeps.status().WithContext("sink " + sink_ + ": filter '" + filter_.text() + "' on " +
                                      context.db + "." + context.table);
  }
  return *keeps;
}

}  // namespace vimur::sink
