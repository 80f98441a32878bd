// Source: a database change log read as a stream of committed transactions, each carrying
// the position to resume from after it. Implementations: mysql/ (binlog), postgresql/ (pgoutput).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/change_event.h"
#include "core/position.h"
#include "core/status.h"

namespace vimur {

// Receives transactions in commit order. Blocks while the downstream queue is full
// (backpressure) and returns false once the pipeline is stopping.
using TransactionConsumer = std::function<bool(Transaction&&)>;

struct CheckResult {
  std::string name;
  bool ok = false;
  std::string detail;  // what was found
  std::string fix;     // what to do, when not ok
};

class Source {
 public:
  virtual ~Source() = default;
  virtual const std::string& name() const = 0;
  // The position at the current end of the change log, for a first start without snapshot.
  virtual Result<Position> CurrentEnd() = 0;
  // Streams from `start` until `stop` is set or a fatal error, delivering each transaction to
  // `consumer`. Retriable failures (lost connection, server restart) are handled inside by
  // reconnecting with backoff from the last position delivered. Returns OK when stopped.
  virtual Status Run(const Position& start, const TransactionConsumer& consumer,
                     const std::atomic<bool>& stop) = 0;
  // Initial snapshot: reads every included table as op `r` events (source.snapshot `first` on
  // the first, `last` on the final one) from one consistent read view and delivers them in
  // transactions whose `end` carries the snapshot's progress (Position::snapshot_progress),
  // the last one without it. `resume` is a stored position with progress (continue after it)
  // or empty (start). Returns the position streaming continues from: exactly what the read
  // view saw. Aborted when `stop` is set or the consumer refuses.
  virtual Result<Position> Snapshot(const Position& resume, const TransactionConsumer& consumer,
                                    const std::atomic<bool>& stop) {
    (void)resume;
    (void)consumer;
    (void)stop;
    return Status::Unsupported("source " + name() + " cannot take snapshots; set snapshot: never");
  }
  // Whether the server still holds the change log from `position` (false: purged, a snapshot
  // is needed to catch up).
  virtual Result<bool> PositionAvailable(const Position& position) {
    (void)position;
    return true;
  }
  // Called, from the publishing thread, with each newest position whose transactions the
  // transport acknowledged (in order; never a position not yet delivered). PostgreSQL confirms
  // its replication slot up to it, so the server keeps everything after.
  virtual void Acknowledged(const Position& position) { (void)position; }
  // Connection, privilege and server-setting checks for `vimur check`.
  virtual std::vector<CheckResult> Check() = 0;
};

}  // namespace vimur
