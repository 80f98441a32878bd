// Kafka transport: publishes batches to Apache Kafka with librdkafka (idempotent, acks=all,
// Java-compatible key placement, compacted topics, offsets topic, optional transactions).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/status.h"
#include "transport/kafka/delivery_state.h"
#include "transport/kafka/kafka_errors.h"
#include "transport/kafka/kafka_offset_store.h"
#include "transport/kafka/kafka_options.h"
#include "transport/kafka/topic_admin.h"
#include "transport/transport.h"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace vimur::kafka {

class KafkaTransport final : public Transport {
 public:
  explicit KafkaTransport(KafkaTransportOptions options);
  ~KafkaTransport() override;
  KafkaTransport(const KafkaTransport&) = delete;
  KafkaTransport& operator=(const KafkaTransport&) = delete;

  // Creates the producer, the offsets topic, and (exactly-once) initializes transactions.
  Status Start() override;
  // Creates unknown topics (retrying while the cluster does not answer, see
  // KafkaTransportOptions::topic_retry_for), then queues the batch; waits while the in-flight
  // window is full (a batch larger than the window goes alone). at-least-once: on_acked(OK)
  // runs once the batch's records and the offset record after them are acknowledged.
  // Exactly-once: once the transaction holding them commits. When Send itself returns an
  // error the batch was not accepted and on_acked is not called. After a fatal error every
  // pending and later batch fails with it. Meant for one sending thread: concurrent senders
  // are safe, but their batches are ordered only by who gets the lock first.
  Status Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  // The offsets topic. Its Load with exactly-once needs Start() first, which fences an
  // earlier instance so that its open transaction does not hold the read back.
  OffsetStore& offsets() override { return offsets_; }
  // Wakes blocked senders and fails new sends with kAborted; pending batches are given a
  // short time to finish when the transport is destroyed.
  void Shutdown() override;
  size_t Unacknowledged() const override;

  // Bytes of batches accepted by Send and not yet acknowledged.
  size_t InFlightBytes() const;

 private:
  Status BuildProducer();
  // Writes a position that travels with no batch, and waits until it is durable.
  Status CommitPosition(const std::string& source, const Position& position);
  void PollLoop();
  void OnDelivery(const rd_kafka_message_s* message);
  void OnError(int err, const char* reason);
  static void DeliveryCallback(rd_kafka_s* rk, const rd_kafka_message_s* message, void* opaque);
  static void ErrorCallback(rd_kafka_s* rk, int err, const char* reason, void* opaque);

  const KafkaTransportOptions options_;
  DeliveryState state_;
  std::unique_ptr<DeliveryStrategy> delivery_;
  std::unique_ptr<TopicAdmin> topics_;
  KafkaOffsetStore offsets_;
  std::thread poll_thread_;
  std::atomic<bool> stop_poll_{false};
  bool started_ = false;
  int last_logged_error_ = 0;  // state_.mu
};

}  // namespace vimur::kafka
