// The record sizes Kafka takes from Vimur: per topic, the smaller of the topic's
// max.message.bytes (as Vimur creates it) and the producer's message.max.bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/config.h"

namespace vimur {

// Kafka's default max.message.bytes of a topic (the broker's message.max.bytes).
inline constexpr int64_t kKafkaDefaultTopicMaxBytes = 1048588;

// The oversized events' dead-letter topic of a source (on_oversized_event: dead_letter).
inline std::string OversizedTopicName(const std::string& topic_prefix) {
  return topic_prefix + ".oversized";
}

// The producer's message.max.bytes: client_config's, else raised above librdkafka's 1,000,000
// to the largest topic limit configured plus room for a batch's framing.
int64_t ProducerMessageMaxBytes(const PipelineConfig& config);

struct KafkaRecordLimits {
  size_t default_bytes = 0;              // topics without their own max.message.bytes
  std::map<std::string, size_t> topics;  // topic_overrides with one, the oversized topics
};
// Key and value bytes a record may have, less room for the record's own framing.
KafkaRecordLimits RecordLimits(const PipelineConfig& config);

}  // namespace vimur
