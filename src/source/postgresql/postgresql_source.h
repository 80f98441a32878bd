// PostgresqlSource: the Source for PostgreSQL. It streams a logical replication slot with the
// built-in pgoutput plugin, turns its messages into committed Transactions, and confirms the
// slot only up to what the transport acknowledged.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "core/config.h"
#include "source/postgresql/incremental_snapshot.h"
#include "source/postgresql/pg_connection.h"
#include "source/postgresql/pgoutput_assembler.h"
#include "source/source.h"

namespace vimur::postgresql {

class PostgresqlSource : public Source {
 public:
  explicit PostgresqlSource(SourceConfig config);
  const std::string& name() const override { return config_.name; }
  // Creates the publication and the slot when missing; the slot's confirmed position.
  Result<Position> CurrentEnd() override;
  Status Run(const Position& start, const TransactionConsumer& consumer,
             const std::atomic<bool>& stop) override;
  // See PostgresqlSnapshot.
  Result<Position> Snapshot(const Position& resume, const TransactionConsumer& consumer,
                            const std::atomic<bool>& stop) override;
  // False when the replication slot is gone (with it the changes after `position`).
  Result<bool> PositionAvailable(const Position& position) override;
  void Acknowledged(const Position& position) override;
  std::vector<CheckResult> Check() override;

  // Standby status updates go at least this often (also as keepalive replies).
  static constexpr int kStatusIntervalMs = 10000;
  // How often the WAL the slot retains on the server is logged.
  static constexpr int kRetentionLogIntervalMs = 60000;

 private:
  // One connection's worth of streaming; returns when stopped, or with the error that ended it.
  Status StreamOnce(PgOutputAssembler& assembler, PgIncrementalSnapshot& incremental,
                    const TransactionConsumer& consumer, const std::atomic<bool>& stop);

  void LogRetainedWal(PgConnection& conn);

  SourceConfig config_;
  std::atomic<uint64_t> acknowledged_lsn_{0};
};

}  // namespace vimur::postgresql
