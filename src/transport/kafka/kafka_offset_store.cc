#include "transport/kafka/kafka_offset_store.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "transport/kafka/kafka_client.h"
#include "transport/kafka/kafka_errors.h"

namespace vimur::kafka {

std::string OffsetKey(const std::string& pipeline, const std::string& source) {
  return nlohmann::json::array({pipeline, source}).dump();
}

Result<std::optional<Position>> KafkaOffsetStore::Load(const std::string& source_name) {
  KafkaConf conf;
  for (const auto& [name, value] : ConnectionProperties(options_.client_config)) {
    VIMUR_RETURN_IF_ERROR(conf.Set(name, value));
  }
  VIMUR_RETURN_IF_ERROR(conf.Set("bootstrap.servers", options_.bootstrap_servers));
  VIMUR_RETURN_IF_ERROR(conf.Set("enable.partition.eof", "true"));
  VIMUR_RETURN_IF_ERROR(conf.Set("enable.auto.commit", "false"));
  // assign() needs a group id; this reader never joins the group or commits.
  VIMUR_RETURN_IF_ERROR(conf.Set("group.id", "vimur-offsets-reader-" + options_.pipeline_name));
  VIMUR_RETURN_IF_ERROR(conf.Set("isolation.level", "read_committed"));
  // At the end of the topic the broker holds each fetch this long waiting for data before it
  // answers (and end-of-partition is known): 500 ms by default, all of it start-up delay.
  VIMUR_RETURN_IF_ERROR(conf.Set("fetch.wait.max.ms", "10"));
  rd_kafka_conf_set_log_cb(conf.get(), &KafkaLogCallback);
  char errstr[512];
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
  if (consumer == nullptr) {
    return Status::InvalidArgument(std::string("cannot create the kafka consumer: ") + errstr);
  }
  conf.release();
  struct Closer {
    rd_kafka_t* rk;
    ~Closer() {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  } closer{consumer};
  rd_kafka_poll_set_consumer(consumer);

  const std::string& topic = options_.offsets_topic;
  const int timeout_ms = static_cast<int>(options_.request_timeout.count());
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(consumer, 0, rkt, &metadata, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaErrorStatus(err, "kafka: reading metadata of offsets topic " + topic);
  }
  int partitions = 0;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    if (topic == metadata->topics[i].topic) {
      partitions = metadata->topics[i].partition_cnt;
      topic_err = metadata->topics[i].err;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || partitions == 0) {
    return std::optional<Position>();  // nothing stored yet
  }
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaErrorStatus(topic_err, "kafka: offsets topic " + topic);
  }

  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  err = rd_kafka_assign(consumer, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaErrorStatus(err, "kafka: reading offsets topic " + topic);
  }

  const std::string key = OffsetKey(options_.pipeline_name, source_name);
  std::optional<std::string> value;
  std::set<int32_t> at_end;
  auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
  while (static_cast<int>(at_end.size()) < partitions) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("kafka: reading offsets topic " + topic + " to its end took " +
                                 "longer than " + std::to_string(timeout_ms) + " ms");
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 200);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(message->partition);
    } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Status s = KafkaErrorStatus(message->err, "kafka: reading offsets topic " + topic);
      rd_kafka_message_destroy(message);
      if (s.retriable()) continue;
      return s;
    } else if (message->key_len == key.size() &&
               std::equal(key.begin(), key.end(), static_cast<const char*>(message->key))) {
      at_end.erase(message->partition);
      if (message->payload == nullptr) {
        value.reset();
      } else {
        value.emplace(static_cast<const char*>(message->payload), message->len);
      }
    }
    rd_kafka_message_destroy(message);
  }
  if (!value) return std::optional<Position>();
  Result<Position> position = Position::FromJson(*value);
  if (!position.ok()) {
    return position.status().WithContext("kafka: offsets topic " + topic + ", key " + key);
  }
  return std::optional<Position>(std::move(position).value());
}

}  // namespace vimur::kafka
