// RedisSink: the `redis` sink. Keeps one Redis key per row (the after-image as a JSON string
// or a hash, DEL on delete) or deletes keys on every change (invalidate), one pipeline per batch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "sink/batch_loop.h"
#include "sink/redis/redis_connection.h"
#include "sink/redis/redis_plan.h"
#include "sink/sink.h"
#include "sink/sql/sink_event_decoder.h"

namespace vimur::sink {

class RedisSink final : public Sink {
 public:
  // `avro_schemas`: reads Avro records directly (none: the input hands on JSON).
  explicit RedisSink(SinkConfig config, SchemaFetcher avro_schemas = nullptr);
  ~RedisSink() override;

  const std::string& name() const override { return config_.name; }
  Status Open() override;
  Status Run(RecordInput& input, const std::atomic<bool>& stop) override;
  // Connects once, for `vimur check`.
  Status Reach();
  std::string Redacted() const;

 private:
  struct Prepared;
  // Decodes and plans a batch (the loop's thread).
  Result<std::unique_ptr<PreparedBatch>> Prepare(const std::vector<InputRecord>& batch,
                                                 RecordInput& input, int64_t* newest_ts,
                                                 const std::atomic<bool>& stop);
  // Builds the batch's commands and sends them once (a thread of its own).
  Status Attempt(Prepared& prepared);
  // After the attempt: retries a Redis that is down; a refusal applies the records one by one.
  Status Finish(Prepared& prepared, Status attempted, RecordInput& input,
                const std::atomic<bool>& stop);
  // Sends `commands` until Redis confirms them, retrying a Redis that is down with backoff;
  // `attempted` is the outcome of the first try. A refusal (e.g. WRONGTYPE) is returned.
  Status Retry(const std::vector<RedisCommand>& commands, Status attempted, RecordInput& input,
               const std::atomic<bool>& stop);

  SinkConfig config_;
  std::unique_ptr<RedisPlanner> planner_;
  std::unique_ptr<RedisConnection> connection_;
  SinkEventDecoder decoder_;
};

}  // namespace vimur::sink
