// EventSerializer: turns change events into message key and value bytes in one wire format
// (Debezium JSON now; Avro with a schema registry implements the same interface).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/byte_buffer.h"
#include "core/change_event.h"
#include "core/status.h"
#include "format/debezium_json.h"
#include "format/outbox_field.h"

namespace vimur {

class EventSerializer {
 public:
  virtual ~EventSerializer() = default;
  // Appends the serialized primary key to `out` and returns true, or returns false (appending
  // nothing) when the table has none: the message key is then null.
  virtual Result<bool> AppendKey(const ChangeEvent& event, ByteBuffer* out) = 0;
  // Appends the serialized envelope; `ts_ms` is when Vimur processed the event.
  virtual Status AppendValue(const ChangeEvent& event, int64_t ts_ms, ByteBuffer* out) = 0;
  virtual Status SchemaChangeKey(const SchemaChange& change, std::string* key) = 0;
  virtual Status SchemaChangeValue(const SchemaChange& change, int64_t ts_ms,
                                   std::string* value) = 0;
  // A logical decoding message's key and value, for the `<prefix>.message` topic.
  virtual Status MessageKey(const SourceMessage& message, std::string* key) = 0;
  virtual Status MessageValue(const SourceMessage& message, int64_t ts_ms, std::string* value) = 0;
  // A routed outbox event's key (`key` true) or value on `topic`: one column value as itself
  // (format/outbox_field.h); `expand_json` as OutboxConfig::expand_json_payload.
  virtual Status OutboxField(const std::string& topic, bool key, const vimur::Value& value,
                             bool expand_json, std::string* out) = 0;

  // The same key and value as strings (tests and tools; the hot path appends to buffers).
  Status Key(const ChangeEvent& event, std::optional<std::string>* key) {
    ByteBuffer out;
    VIMUR_ASSIGN_OR_RETURN(bool has_key, AppendKey(event, &out));
    if (has_key) {
      *key = std::string(out.view());
    } else {
      key->reset();
    }
    return Status::Ok();
  }
  Status Value(const ChangeEvent& event, int64_t ts_ms, std::string* value) {
    ByteBuffer out;
    VIMUR_RETURN_IF_ERROR(AppendValue(event, ts_ms, &out));
    value->assign(out.view());
    return Status::Ok();
  }
};

class JsonEventSerializer : public EventSerializer {
 public:
  explicit JsonEventSerializer(JsonFormatOptions options) : json_(std::move(options)) {}
  Result<bool> AppendKey(const ChangeEvent& event, ByteBuffer* out) override {
    scratch_.Clear();
    if (!json_.AppendKey(event, &scratch_)) return false;
    out->Raw(scratch_.view());
    return true;
  }
  Status AppendValue(const ChangeEvent& event, int64_t ts_ms, ByteBuffer* out) override {
    scratch_.Clear();
    json_.AppendValue(event, ts_ms, &scratch_);
    out->Raw(scratch_.view());
    return Status::Ok();
  }
  Status SchemaChangeKey(const SchemaChange& change, std::string* key) override {
    json_.SerializeSchemaChangeKey(change, key);
    return Status::Ok();
  }
  Status SchemaChangeValue(const SchemaChange& change, int64_t ts_ms, std::string* value) override {
    json_.SerializeSchemaChange(change, ts_ms, value);
    return Status::Ok();
  }
  Status MessageKey(const SourceMessage& message, std::string* key) override {
    json_.SerializeMessageKey(message, key);
    return Status::Ok();
  }
  Status MessageValue(const SourceMessage& message, int64_t ts_ms, std::string* value) override {
    json_.SerializeMessage(message, ts_ms, value);
    return Status::Ok();
  }
  Status OutboxField(const std::string& topic, bool key, const vimur::Value& value,
                     bool expand_json, std::string* out) override {
    AppendOutboxJson(value, json_.options().schemas, expand_json && !key, out);
    return Status::Ok();
  }

 private:
  DebeziumJsonSerializer json_;
  JsonBuffer scratch_;
};

}  // namespace vimur
