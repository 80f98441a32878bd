// PostgresqlSnapshot: the initial snapshot of a PostgreSQL source. The replication slot is
// created with an exported snapshot (CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export')) that a
// REPEATABLE READ transaction on a normal connection imports, so the rows read and the slot's
// consistent point meet exactly, without a lock; the tables of the publication are read in
// primary-key chunks and handed on as op `r` events; streaming then starts at that point.
#pragma once

#include <atomic>

#include "core/config.h"
#include "core/position.h"
#include "core/status.h"
#include "source/source.h"

namespace vimur::postgresql {

class PostgresqlSnapshot {
 public:
  explicit PostgresqlSnapshot(const SourceConfig& config);

  // See Source::Snapshot. Without stored progress and without the slot, the slot is created
  // exporting the read view. A resumed snapshot (`resume` carries progress), or a first one
  // finding the slot already there, reads from a new REPEATABLE READ view and streams from
  // the slot's position from before it (the stored one, or the slot's confirmed position):
  // a row read from the newer view may then be followed by older values of it before its
  // newest, and the consumer still ends equal to the source. snapshot: initial_only creates
  // no slot (nothing streams after).
  Result<Position> Run(const Position& resume, const TransactionConsumer& consumer,
                       const std::atomic<bool>& stop);

  // Rows per emitted transaction (each is one Kafka transaction with exactly_once).
  static constexpr size_t kBatchRows = 2048;
  static constexpr size_t kBatchBytes = size_t{4} << 20;

 private:
  const SourceConfig& config_;
};

}  // namespace vimur::postgresql
