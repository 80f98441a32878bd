// EventSerializer: turns change events into message key and value bytes in one wire format
// (Debezium JSON now; Avro with a schema registry implements the same interface).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/change_event.h"
#include "core/status.h"
#include "format/debezium_json.h"

namespace vimur {

class EventSerializer {
 public:
  virtual ~EventSerializer() = default;
  // Sets `key` to the serialized primary key, or nullopt when the table has none.
  virtual Status Key(const ChangeEvent& event, std::optional<std::string>* key) = 0;
  virtual Status Value(const ChangeEvent& event, int64_t ts_ms, std::string* value) = 0;
  virtual Status SchemaChangeKey(const SchemaChange& change, std::string* key) = 0;
  virtual Status SchemaChangeValue(const SchemaChange& change, int64_t ts_ms,
                                   std::string* value) = 0;
};

class JsonEventSerializer : public EventSerializer {
 public:
  explicit JsonEventSerializer(JsonFormatOptions options) : json_(std::move(options)) {}
  Status Key(const ChangeEvent& event, std::optional<std::string>* key) override {
    std::string out;
    if (json_.SerializeKey(event, &out)) {
      *key = std::move(out);
    } else {
      key->reset();
    }
    return Status::Ok();
  }
  Status Value(const ChangeEvent& event, int64_t ts_ms, std::string* value) override {
    json_.SerializeValue(event, ts_ms, value);
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

 private:
  DebeziumJsonSerializer json_;
};

}  // namespace vimur
