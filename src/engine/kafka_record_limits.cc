#include "engine/kafka_record_limits.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace vimur {
namespace {

// A record's framing inside a batch (lengths, offsets, a header), kept free under the limits.
constexpr int64_t kRecordOverhead = 1024;

std::optional<int64_t> MaxMessageBytes(const std::map<std::string, std::string>& config) {
  auto it = config.find("max.message.bytes");
  if (it == config.end()) return std::nullopt;
  return std::strtoll(it->second.c_str(), nullptr, 10);
}

}  // namespace

int64_t ProducerMessageMaxBytes(const PipelineConfig& config) {
  const TransportConfig& t = config.transport;
  if (auto it = t.client_config.find("message.max.bytes"); it != t.client_config.end()) {
    return std::strtoll(it->second.c_str(), nullptr, 10);
  }
  int64_t largest = MaxMessageBytes(t.topic.config).value_or(0);
  for (const auto& [topic, c] : t.topic_overrides) {
    largest = std::max(largest, MaxMessageBytes(c.config).value_or(0));
  }
  if (t.on_oversized_event == "dead_letter") {
    largest = std::max(largest, t.oversized_max_message_bytes);
  }
  if (largest <= 1000000) return 1000000;
  return std::min<int64_t>(largest + 65536, 1000000000);
}

KafkaRecordLimits RecordLimits(const PipelineConfig& config) {
  const TransportConfig& t = config.transport;
  const int64_t producer = ProducerMessageMaxBytes(config);
  auto limit = [&](int64_t topic) {
    return static_cast<size_t>(std::max<int64_t>(std::min(topic, producer) - kRecordOverhead, 1));
  };
  KafkaRecordLimits limits;
  limits.default_bytes =
      limit(MaxMessageBytes(t.topic.config).value_or(kKafkaDefaultTopicMaxBytes));
  for (const auto& [topic, c] : t.topic_overrides) {
    if (auto bytes = MaxMessageBytes(c.config)) limits.topics[topic] = limit(*bytes);
  }
  for (const SourceConfig& s : config.sources) {
    limits.topics[OversizedTopicName(s.topic_prefix)] = limit(t.oversized_max_message_bytes);
  }
  return limits;
}

}  // namespace vimur
