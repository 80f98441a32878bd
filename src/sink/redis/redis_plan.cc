#include "sink/redis/redis_plan.h"

#include "sink/row_json.h"

namespace vimur::sink {

Result<RedisPlanner> RedisPlanner::Make(const SinkConfig& config) {
  RedisPlanner p;
  if (!config.key.empty()) {
    auto compiled = RowTemplate::Compile(config.key[0], "sinks[].key");
    if (!compiled.ok()) return compiled.status().WithContext("sink " + config.name);
    p.key_ = std::move(compiled).value();
  }
  p.hash_ = config.value == "hash";
  p.invalidate_ = config.mode == "invalidate";
  p.ttl_seconds_ = config.ttl_seconds;
  return p;
}

Result<std::string> RedisPlanner::KeyOf(const RowChange& change, const Row& row,
                                        const std::string& topic) const {
  if (key_) return key_->Evaluate(RowContext{&row, change.db, change.table, topic});
  if (change.key_columns.empty()) {
    return Status::InvalidArgument("table " + change.db + "." + change.table +
                                   " has no primary key: set the sink's `key` template");
  }
  std::string key = change.db + "." + change.table + ":";
  for (size_t i = 0; i < change.key_columns.size(); ++i) {
    const SqlValue* v = row.Find(change.key_columns[i]);
    if (v == nullptr) {
      return Status::Corruption("key column '" + change.key_columns[i] + "' missing from the row");
    }
    if (i > 0) key += ':';
    key += v->is_null() ? "null" : v->text;
  }
  return key;
}

Status RedisPlanner::Plan(const RowChange& change, const std::string& topic,
                          RedisPlan* plan) const {
  RowChange copy = change;
  return Plan(std::move(copy), topic, plan);
}

Status RedisPlanner::Plan(RowChange&& change, const std::string& topic, RedisPlan* plan) const {
  if (change.op == 0) return Status::Ok();
  std::optional<std::string> old_key;
  if (change.has_before && (change.op == 'u' || change.op == 'd')) {
    VIMUR_ASSIGN_OR_RETURN(old_key, KeyOf(change, change.before, topic));
  }
  if (change.op == 'd') {
    if (!old_key) return Status::Corruption("a delete without a before-image cannot be applied");
    (*plan)[*old_key] = RedisAction{true, {}};
    return Status::Ok();
  }
  if (!change.has_after) return Status::Corruption("an insert or update without an after-image");
  VIMUR_ASSIGN_OR_RETURN(std::string key, KeyOf(change, change.after, topic));
  if (old_key && *old_key != key) (*plan)[*old_key] = RedisAction{true, {}};
  if (invalidate_) {
    (*plan)[key] = RedisAction{true, {}};
  } else {
    (*plan)[key] = RedisAction{false, std::move(change.after)};
  }
  return Status::Ok();
}

std::vector<RedisCommand> RedisPlanner::Commands(const std::string& key,
                                                 const RedisAction& action) const {
  if (action.remove) return {{"DEL", key}};
  std::vector<RedisCommand> out;
  if (!hash_) {
    RedisCommand set;  // not an initializer list: that would copy the value
    set.reserve(5);
    set.emplace_back("SET");
    set.push_back(key);
    set.push_back(RowJsonText(action.row));
    if (ttl_seconds_ > 0) {
      set.push_back("EX");
      set.push_back(std::to_string(ttl_seconds_));
    }
    out.push_back(std::move(set));
    return out;
  }
  RedisCommand hset = {"HSET", key};
  for (size_t i = 0; i < action.row.names.size(); ++i) {
    if (action.row.values[i].is_null()) continue;  // a hash has no null: the field is absent
    hset.push_back(action.row.names[i]);
    hset.push_back(action.row.values[i].text);
  }
  // The whole row replaces the hash at once (a column that became null disappears).
  out.push_back({"MULTI"});
  out.push_back({"DEL", key});
  if (hset.size() > 2) out.push_back(std::move(hset));
  if (ttl_seconds_ > 0 && out.size() > 2)
    out.push_back({"EXPIRE", key, std::to_string(ttl_seconds_)});
  out.push_back({"EXEC"});
  return out;
}

std::vector<RedisCommand> RedisPlanner::Commands(const RedisPlan& plan) const {
  std::vector<RedisCommand> out;
  for (const auto& [key, action] : plan) {
    for (auto& c : Commands(key, action)) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace vimur::sink
