#include "format/avro/avro_event_serializer.h"

#include "core/logging.h"
#include "format/avro/avro_schema.h"
#include "format/field_repr.h"
#include "format/json_writer.h"
#include "format/outbox_field.h"

namespace vimur::avro {

AvroEventSerializer::AvroEventSerializer(AvroFormatOptions options,
                                         std::shared_ptr<SchemaRegistryClient> registry)
    : options_(std::move(options)), registry_(std::move(registry)) {
  envelope_.transaction_metadata = options_.transaction_metadata;
  envelope_.modes = options_.modes;
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

Result<AvroEventSerializer::TableState*> AvroEventSerializer::StateFor(const ChangeEvent& event) {
  const TableSchema* t = event.table.get();
  if (event.source != last_source_) {  // the events of a transaction share their source
    last_source_ = event.source;
    // The source schema is named by connector (mysql, mariadb, postgresql).
    if (last_source_ && last_source_->connector != last_connector_) {
      last_connector_ = last_source_->connector;
    }
  }
  const std::string& connector = last_connector_;
  const auto current = [&](const TableState* state) {
    return state->encoder.table().get() == t && state->version == t->version &&
           state->connector == connector;
  };
  if (last_ != nullptr && current(last_)) return last_;
  auto it = tables_.find(t);
  if (it != tables_.end() && current(it->second.get())) {
    last_ = it->second.get();
    return last_;
  }
  // A new table shape: derive both schemas and register them (each once per distinct text).
  auto state = std::make_unique<TableState>(event.table, envelope_);
  state->version = t->version;
  state->connector = connector;
  std::string topic = options_.topic_prefix + "." + t->database + "." + t->table;
  if (t->has_key()) {
    VIMUR_ASSIGN_OR_RETURN(
        state->key_id, RegisterCached(t, topic + "-key",
                                      KeySchemaJson(options_.topic_prefix, *t, options_.modes)));
  }
  VIMUR_ASSIGN_OR_RETURN(
      state->value_id,
      RegisterCached(t, topic + "-value",
                     ValueSchemaJson(options_.topic_prefix, *t, connector, options_.modes,
                                     options_.propagate_source_types)));
  constexpr size_t kMaxTables = 256;  // schema versions seen; the oldest are rarely reused
  if (tables_.size() >= kMaxTables) tables_.clear();
  auto& slot = tables_[t];
  slot = std::move(state);
  last_ = slot.get();
  return last_;
}

Result<bool> AvroEventSerializer::AppendKey(const ChangeEvent& event, ByteBuffer* out) {
  if (!event.table->has_key()) return false;
  if (event.before.empty() && event.after.empty()) return false;  // truncate: no row, no key
  VIMUR_ASSIGN_OR_RETURN(TableState * state, StateFor(event));
  AppendConfluentHeader(state->key_id, out);
  VIMUR_RETURN_IF_ERROR(state->encoder.AppendKey(event, out));
  return true;
}

Status AvroEventSerializer::AppendValue(const ChangeEvent& event, int64_t ts_ms, ByteBuffer* out) {
  VIMUR_ASSIGN_OR_RETURN(TableState * state, StateFor(event));
  AppendConfluentHeader(state->value_id, out);
  return state->encoder.AppendEnvelope(event, ts_ms, out);
}

Status AvroEventSerializer::SchemaChangeKey(const SchemaChange& change, std::string* key) {
  if (schema_change_key_id_ < 0) {
    VIMUR_ASSIGN_OR_RETURN(
        schema_change_key_id_,
        RegisterCached(nullptr, options_.topic_prefix + "-key", SchemaChangeKeySchemaJson()));
  }
  scratch_.Clear();
  AppendConfluentHeader(schema_change_key_id_, &scratch_);
  EncodeSchemaChangeKey(change, &scratch_);
  key->assign(scratch_.view());
  return Status::Ok();
}

Status AvroEventSerializer::SchemaChangeValue(const SchemaChange& change, int64_t ts_ms,
                                              std::string* value) {
  if (schema_change_value_id_ < 0) {
    VIMUR_ASSIGN_OR_RETURN(
        schema_change_value_id_,
        RegisterCached(nullptr, options_.topic_prefix + "-value", SchemaChangeValueSchemaJson()));
  }
  scratch_.Clear();
  AppendConfluentHeader(schema_change_value_id_, &scratch_);
  EncodeSchemaChangeValue(change, ts_ms, &scratch_);
  value->assign(scratch_.view());
  return Status::Ok();
}

Status AvroEventSerializer::MessageKey(const SourceMessage& message, std::string* key) {
  VIMUR_ASSIGN_OR_RETURN(int32_t id, RegisterCached(nullptr, options_.topic_prefix + ".message-key",
                                                    MessageKeySchemaJson()));
  scratch_.Clear();
  AppendConfluentHeader(id, &scratch_);
  EncodeMessageKey(message, &scratch_);
  key->assign(scratch_.view());
  return Status::Ok();
}

Status AvroEventSerializer::MessageValue(const SourceMessage& message, int64_t ts_ms,
                                         std::string* value) {
  const BinaryHandlingMode binary = options_.modes.binary;
  VIMUR_ASSIGN_OR_RETURN(
      int32_t id, RegisterCached(nullptr, options_.topic_prefix + ".message-value",
                                 MessageValueSchemaJson(binary != BinaryHandlingMode::kBytes)));
  std::string text;
  std::string_view content = message.content;
  if (binary == BinaryHandlingMode::kHex) {
    text.assign(2 * content.size(), '\0');
    WriteHex(content, text.data());
    content = text;
  } else if (binary == BinaryHandlingMode::kBase64) {
    text.assign((content.size() + 2) / 3 * 4, '\0');
    json_internal::WriteBase64(content, text.data());
    content = text;
  }
  scratch_.Clear();
  AppendConfluentHeader(id, &scratch_);
  EncodeMessageValue(message, ts_ms, content, &scratch_);
  value->assign(scratch_.view());
  return Status::Ok();
}

Status AvroEventSerializer::OutboxField(const std::string& topic, bool key,
                                        const vimur::Value& value, bool /*expand_json*/,
                                        std::string* out) {
  VIMUR_ASSIGN_OR_RETURN(int32_t id, RegisterCached(nullptr, topic + (key ? "-key" : "-value"),
                                                    OutboxAvroSchema(value)));
  scratch_.Clear();
  AppendConfluentHeader(id, &scratch_);
  AvroWriter w(&scratch_);
  switch (value.kind) {
    case ValueKind::kInt: w.Long(value.i); break;
    case ValueKind::kUInt: w.Long(static_cast<int64_t>(value.u)); break;
    case ValueKind::kFloat: w.Double(value.f); break;
    case ValueKind::kDouble: w.Double(value.d); break;
    case ValueKind::kBool: w.Bool(value.b); break;
    case ValueKind::kText:
    case ValueKind::kBytes:
    case ValueKind::kGeometry: w.Bytes(value.s); break;
    case ValueKind::kNull:
    case ValueKind::kArray:
      return Status::InvalidArgument("outbox event on " + topic + ": a null or array " +
                                     (key ? "key" : "payload") + " has no Avro value");
  }
  out->assign(scratch_.view());
  return Status::Ok();
}

}  // namespace vimur::avro
