#include "engine/record_builder.h"

#include <algorithm>

#include "format/json_writer.h"
#include "transport/stdout_transport.h"

namespace vimur {

void RecordBuilder::TransactionRecord(const Transaction& txn, bool begin, int64_t ts_ms,
                                      OutgoingBatch* out) {
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
  out->Add(options_.transaction_topic, key, value);
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

Status RecordBuilder::OpenRecords(const Transaction& txn, int64_t ts_ms, OutgoingBatch* out,
                                  bool* only) {
  *only = false;
  if (txn.events.empty() && txn.schema_changes.empty() && txn.messages.empty()) {
    *only = true;
    if (!options_.heartbeat_topic.empty() && txn.complete) {
      std::string key = "{\"serverName\":";
      JsonWriter(&key).String(options_.topic_prefix);
      key += "}";
      out->Add(options_.heartbeat_topic, key, "{\"ts_ms\":" + std::to_string(ts_ms) + "}");
    }
    return Status::Ok();
  }
  if (WithMetadata(txn) && open_txn_ != txn.id) {
    open_txn_ = txn.id;
    open_txn_counts_.clear();
    TransactionRecord(txn, /*begin=*/true, ts_ms, out);
  }
  for (const SchemaChange& change : txn.schema_changes) {
    std::string key;
    std::string value;
    VIMUR_RETURN_IF_ERROR(serializer_->SchemaChangeKey(change, &key));
    VIMUR_RETURN_IF_ERROR(serializer_->SchemaChangeValue(change, ts_ms, &value));
    out->Add(options_.topic_prefix, key, value);
  }
  for (const SourceMessage& message : txn.messages) {
    std::string key;
    std::string value;
    VIMUR_RETURN_IF_ERROR(serializer_->MessageKey(message, &key));
    VIMUR_RETURN_IF_ERROR(serializer_->MessageValue(message, ts_ms, &value));
    out->Add(MessageTopicName(options_.topic_prefix), key, value);
  }
  return Status::Ok();
}

void RecordBuilder::CloseRecords(const Transaction& txn, int64_t ts_ms, OutgoingBatch* out) {
  if (WithMetadata(txn) && txn.complete) {
    TransactionRecord(txn, /*begin=*/false, ts_ms, out);
    open_txn_.clear();
  }
}

Status RecordBuilder::Build(const Transaction& txn, int64_t ts_ms, OutgoingBatch* out) {
  if (out->bytes.capacity() == 0 && !txn.events.empty()) {
    // One chunk for the whole batch when events are like the previous batch's.
    constexpr size_t kMaxEstimate = 16 << 20;
    out->bytes = ByteArena(
        std::clamp<size_t>(bytes_per_event_ * txn.events.size() * 9 / 8, 4096, kMaxEstimate));
  }
  bool only = false;
  VIMUR_RETURN_IF_ERROR(OpenRecords(txn, ts_ms, out, &only));
  if (only) return Status::Ok();
  const bool metadata = WithMetadata(txn);
  out->records.reserve(out->records.size() + txn.events.size() + 1);
  size_t bytes = 0;
  for (const ChangeEvent& event : txn.events) {
    if (outbox_ && outbox_->Routes(event)) {
      Status routed = outbox_->Append(event, *serializer_, out);
      if (!routed.ok()) return routed.WithContext("routing an outbox row of " + Place(event));
      continue;
    }
    key_.Clear();
    value_.Clear();
    Result<bool> has_key = serializer_->AppendKey(event, &key_);
    Status s = has_key.ok() ? serializer_->AppendValue(event, ts_ms, &value_) : has_key.status();
    if (!s.ok()) return s.WithContext("serializing a change of " + Place(event));
    std::string_view topic = TopicTextFor(event.table).topic;
    std::string truncated;
    if (const size_t limit = LimitFor(std::string(topic));
        limit > 0 && key_.size() + value_.size() > limit) {
      VIMUR_RETURN_IF_ERROR(HandleOversized(event, ts_ms, limit, &topic, &truncated));
    }
    out->Add(topic, *has_key ? std::optional<std::string_view>(key_.view()) : std::nullopt,
             value_.view());
    if (!truncated.empty()) out->SetHeader(kTruncatedHeader, truncated);
    bytes += key_.size() + value_.size();
    if (event.op == Op::kDelete && *has_key) {  // the tombstone shares the record's bytes
      OutgoingRecord tombstone = out->records.back();
      tombstone.value.reset();
      tombstone.header_name = {};
      out->records.push_back(tombstone);
    }
    if (metadata) ++open_txn_counts_[event.table->qualified_name()];
  }
  if (!txn.events.empty()) bytes_per_event_ = bytes / txn.events.size() + 1;
  CloseRecords(txn, ts_ms, out);
  return Status::Ok();
}

Status RecordBuilder::BuildLines(const Transaction& txn, int64_t ts_ms, JsonBuffer* out) {
  if (!lines_json_) return Status::Internal("RecordBuilder::BuildLines without UseJsonLines");
  OutgoingBatch before;  // allocates only when there are records
  bool only = false;
  VIMUR_RETURN_IF_ERROR(OpenRecords(txn, ts_ms, &before, &only));
  for (const OutgoingRecord& r : before.records) StdoutTransport::AppendLine(r, out);
  if (only) return Status::Ok();
  const bool metadata = WithMetadata(txn);
  for (const ChangeEvent& event : txn.events) {
    if (outbox_ && outbox_->Routes(event)) {
      OutgoingBatch routed;
      Status s = outbox_->Append(event, *serializer_, &routed);
      if (!s.ok()) return s.WithContext("routing an outbox row of " + Place(event));
      for (const OutgoingRecord& r : routed.records) StdoutTransport::AppendLine(r, out);
      continue;
    }
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
  OutgoingBatch after;
  CloseRecords(txn, ts_ms, &after);
  for (const OutgoingRecord& r : after.records) StdoutTransport::AppendLine(r, out);
  return Status::Ok();
}

}  // namespace vimur
