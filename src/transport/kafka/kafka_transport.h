// Kafka transport: publishes batches to Apache Kafka with librdkafka (idempotent, acks=all,
// Java-compatible key placement, compacted topics, offsets topic, optional transactions).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/position.h"
#include "core/status.h"
#include "transport/transport.h"

struct rd_kafka_s;
struct rd_kafka_message_s;
struct rd_kafka_topic_s;

namespace vimur::kafka {

// Settings for one topic that differ from the transport-wide defaults.
struct KafkaTopicOverride {
  std::optional<int> partitions;
  std::optional<int> replication_factor;
  std::optional<int> min_insync_replicas;
  // Further topic configs (retention.ms, max.message.bytes, cleanup.policy, ...).
  std::map<std::string, std::string> config;
};

struct KafkaTransportOptions {
  std::string bootstrap_servers;
  // Writes each batch's records and its offset record in one Kafka transaction.
  bool exactly_once = false;
  // Transactional id for exactly-once; default "vimur-{pipeline_name}". Must be unique per
  // running pipeline: a second producer with the same id fences the first.
  std::string transactional_id;
  // Compacted topic holding the source positions, keyed by ["pipeline", "source"].
  std::string offsets_topic = "vimur-offsets";
  int offsets_topic_partitions = 1;
  std::string pipeline_name;
  // Defaults for the topics the transport creates on first use (cleanup.policy=compact).
  int partitions = 3;
  int replication_factor = 1;
  std::optional<int> min_insync_replicas;
  // Per topic (exact name), also applies to the offsets topic.
  std::map<std::string, KafkaTopicOverride> topic_overrides;
  // Bytes of batches sent but not yet acknowledged; Send waits while the window is full.
  // At-least-once hands the batch's own bytes to librdkafka (no copy); exactly-once copies
  // them, so its memory is up to twice the window.
  size_t max_in_flight_bytes = 64u << 20;
  // How long Send waits for room in the window; nullopt waits until there is room.
  std::optional<std::chrono::milliseconds> send_timeout;
  // Admin requests (topic creation) and transaction set-up.
  std::chrono::milliseconds request_timeout{30000};
  // Extra librdkafka properties: security.protocol, ssl.*, sasl.*, linger.ms,
  // compression.type, ... Values are never logged.
  std::map<std::string, std::string> client_config;
};

// The offsets-topic key for a source: the JSON array ["pipeline", "source"].
std::string OffsetKey(const std::string& pipeline, const std::string& source);

// Maps a librdkafka error code to a Status: retriable codes (broker down, timeouts, leader
// changes) become kUnavailable; authorization, policy and size errors are fatal.
Status KafkaErrorStatus(int err, const std::string& context);

// True for librdkafka properties whose values must not appear in logs or errors.
bool IsSecretProperty(const std::string& name);

class KafkaTransport final : public Transport {
 public:
  explicit KafkaTransport(KafkaTransportOptions options);
  ~KafkaTransport() override;
  KafkaTransport(const KafkaTransport&) = delete;
  KafkaTransport& operator=(const KafkaTransport&) = delete;

  // Creates the producer, the offsets topic, and (exactly-once) initializes transactions.
  Status Start() override;
  // Creates unknown topics (blocking up to request_timeout; kUnavailable when the cluster
  // does not answer), then queues the batch; waits while the in-flight window is full
  // (a batch larger than the window goes alone). At-least-once: on_acked(OK) runs once the
  // batch's records and the offset record after them are acknowledged. Exactly-once: once
  // the transaction holding them commits. When Send itself returns an error the batch was
  // not accepted and on_acked is not called. After a fatal error every pending and later
  // batch fails with it. Meant for one sending thread: concurrent senders are safe, but
  // their batches are ordered only by who gets the lock first.
  Status Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  bool StoresOffsets() const override { return true; }
  // Reads the offsets topic to its end (read_committed) and returns the last position stored
  // for the source. With exactly-once call it after Start(), which fences an earlier
  // instance so that its open transaction does not hold the read back.
  Result<std::optional<Position>> LoadOffset(const std::string& source_name) override;

  // Bytes of batches accepted by Send and not yet acknowledged.
  size_t InFlightBytes() const;
  // Wakes blocked senders and fails new sends with kAborted; pending batches are given a
  // short time to finish when the transport is destroyed.
  void Shutdown();

 private:
  struct OffsetRecord;
  struct Batch;

  Status BuildProducer();
  // The producer's handle of `topic`, created on the cluster first when unknown. Handles live
  // as long as the transport: producing through one skips librdkafka's lookup by name.
  Result<rd_kafka_topic_s*> EnsureTopic(std::string_view topic, bool first_key_null);
  // Logs a warning when a topic that should be compacted already exists without it.
  void WarnIfNotCompacted(const std::string& topic, const std::string& wanted_policy);
  Status ProduceRecord(const OutgoingRecord& record, rd_kafka_topic_s* topic, void* opaque,
                       bool copy);
  Status ProduceOffset(OffsetRecord* offset, bool copy);
  void PollLoop();
  void TransactionLoop();
  bool Closing() const;
  Status BeginTransaction();
  Status AbortTransaction();
  Status ProduceBatchRecords(const std::vector<Batch*>& batches);
  // Adds the offset records and commits; produces the batches again into a new transaction
  // when Kafka aborts it for a retriable reason and they are `replayable`.
  Status CommitTransaction(const std::vector<Batch*>& batches, bool replayable);
  // Produces offset records for acknowledged batches and fires callbacks in order.
  void AdvanceAtLeastOnce();
  void FailAll(const Status& status);
  // Calls the callbacks in order (without holding mu_) and counts them finished.
  void Fire(std::vector<std::pair<std::function<void(const Status&)>, Status>>& to_fire);
  void OnDelivery(const rd_kafka_message_s* message);
  void OnError(int err, const char* reason);
  static void DeliveryCallback(rd_kafka_s* rk, const rd_kafka_message_s* message, void* opaque);
  static void ErrorCallback(rd_kafka_s* rk, int err, const char* reason, void* opaque);
  std::map<std::string, std::string> ConsumerSecurityConfig() const;

  const KafkaTransportOptions options_;
  rd_kafka_s* producer_ = nullptr;
  std::thread poll_thread_;
  std::thread transaction_thread_;

  std::mutex topics_mu_;  // serializes topic creation
  std::map<std::string, rd_kafka_topic_s*, std::less<>> topics_;
  rd_kafka_topic_s* offsets_topic_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable space_cv_;          // room in the window, or closing
  std::condition_variable drained_cv_;        // queue_ became empty
  std::condition_variable work_cv_;           // exactly-once: new batches queued
  std::deque<std::unique_ptr<Batch>> queue_;  // sent order; front is oldest
  // At-least-once: how many leading batches of queue_ are settled (delivered, offset record
  // assigned where one is due), and how many have had on_acked scheduled (both prefixes).
  size_t settled_ = 0;
  size_t fired_ = 0;
  size_t in_flight_bytes_ = 0;
  size_t unfinished_ = 0;  // batches accepted whose on_acked has not returned yet
  Status fatal_;           // first unrecoverable error; every later batch fails with it
  bool closing_ = false;
  Status tx_error_;  // exactly-once: why the current transaction's records failed
  // Exactly-once, set during Flush: a source transaction whose end has not been sent is
  // aborted (on_acked gets kAborted) instead of waited for.
  bool abandon_open_ = false;
  bool started_ = false;
  int last_logged_error_ = 0;
  std::atomic<bool> stop_poll_{false};
};

}  // namespace vimur::kafka
