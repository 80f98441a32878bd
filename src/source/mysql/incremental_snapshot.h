// IncrementalSnapshot: re-reads tables of a MariaDB source while it streams, as requested with
// `vimur snapshot`: primary-key chunks from lock-free read views merged into the stream.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/position.h"
#include "core/status.h"
#include "source/capture_filter.h"
#include "source/incremental_snapshot_queue.h"
#include "source/mysql/column_defaults.h"
#include "source/mysql/mysql_connection.h"
#include "source/mysql/snapshot_table_plan.h"
#include "source/snapshot_requests.h"
#include "source/source.h"

namespace vimur::mysql {

// A point of one server's binlog, ordered (file number, then offset). Max: "after anything".
struct BinlogCoord {
  uint64_t file = 0;
  uint64_t pos = 0;
  static BinlogCoord Max() { return {UINT64_MAX, UINT64_MAX}; }
  // Nullopt when the position names no binlog file.
  static std::optional<BinlogCoord> Of(const std::string& file, uint64_t pos);
  auto operator<=>(const BinlogCoord&) const = default;
};

// How the watermarks work here (docs/snapshots.md): a chunk is read in its own
// START TRANSACTION WITH CONSISTENT SNAPSHOT, whose binlog position V MariaDB reports exactly
// (binlog_snapshot_file/position). The chunk holds each row as of V, so it is handed on when
// the stream has reached V, less the rows whose keys the stream changed after V (those
// changes were, or are being, handed on already and are newer). Rows are never older after
// newer, streaming goes on meanwhile and nothing is locked or written to the source.
class IncrementalSnapshot {
 public:
  IncrementalSnapshot(const SourceConfig& config, MySqlConnectOptions options,
                      ColumnDefaultsSource* defaults);
  ~IncrementalSnapshot();

  // Continues the snapshots a stored position carries (Position::incremental_snapshot).
  Status Restore(const std::string& state);
  bool active() const { return queue_.active(); }

  // Every transaction the stream hands on passes here first: its resume position gets the
  // snapshots' progress, and changes to the table being read are remembered.
  void Observe(Transaction& txn);
  // Called between event groups with the stream's binlog position (`stream`, after the last
  // event read) and the resume position handed on last (`delivered`): takes new requests,
  // reads chunks and hands them on once the stream has reached their read view.
  Status AtBoundary(const Position& stream, const Position& delivered,
                    const TransactionConsumer& consumer, const std::atomic<bool>& stop,
                    bool* stopped);

  // Keys of changes remembered per chunk in flight; past it the chunk is read again.
  static constexpr size_t kMaxRememberedKeys = 1'000'000;
  // A chunk ends early (at a row boundary) past this many bytes, whatever snapshot_chunk_rows.
  static constexpr size_t kMaxChunkBytes = size_t{32} << 20;

 private:
  struct Chunk;

  // IncrementalSnapshotQueue::Hooks: whether a new request's tables can be read; forget the
  // table being read.
  Status Check(const SnapshotRequest& request);
  void DropCurrent();
  Status EnsureConnection();
  // Reads the next chunk of the current table into held_ (or finds the table done/gone).
  Status ReadChunk();
  // Hands the held chunk on (less the rows changed since its view) and moves progress on.
  bool HandOn(const Position& delivered, const TransactionConsumer& consumer,
              const std::optional<BinlogCoord>& now);
  // The current table is done (or gone); `now`: from where changes of the next are known.
  void NextTable(const std::optional<BinlogCoord>& now);

  const SourceConfig& config_;
  MySqlConnectOptions options_;
  ColumnDefaultsSource* defaults_;
  CaptureFilter filter_;
  IncrementalSnapshotQueue queue_;
  std::optional<MySqlConnection> conn_;
  std::optional<SnapshotTablePlan> plan_;  // of the current table
  // Keys of the current table changed by transactions the stream handed on, with where each
  // transaction ends, since `remembered_from_` (before it: not known).
  std::vector<std::pair<BinlogCoord, std::string>> changed_;
  std::optional<BinlogCoord> remembered_from_;
  std::unique_ptr<Chunk> held_;
  int64_t last_poll_ms_ = 0;
  int64_t retry_after_ms_ = 0;
};

}  // namespace vimur::mysql
