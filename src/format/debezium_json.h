// Debezium-compatible JSON: keys and change-event envelopes exactly as Debezium's JSON
// converter writes them, optionally with the embedded Kafka Connect schema (`schemas: true`).
#pragma once

#include <string>

#include "core/change_event.h"

namespace vimur {

struct JsonFormatOptions {
  bool schemas = false;               // wrap as {"schema": ..., "payload": ...}
  bool transaction_metadata = false;  // fill the `transaction` block
  std::string topic_prefix;           // for record names: {prefix}.{db}.{table}.Value
};

class DebeziumJsonSerializer {
 public:
  explicit DebeziumJsonSerializer(JsonFormatOptions options) : options_(std::move(options)) {}

  // Appends the key object of the event's primary-key columns. Returns false (and appends
  // nothing) when the table has no primary key: the message key is then null.
  bool SerializeKey(const ChangeEvent& event, std::string* out) const;
  // Appends the envelope; `ts_ms` is when Vimur processed the event.
  void SerializeValue(const ChangeEvent& event, int64_t ts_ms, std::string* out) const;
  // Appends the schema-change event for a DDL (Debezium's SchemaChangeValue shape).
  void SerializeSchemaChange(const SchemaChange& change, int64_t ts_ms, std::string* out) const;
  // Appends the key of a schema-change event: {"databaseName": db}.
  void SerializeSchemaChangeKey(const SchemaChange& change, std::string* out) const;

 private:
  JsonFormatOptions options_;
};

}  // namespace vimur
