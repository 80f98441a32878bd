// The read-apply-acknowledge loop shared by the redis and http sinks: polls batches, hands each
// to the sink, acknowledges it only once applied, logs records applied and lag; plus giving up
// on a record (on_error: stop or dead_letter).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "sink/record_input.h"

namespace vimur::sink {

// Applies `batch`; sets `*newest_source_ts_ms` to the newest source commit time it saw (for the
// lag). Returns OK when every record was applied or given up, Aborted when stopping, or the
// error that stops the sink.
using ApplyBatch =
    std::function<Status(const std::vector<InputRecord>& batch, int64_t* newest_source_ts_ms)>;

// Runs until `stop` (returns OK) or a fatal error. Closes `input` before returning.
Status RunBatchLoop(const SinkConfig& config, RecordInput& input, const std::atomic<bool>& stop,
                    const ApplyBatch& apply);

// `record` failed for good (`why`): dead-letters it (on_error: dead_letter) or returns the
// error that stops the sink, naming the record and its key.
Status GiveUpRecord(const SinkConfig& config, const InputRecord& record, const Status& why,
                    RecordInput& input);

// Milliseconds since the epoch, for lags.
int64_t WallClockMs();

}  // namespace vimur::sink
