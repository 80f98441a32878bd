#include "sink/batch_loop.h"

#include <algorithm>
#include <chrono>

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
                    RecordInput& input) {
  std::string key = DescribeRecordKey(record);
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

Status RunBatchLoop(const SinkConfig& config, RecordInput& input, const std::atomic<bool>& stop,
                    const ApplyBatch& apply) {
  VIMUR_RETURN_IF_ERROR(input.Start());
  metrics::SinkProbe& probe = metrics::SinkProbe::For(config.name);
  probe.up.Set(1);
  uint64_t records = 0, batches = 0;
  int64_t max_lag = 0, last_lag = -1;
  auto last_log = std::chrono::steady_clock::now();
  const auto interval = std::chrono::seconds(config.lag_log_interval_s);
  Status result;
  while (!stop.load()) {
    auto batch = input.Poll(static_cast<size_t>(config.batch_max_records),
                            std::chrono::milliseconds(config.batch_max_ms));
    if (!batch.ok()) {
      if (!batch.status().retriable()) {
        result = batch.status();
        break;
      }
      LOG_WARN << "sink " << config.name << ": " << batch.status().message();
      probe.up.Set(0);
      input.Wait(std::chrono::milliseconds(500));
      continue;
    }
    if (!batch->empty()) {
      int64_t newest = 0;
      Status s = apply(*batch, &newest);
      if (s.code() == StatusCode::kAborted) break;  // stopping while the target is down
      if (!s.ok()) {
        result = s;
        break;
      }
      Status acked = input.Acknowledge(*batch);
      if (!acked.ok()) {
        // Applied but not acknowledged: delivered again after a restart (at least once).
        LOG_WARN << "sink " << config.name << ": " << acked.message();
      }
      ++batches;
      records += batch->size();
      probe.records.Add(batch->size());
      probe.batches.Add();
      probe.up.Set(1);
      if (newest > 0) {
        last_lag = std::max<int64_t>(0, WallClockMs() - newest);
        max_lag = std::max(max_lag, last_lag);
        probe.lag_ms.Set(static_cast<double>(last_lag));
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_log >= interval) {
      if (records > 0) {
        LOG_INFO << "sink " << config.name << ": applied " << records << " records in " << batches
                 << " batches; lag " << last_lag << " ms (max " << max_lag
                 << " ms) from source commit to target confirmation";
      }
      records = batches = 0;
      max_lag = 0;
      last_log = now;
    }
  }
  probe.up.Set(0);
  input.Close();
  return result;
}

}  // namespace vimur::sink
