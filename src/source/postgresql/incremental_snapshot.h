// PgIncrementalSnapshot: re-reads tables of a PostgreSQL source while it streams, as requested
// with `vimur snapshot`: primary-key chunks merged into the stream between WAL watermarks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/config.h"
#include "core/position.h"
#include "core/status.h"
#include "source/capture_filter.h"
#include "source/incremental_snapshot_queue.h"
#include "source/postgresql/pg_connection.h"
#include "source/postgresql/pgoutput_message.h"
#include "source/postgresql/snapshot_table.h"
#include "source/snapshot_requests.h"
#include "source/source.h"

namespace vimur::postgresql {

// How the watermarks work (Netflix DBLog; docs/snapshots.md): for each chunk a non-
// transactional logical decoding message "<id>:low" is written to the WAL, the chunk is read
// on a normal connection, then "<id>:high" is written. The stream decodes both in WAL order.
// A streamed change to a row of the chunk after the low watermark is newer than (or as new
// as) the chunk's row, so that row is left out; at the high watermark the rest of the chunk
// is handed on as op `r` events. Nothing is locked and no table of the source is written.
class PgIncrementalSnapshot {
 public:
  explicit PgIncrementalSnapshot(const SourceConfig& config);
  ~PgIncrementalSnapshot();

  // The prefix of the watermark messages (pg_logical_emit_message).
  static constexpr const char* kWatermarkPrefix = "vimur-watermark";

  // Continues the snapshots a stored position carries (Position::incremental_snapshot).
  Status Restore(const std::string& state);
  bool active() const { return queue_.active(); }

  // For PgOutputAssembler::set_message_observer: true for a watermark (never passed on).
  bool OnMessage(const LogicalMessage& message, uint64_t lsn);
  // Every transaction the stream hands on passes here first: its resume position gets the
  // snapshots' progress, and the keys it changes in the table being read are remembered.
  void Observe(Transaction& txn);
  // Called between transactions with the resume position handed on last: takes new
  // requests, starts chunks and hands a chunk on once the stream reached its high watermark.
  Status AtBoundary(const Position& delivered, const TransactionConsumer& consumer,
                    const std::atomic<bool>& stop, bool* stopped);

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
  Result<std::optional<PublishedTable>> FindTable(const std::string& qualified);
  // Plans the current table (or finds it done/gone), writes the low watermark, reads the
  // next chunk and writes the high watermark.
  Status StartChunk();
  Status EmitWatermark(const std::string& text);
  bool HandOn(const Position& delivered, const TransactionConsumer& consumer);
  // The current table is done (or gone).
  void NextTable();

  const SourceConfig& config_;
  CaptureFilter filter_;
  IncrementalSnapshotQueue queue_;
  std::unique_ptr<PgConnection> conn_;
  std::optional<SnapshotTable> plan_;
  std::unique_ptr<Chunk> held_;
  uint64_t chunk_counter_ = 0;
  int64_t last_poll_ms_ = 0;
  int64_t retry_after_ms_ = 0;
};

}  // namespace vimur::postgresql
