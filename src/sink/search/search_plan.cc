#include "sink/search/search_plan.h"

#include <set>

namespace vimur::sink {

nlohmann::ordered_json FieldShape::Apply(const nlohmann::ordered_json& row) const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  auto put = [&](const std::string& column, const nlohmann::ordered_json& value) {
    auto renamed = rename.find(column);
    out[renamed == rename.end() ? column : renamed->second] = value;
  };
  if (fields.empty()) {
    for (const auto& [column, value] : row.items()) put(column, value);
    return out;
  }
  for (const std::string& column : fields) {
    auto it = row.find(column);
    if (it != row.end()) put(column, *it);
  }
  return out;
}

Result<SearchPlan> SearchPlan::Make(const SinkConfig& config) {
  const std::string where = "sink " + config.name;
  SearchPlan plan;
  auto root = RegexPattern::Compile(config.root);
  if (!root.ok()) return root.status().WithContext(where + ": root");
  plan.root_ = std::move(root).value();
  plan.root_shape_ = FieldShape{config.fields, config.rename};
  std::set<std::string> names;
  for (const SinkRelationConfig& r : config.relations) {
    if (!names.insert(r.name).second) {
      return Status::InvalidArgument(where + ": two relations are named '" + r.name +
                                     "'; give each its own name");
    }
    if (r.key.empty() == r.on.empty()) {
      return Status::InvalidArgument(
          where + ": relation '" + r.name +
          "' needs either `key` (a child column equal to the root's key) or `on` (a root column "
          "equal to the related row's key)");
    }
    if (r.name.empty() || r.name.find('\0') != std::string::npos) {
      return Status::InvalidArgument(where + ": a relation needs a name");
    }
    for (const auto& [column, renamed] : config.rename) {
      if (renamed == r.name || (renamed.empty() && column == r.name)) {
        return Status::InvalidArgument(where + ": root column '" + column + "' is renamed to '" +
                                       r.name + "', the name of a relation; rename one of them");
      }
    }
    auto topic = RegexPattern::Compile(r.topic);
    if (!topic.ok()) return topic.status().WithContext(where + ": relation " + r.name);
    plan.relation_topics_.push_back(std::move(topic).value());
    SearchRelation relation{r.name, r.key, r.on, FieldShape{r.fields, r.rename}, nullptr};
    if (!r.query.empty()) {
      SinkEnrichConfig q;
      q.name = r.name;
      q.query = r.query;
      q.url = r.url;
      q.columns = r.fields;
      q.ttl_ms = r.ttl_ms;
      q.cache_max_entries = r.cache_max_entries;
      VIMUR_ASSIGN_OR_RETURN(relation.query, BackQuery::Make(q, config.name, "relation"));
    }
    plan.relations_.push_back(std::move(relation));
  }
  return plan;
}

const std::vector<int>& SearchPlan::RolesOf(const std::string& topic) {
  auto it = roles_.find(topic);
  if (it != roles_.end()) return it->second;
  std::vector<int> roles;
  if (root_ && root_->Matches(topic)) roles.push_back(kRootRole);
  for (size_t i = 0; i < relation_topics_.size(); ++i) {
    if (relation_topics_[i].Matches(topic)) roles.push_back(static_cast<int>(i));
  }
  return roles_.emplace(topic, std::move(roles)).first->second;
}

std::string SearchPlan::RoleName(int role) const {
  return role == kRootRole ? std::string() : relations_[static_cast<size_t>(role)].name;
}

Result<std::string> RowId(const RowChange& change, const Row& row) {
  if (change.key_columns.empty()) {
    return Status::InvalidArgument("table " + change.db + "." + change.table +
                                   " has no primary key: the search sink needs one to name its "
                                   "documents and join its rows");
  }
  std::string id;
  for (size_t i = 0; i < change.key_columns.size(); ++i) {
    const SqlValue* v = row.Find(change.key_columns[i]);
    if (v == nullptr) {
      return Status::Corruption("key column '" + change.key_columns[i] + "' of " + change.db + "." +
                                change.table + " is missing from the row");
    }
    if (i > 0) id += '|';
    id += v->is_null() ? "null" : v->text;
  }
  return id;
}

std::optional<std::string> JoinText(const Row& row, const std::string& column) {
  const SqlValue* v = row.Find(column);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return v->text;
}

}  // namespace vimur::sink
