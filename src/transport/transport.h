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
#include "transport/offset_store.h"

namespace vimur {

// One message as the transport sees it: views of already serialized bytes, which the batch
// holding the record owns (OutgoingBatch::Add) or which are static.
struct OutgoingRecord {
  std::string_view topic;
  std::optional<std::string_view> key;    // nullopt: null key (table without primary key)
  std::optional<std::string_view> value;  // nullopt: tombstone
  // One optional record header (Kafka; other transports keep none), e.g. kTruncatedHeader.
  std::string_view header_name;
  std::string_view header_value;
};

// The header of a record whose largest values were replaced to fit its topic
// (`on_oversized_event: truncate`): the replaced columns, comma-separated.
inline constexpr std::string_view kTruncatedHeader = "vimur.truncated";

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
  // Gives the last record added a header.
  void SetHeader(std::string_view name, std::string_view value) {
    records.back().header_name = bytes.Copy(name);
    records.back().header_value = bytes.Copy(value);
  }
};

// A transport hands the engine its OffsetStore (one owner of the resume positions), takes
// batches as records or, where it has one, through a faster JSON-lines path, and is shaped so
// that an embedded log or a consumer-side reader can sit behind the same interfaces.
class Transport {
 public:
  virtual ~Transport() = default;
  // Connects and prepares (creating topics on demand is the transport's business).
  virtual Status Start() = 0;
  // Queues a batch. `on_acked` runs exactly once, possibly on another thread, with OK when
  // every record of the batch is durable (and, where offsets().WrittenWithBatches(), its end
  // too), or the error that prevents it. Batches are acknowledged in the order they were
  // sent. When Send itself returns an error, the batch was not accepted and `on_acked` is
  // never called.
  virtual Status Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) = 0;
  // The fast path for transports that write JSON lines themselves (stdout): when true, the
  // engine serializes a batch straight into the line format of StdoutTransport and calls
  // SendLines instead of Send, with the same acknowledgement contract.
  virtual bool TakesJsonLines() const { return false; }
  virtual Status SendLines(std::string_view lines, const std::optional<Position>& end,
                           const std::function<void(const Status&)>& on_acked) {
    return Status::Unsupported("this transport takes records, not JSON lines");
  }
  // Waits until every sent batch is acknowledged or `timeout` passes. Batches of a source
  // transaction whose last batch was not sent may be abandoned instead (on_acked gets
  // kAborted): where a transport commits whole transactions only, they cannot complete.
  virtual Status Flush(std::chrono::milliseconds timeout) = 0;
  // Where the resume positions of this transport's pipeline live; owned by the transport.
  virtual OffsetStore& offsets() = 0;
  // Stops waiting: a Send blocked for room and a Flush return kAborted at once, and later
  // sends fail. For stopping within a deadline while the platform is unreachable.
  virtual void Shutdown() {}
  // Batches accepted and not yet acknowledged (reported when stopping without them).
  virtual size_t Unacknowledged() const { return 0; }
};

}  // namespace vimur
