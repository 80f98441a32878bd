// Transport: the distribution platform events are published to (stdout, Kafka, local log).
// It acknowledges records asynchronously; the engine commits positions only after acks.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "core/position.h"
#include "core/status.h"

namespace vimur {

// One message as the transport sees it: views of already serialized bytes, which the batch
// holding the record owns (OutgoingBatch::Add) or which are static.
struct OutgoingRecord {
  std::string_view topic;
  std::optional<std::string_view> key;    // nullopt: null key (table without primary key)
  std::optional<std::string_view> value;  // nullopt: tombstone
};

// Everything one source transaction publishes, plus the resume point after it. The bytes of
// its records live in one arena: a few allocations per batch, none per record.
struct OutgoingBatch {
  std::string source_name;
  std::vector<OutgoingRecord> records;
  // The resume point after the batch, committed once every record is acknowledged; nullopt
  // for a leading chunk of a source transaction too large to publish at once: no resume point
  // lies inside a transaction, so only its last chunk carries one.
  std::optional<Position> end;
  ByteArena bytes{1024};

  // Appends a record whose bytes are copied into the batch. A topic equal to the previous
  // record's is shared with it.
  void Add(std::string_view topic, std::optional<std::string_view> key,
           std::optional<std::string_view> value) {
    OutgoingRecord r;
    r.topic = !records.empty() && records.back().topic == topic ? records.back().topic
                                                                : bytes.Copy(topic);
    if (key) r.key = bytes.Copy(*key);
    if (value) r.value = bytes.Copy(*value);
    records.push_back(r);
  }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Connects and prepares (creating topics on demand is the transport's business).
  virtual Status Start() = 0;
  // Queues a batch. `on_acked` runs exactly once, possibly on another thread, with OK when
  // every record of the batch is durable, or the fatal error that prevents it. Batches are
  // acknowledged in the order they were sent. When Send itself returns an error, the batch
  // was not accepted and `on_acked` is never called.
  virtual Status Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) = 0;
  // Waits until every sent batch is acknowledged or `timeout` passes. Batches of a source
  // transaction whose last batch was not sent may be abandoned instead (on_acked gets
  // kAborted): where a transport commits whole transactions only, they cannot complete.
  virtual Status Flush(std::chrono::milliseconds timeout) = 0;
  // Where this transport keeps positions itself (Kafka offsets topic), the position stored
  // for `source_name`; nullopt when it keeps none and the engine's file store applies.
  virtual bool StoresOffsets() const { return false; }
  virtual Result<std::optional<Position>> LoadOffset(const std::string& source_name) {
    return std::optional<Position>();
  }
};

}  // namespace vimur
