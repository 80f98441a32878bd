// Debezium-compatible JSON: keys and change-event envelopes exactly as Debezium's JSON
// converter writes them, optionally with the embedded Kafka Connect schema (`schemas: true`).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/change_event.h"
#include "format/field_repr.h"
#include "format/json_writer.h"

namespace vimur {

struct JsonFormatOptions {
  bool schemas = false;               // wrap as {"schema": ..., "payload": ...}
  bool transaction_metadata = false;  // fill the `transaction` block
  std::string topic_prefix;           // for record names: {prefix}.{db}.{table}.Value
  ValueModes modes = {};              // Debezium's handling modes (decimal, time, ...)
  // Regexes on db.table.column: those fields' schemas carry the source column type as
  // parameters (Debezium's column.propagate.source.type).
  std::vector<std::string> propagate_source_types = {};
};

// Not thread-safe: it caches per table the text that does not change from row to row (escaped
// column names, the `source` block of the current transaction, embedded schemas). The cache
// holds references to the tables and sources it has seen, a bounded number of them.
class DebeziumJsonSerializer {
 public:
  const JsonFormatOptions& options() const { return options_; }
  explicit DebeziumJsonSerializer(JsonFormatOptions options);
  ~DebeziumJsonSerializer();
  DebeziumJsonSerializer(DebeziumJsonSerializer&&) noexcept;
  DebeziumJsonSerializer& operator=(DebeziumJsonSerializer&&) noexcept;

  // Appends the key object of the event's primary-key columns. Returns false (and appends
  // nothing) when the table has no primary key: the message key is then null.
  bool SerializeKey(const ChangeEvent& event, std::string* out);
  // Appends the envelope; `ts_ms` is when Vimur processed the event.
  void SerializeValue(const ChangeEvent& event, int64_t ts_ms, std::string* out);
  // The same two into a JsonBuffer: the hot path, with no intermediate copy.
  bool AppendKey(const ChangeEvent& event, JsonBuffer* out);
  void AppendValue(const ChangeEvent& event, int64_t ts_ms, JsonBuffer* out);

  // Appends the schema-change event for a DDL (Debezium's SchemaChangeValue shape).
  void SerializeSchemaChange(const SchemaChange& change, int64_t ts_ms, std::string* out) const;
  // Appends the key of a schema-change event: {"databaseName": db}.
  void SerializeSchemaChangeKey(const SchemaChange& change, std::string* out) const;
  // A logical decoding message (Debezium's PostgreSQL MessageValue, op `m`) and its key
  // {"prefix": ...}, for the `<prefix>.message` topic.
  void SerializeMessage(const SourceMessage& message, int64_t ts_ms, std::string* out) const;
  void SerializeMessageKey(const SourceMessage& message, std::string* out) const;

 private:
  struct TableText;
  TableText& TextFor(const ChangeEvent& event);
  void AppendRow(const TableText& text, const std::vector<Value>& row, JsonBuffer* out) const;
  void AppendTs(int64_t ts_ms, JsonBuffer* out);

  JsonFormatOptions options_;
  std::unordered_map<const TableSchema*, std::unique_ptr<TableText>> tables_;
  TableText* last_ = nullptr;
  JsonBuffer scratch_;   // for the std::string entry points
  int64_t ts_ms_ = 0;    // the processing time ts_text_ holds
  std::string ts_text_;  // `,"ts_ms":N,"ts_us":N,"ts_ns":N}`
};

}  // namespace vimur
