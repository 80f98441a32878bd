#include "sink/redis/redis_sink.h"

#include <algorithm>
#include <chrono>

#include "core/logging.h"
#include "core/metrics_probes.h"

namespace vimur::sink {

RedisSink::RedisSink(SinkConfig config, SchemaFetcher avro_schemas)
    : config_(std::move(config)), decoder_(std::move(avro_schemas)) {}

RedisSink::~RedisSink() = default;

Status RedisSink::Open() {
  auto url = ParseRedisUrl(config_.url);
  if (!url.ok()) return url.status().WithContext("sink " + config_.name);
  VIMUR_ASSIGN_OR_RETURN(RedisPlanner planner, RedisPlanner::Make(config_));
  planner_ = std::make_unique<RedisPlanner>(std::move(planner));
  RedisTls tls{config_.tls_ca, config_.tls_cert, config_.tls_key, config_.tls_verify};
  connection_ = std::make_unique<RedisConnection>(*url, config_.timeout_ms, std::move(tls));
  return Status::Ok();
}

Status RedisSink::Reach() {
  Status s = connection_->Pipeline({{"PING"}});
  return s.ok() ? s : s.WithContext("sink " + config_.name);
}

std::string RedisSink::Redacted() const { return connection_->url().Redacted(); }

struct RedisSink::Prepared final : PreparedBatch {
  RedisPlan plan;
  std::vector<const InputRecord*> planned;  // for applying one at a time if the batch fails
  std::vector<RedisCommand> commands;       // built by the attempt
};

Result<std::unique_ptr<PreparedBatch>> RedisSink::Prepare(const std::vector<InputRecord>& batch,
                                                          RecordInput& input, int64_t* newest_ts,
                                                          const std::atomic<bool>& stop) {
  auto prepared = std::make_unique<Prepared>();
  prepared->planned.reserve(batch.size());
  VIMUR_RETURN_IF_ERROR(decoder_.Prepare(batch, config_, input, stop));
  std::vector<Result<RowChange>> changes = decoder_.DecodeAll(batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    const InputRecord& r = batch[i];
    Result<RowChange>& change = changes[i];
    Status s = change.status();
    if (change.ok()) {
      const int64_t ts = change->source_ts_ms;
      s = planner_->Plan(std::move(change).value(), r.topic, &prepared->plan);
      if (s.ok()) {
        *newest_ts = std::max(*newest_ts, ts);
        prepared->planned.push_back(&r);
      }
    }
    if (!s.ok()) VIMUR_RETURN_IF_ERROR(decoder_.GiveUp(config_, r, s, input));
  }
  return std::unique_ptr<PreparedBatch>(std::move(prepared));
}

Status RedisSink::Attempt(Prepared& prepared) {
  prepared.commands = planner_->Commands(prepared.plan);
  if (prepared.commands.empty()) return Status::Ok();
  return connection_->Pipeline(prepared.commands);
}

Status RedisSink::Retry(const std::vector<RedisCommand>& commands, Status attempted,
                        RecordInput& input, const std::atomic<bool>& stop) {
  auto backoff = std::chrono::milliseconds(100);
  const auto max_backoff = std::chrono::milliseconds(config_.retry_max_backoff_ms);
  for (int attempt = 1;; ++attempt) {
    if (attempted.ok() || !attempted.retriable()) return attempted;
    if (stop.load()) return Status::Aborted("stopped while retrying: " + attempted.message());
    metrics::SinkProbe& probe = metrics::SinkProbe::For(config_.name);
    probe.retries.Add();
    probe.up.Set(0);
    LOG_WARN << "sink " << config_.name << ": " << attempted.message() << "; retry " << attempt
             << " in " << backoff.count() << " ms (nothing is acknowledged meanwhile)";
    input.Wait(backoff);
    backoff = std::min(backoff * 2, max_backoff);
    attempted = connection_->Pipeline(commands);
  }
}

Status RedisSink::Finish(Prepared& prepared, Status attempted, RecordInput& input,
                         const std::atomic<bool>& stop) {
  Status s = Retry(prepared.commands, std::move(attempted), input, stop);
  if (s.ok() || s.code() == StatusCode::kAborted) return s;
  // Redis refused a command for good (e.g. a key of another type): apply the records one at a
  // time, in order, so that the others are applied and the error names the record.
  LOG_WARN << "sink " << config_.name << ": batch of " << prepared.planned.size()
           << " records refused (" << s.message() << "); applying them one by one";
  for (const InputRecord* record : prepared.planned) {
    RedisPlan single;
    // Decoded and planned above: again the same (its schemas may have left the cache since).
    VIMUR_RETURN_IF_ERROR(decoder_.Prepare({*record}, config_, input, stop));
    auto change = decoder_.Decode(*record);
    VIMUR_RETURN_IF_ERROR(change.status());
    VIMUR_RETURN_IF_ERROR(planner_->Plan(std::move(change).value(), record->topic, &single));
    const std::vector<RedisCommand> commands = planner_->Commands(single);
    if (commands.empty()) continue;
    Status one = Retry(commands, connection_->Pipeline(commands), input, stop);
    if (one.code() == StatusCode::kAborted) return one;
    if (!one.ok()) VIMUR_RETURN_IF_ERROR(decoder_.GiveUp(config_, *record, one, input));
  }
  return Status::Ok();
}

Status RedisSink::Run(RecordInput& input, const std::atomic<bool>& stop) {
  LOG_INFO << "sink " << config_.name << ": writing to " << connection_->url().Redacted() << " ("
           << (config_.mode == "invalidate" ? "invalidate" : "value " + config_.value) << ")";
  BatchStages stages;
  stages.prepare = [&](const std::vector<InputRecord>& batch, int64_t* newest) {
    return Prepare(batch, input, newest, stop);
  };
  stages.attempt = [&](PreparedBatch& p) { return Attempt(static_cast<Prepared&>(p)); };
  stages.finish = [&](const std::vector<InputRecord>&, PreparedBatch& p, Status attempted) {
    return Finish(static_cast<Prepared&>(p), std::move(attempted), input, stop);
  };
  return RunBatchLoop(config_, input, stop, stages);
}

}  // namespace vimur::sink
