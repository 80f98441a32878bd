#include "engine/record_builder.h"

namespace vimur {

Status RecordBuilder::Build(const Transaction& txn, int64_t ts_ms,
                            std::vector<OutgoingRecord>* out) {
  for (const SchemaChange& change : txn.schema_changes) {
    OutgoingRecord r;
    r.topic = prefix_;
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
  }
  return Status::Ok();
}

}  // namespace vimur
