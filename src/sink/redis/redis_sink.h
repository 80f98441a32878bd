// RedisSink: the `redis` sink. Keeps one Redis key per row (the after-image as a JSON string
// or a hash, DEL on delete) or deletes keys on every change (invalidate), one pipeline per batch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "sink/redis/redis_connection.h"
#include "sink/redis/redis_plan.h"
#include "sink/sink.h"

namespace vimur::sink {

class RedisSink final : public Sink {
 public:
  explicit RedisSink(SinkConfig config);
  ~RedisSink() override;

  const std::string& name() const override { return config_.name; }
  Status Open() override;
  Status Run(RecordInput& input, const std::atomic<bool>& stop) override;
  // Connects once, for `vimur check`.
  Status Reach();
  std::string Redacted() const;

 private:
  Status Process(const std::vector<InputRecord>& batch, RecordInput& input,
                 const std::atomic<bool>& stop, int64_t* newest_ts);
  // Sends `plan` until Redis confirms it, retrying a Redis that is down with backoff; a
  // refusal (e.g. WRONGTYPE) is returned.
  Status ApplyWithRetry(const RedisPlan& plan, RecordInput& input, const std::atomic<bool>& stop);

  SinkConfig config_;
  std::unique_ptr<RedisPlanner> planner_;
  std::unique_ptr<RedisConnection> connection_;
};

}  // namespace vimur::sink
