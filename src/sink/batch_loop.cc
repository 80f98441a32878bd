#include "sink/batch_loop.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "core/logging.h"
#include "core/metrics_probes.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink {

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status GiveUpRecord(const SinkConfig& config, const InputRecord& record, const Status& why,
                    RecordInput& input, std::string key_text) {
  const std::string key = key_text.empty() ? DescribeRecordKey(record) : std::move(key_text);
  if (config.on_error == "dead_letter") {
    LOG_WARN << "sink " << config.name << ": record " << record.Where() << " key " << key
             << " failed: " << why.message() << "; written to dead-letter topic "
             << config.dead_letter_topic;
    VIMUR_RETURN_IF_ERROR(input.DeadLetter(record, why.message()));
    metrics::SinkProbe::For(config.name).dead_lettered.Add();
    return Status::Ok();
  }
  return Status(why.code(), "sink " + config.name + ": record " + record.Where() + " key " + key +
                                ": " + why.message() +
                                "; the sink stopped before it (on_error: stop): fix the target "
                                "or the record and restart, or set on_error: dead_letter");
}

namespace {

struct Attempt {
  Status status;
  int64_t ended_ms = 0;  // when the target answered
};

// A batch between being polled and acknowledged.
struct InFlightBatch {
  std::vector<InputRecord> records;
  std::unique_ptr<PreparedBatch> prepared;
  int64_t newest_source_ts_ms = 0;
  std::future<Attempt> attempt;  // not valid: no attempt stage
};

}  // namespace

Status RunBatchLoop(const SinkConfig& config, RecordInput& input, const std::atomic<bool>& stop,
                    const BatchStages& stages) {
  VIMUR_RETURN_IF_ERROR(input.Start());
  metrics::SinkProbe& probe = metrics::SinkProbe::For(config.name);
  probe.up.Set(1);
  uint64_t records = 0, batches = 0;
  int64_t max_lag = 0, last_lag = -1;
  auto last_log = std::chrono::steady_clock::now();
  const auto interval = std::chrono::seconds(config.lag_log_interval_s);
  // Waits for the batch's attempt and finishes it; the lag is taken when the target confirmed.
  auto complete = [&](InFlightBatch& b) -> Status {
    Attempt first = b.attempt.valid() ? b.attempt.get() : Attempt{Status::Ok(), WallClockMs()};
    const bool retried = !first.status.ok();
    Status s = stages.finish ? stages.finish(b.records, *b.prepared, std::move(first.status))
                             : std::move(first.status);
    if (s.ok() && b.newest_source_ts_ms > 0) {
      last_lag =
          std::max<int64_t>(0, (retried ? WallClockMs() : first.ended_ms) - b.newest_source_ts_ms);
      max_lag = std::max(max_lag, last_lag);
      probe.lag_ms.Set(static_cast<double>(last_lag));
    }
    return s;
  };
  auto acknowledge = [&](const InFlightBatch& b) {
    Status acked = input.Acknowledge(b.records);
    if (!acked.ok()) {
      // Applied but not acknowledged: delivered again after a restart (at least once).
      LOG_WARN << "sink " << config.name << ": " << acked.message();
    }
    ++batches;
    records += b.records.size();
    probe.records.Add(b.records.size());
    probe.batches.Add();
    probe.up.Set(1);
  };
  std::unique_ptr<InFlightBatch> applying;  // its attempt runs while the next is prepared
  Status result;
  while (!stop.load()) {
    auto polled = input.Poll(static_cast<size_t>(config.batch_max_records),
                             std::chrono::milliseconds(config.batch_max_ms));
    std::unique_ptr<InFlightBatch> next;
    Status prepared;
    if (polled.ok() && !polled->empty()) {
      next = std::make_unique<InFlightBatch>();
      next->records = std::move(polled).value();
      auto made = stages.prepare(next->records, &next->newest_source_ts_ms);
      if (made.ok()) {
        next->prepared = std::move(made).value();
      } else {
        prepared = made.status();
        next.reset();
      }
    }
    if (next && !stages.attempt) {
      // Nothing to overlap: the batch is finished and acknowledged at once.
      prepared = complete(*next);
      if (prepared.ok()) acknowledge(*next);
      next.reset();
    }
    std::unique_ptr<InFlightBatch> applied = std::move(applying);
    if (applied) {
      Status s = complete(*applied);
      if (!s.ok()) {
        if (s.code() != StatusCode::kAborted) result = s;  // Aborted: stopping while retrying
        break;
      }
    }
    if (next) {
      // The next attempt starts before the batch just applied is acknowledged: the
      // acknowledgement (a round trip to Kafka) overlaps the target's work.
      InFlightBatch* b = next.get();
      b->attempt = std::async(std::launch::async, [&stages, b] {
        Status s = stages.attempt(*b->prepared);
        return Attempt{std::move(s), WallClockMs()};
      });
      applying = std::move(next);
    }
    if (applied) acknowledge(*applied);
    if (!prepared.ok()) {
      if (prepared.code() != StatusCode::kAborted) result = prepared;
      break;
    }
    if (!polled.ok()) {
      if (!polled.status().retriable()) {
        result = polled.status();
        break;
      }
      LOG_WARN << "sink " << config.name << ": " << polled.status().message();
      probe.up.Set(0);
      input.Wait(std::chrono::milliseconds(500));
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_log >= interval) {
      if (records > 0) {
        LOG_INFO << "sink " << config.name << ": applied " << records << " records in " << batches
                 << " batches; lag " << last_lag << " ms (max " << max_lag
                 << " ms) from source commit to target commit";
      }
      records = batches = 0;
      max_lag = 0;
      last_log = now;
    }
  }
  // Stopping: the batch under way is acknowledged only if it was applied.
  if (applying && complete(*applying).ok()) acknowledge(*applying);
  applying.reset();
  probe.up.Set(0);
  input.Close();
  return result;
}

Status RunBatchLoop(const SinkConfig& config, RecordInput& input, const std::atomic<bool>& stop,
                    const ApplyBatch& apply) {
  BatchStages stages;
  stages.prepare = [&apply](const std::vector<InputRecord>& batch,
                            int64_t* newest) -> Result<std::unique_ptr<PreparedBatch>> {
    VIMUR_RETURN_IF_ERROR(apply(batch, newest));
    return std::make_unique<PreparedBatch>();
  };
  return RunBatchLoop(config, input, stop, stages);
}

}  // namespace vimur::sink
