#include "format/avro/avro_event_serializer.h"

#include "core/logging.h"
#include "format/avro/avro_schema.h"

namespace vimur::avro {

AvroEventSerializer::AvroEventSerializer(AvroFormatOptions options,
                                         std::shared_ptr<SchemaRegistryClient> registry)
    : options_(std::move(options)), registry_(std::move(registry)) {
  envelope_.transaction_metadata = options_.transaction_metadata;
}

Result<int32_t> AvroEventSerializer::RegisterCached(const TableSchema* table,
                                                    const std::string& subject,
                                                    const std::string& schema) {
  auto key = std::make_pair(subject, schema);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  ++registrations_;
  Result<int32_t> id = registry_->Register(subject, schema);
  if (!id.ok() && id.status().code() == StatusCode::kFailedPrecondition) {
    std::string what =
        table == nullptr ? "the schema-change events" : "table " + table->qualified_name();
    std::string ddl = table != nullptr && !table->last_ddl.empty()
                          ? " after the DDL `" + table->last_ddl + "`"
                          : "";
    if (!options_.continue_on_incompatible) {
      return Status::FailedPrecondition(
          "the new Avro schema of " + what + ddl + " is refused by the registry for subject '" +
          subject + "' (" + id.status().message() +
          "); nothing of it was published. Make the change compatible (e.g. add columns as "
          "NULL), relax the subject's compatibility level, or set "
          "format.on_incompatible_schema: continue");
    }
    LOG_WARN << "the new Avro schema of " << what << ddl
             << " is incompatible under the compatibility level of subject '" << subject
             << "'; format.on_incompatible_schema is continue, so the subject's level is set to "
                "NONE and the schema registered as its next version: consumers reading with the "
                "previous schema may fail to read newer records";
    VIMUR_RETURN_IF_ERROR(registry_->SetSubjectCompatibility(subject, "NONE"));
    id = registry_->Register(subject, schema);
  }
  if (!id.ok()) {
    return id.status().WithContext("registering the Avro schema of subject '" + subject + "'");
  }
  ids_.emplace(std::move(key), *id);
  return *id;
}

Result<const AvroEventSerializer::TableIds*> AvroEventSerializer::IdsFor(const ChangeEvent& event) {
  const TableSchema* t = event.table.get();
  bool postgres = event.source && event.source->connector == "postgresql";
  auto it = tables_.find(t);
  if (it != tables_.end() && it->second.version == t->version && it->second.postgres == postgres) {
    return &it->second;
  }
  // A new table shape: derive both schemas and register them (each once per distinct text).
  TableIds ids;
  ids.table = event.table;
  ids.version = t->version;
  ids.postgres = postgres;
  std::string topic = options_.topic_prefix + "." + t->database + "." + t->table;
  if (t->has_key()) {
    VIMUR_ASSIGN_OR_RETURN(
        ids.key_id, RegisterCached(t, topic + "-key", KeySchemaJson(options_.topic_prefix, *t)));
  }
  VIMUR_ASSIGN_OR_RETURN(ids.value_id,
                         RegisterCached(t, topic + "-value",
                                        ValueSchemaJson(options_.topic_prefix, *t,
                                                        postgres ? "postgresql" : "mysql")));
  TableIds& slot = tables_[t];
  slot = std::move(ids);
  return &slot;
}

Status AvroEventSerializer::Key(const ChangeEvent& event, std::optional<std::string>* key) {
  if (!event.table->has_key()) {
    key->reset();
    return Status::Ok();
  }
  VIMUR_ASSIGN_OR_RETURN(const TableIds* ids, IdsFor(event));
  if (!key->has_value()) key->emplace();
  std::string& out = **key;
  out.clear();
  AppendConfluentHeader(ids->key_id, &out);
  return EncodeKey(event, &out);
}

Status AvroEventSerializer::Value(const ChangeEvent& event, int64_t ts_ms, std::string* value) {
  VIMUR_ASSIGN_OR_RETURN(const TableIds* ids, IdsFor(event));
  value->clear();
  AppendConfluentHeader(ids->value_id, value);
  return EncodeEnvelope(event, ts_ms, envelope_, value);
}

Status AvroEventSerializer::SchemaChangeKey(const SchemaChange& change, std::string* key) {
  if (schema_change_key_id_ < 0) {
    VIMUR_ASSIGN_OR_RETURN(
        schema_change_key_id_,
        RegisterCached(nullptr, options_.topic_prefix + "-key", SchemaChangeKeySchemaJson()));
  }
  key->clear();
  AppendConfluentHeader(schema_change_key_id_, key);
  EncodeSchemaChangeKey(change, key);
  return Status::Ok();
}

Status AvroEventSerializer::SchemaChangeValue(const SchemaChange& change, int64_t ts_ms,
                                              std::string* value) {
  if (schema_change_value_id_ < 0) {
    VIMUR_ASSIGN_OR_RETURN(
        schema_change_value_id_,
        RegisterCached(nullptr, options_.topic_prefix + "-value", SchemaChangeValueSchemaJson()));
  }
  value->clear();
  AppendConfluentHeader(schema_change_value_id_, value);
  EncodeSchemaChangeValue(change, ts_ms, value);
  return Status::Ok();
}

}  // namespace vimur::avro
