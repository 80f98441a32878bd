#include "transport/local/local_log_options.h"

#include <algorithm>

#include "core/change_event.h"

namespace vimur::local {

std::string LocalLogDir(const PipelineConfig& config) {
  return config.state_dir + "/" + config.name + "/log";
}

std::string LocalConsumersDir(const PipelineConfig& config) {
  return config.state_dir + "/" + config.name + "/consumers";
}

LocalLogOptions LocalLogOptionsFor(const PipelineConfig& config) {
  const TransportConfig& t = config.transport;
  LocalLogOptions o;
  o.dir = LocalLogDir(config);
  o.partitions = t.topic.partitions;
  // Dead letters keep their order in one partition, as on Kafka.
  for (const SinkConfig& s : config.sinks) o.topic_partitions[s.dead_letter_topic] = 1;
  for (const auto& [topic, c] : t.topic_overrides) o.topic_partitions[topic] = c.partitions;
  o.fsync = t.fsync == "never"      ? FsyncPolicy::kNever
            : t.fsync == "interval" ? FsyncPolicy::kInterval
                                    : FsyncPolicy::kBatch;
  o.fsync_interval_ms = t.fsync_interval_ms;
  o.segment_bytes = static_cast<uint64_t>(t.segment_bytes);
  o.retention_ms = t.retention_ms;
  o.retention_bytes = t.retention_bytes;
  o.max_pending_bytes = static_cast<uint64_t>(t.max_in_flight_bytes);
  o.compaction = t.compaction;
  o.compaction_interval_ms = t.compaction_interval_ms;
  o.compaction_tombstone_retention_ms = t.compaction_tombstone_retention_ms;
  // Not compacted: dead letters, the schema-change topics (each DDL is history), messages,
  // outbox events.
  for (const SinkConfig& s : config.sinks) o.uncompacted_topics.insert(s.dead_letter_topic);
  for (const SourceConfig& s : config.sources) {
    const std::string& prefix = s.topic_prefix.empty() ? config.name : s.topic_prefix;
    o.uncompacted_topics.insert(prefix);
    o.uncompacted_topics.insert(MessageTopicName(prefix));
    if (s.outbox.enabled()) o.uncompacted_prefixes.push_back(s.outbox.TopicPrefix());
  }
  o.consumers_dir = LocalConsumersDir(config);
  o.slow_consumer_wait = t.slow_consumer != "drop";
  o.slow_consumer_max_bytes =
      t.slow_consumer_max_bytes > 0
          ? static_cast<uint64_t>(t.slow_consumer_max_bytes)
          : static_cast<uint64_t>(std::max(4 * t.segment_bytes, t.retention_bytes));
  return o;
}

}  // namespace vimur::local
