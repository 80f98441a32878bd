// DeliveryState: what the Kafka transport and its delivery strategy share: the producer, the
// batches sent and not yet acknowledged (the in-flight window), and the first fatal error.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "transport/kafka/kafka_options.h"
#include "transport/transport.h"

struct rd_kafka_s;
struct rd_kafka_topic_s;

namespace vimur::kafka {

// Records that a delivery report can point at; `is_offset` tells which one it is.
struct Tracked {
  bool is_offset = false;
};

struct OffsetRecord : Tracked {
  OffsetRecord() { is_offset = true; }
  std::string key;
  std::string value;
  bool delivered = false;
  Status error;
};

struct Batch : Tracked {
  OutgoingBatch data;
  std::vector<rd_kafka_topic_s*> topics;  // of each record
  std::function<void(const Status&)> on_acked;
  size_t bytes = 0;                      // counted in the window
  size_t remaining = 0;                  // at-least-once: delivery reports still to come
  Status error;                          // first record that failed
  std::shared_ptr<OffsetRecord> offset;  // at-least-once: the offset record committing it
  bool settled = false;   // at-least-once: delivered, and given its offset record if any
  bool released = false;  // exactly-once: records handed over, own bytes dropped
  bool fired = false;     // on_acked has been called (or scheduled)
};

using Callbacks = std::vector<std::pair<std::function<void(const Status&)>, Status>>;

struct DeliveryState {
  explicit DeliveryState(const KafkaTransportOptions& o) : options(o) {}

  const KafkaTransportOptions& options;
  rd_kafka_s* producer = nullptr;             // set once started
  rd_kafka_topic_s* offsets_topic = nullptr;  // likewise

  mutable std::mutex mu;                     // guards everything below
  std::condition_variable space_cv;          // room in the window, or closing
  std::condition_variable drained_cv;        // every accepted batch finished
  std::condition_variable work_cv;           // new batches queued, or a flush began
  std::deque<std::unique_ptr<Batch>> queue;  // sent order; front is oldest
  size_t in_flight_bytes = 0;
  size_t unfinished = 0;  // batches accepted whose on_acked has not returned yet
  Status fatal;           // first unrecoverable error; every later batch fails with it
  bool closing = false;
  // Set during Flush: a source transaction whose end was not sent may be abandoned.
  bool flushing = false;

  bool Closing() const;
  // Calls the callbacks in order (without holding mu) and counts them finished.
  void Fire(Callbacks& to_fire);
  // Fails every batch whose on_acked has not been scheduled.
  void FailAll(const Status& status);
  // Hands one record to librdkafka (copied when `copy`, else it must stay valid until its
  // delivery report); waits while librdkafka's own queue is full.
  Status ProduceRecord(const OutgoingRecord& record, rd_kafka_topic_s* topic, void* opaque,
                       bool copy);
};

// How batches become durable: at-least-once (an offset record after each acknowledged batch)
// or exactly-once (batches and offset records in Kafka transactions). One per transport.
class DeliveryStrategy {
 public:
  virtual ~DeliveryStrategy() = default;
  // Sets the producer properties the mode depends on.
  virtual Status Configure(
      const std::function<Status(const std::string&, const std::string&)>& set_property) = 0;
  // Once the producer exists: exactly-once initializes transactions and starts its thread.
  virtual Status Start() = 0;
  // `batch` was just queued (records not yet produced); on the sending thread.
  virtual void Queued(Batch* batch) = 0;
  // A delivery report; `tracked` is the opaque the record was produced with (may be null).
  // On the poll thread.
  virtual void Delivered(Tracked* tracked, const Status& status, int err) = 0;
  // On the poll thread after each poll, and once more after the final purge.
  virtual void Poll() = 0;
  // Stops the strategy's own thread; `closing` is set already.
  virtual void Stop() = 0;
};

}  // namespace vimur::kafka
