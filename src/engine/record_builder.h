// RecordBuilder: maps one captured Transaction to the records a transport publishes: topic
// per table, key, envelope, a tombstone after each delete, and DDL on the schema-change topic.
#pragma once

#include <memory>
#include <string>

#include "core/change_event.h"
#include "format/event_serializer.h"
#include "transport/transport.h"

namespace vimur {

class RecordBuilder {
 public:
  RecordBuilder(std::string topic_prefix, std::unique_ptr<EventSerializer> serializer)
      : prefix_(std::move(topic_prefix)), serializer_(std::move(serializer)) {}

  // Appends the records of `txn` to `out`.
  Status Build(const Transaction& txn, int64_t ts_ms, std::vector<OutgoingRecord>* out);
  std::string TopicFor(const TableSchema& table) const {
    return prefix_ + "." + table.database + "." + table.table;
  }
  const std::string& schema_change_topic() const { return prefix_; }

 private:
  std::string prefix_;
  std::unique_ptr<EventSerializer> serializer_;
};

}  // namespace vimur
