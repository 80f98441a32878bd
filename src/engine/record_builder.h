// RecordBuilder: maps one captured Transaction to the records a transport publishes: topic
// per table, key, envelope, a tombstone after each delete, and DDL on the schema-change topic.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/change_event.h"
#include "core/config.h"
#include "engine/outbox_router.h"
#include "format/event_serializer.h"
#include "transport/transport.h"

namespace vimur {

// What to do with an event whose record is larger than its topic takes (`on_oversized_event`).
enum class OversizedPolicy : uint8_t {
  kStop,        // stop with an error naming the table, position, size and limit
  kDeadLetter,  // the whole record goes to `oversized_topic` instead (a larger limit)
  kTruncate,    // the largest text/binary values become kTruncatedMarker until it fits
};
// Replaces a truncated value (as text, or its bytes for binary columns).
inline constexpr std::string_view kTruncatedMarker = "__vimur_truncated__";

struct RecordBuilderOptions {
  std::string topic_prefix;
  // Kafka's limits on a record (key + value bytes, before compression): per topic, else the
  // default; 0: no limit (stdout, the local log).
  size_t max_record_bytes = 0;
  std::map<std::string, size_t> topic_max_record_bytes;
  OversizedPolicy oversized = OversizedPolicy::kStop;
  std::string oversized_topic;  // kDeadLetter's target
  // `__vimur-heartbeat.{prefix}` receives a record for each transaction that carries only a
  // position (quiet or filtered databases), so consumers see the stream is alive. Empty: none.
  std::string heartbeat_topic;
  // `{prefix}.transaction` receives BEGIN and END records around each transaction, as
  // Debezium's provide.transaction.metadata does. Empty: none.
  std::string transaction_topic;
  // Rows of outbox tables become business events (engine/outbox_router.h).
  OutboxConfig outbox;
};

class RecordBuilder {
 public:
  RecordBuilder(RecordBuilderOptions options, std::unique_ptr<EventSerializer> serializer)
      : options_(std::move(options)), serializer_(std::move(serializer)) {
    if (options_.outbox.enabled()) outbox_.emplace(options_.outbox);
  }

  // Appends the records of `txn` to `out`. Chunks of one transaction arrive in order; the
  // END record follows the last chunk.
  Status Build(const Transaction& txn, int64_t ts_ms, OutgoingBatch* out);

  // The fast path for the stdout transport: the same records, appended to `out` as the lines
  // StdoutTransport writes (byte for byte what Build + StdoutTransport::Send write), with keys
  // and values serialized straight into the line buffer. Requires UseJsonLines first.
  void UseJsonLines(JsonFormatOptions options);
  Status BuildLines(const Transaction& txn, int64_t ts_ms, JsonBuffer* out);

  std::string TopicFor(const TableSchema& table) const {
    return options_.topic_prefix + "." + table.database + "." + table.table;
  }
  const std::string& schema_change_topic() const { return options_.topic_prefix; }

 private:
  struct TopicText {
    TableSchemaPtr table;   // keeps the schema, whose address keys the cache, alive
    std::string topic;      // TopicFor(*table)
    std::string line_head;  // StdoutTransport::AppendLineHead(topic)
  };
  const TopicText& TopicTextFor(const TableSchemaPtr& table);
  // The records before the row changes: a heartbeat for a position-only transaction (then
  // `*only` is set: nothing follows), the BEGIN record, the schema changes.
  Status OpenRecords(const Transaction& txn, int64_t ts_ms, OutgoingBatch* out, bool* only);
  // The END record after the last chunk of a transaction with metadata.
  void CloseRecords(const Transaction& txn, int64_t ts_ms, OutgoingBatch* out);
  bool WithMetadata(const Transaction& txn) const {
    // Snapshot batches (no id) are no source transaction: no BEGIN/END records.
    return !options_.transaction_topic.empty() && !txn.events.empty() && !txn.id.empty();
  }
  void TransactionRecord(const Transaction& txn, bool begin, int64_t ts_ms, OutgoingBatch* out);
  size_t LimitFor(const std::string& topic) const;
  // "db.table at FILE:POS" (or "at lsn N"), for errors about one event.
  static std::string Place(const ChangeEvent& event);
  // An event whose key_ and value_ exceed `limit`: applies options_.oversized. Sets *topic to
  // where the record goes and *truncated to the columns replaced (kTruncate).
  Status HandleOversized(const ChangeEvent& event, int64_t ts_ms, size_t limit,
                         std::string_view* topic, std::string* truncated);

  RecordBuilderOptions options_;
  std::unique_ptr<EventSerializer> serializer_;
  std::unique_ptr<DebeziumJsonSerializer> lines_json_;  // set by UseJsonLines
  std::optional<OutboxRouter> outbox_;
  ByteBuffer key_;  // the event being built
  ByteBuffer value_;
  size_t bytes_per_event_ = 512;  // key and value bytes per event in the last batch
  std::unordered_map<const TableSchema*, TopicText> topics_;
  const TopicText* last_topic_ = nullptr;
  std::string open_txn_;  // id of the transaction whose BEGIN was written and END was not
  std::map<std::string, uint64_t> open_txn_counts_;  // events per db.table in it
};

}  // namespace vimur
