// MySqlSnapshot: the initial snapshot of a MariaDB source. One connection opens a consistent,
// lock-free read view (START TRANSACTION WITH CONSISTENT SNAPSHOT) whose binlog position the
// server reports, reads every included table in primary-key chunks and hands the rows on as
// op `r` events; streaming then starts from exactly that position.
#pragma once

#include <atomic>

#include "core/config.h"
#include "core/position.h"
#include "core/status.h"
#include "source/mysql/column_defaults.h"
#include "source/mysql/mysql_connection.h"
#include "source/source.h"

namespace vimur::mysql {

class MySqlSnapshot {
 public:
  MySqlSnapshot(const SourceConfig& config, MySqlConnectOptions options,
                ColumnDefaultsSource* defaults);

  // See Source::Snapshot. A resumed snapshot (`resume` carries progress) reads the rest from a
  // new read view and returns the stored position, so streaming replays everything since
  // the first view: a row read from the newer view may be followed by older values of it
  // before its newest, and the consumer still ends equal to the source.
  Result<Position> Run(const Position& resume, const TransactionConsumer& consumer,
                       const std::atomic<bool>& stop);

  // Rows per emitted transaction (each is one Kafka transaction with exactly_once).
  static constexpr size_t kBatchRows = 2048;
  static constexpr size_t kBatchBytes = size_t{4} << 20;

 private:
  const SourceConfig& config_;
  MySqlConnectOptions options_;
  ColumnDefaultsSource* defaults_;
};

}  // namespace vimur::mysql
