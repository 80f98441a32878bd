// PgOutputAssembler: turns the pgoutput messages of one replication stream into committed
// Transactions of ChangeEvents. Independent of where the bytes come from (a replication
// connection or a file), so it is tested on captured messages without a server.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/arena.h"
#include "core/config.h"
#include "source/capture_filter.h"
#include "source/postgresql/pgoutput_message.h"
#include "source/postgresql/relation_schema.h"
#include "source/source.h"

namespace vimur::postgresql {

class RelationCatalog {
 public:
  virtual ~RelationCatalog() = default;
  virtual Result<RelationFacts> Describe(uint32_t relation_id) = 0;
};

// The placeholder Debezium puts for an unchanged TOASTed value the server did not send
// (`unavailable.value.placeholder`): used for text, json and bytea columns.
inline constexpr std::string_view kUnavailableValue = "__debezium_unavailable_value";

class PgOutputAssembler {
 public:
  struct Stats {
    uint64_t messages = 0;
    uint64_t transactions = 0;
    uint64_t rows = 0;
    uint64_t skipped = 0;  // messages of tables not captured, origins, types, ...
  };

  // `database`: the PostgreSQL database (source.db).
  PgOutputAssembler(const SourceConfig& config, std::string database);
  ~PgOutputAssembler();

  void set_catalog(RelationCatalog* catalog) { catalog_ = catalog; }
  // Called first for every logical decoding message ('M') with its LSN; returning true means
  // the message is the observer's (an incremental snapshot's watermark): it is not passed on.
  using MessageObserver = std::function<bool(const LogicalMessage&, uint64_t lsn)>;
  void set_message_observer(MessageObserver observer) { message_observer_ = std::move(observer); }
  // Transactions larger than this are handed over in chunks (only the last carries a position).
  void set_chunk_bytes(size_t bytes) { chunk_bytes_ = bytes; }
  // Where the stream starts: transactions ending at or before `lsn` were delivered already.
  void Reset(uint64_t lsn);

  // Processes one pgoutput message. Completed transactions (and chunks of large ones) go to
  // `emit`; a false return from it sets *stopped.
  Status Process(std::string_view message, const TransactionConsumer& emit, bool* stopped);
  // The server's WAL end while nothing is in progress (a keepalive): when it moved past the
  // last delivered position and no position was handed over for heartbeat_interval_ms, hands
  // over a transaction with no events carrying it, so the slot advances on quiet databases.
  void Idle(uint64_t wal_end, const TransactionConsumer& emit, bool* stopped);

  bool in_transaction() const { return in_txn_; }
  // End LSN of the last complete transaction (or heartbeat) handed over.
  uint64_t delivered_lsn() const { return delivered_lsn_; }
  const Stats& stats() const { return stats_; }

 private:
  struct Relation {
    uint32_t id = 0;
    std::vector<uint32_t> type_oids;  // per column of the message
    TableSchemaPtr schema;            // kept columns only
    std::vector<int> kept;            // per message column: index in schema, or -1
    bool captured = false;
  };
  struct TxnStorage;

  Status HandleRelation(const RelationMessage& m);
  Status Row(Op op, uint32_t relation_id, const TupleData* before, char before_kind,
             const TupleData* after, const TransactionConsumer& emit, bool* stopped);
  Status Decode(const Relation& rel, const TupleData& tuple, const TupleData* old_tuple,
                bool key_only, std::vector<Value>* out);
  Status Truncate(const TruncateMessage& m);
  std::shared_ptr<const SourceInfo> SourceFor(const std::string& schema);
  void MaybeChunk(const TransactionConsumer& emit, bool* stopped);
  void StartStorage();

  const SourceConfig& config_;
  const std::string database_;
  CaptureFilter filter_;
  RelationCatalog* catalog_ = nullptr;
  MessageObserver message_observer_;
  std::unordered_map<uint32_t, Relation> relations_;
  std::unordered_map<std::string, TableSchemaPtr> last_shape_;  // by schema.table
  // Names of the types that Type messages described, by OID (bounded).
  static constexpr size_t kMaxTypeNames = 4096;
  std::unordered_map<uint32_t, std::string> type_names_;
  bool precise_decimals_ = true;
  size_t chunk_bytes_ = 4 << 20;
  Stats stats_;

  bool in_txn_ = false;
  bool skip_txn_ = false;  // ends at or before the start position: delivered already
  uint64_t start_lsn_ = 0;
  BeginMessage begin_;
  Transaction txn_;
  std::shared_ptr<TxnStorage> storage_;
  std::unordered_map<std::string, std::shared_ptr<const SourceInfo>> txn_sources_;
  std::unordered_map<const TableSchema*, uint64_t> txn_table_counts_;
  uint64_t txn_event_count_ = 0;

  uint64_t delivered_lsn_ = 0;
  int64_t emitted_at_ms_ = 0;
};

}  // namespace vimur::postgresql
