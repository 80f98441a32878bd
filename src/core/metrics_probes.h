// The metrics of each component kind (per source, per sink, the process), made in one place so
// their names, labels and help texts stay together; docs/operations.md lists them.
#pragma once

#include <string>

#include "core/metrics.h"

namespace vimur::metrics {

// Per source (label `source`). Updated per transaction or batch, never per event.
struct SourceProbe {
  Counter& events;        // change events acknowledged by the transport
  Counter& transactions;  // source transactions acknowledged by the transport
  Gauge& lag_ms;          // commit at the source to acknowledgement, last transaction
  Histogram& lag;         // the same, every transaction
  Gauge& up;              // 1 while streaming or taking a snapshot, 0 otherwise
  Counter& reconnects;    // reconnections to the server after a lost connection
  Counter& restarts;      // restarts by the pipeline after a failure
  Info& position;         // the last position committed (resume point)
  Gauge& retained_bytes;  // change log the server keeps from the resume point on (binlog, WAL)
  Gauge& retained_files;  // MariaDB/MySQL: binlog files from the resume point's on

  // The probe of source `name` in `registry` (made on first use).
  static SourceProbe& For(const std::string& name, Registry& registry = Registry::Default());
};

// Per sink (label `sink`).
struct SinkProbe {
  Counter& records;        // records applied to the target (and acknowledged)
  Counter& batches;        // batches applied
  Gauge& lag_ms;           // now minus the source commit time of the newest record applied
  Counter& retries;        // retries of a batch the target refused for a while
  Counter& dead_lettered;  // records given up and written to the dead-letter topic
  Gauge& up;               // 1 while applying, 0 while retrying, reconnecting or stopped

  static SinkProbe& For(const std::string& name, Registry& registry = Registry::Default());
};

// Per table a snapshot reads (labels `source`, `table` as db.table), initial and incremental
// snapshots alike. Updated per chunk.
struct SnapshotProbe {
  Counter& rows;     // rows read from the table by snapshots
  Gauge& estimate;   // the server's estimate of the table's rows when its snapshot started
  Gauge& remaining;  // estimated rows left of the snapshot in progress; 0 once it is done
  Gauge& running;    // 1 while a snapshot reads the table, 0 otherwise

  // Sets estimate, remaining and running when a snapshot of the table starts.
  void Started(uint64_t estimated_rows);
  // Counts `n` more rows read.
  void Read(uint64_t n);
  // The table is done (or the snapshot stopped).
  void Finished();

  static SnapshotProbe& For(const std::string& source, const std::string& table,
                            Registry& registry = Registry::Default());
};

// The capture queue's bytes (captured, not yet published).
Gauge& QueueBytes(Registry& registry = Registry::Default());

// process_resident_memory_bytes, process_cpu_seconds_total, process_start_time_seconds (read
// from /proc/self at each scrape) and vimur_build_info. Idempotent.
void RegisterProcessMetrics(Registry& registry = Registry::Default());

// The source commit to acknowledgement lag buckets, in ms.
const std::vector<int64_t>& LagBucketsMs();

}  // namespace vimur::metrics
