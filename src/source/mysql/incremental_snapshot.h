// IncrementalSnapshot: re-reads tables of a MariaDB source while it streams, as requested with
// `vimur snapshot`: primary-key chunks from lock-free read views merged into the stream.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/position.h"
#include "core/status.h"
#include "source/capture_filter.h"
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
  bool active() const { return !requests_.empty(); }

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
  struct Request {
    std::string id;
    std::vector<std::string> tables;  // "db.table", read in this order
    std::string where;
    size_t table = 0;                // index of the table being read
    std::vector<std::string> after;  // raw key cells of the last row handed on; empty: none
    uint64_t rows = 0;               // of the table being read, handed on
    uint64_t estimate = 0;           // of the table being read (not stored)
    uint64_t handed_on = 0;          // rows handed on by this process (not stored)
    uint64_t left_out = 0;           // rows of chunks the stream had changed (not stored)
    int64_t started_ms = 0;          // when this process took the request up
  };
  struct Chunk;

  std::string StateJson() const;
  void UpdateState();
  Status TakeRequests();
  Status Accept(SnapshotRequest request);
  Status EnsureConnection();
  // Reads the next chunk of the current table into held_ (or finds the table done/gone).
  Status ReadChunk();
  // Hands the held chunk on (less the rows changed since its view) and moves progress on.
  bool HandOn(const Position& delivered, const TransactionConsumer& consumer,
              const std::optional<BinlogCoord>& now);
  void NextTable(const std::optional<BinlogCoord>& now);
  void Finish(Request& request, const std::string& state, const std::string& message);
  void ReportStatus(bool force);
  void LogProgress(bool force);

  const SourceConfig& config_;
  MySqlConnectOptions options_;
  ColumnDefaultsSource* defaults_;
  CaptureFilter filter_;
  SnapshotRequestDir requests_dir_;
  std::deque<Request> requests_;
  std::string state_;                       // StateJson(), stamped on every position handed on
  std::string current_db_, current_table_;  // of the table being read
  std::optional<MySqlConnection> conn_;
  std::optional<SnapshotTablePlan> plan_;  // of the current table
  // Keys of the current table changed by transactions the stream handed on, with where each
  // transaction ends, since `remembered_from_` (before it: not known).
  std::vector<std::pair<BinlogCoord, std::string>> changed_;
  std::optional<BinlogCoord> remembered_from_;
  std::unique_ptr<Chunk> held_;
  int64_t last_poll_ms_ = 0;
  int64_t retry_after_ms_ = 0;
  int64_t last_status_ms_ = 0;
  int64_t last_log_ms_ = 0;
  uint64_t rows_at_last_log_ = 0;
};

}  // namespace vimur::mysql
