// BuildPipelineParts: the concrete sources and transport (with its offset store) a
// configuration names.
#include <algorithm>
#include <cstdlib>

#include "engine/kafka_record_limits.h"
#include "engine/pipeline.h"
#include "source/mysql/mysql_source.h"
#include "source/postgresql/postgresql_source.h"
#include "transport/file_offset_store.h"
#include "transport/kafka/kafka_transport.h"
#include "transport/local/local_log_options.h"
#include "transport/local/local_transport.h"
#include "transport/stdout_transport.h"

namespace vimur {
namespace {

kafka::KafkaTransportOptions KafkaOptions(const PipelineConfig& config) {
  const TransportConfig& t = config.transport;
  kafka::KafkaTransportOptions o;
  o.bootstrap_servers = t.bootstrap_servers;
  o.exactly_once = t.exactly_once;
  o.offsets_topic = t.offsets_topic;
  o.pipeline_name = config.name;
  o.partitions = t.topic.partitions;
  o.replication_factor = t.topic.replication_factor;
  if (t.topic.min_insync_replicas > 0) o.min_insync_replicas = t.topic.min_insync_replicas;
  o.topic_config = t.topic.config;
  for (const auto& [topic, c] : t.topic_overrides) {
    kafka::KafkaTopicOverride override_;
    override_.partitions = c.partitions;
    override_.replication_factor = c.replication_factor;
    if (c.min_insync_replicas > 0) override_.min_insync_replicas = c.min_insync_replicas;
    override_.config = c.config;
    o.topic_overrides[topic] = override_;
  }
  for (const SourceConfig& s : config.sources) {
    if (s.outbox.enabled()) o.delete_policy_prefixes.push_back(s.outbox.TopicPrefix());
  }
  // Messages share their key (the prefix): their topics keep records by time, not by key.
  for (const SourceConfig& s : config.sources) {
    if (s.type != "postgresql") continue;
    o.topic_overrides[MessageTopicName(s.topic_prefix)].config.emplace("cleanup.policy", "delete");
  }
  o.max_in_flight_bytes = static_cast<size_t>(t.max_in_flight_bytes);
  if (t.on_oversized_event == "dead_letter") {
    // Oversized events, whole: a larger limit, kept by time.
    for (const SourceConfig& s : config.sources) {
      auto& topic = o.topic_overrides[OversizedTopicName(s.topic_prefix)].config;
      topic.emplace("max.message.bytes", std::to_string(t.oversized_max_message_bytes));
      topic.emplace("cleanup.policy", "delete");
    }
  }
  o.client_config = t.client_config;
  // The producer refuses records above its message.max.bytes (librdkafka: 1,000,000): raised
  // to the largest topic limit configured.
  const int64_t producer_limit = ProducerMessageMaxBytes(config);
  if (producer_limit > 1000000) {
    o.client_config.emplace("message.max.bytes", std::to_string(producer_limit));
  }
  return o;
}

}  // namespace

Result<PipelineParts> BuildPipelineParts(const PipelineConfig& config) {
  PipelineParts parts;
  for (const SourceConfig& s : config.sources) {
    if (s.type == "mysql") {
      parts.sources.push_back(std::make_unique<mysql::MySqlSource>(s));
    } else if (s.type == "postgresql") {
      parts.sources.push_back(std::make_unique<postgresql::PostgresqlSource>(s));
    } else {
      return Status::InvalidArgument("source " + s.name + ": type '" + s.type +
                                     "' is not available in this version; use type: mysql or "
                                     "postgresql");
    }
  }
  if (config.transport.type == "stdout") {
    if (config.format.type != "json") {
      return Status::InvalidArgument(
          "transport.type stdout writes JSON lines; set format.type: json");
    }
    if (config.transport.exactly_once) {
      return Status::InvalidArgument(
          "transport.exactly_once: true needs transport.type kafka; the stdout transport "
          "writes each batch once and cannot promise it: remove exactly_once or use kafka");
    }
    parts.transport = std::make_unique<StdoutTransport>(
        stdout, std::make_unique<FileOffsetStore>(config.state_dir, config.name));
  } else if (config.transport.type == "kafka") {
    parts.transport = std::make_unique<kafka::KafkaTransport>(KafkaOptions(config));
  } else if (config.transport.type == "local") {
    // exactly_once is implied: a transaction's events commit together with its position.
    parts.transport = std::make_unique<local::LocalTransport>(local::LocalLogOptionsFor(config));
  } else {
    return Status::InvalidArgument("transport.type '" + config.transport.type +
                                   "' is not available in this version; use kafka, local or "
                                   "stdout");
  }
  return parts;
}

}  // namespace vimur
