// RecordInput: what a sink reads — batches of records (topic, partition, offset, key, value)
// and the acknowledgement that moves the resume point once the target has committed them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace vimur::sink {

struct InputRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;    // nullopt: null key
  std::optional<std::string> value;  // nullopt: tombstone
  int64_t timestamp_ms = 0;          // the record's timestamp (when it was produced)

  // "topic[partition]@offset", for errors and logs.
  std::string Where() const {
    return topic + "[" + std::to_string(partition) + "]@" + std::to_string(offset);
  }
};

// A source of records for one sink. Records of one partition arrive in order; a record is
// delivered again after a restart until a batch containing it was acknowledged. Used by one
// thread at a time.
class RecordInput {
 public:
  virtual ~RecordInput() = default;
  // Before Start: ignore the group's committed offsets and deliver every partition from its
  // first record (a sink rebuilding local state from compacted topics); acknowledgements then
  // move the committed offsets back to what was applied.
  virtual void ReadFromBeginning() = 0;
  // Joins the input (subscribes to the topics matching the sink's regexes).
  virtual Status Start() = 0;
  // Up to `max_records` records, waiting at most `max_wait` for the first and then only as
  // long as more are already at hand. An empty batch is not an error.
  virtual Result<std::vector<InputRecord>> Poll(size_t max_records,
                                                std::chrono::milliseconds max_wait) = 0;
  // The target committed every record of `batch` (and all delivered before it): the resume
  // point moves past them. May complete after returning (Kafka commits asynchronously and in
  // order; Close waits for those under way); an error means the resume point did not move.
  virtual Status Acknowledge(const std::vector<InputRecord>& batch) = 0;
  // While a batch is retried, stays a member of its group without taking new records.
  virtual void Wait(std::chrono::milliseconds how_long) = 0;
  // Parks a record the sink gave up on, with the reason (on_error: dead_letter). Synchronous.
  virtual Status DeadLetter(const InputRecord& record, const std::string& error) = 0;
  // Leaves the group (offsets already acknowledged stay).
  virtual void Close() = 0;
};

}  // namespace vimur::sink
