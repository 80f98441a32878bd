#include "engine/record_builder.h"

#include "format/json_writer.h"

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

Status RecordBuilder::Build(const Transaction& txn, int64_t ts_ms,
                            std::vector<OutgoingRecord>* out) {
  if (txn.events.empty() && txn.schema_changes.empty()) {
    if (!options_.heartbeat_topic.empty() && txn.complete) {
      std::string key = "{\"serverName\":";
      JsonWriter(&key).String(options_.topic_prefix);
      key += "}";
      out->push_back(OutgoingRecord{options_.heartbeat_topic, std::move(key),
                                    "{\"ts_ms\":" + std::to_string(ts_ms) + "}"});
    }
    return Status::Ok();
  }
  bool metadata = !options_.transaction_topic.empty() && !txn.events.empty();
  if (metadata && open_txn_ != txn.id) {
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
  for (const ChangeEvent& event : txn.events) {
    OutgoingRecord r;
    r.topic = TopicFor(*event.table);
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
  if (metadata && txn.complete) {
    TransactionRecord(txn, /*begin=*/false, ts_ms, out);
    open_txn_.clear();
  }
  return Status::Ok();
}

}  // namespace vimur
