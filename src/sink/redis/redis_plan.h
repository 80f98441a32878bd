// RedisPlanner: what the redis sink does to Redis for a row change: the key of the row (the
// `key` template), and per key the last action of a batch (SET/HSET of the row or DEL), turned
// into Redis commands. Pure logic; RedisConnection sends the commands.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "sink/sql/event_decoder.h"
#include "sink/sql/row_template.h"

namespace vimur::sink {

struct RedisAction {
  bool remove = false;
  Row row;  // !remove: the row to write
};

// key -> the final action of the batch on it (the last change of a key wins, so per-key
// order holds within a batch).
using RedisPlan = std::map<std::string, RedisAction>;

using RedisCommand = std::vector<std::string>;

class RedisPlanner {
 public:
  static Result<RedisPlanner> Make(const SinkConfig& config);

  // Adds what `change` does: write its new key (or DEL it in invalidate mode), DEL its old key
  // when the key changed (update) or the row went (delete).
  Status Plan(const RowChange& change, const std::string& topic, RedisPlan* plan) const;
  // The same, moving the change's after-image into the plan instead of copying it.
  Status Plan(RowChange&& change, const std::string& topic, RedisPlan* plan) const;
  // The commands of one action, in order.
  std::vector<RedisCommand> Commands(const std::string& key, const RedisAction& action) const;
  // The commands of every action of `plan`.
  std::vector<RedisCommand> Commands(const RedisPlan& plan) const;
  // The key of `row` (public for tests).
  Result<std::string> KeyOf(const RowChange& change, const Row& row,
                            const std::string& topic) const;

 private:
  std::optional<RowTemplate> key_;  // nullopt: ${db}.${table}:key values joined by ':'
  bool hash_ = false;
  bool invalidate_ = false;
  int ttl_seconds_ = 0;
};

}  // namespace vimur::sink
