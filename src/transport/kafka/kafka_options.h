// KafkaTransportOptions: everything the Kafka transport is configured with (cluster, topics,
// delivery mode, in-flight window, client properties).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
  // Topic configs of every topic created (an override's `config` entries win).
  std::map<std::string, std::string> topic_config;
  // Per topic (exact name), also applies to the offsets topic.
  std::map<std::string, KafkaTopicOverride> topic_overrides;
  // Topics starting with one of these keep records by time (cleanup.policy=delete) unless an
  // override says otherwise: outbox topics, whose events of one aggregate share a key.
  std::vector<std::string> delete_policy_prefixes;
  // Bytes of batches sent but not yet acknowledged; Send waits while the window is full.
  // At-least-once hands the batch's own bytes to librdkafka (no copy); exactly-once copies
  // them, so its memory is up to twice the window.
  size_t max_in_flight_bytes = 64u << 20;
  // How long Send waits for room in the window; nullopt waits until there is room.
  std::optional<std::chrono::milliseconds> send_timeout;
  // Admin requests (topic creation) and transaction set-up.
  std::chrono::milliseconds request_timeout{30000};
  // Topic creation retries retriable failures (cluster unreachable) with backoff up to this
  // long before Send gives up with kUnavailable; zero tries once.
  std::chrono::milliseconds topic_retry_for{std::chrono::minutes(10)};
  // Extra librdkafka properties: security.protocol, ssl.*, sasl.*, linger.ms,
  // compression.type, ... Values are never logged.
  std::map<std::string, std::string> client_config;
};

}  // namespace vimur::kafka
