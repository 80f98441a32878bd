#include "transport/kafka/topic_admin.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <string_view>
#include <thread>

#include "core/logging.h"
#include "transport/kafka/kafka_errors.h"

namespace vimur::kafka {

TopicAdmin::TopicAdmin(const KafkaTransportOptions& options, rd_kafka_t* producer)
    : options_(options), producer_(producer) {}

TopicAdmin::~TopicAdmin() {
  for (const auto& [name, handle] : topics_) rd_kafka_topic_destroy(handle);
}

Result<rd_kafka_topic_t*> TopicAdmin::Ensure(std::string_view topic_name, bool first_key_null,
                                             const std::function<bool()>& stop) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = topics_.find(topic_name); it != topics_.end()) return it->second;
  const std::string topic(topic_name);
  const auto give_up = std::chrono::steady_clock::now() + options_.topic_retry_for;
  auto backoff = std::chrono::milliseconds(500);
  for (int attempt = 1;; ++attempt) {
    Status created = Create(topic, first_key_null, stop);
    if (created.ok()) break;
    if (!created.retriable() || std::chrono::steady_clock::now() + backoff > give_up) {
      return created;
    }
    LOG_WARN << created.message() << " (attempt " << attempt << "; retrying in " << backoff.count()
             << " ms: capture waits until the cluster answers)";
    const auto wake = std::chrono::steady_clock::now() + backoff;
    while (std::chrono::steady_clock::now() < wake) {
      if (stop && stop()) {
        return Status::Aborted("kafka: stopped while waiting to create topic " + topic);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
  }
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_, topic.c_str(), nullptr);
  if (handle == nullptr) {
    return KafkaErrorStatus(rd_kafka_last_error(), "kafka: opening topic " + topic);
  }
  Status writable = WaitUntilWritable(topic, handle, give_up, stop);
  if (!writable.ok()) {
    rd_kafka_topic_destroy(handle);
    return writable;
  }
  topics_.emplace(topic, handle);
  return handle;
}

Status TopicAdmin::WaitUntilWritable(const std::string& topic, rd_kafka_topic_t* handle,
                                     std::chrono::steady_clock::time_point give_up,
                                     const std::function<bool()>& stop) {
  // Short calls, retried until give_up, so that `stop` is looked at every second.
  const int timeout_ms =
      static_cast<int>(std::min<int64_t>(options_.request_timeout.count(), 1000));
  const auto started = std::chrono::steady_clock::now();
  Status last;
  while (true) {
    last = PartitionsAnswer(topic, handle, timeout_ms);
    if (last.ok()) break;
    if (std::chrono::steady_clock::now() > give_up) {
      return Status::Unavailable(last.message() + " (still after " +
                                 std::to_string(options_.topic_retry_for.count()) +
                                 " ms; is every partition's leader up?)");
    }
    if (stop && stop()) {
      return Status::Aborted("kafka: stopped while waiting for the leaders of topic " + topic);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  LOG_DEBUG << "kafka: every partition of topic " << topic << " answers at its leader after "
            << waited.count() << " ms";
  return Status::Ok();
}

Status TopicAdmin::PartitionsAnswer(const std::string& topic, rd_kafka_topic_t* handle,
                                    int timeout_ms) {
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(producer_, 0, handle, &metadata, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaErrorStatus(err, "kafka: reading the metadata of topic " + topic);
  }
  int partitions = 0;
  Status status;
  if (metadata->topic_cnt != 1 || metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    err = metadata->topic_cnt == 1 ? metadata->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    status = KafkaErrorStatus(err, "kafka: topic " + topic + " is not in the cluster's metadata");
  } else {
    partitions = metadata->topics[0].partition_cnt;
    for (int p = 0; p < partitions && status.ok(); ++p) {
      if (metadata->topics[0].partitions[p].leader < 0) {
        status = Status::Unavailable("kafka: partition " + std::to_string(p) + " of topic " +
                                     topic + " has no leader");
      }
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (!status.ok()) return status;
  if (partitions == 0) return Status::Unavailable("kafka: topic " + topic + " has no partitions");
  // A leader answers ListOffsets once it has loaded the partition, as it does Produce.
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    err = rd_kafka_query_watermark_offsets(producer_, topic.c_str(), p, &low, &high, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaErrorStatus(err, "kafka: partition " + std::to_string(p) + " of topic " + topic +
                                       " does not answer at its leader");
    }
  }
  return Status::Ok();
}

Status TopicAdmin::Create(const std::string& topic, bool first_key_null,
                          const std::function<bool()>& stop) {
  int partitions =
      topic == options_.offsets_topic ? options_.offsets_topic_partitions : options_.partitions;
  int replication = options_.replication_factor;
  std::optional<int> min_isr = options_.min_insync_replicas;
  std::map<std::string, std::string> config;
  // A compacted topic rejects records without a key, so a table without a primary key
  // gets a topic that keeps records by time instead.
  config["cleanup.policy"] = first_key_null ? "delete" : "compact";
  for (const auto& [k, v] : options_.topic_config) config[k] = v;
  for (const std::string& prefix : options_.delete_policy_prefixes) {
    if (topic.compare(0, prefix.size(), prefix) == 0) config["cleanup.policy"] = "delete";
  }
  if (auto it = options_.topic_overrides.find(topic); it != options_.topic_overrides.end()) {
    const KafkaTopicOverride& o = it->second;
    if (o.partitions) partitions = *o.partitions;
    if (o.replication_factor) replication = *o.replication_factor;
    if (o.min_insync_replicas) min_isr = *o.min_insync_replicas;
    for (const auto& [k, v] : o.config) config[k] = v;
  }
  if (min_isr) config["min.insync.replicas"] = std::to_string(*min_isr);
  if (first_key_null && config["cleanup.policy"] == "delete") {
    LOG_WARN << "kafka: topic " << topic
             << " gets records without a key (table without primary key); creating it with "
                "cleanup.policy=delete";
  }

  char errstr[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication, errstr, sizeof(errstr));
  if (new_topic == nullptr) {
    return Status::InvalidArgument("kafka: topic " + topic + ": " + errstr);
  }
  for (const auto& [k, v] : config) {
    rd_kafka_NewTopic_set_config(new_topic, k.c_str(), v.c_str());
  }
  rd_kafka_AdminOptions_t* admin =
      rd_kafka_AdminOptions_new(producer_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  const int timeout_ms = static_cast<int>(options_.request_timeout.count());
  rd_kafka_AdminOptions_set_request_timeout(admin, timeout_ms, errstr, sizeof(errstr));
  rd_kafka_AdminOptions_set_operation_timeout(admin, timeout_ms, errstr, sizeof(errstr));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(producer_);
  rd_kafka_CreateTopics(producer_, &new_topic, 1, admin, queue);
  // Waited for in slices, so that stopping (the shutdown deadline) is not held up by a
  // cluster that does not answer.
  rd_kafka_event_t* event = nullptr;
  const auto answer_by =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms + 5000);
  bool stopped = false;
  while (event == nullptr && std::chrono::steady_clock::now() < answer_by) {
    if (stop && stop()) {
      stopped = true;
      break;
    }
    event = rd_kafka_queue_poll(queue, 100);
  }

  Status status;
  bool existed = false;
  if (stopped) {
    status = Status::Aborted("kafka: stopped while creating topic " + topic);
  } else if (event == nullptr) {
    status = Status::Unavailable("kafka: creating topic " + topic + ": no answer from the " +
                                 "cluster at " + options_.bootstrap_servers);
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = KafkaErrorStatus(rd_kafka_event_error(event), "kafka: creating topic " + topic);
    status =
        Status(status.code(), status.message() + " (" + rd_kafka_event_error_string(event) + ")");
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        LOG_INFO << "kafka: created topic " << topic << " (" << partitions << " partitions, "
                 << "replication factor " << replication << ", cleanup.policy "
                 << config["cleanup.policy"] << ")";
      } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        existed = true;
      } else {
        const char* detail = rd_kafka_topic_result_error_string(results[i]);
        status = KafkaErrorStatus(err, "kafka: creating topic " + topic);
        if (detail != nullptr) {
          // While brokers shut down or start they are fenced, and KRaft answers with too few
          // brokers for the replication factor: that passes, so it is retried.
          const bool fenced = err == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR &&
                              std::string_view(detail).find("fenced") != std::string_view::npos;
          status = Status(fenced ? StatusCode::kUnavailable : status.code(),
                          status.message() + " (" + detail + ")");
        }
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_NewTopic_destroy(new_topic);
  if (status.ok() && existed) WarnIfNotCompacted(topic, config["cleanup.policy"]);
  return status;
}

void TopicAdmin::WarnIfNotCompacted(const std::string& topic, const std::string& wanted) {
  if (wanted.find("compact") == std::string::npos) return;
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(producer_);
  rd_kafka_DescribeConfigs(producer_, &resource, 1, nullptr, queue);
  rd_kafka_event_t* event =
      rd_kafka_queue_poll(queue, static_cast<int>(options_.request_timeout.count()));
  std::string policy;
  if (event != nullptr && rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      size_t entries_count = 0;
      const rd_kafka_ConfigEntry_t** entries =
          rd_kafka_ConfigResource_configs(resources[i], &entries_count);
      for (size_t j = 0; j < entries_count; ++j) {
        const char* value = rd_kafka_ConfigEntry_value(entries[j]);
        if (std::string_view(rd_kafka_ConfigEntry_name(entries[j])) == "cleanup.policy" &&
            value != nullptr) {
          policy = value;
        }
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_ConfigResource_destroy(resource);
  if (!policy.empty() && policy.find("compact") == std::string::npos) {
    LOG_WARN << "kafka: existing topic " << topic << " has cleanup.policy=" << policy
             << ", not compact: deleted rows stay until retention removes them; set "
                "cleanup.policy=compact on it (kafka-configs --alter) if that is not intended";
  }
}

}  // namespace vimur::kafka
