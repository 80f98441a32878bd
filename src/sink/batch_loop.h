// The read-apply-acknowledge loop shared by the sinks: polls batches, has the sink prepare each
// and apply it (the next prepared while one applies), acknowledges each only once applied, logs
// records applied and lag; plus giving up on a record (on_error: stop or dead_letter).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "sink/record_input.h"

namespace vimur::sink {

// What a sink made of one batch (decoded, planned) before applying it.
class PreparedBatch {
 public:
  virtual ~PreparedBatch() = default;
};

// The stages of applying one batch. `prepare` and `finish` run on the loop's thread and may use
// the input (dead letters, waiting while retrying); `attempt` runs on a thread of its own while
// the next batch is read and prepared, and must not touch the input.
struct BatchStages {
  // Decodes and plans `batch` (giving up records it cannot plan); sets `*newest_source_ts_ms`
  // to the newest source commit time it saw (for the lag). Without `attempt`, it also applies
  // the batch. Aborted: stopping; another error stops the sink.
  std::function<Result<std::unique_ptr<PreparedBatch>>(const std::vector<InputRecord>& batch,
                                                       int64_t* newest_source_ts_ms)>
      prepare;
  // The first attempt at applying a prepared batch (optional).
  std::function<Status(PreparedBatch& prepared)> attempt;
  // After the attempt: retries, gives up records; OK once every record was applied or given up
  // (optional: the attempt's status then decides).
  std::function<Status(const std::vector<InputRecord>& batch, PreparedBatch& prepared,
                       Status attempted)>
      finish;
};

// Runs until `stop` (returns OK) or a fatal error, acknowledging each batch once applied (the
// acknowledgement of one overlaps the attempt at the next). Batches are applied one after
// another, so per-key order holds. Closes `input` before returning.
Status RunBatchLoop(const SinkConfig& config, RecordInput& input, const std::atomic<bool>& stop,
                    const BatchStages& stages);

// Applies `batch`; sets `*newest_source_ts_ms` to the newest source commit time it saw (for the
// lag). Returns OK when every record was applied or given up, Aborted when stopping, or the
// error that stops the sink.
using ApplyBatch =
    std::function<Status(const std::vector<InputRecord>& batch, int64_t* newest_source_ts_ms)>;

// RunBatchLoop with one stage that applies each batch whole.
Status RunBatchLoop(const SinkConfig& config, RecordInput& input, const std::atomic<bool>& stop,
                    const ApplyBatch& apply);

// `record` failed for good (`why`): dead-letters it (on_error: dead_letter) or returns the
// error that stops the sink, naming the record and its key (`key_text`; empty: the key as
// DescribeRecordKey gives it).
Status GiveUpRecord(const SinkConfig& config, const InputRecord& record, const Status& why,
                    RecordInput& input, std::string key_text = "");

// Milliseconds since the epoch, for lags.
int64_t WallClockMs();

}  // namespace vimur::sink
