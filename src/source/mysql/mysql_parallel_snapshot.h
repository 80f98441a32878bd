// MySqlParallelSnapshot: the initial snapshot of a MariaDB source read by `snapshot_workers`
// connections sharing one read view: several tables at once, and key ranges of a large table.
#pragma once

#include <atomic>

#include "core/config.h"
#include "core/position.h"
#include "core/status.h"
#include "source/mysql/column_defaults.h"
#include "source/mysql/mysql_connection.h"
#include "source/source.h"

namespace vimur::mysql {

class MySqlParallelSnapshot {
 public:
  MySqlParallelSnapshot(const SourceConfig& config, MySqlConnectOptions options,
                        ColumnDefaultsSource* defaults);

  // As MySqlSnapshot::Run. Batches are handed on one at a time and one behind (exactly one
  // event is `first`, one `last`); each carries the progress of everything handed on up to it
  // (SnapshotWorkPlan), and a resume continues every unfinished table or range after its key.
  Result<Position> Run(const Position& resume, const TransactionConsumer& consumer,
                       const std::atomic<bool>& stop);

 private:
  const SourceConfig& config_;
  MySqlConnectOptions options_;
  ColumnDefaultsSource* defaults_;
};

}  // namespace vimur::mysql
