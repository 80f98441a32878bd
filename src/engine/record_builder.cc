#include "engine/record_builder.h"

#include "format/json_writer.h"
#include "transport/stdout_transport.h"

namespace vimur {

void RecordBuilder::TransactionRecord(const Transaction& txn, bool begin, int64_t ts_ms,
                                      std::vector<OutgoingRecord>* out) {
  std::string key;
  JsonWriter k(&key);
  k.BeginObject();
  k.Key("id");
  k.String(txn.id);
  k.EndObject();
  std::string value;
  JsonWriter v(&value);
  v.BeginObject();
  v.Key("status");
  v.String(begin ? "BEGIN" : "END");
  v.Key("id");
  v.String(txn.id);
  v.Key("ts_ms");
  v.Int(ts_ms);
  v.Key("event_count");
  uint64_t total = 0;
  for (const auto& [name, count] : open_txn_counts_) total += count;
  if (begin) {
    v.Null();
  } else {
    v.UInt(total);
  }
  v.Key("data_collections");
  if (begin) {
    v.Null();
  } else {
    v.BeginArray();
    for (const auto& [name, count] : open_txn_counts_) {
      v.BeginObject();
      v.Key("data_collection");
      v.String(name);
      v.Key("event_count");
      v.UInt(count);
      v.EndObject();
    }
    v.EndArray();
  }
  v.EndObject();
  out->push_back(OutgoingRecord{options_.transaction_topic, std::move(key), std::move(value)});
}

void RecordBuilder::UseJsonLines(JsonFormatOptions options) {
  lines_json_ = std::make_unique<DebeziumJsonSerializer>(std::move(options));
}

const RecordBuilder::TopicText& RecordBuilder::TopicTextFor(const TableSchemaPtr& table) {
  if (last_topic_ != nullptr && last_topic_->table == table) return *last_topic_;
  auto it = topics_.find(table.get());
  if (it == topics_.end()) {
    constexpr size_t kMaxTables = 256;  // schema versions seen; the oldest are rarely reused
    if (topics_.size() >= kMaxTables) topics_.clear();
    TopicText text;
    text.table = table;
    text.topic = TopicFor(*table);
    JsonBuffer head;
    StdoutTransport::AppendLineHead(text.topic, &head);
    text.line_head = std::string(head.view());
    it = topics_.emplace(table.get(), std::move(text)).first;
  }
  last_topic_ = &it->second;
  return it->second;
}

Status RecordBuilder::OpenRecords(const Transaction& txn, int64_t ts_ms,
                                  std::vector<OutgoingRecord>* out, bool* only) {
  *only = false;
  if (txn.events.empty() && txn.schema_changes.empty()) {
    *only = true;
    if (!options_.heartbeat_topic.empty() && txn.complete) {
      std::string key = "{\"serverName\":";
      JsonWriter(&key).String(options_.topic_prefix);
      key += "}";
      out->push_back(OutgoingRecord{options_.heartbeat_topic, std::move(key),
                                    "{\"ts_ms\":" + std::to_string(ts_ms) + "}"});
    }
    return Status::Ok();
  }
  if (WithMetadata(txn) && open_txn_ != txn.id) {
    open_txn_ = txn.id;
    open_txn_counts_.clear();
    TransactionRecord(txn, /*begin=*/true, ts_ms, out);
  }
  for (const SchemaChange& change : txn.schema_changes) {
    OutgoingRecord r;
    r.topic = options_.topic_prefix;
    std::string key;
    std::string value;
    VIMUR_RETURN_IF_ERROR(serializer_->SchemaChangeKey(change, &key));
    VIMUR_RETURN_IF_ERROR(serializer_->SchemaChangeValue(change, ts_ms, &value));
    r.key = std::move(key);
    r.value = std::move(value);
    out->push_back(std::move(r));
  }
  return Status::Ok();
}

void RecordBuilder::CloseRecords(const Transaction& txn, int64_t ts_ms,
                                 std::vector<OutgoingRecord>* out) {
  if (WithMetadata(txn) && txn.complete) {
    TransactionRecord(txn, /*begin=*/false, ts_ms, out);
    open_txn_.clear();
  }
}

Status RecordBuilder::Build(const Transaction& txn, int64_t ts_ms,
                            std::vector<OutgoingRecord>* out) {
  bool only = false;
  VIMUR_RETURN_IF_ERROR(OpenRecords(txn, ts_ms, out, &only));
  if (only) return Status::Ok();
  const bool metadata = WithMetadata(txn);
  for (const ChangeEvent& event : txn.events) {
    OutgoingRecord r;
    r.topic = TopicTextFor(event.table).topic;
    VIMUR_RETURN_IF_ERROR(serializer_->Key(event, &r.key));
    std::string value;
    Status s = serializer_->Value(event, ts_ms, &value);
    if (!s.ok()) {
      return s.WithContext("serializing a change of " + event.table->qualified_name() + " at " +
                           event.source->file + ":" + std::to_string(event.source->pos));
    }
    r.value = std::move(value);
    bool tombstone = event.op == Op::kDelete && r.key.has_value();
    std::optional<std::string> key = tombstone ? r.key : std::nullopt;
    std::string topic = tombstone ? r.topic : std::string();
    out->push_back(std::move(r));
    if (tombstone) out->push_back(OutgoingRecord{std::move(topic), std::move(key), std::nullopt});
    if (metadata) ++open_txn_counts_[event.table->qualified_name()];
  }
  CloseRecords(txn, ts_ms, out);
  return Status::Ok();
}

Status RecordBuilder::BuildLines(const Transaction& txn, int64_t ts_ms, JsonBuffer* out) {
  if (!lines_json_) return Status::Internal("RecordBuilder::BuildLines without UseJsonLines");
  scratch_.clear();
  bool only = false;
  VIMUR_RETURN_IF_ERROR(OpenRecords(txn, ts_ms, &scratch_, &only));
  for (const OutgoingRecord& r : scratch_) StdoutTransport::AppendLine(r, out);
  if (only) return Status::Ok();
  const bool metadata = WithMetadata(txn);
  for (const ChangeEvent& event : txn.events) {
    const TopicText& topic = TopicTextFor(event.table);
    out->Raw(topic.line_head);
    const size_t key_start = out->size();
    const bool has_key = lines_json_->AppendKey(event, out);
    if (!has_key) out->Null();
    const size_t key_end = out->size();
    out->Raw(StdoutTransport::kLineValue);
    lines_json_->AppendValue(event, ts_ms, out);
    out->Raw(StdoutTransport::kLineEnd);
    if (event.op == Op::kDelete && has_key) {  // the tombstone
      out->Raw(topic.line_head);
      out->CopyOwn(key_start, key_end);
      out->Raw(StdoutTransport::kLineValue);
      out->Null();
      out->Raw(StdoutTransport::kLineEnd);
    }
    if (metadata) ++open_txn_counts_[event.table->qualified_name()];
  }
  scratch_.clear();
  CloseRecords(txn, ts_ms, &scratch_);
  for (const OutgoingRecord& r : scratch_) StdoutTransport::AppendLine(r, out);
  return Status::Ok();
}

}  // namespace vimur
