// MySqlSource: the Source for MySQL/MariaDB. It streams the binlog as a replica, tracks the
// position per event, and turns row events into committed Transactions of ChangeEvents.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "source/capture_filter.h"
#include "source/mysql/binlog_client.h"
#include "source/mysql/binlog_event_parser.h"
#include "source/mysql/column_defaults.h"
#include "source/mysql/ddl_targets.h"
#include "source/mysql/gtid_set.h"
#include "source/mysql/incremental_snapshot.h"
#include "source/mysql/row_image_decoder.h"
#include "source/source.h"

namespace vimur::mysql {

struct RowsStorage;

// Turns the events of one binlog stream into Transactions. Independent of where the bytes
// come from (socket or file), so it is tested and benchmarked on captured binlogs.
class BinlogTransactionAssembler {
 public:
  struct Stats {
    uint64_t events = 0;
    uint64_t row_events = 0;
    uint64_t rows = 0;
    uint64_t transactions = 0;
    uint64_t skipped_unknown = 0;
    uint64_t skipped_ddl = 0;                 // DDL of tables and databases not captured
    uint64_t skipped_account_statements = 0;  // CREATE USER, GRANT, ...: never published
  };

  BinlogTransactionAssembler(const SourceConfig& config, ChecksumAlgorithm checksum);

  // Where the stream starts (sets the file, pos and GTID state positions are built from). A
  // position with a source_state (held at a prepared XA transaction) re-reads from there: the
  // prepares are collected again and what was already published is skipped.
  Status Reset(const Position& start);
  // Processes one whole event (header, body, checksum). Completed transactions, and chunks of
  // transactions over the chunk size, are handed to `emit`; a false return from it stops.
  Status Process(std::string_view event_bytes, const TransactionConsumer& emit, bool* stopped);
  // Where to resume after the last transaction handed to `emit`: right after it, or, while
  // XA transactions are prepared and not yet committed, at the oldest one's prepare (with a
  // source_state saying what was published since).
  const Position& delivered() const { return delivered_; }
  // Between event groups: the binlog file and offset right after the last event read (also
  // events outside groups: a rotation's format description, GTID lists, heartbeats).
  const Position& stream_position() const { return stream_position_; }
  // Whether an event group is being assembled (false between groups).
  bool in_transaction() const { return in_txn_; }
  // XA transactions prepared and not yet committed or rolled back, whose rows are held.
  size_t pending_xa() const { return pending_xa_.size(); }
  // Bound on the bytes of prepared XA transactions held until their commit. An XA transaction
  // beyond it is not held: at its XA COMMIT the stream is read again from its prepare (the
  // resume position is still there), and its rows are published at the prepare's place as a
  // large transaction is (in chunks). Its rows were locked from prepare to commit, so no other
  // transaction changed them in between: per-row order is the same.
  static constexpr size_t kMaxPendingXaBytes = size_t{64} << 20;
  void set_max_pending_xa_bytes(size_t bytes) { max_pending_xa_bytes_ = bytes; }
  // XIDs of committed XA transactions whose prepared rows must be read again from their
  // prepare; carried from one stream to the next (Process returns kUnavailable to ask).
  const std::set<std::string>& reread_xids() const { return reread_xids_; }
  void set_reread_xids(std::set<std::string> xids) { reread_xids_ = std::move(xids); }
  // True once Process asked for the stream to be read again for such an XA transaction.
  bool reread_requested() const { return reread_requested_; }
  // Bound on the table ids whose TABLE_MAP is kept (ids change as the server's table cache
  // reopens tables); past it the map is dropped between event groups and built again.
  static constexpr size_t kMaxTableIds = 4096;
  const Stats& stats() const { return stats_; }
  // Transactions larger than this are delivered in chunks (only the last carries a position).
  void set_chunk_bytes(size_t bytes) { chunk_bytes_ = bytes; }
  bool is_mariadb() const { return parser_.is_mariadb(); }
  // Where new table shapes get their column defaults (none: no defaults in schemas).
  void set_column_defaults(ColumnDefaultsSource* defaults) { defaults_ = defaults; }

 private:
  struct TableEntry {
    TableMapEvent map;
    TableSchemaPtr full;       // every column as the server sent it
    TableSchemaPtr projected;  // after exclude_columns (== full when nothing is excluded)
    std::vector<size_t> kept;  // indexes of `full` columns kept in `projected`
    bool captured = false;
  };

  Status Handle(const FramedEvent& event, uint64_t next_pos, const TransactionConsumer& emit,
                bool* stopped);
  Status HandleTableMap(const FramedEvent& event);
  bool PublishesDdl(const DdlTargets& targets) const;
  Status HandleRows(const FramedEvent& event, uint64_t event_pos, const TransactionConsumer& emit,
                    bool* stopped);
  Status HandleQuery(const FramedEvent& event, uint64_t next_pos, const TransactionConsumer& emit,
                     bool* stopped);
  void BeginTransaction(std::string gtid, uint64_t pos, uint32_t timestamp, uint32_t server_id);
  Status EndTransaction(uint64_t next_pos, const TransactionConsumer& emit, bool* stopped);
  // Ends the event group of a prepared XA transaction: its rows are held until XA COMMIT.
  Status PrepareXa(std::string xid, uint64_t next_pos, const TransactionConsumer& emit,
                   bool* stopped);
  // XA COMMIT / XA ROLLBACK `rest` (the XID): publishes or drops the prepared rows.
  Status CompleteXa(std::string_view rest, bool commit, uint64_t next_pos,
                    const TransactionConsumer& emit, bool* stopped);
  // Adds the group's GTID to the executed state and moves published_ past it.
  Status ConsumeGroup(uint64_t next_pos);
  // Whether the group being ended was published before the restart being replayed.
  bool GroupPublishedBefore() const;
  // Recomputes delivered_ from published_, the pending prepares and the replay point.
  void UpdateDelivered();
  std::shared_ptr<SourceInfo> MakeSourceInfo();
  std::string CurrentGtidSetText() const;
  std::string TransactionId() const;
  // Hands over a transaction with no events, only a position, when the delivered position
  // moved (filtered transactions) and none was handed over for a heartbeat interval, so
  // positions advance on quiet or filtered databases.
  void MaybeEmitPosition(const TransactionConsumer& emit, bool* stopped);

  const SourceConfig& config_;
  ColumnDefaultsSource* defaults_ = nullptr;
  CaptureFilter filter_;
  BinlogEventParser parser_;
  RowImageDecoder decoder_;
  std::unordered_map<uint64_t, TableEntry> tables_;             // by table id
  std::unordered_map<std::string, TableSchemaPtr> last_shape_;  // by db.table
  std::unordered_map<std::string, std::string> last_ddl_;       // by db.table
  std::string file_;
  MariaGtidState maria_gtids_;
  MySqlGtidSet mysql_gtids_;
  bool has_gtids_ = false;
  Position delivered_;        // resume position (see delivered())
  Position published_;        // right after the last event group consumed (no source_state)
  Position emitted_;          // position of the last transaction handed over
  Position stream_position_;  // see stream_position()
  // A prepared XA transaction: its rows, held until XA COMMIT, and where its group starts.
  struct PendingXa {
    std::string xid;  // canonical, XaPrepareEvent::ToSql
    Transaction txn;
    Position start;        // published_ when its group began: a restart re-reads it from there
    bool evicted = false;  // over the bound: rows dropped, read again at XA COMMIT
  };
  std::vector<PendingXa> pending_xa_;  // in prepare order
  size_t pending_xa_bytes_ = 0;
  // While re-reading after a restart held at a prepare: groups up to here were published.
  std::optional<Position> replay_until_;
  Position group_start_;  // published_ when the group being assembled began
  bool txn_is_xa_ = false;
  std::string txn_xid_;                // of the XA group being assembled, when known at its start
  bool txn_xa_evicted_ = false;        // its rows are over the bound and dropped
  bool txn_xa_reread_ = false;         // committed: its rows are published at the prepare
  std::set<std::string> reread_xids_;  // committed XAs whose evicted rows are re-read
  std::set<std::string> emitted_at_prepare_;  // of those, published at their prepare
  size_t max_pending_xa_bytes_ = kMaxPendingXaBytes;
  bool reread_requested_ = false;
  int64_t emitted_at_ms_ = 0;
  Stats stats_;
  size_t chunk_bytes_ = 4 << 20;

  // The transaction being assembled.
  bool in_txn_ = false;
  bool saw_begin_ = false;
  std::string txn_gtid_;
  std::optional<MariaGtidEvent> txn_maria_gtid_;
  std::optional<MySqlGtidEvent> txn_mysql_gtid_;
  uint64_t txn_pos_ = 0;
  int64_t txn_ts_ms_ = 0;
  int64_t txn_thread_ = -1;  // thread id of the transaction's BEGIN; -1: unknown
  uint32_t txn_server_id_ = 0;
  std::shared_ptr<SourceInfo> txn_source_;
  Transaction txn_;
  std::unordered_map<const TableSchema*, uint64_t> txn_table_counts_;
  uint64_t txn_event_count_ = 0;
  std::string inflate_buffer_;
  std::vector<Value> row_before_;
  std::vector<Value> row_after_;
  ImagePlan before_plan_;  // of the rows event being decoded
  ImagePlan after_plan_;
  size_t last_txn_events_ = 0;  // events of the previous transaction: reserved for the next
  // Published events whose row-image vectors are decoded into again (RowVectorPool).
  std::vector<Value> SpareRow();
  // The storage of the transaction being assembled (see RowsStorage in mysql_source.cc).
  std::shared_ptr<RowsStorage> txn_storage_;
  std::vector<ChangeEvent> spare_events_;
};

class MySqlSource : public Source {
 public:
  explicit MySqlSource(SourceConfig config);
  const std::string& name() const override { return config_.name; }
  Result<Position> CurrentEnd() override;
  Status Run(const Position& start, const TransactionConsumer& consumer,
             const std::atomic<bool>& stop) override;
  std::vector<vimur::CheckResult> Check() override;
  Result<Position> Snapshot(const Position& resume, const TransactionConsumer& consumer,
                            const std::atomic<bool>& stop) override;
  Result<bool> PositionAvailable(const Position& position) override;
  void Acknowledged(const Position& position) override;
  // Events failing their CRC32 are read again this often (with backoff) before the source stops.
  static constexpr int kMaxChecksumRereads = 5;

 private:
  MySqlConnectOptions ConnectOptions() const;
  // One connection's worth of streaming; returns when stopped, or with the error that ended it.
  // Ends the server's thread that served a stream this source closed (KILL CONNECTION).
  void EndDumpThread(unsigned long connection_id);
  Status StreamOnce(BinlogTransactionAssembler& assembler, IncrementalSnapshot& incremental,
                    const TransactionConsumer& consumer, const std::atomic<bool>& stop);
  // Sets the source's retention gauges from SHOW BINARY LOGS and the newest acknowledged
  // position (`before_any` until one is), on a connection of its own.
  void MeasureRetention(const Position& before_any);

  SourceConfig config_;
  std::mutex acknowledged_mu_;
  Position acknowledged_;  // the newest position the transport acknowledged
};

}  // namespace vimur::mysql
