#include "sink/redis/redis_sink.h"

#include <algorithm>
#include <chrono>

#include "core/logging.h"
#include "core/metrics_probes.h"
#include "sink/batch_loop.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink {

RedisSink::RedisSink(SinkConfig config) : config_(std::move(config)) {}

RedisSink::~RedisSink() = default;

Status RedisSink::Open() {
  auto url = ParseRedisUrl(config_.url);
  if (!url.ok()) return url.status().WithContext("sink " + config_.name);
  VIMUR_ASSIGN_OR_RETURN(RedisPlanner planner, RedisPlanner::Make(config_));
  planner_ = std::make_unique<RedisPlanner>(std::move(planner));
  connection_ = std::make_unique<RedisConnection>(*url, config_.timeout_ms);
  return Status::Ok();
}

Status RedisSink::Reach() {
  Status s = connection_->Pipeline({{"PING"}});
  return s.ok() ? s : s.WithContext("sink " + config_.name);
}

std::string RedisSink::Redacted() const { return connection_->url().Redacted(); }

Status RedisSink::ApplyWithRetry(const RedisPlan& plan, RecordInput& input,
                                 const std::atomic<bool>& stop) {
  std::vector<RedisCommand> commands;
  for (const auto& [key, action] : plan) {
    for (auto& c : planner_->Commands(key, action)) commands.push_back(std::move(c));
  }
  if (commands.empty()) return Status::Ok();
  auto backoff = std::chrono::milliseconds(100);
  const auto max_backoff = std::chrono::milliseconds(config_.retry_max_backoff_ms);
  for (int attempt = 1;; ++attempt) {
    Status s = connection_->Pipeline(commands);
    if (s.ok() || !s.retriable()) return s;
    if (stop.load()) return Status::Aborted("stopped while retrying: " + s.message());
    metrics::SinkProbe& probe = metrics::SinkProbe::For(config_.name);
    probe.retries.Add();
    probe.up.Set(0);
    LOG_WARN << "sink " << config_.name << ": " << s.message() << "; retry " << attempt << " in "
             << backoff.count() << " ms (nothing is acknowledged meanwhile)";
    input.Wait(backoff);
    backoff = std::min(backoff * 2, max_backoff);
  }
}

Status RedisSink::Process(const std::vector<InputRecord>& batch, RecordInput& input,
                          const std::atomic<bool>& stop, int64_t* newest_ts) {
  RedisPlan plan;
  std::vector<const InputRecord*> planned;  // for applying one at a time if the batch fails
  planned.reserve(batch.size());
  for (const InputRecord& r : batch) {
    auto change = DecodeJsonEvent(r);
    Status s = change.status();
    if (change.ok()) {
      const int64_t ts = change->source_ts_ms;
      s = planner_->Plan(std::move(change).value(), r.topic, &plan);
      if (s.ok()) {
        *newest_ts = std::max(*newest_ts, ts);
        planned.push_back(&r);
      }
    }
    if (!s.ok()) VIMUR_RETURN_IF_ERROR(GiveUpRecord(config_, r, s, input));
  }
  Status s = ApplyWithRetry(plan, input, stop);
  if (s.ok() || s.code() == StatusCode::kAborted) return s;
  // Redis refused a command for good (e.g. a key of another type): apply the records one at a
  // time, in order, so that the others are applied and the error names the record.
  LOG_WARN << "sink " << config_.name << ": batch of " << batch.size() << " records refused ("
           << s.message() << "); applying them one by one";
  for (const InputRecord* record : planned) {
    RedisPlan single;
    auto change = DecodeJsonEvent(*record);  // decoded and planned above: again the same
    VIMUR_RETURN_IF_ERROR(change.status());
    VIMUR_RETURN_IF_ERROR(planner_->Plan(std::move(change).value(), record->topic, &single));
    Status one = ApplyWithRetry(single, input, stop);
    if (one.code() == StatusCode::kAborted) return one;
    if (!one.ok()) VIMUR_RETURN_IF_ERROR(GiveUpRecord(config_, *record, one, input));
  }
  return Status::Ok();
}

Status RedisSink::Run(RecordInput& input, const std::atomic<bool>& stop) {
  LOG_INFO << "sink " << config_.name << ": writing to " << connection_->url().Redacted() << " ("
           << (config_.mode == "invalidate" ? "invalidate" : "value " + config_.value) << ")";
  return RunBatchLoop(config_, input, stop,
                      [&](const std::vector<InputRecord>& batch, int64_t* newest) {
                        return Process(batch, input, stop, newest);
                      });
}

}  // namespace vimur::sink
