// MySqlSource: the Source for MySQL/MariaDB. It streams the binlog as a replica, tracks the
// position per event, and turns row events into committed Transactions of ChangeEvents.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "source/mysql/binlog_client.h"
#include "source/mysql/binlog_event_parser.h"
#include "source/mysql/column_defaults.h"
#include "source/mysql/gtid_set.h"
#include "source/mysql/row_image_decoder.h"
#include "source/source.h"

namespace vimur::mysql {

// Decides which tables and columns are captured (include_tables, exclude_tables,
// exclude_columns of the source configuration; regexes matched against the whole name).
class CaptureFilter {
 public:
  explicit CaptureFilter(const SourceConfig& config);
  bool IncludesTable(const std::string& database, const std::string& table) const;
  bool ExcludesColumn(const std::string& database, const std::string& table,
                      const std::string& column) const;

 private:
  std::vector<std::regex> include_tables_;
  std::vector<std::regex> exclude_tables_;
  std::vector<std::regex> exclude_columns_;
};

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
  };

  BinlogTransactionAssembler(const SourceConfig& config, ChecksumAlgorithm checksum);

  // Where the stream starts (sets the file, pos and GTID state positions are built from).
  Status Reset(const Position& start);
  // Processes one whole event (header, body, checksum). Completed transactions, and chunks of
  // transactions over the chunk size, are handed to `emit`; a false return from it stops.
  Status Process(std::string_view event_bytes, const TransactionConsumer& emit, bool* stopped);
  // The position after the last transaction handed to `emit`.
  const Position& delivered() const { return delivered_; }
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
  Status HandleRows(const FramedEvent& event, uint64_t event_pos, const TransactionConsumer& emit,
                    bool* stopped);
  Status HandleQuery(const FramedEvent& event, uint64_t next_pos, const TransactionConsumer& emit,
                     bool* stopped);
  void BeginTransaction(std::string gtid, uint64_t pos, uint32_t timestamp, uint32_t server_id);
  Status EndTransaction(uint64_t next_pos, const TransactionConsumer& emit, bool* stopped);
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
  Position delivered_;
  Position emitted_;  // position of the last transaction handed over
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

 private:
  MySqlConnectOptions ConnectOptions() const;
  // One connection's worth of streaming; returns when stopped, or with the error that ended it.
  // Ends the server's thread that served a stream this source closed (KILL CONNECTION).
  void EndDumpThread(unsigned long connection_id);
  Status StreamOnce(BinlogTransactionAssembler& assembler, const TransactionConsumer& consumer,
                    const std::atomic<bool>& stop);

  SourceConfig config_;
};

}  // namespace vimur::mysql
