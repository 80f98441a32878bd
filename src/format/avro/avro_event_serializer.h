// AvroEventSerializer: change events as Avro in the Confluent wire format (magic byte 0, 4-byte
// big-endian schema id, Avro binary), schemas registered once per table shape under
// TopicNameStrategy subjects ({topic}-key, {topic}-value) and their ids cached.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/change_event.h"
#include "core/status.h"
#include "format/avro/avro_encoder.h"
#include "format/event_serializer.h"

namespace vimur::avro {

// Where schemas get their ids. Implemented over HTTP by registry/schema_registry_client.h and
// in memory by tests. Implementations must be safe to call from several threads.
class SchemaRegistryClient {
 public:
  virtual ~SchemaRegistryClient() = default;
  // Registers `schema` (Avro schema JSON) under `subject`, or finds it there when already
  // registered, and returns its global id.
  virtual Result<int32_t> Register(const std::string& subject, const std::string& schema) = 0;
  // Sets the compatibility level of one subject (PUT /config/{subject}).
  virtual Status SetSubjectCompatibility(const std::string& subject, const std::string& level) {
    return Status::Unsupported("this registry client cannot change compatibility levels");
  }
};

struct AvroFormatOptions {
  std::string topic_prefix;           // topic `{prefix}.{db}.{table}`, records named alike
  bool transaction_metadata = false;  // fill the `transaction` block
  // A schema the subject's compatibility level refuses: false stops with an error; true
  // sets the subject's level to NONE and registers it as the next version.
  bool continue_on_incompatible = false;
  ValueModes modes = {};  // Debezium's handling modes (decimal, BIGINT UNSIGNED, time, binary)
  // Regexes on db.table.column whose fields carry the source column type (connect.parameters).
  std::vector<std::string> propagate_source_types = {};
};

// One serializer per source thread (not thread-safe); the registry client may be shared.
// The hot path (a table shape already seen) makes no registry call and, given output strings
// with enough capacity, no heap allocation.
class AvroEventSerializer : public EventSerializer {
 public:
  AvroEventSerializer(AvroFormatOptions options, std::shared_ptr<SchemaRegistryClient> registry);

  Result<bool> AppendKey(const ChangeEvent& event, ByteBuffer* out) override;
  Status AppendValue(const ChangeEvent& event, int64_t ts_ms, ByteBuffer* out) override;
  Status SchemaChangeKey(const SchemaChange& change, std::string* key) override;
  Status SchemaChangeValue(const SchemaChange& change, int64_t ts_ms, std::string* value) override;
  Status MessageKey(const SourceMessage& message, std::string* key) override;
  Status MessageValue(const SourceMessage& message, int64_t ts_ms, std::string* value) override;
  // An Avro primitive (format/outbox_field.h) under {topic}-key or {topic}-value.
  Status OutboxField(const std::string& topic, bool key, const vimur::Value& value,
                     bool expand_json, std::string* out) override;

  // Number of Register calls made (for tests and metrics).
  uint64_t registrations() const { return registrations_; }

 private:
  struct TableState {
    TableState(TableSchemaPtr table, EnvelopeOptions options)
        : encoder(std::move(table), std::move(options)) {}
    AvroTableEncoder encoder;  // holds the schema: its address is not reused while cached
    uint32_t version = 0;
    std::string connector;  // of the source the value schema was derived for
    int32_t key_id = -1;    // -1: the table has no key
    int32_t value_id = -1;
  };

  Result<TableState*> StateFor(const ChangeEvent& event);
  Result<int32_t> RegisterCached(const TableSchema* table, const std::string& subject,
                                 const std::string& schema);

  AvroFormatOptions options_;
  std::shared_ptr<SchemaRegistryClient> registry_;
  EnvelopeOptions envelope_;
  std::unordered_map<const TableSchema*, std::unique_ptr<TableState>> tables_;
  TableState* last_ = nullptr;
  std::shared_ptr<const SourceInfo> last_source_;  // held so that its address is not reused
  std::string last_connector_ = "mysql";           // connector of last_source_
  ByteBuffer scratch_;
  std::map<std::pair<std::string, std::string>, int32_t> ids_;  // (subject, schema) -> id
  int32_t schema_change_key_id_ = -1;
  int32_t schema_change_value_id_ = -1;
  uint64_t registrations_ = 0;
};

}  // namespace vimur::avro
