// TopicAdmin: the producer's topic handles, each topic created on the cluster on first use
// (compacted, with the configured partitions and overrides); retriable failures are retried.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"
#include "transport/kafka/kafka_options.h"

struct rd_kafka_s;
struct rd_kafka_topic_s;

namespace vimur::kafka {

class TopicAdmin {
 public:
  // `producer` is not owned and must outlive this object.
  TopicAdmin(const KafkaTransportOptions& options, rd_kafka_s* producer);
  ~TopicAdmin();
  TopicAdmin(const TopicAdmin&) = delete;
  TopicAdmin& operator=(const TopicAdmin&) = delete;

  // The producer's handle of `topic`, created on the cluster first when unknown (a topic
  // whose first record has a null key gets cleanup.policy=delete). While the cluster does not
  // answer, retries with backoff (logging each failure) for options.topic_retry_for, or until
  // `stop` returns true (then kAborted). Handles live as long as this object.
  Result<rd_kafka_topic_s*> Ensure(std::string_view topic, bool first_key_null,
                                   const std::function<bool()>& stop);

 private:
  // Creates `topic` (an existing one is fine); kAborted as soon as `stop` returns true.
  Status Create(const std::string& topic, bool first_key_null, const std::function<bool()>& stop);
  // Waits until every partition of `topic` answers at its leader. A partition takes writes a
  // moment after CreateTopics returns; a record sent in that moment can be lost without an
  // error: its request fails (not leader), a later request already in flight succeeds and
  // becomes the producer's first sequence there (a broker accepts any first sequence from a
  // producer it has no state for), and librdkafka then reports the failed record delivered
  // ("implicitly acked by subsequent batch success").
  Status WaitUntilWritable(const std::string& topic, rd_kafka_topic_s* handle,
                           std::chrono::steady_clock::time_point give_up,
                           const std::function<bool()>& stop);
  // OK when the metadata names a leader for every partition and each leader answers ListOffsets.
  Status PartitionsAnswer(const std::string& topic, rd_kafka_topic_s* handle, int timeout_ms);
  // Logs a warning when a topic that should be compacted already exists without it.
  void WarnIfNotCompacted(const std::string& topic, const std::string& wanted_policy);

  const KafkaTransportOptions& options_;
  rd_kafka_s* producer_;
  std::mutex mu_;  // serializes creation
  std::map<std::string, rd_kafka_topic_s*, std::less<>> topics_;
};

}  // namespace vimur::kafka
