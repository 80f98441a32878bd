#include "transport/kafka/delivery_state.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <thread>

#include "transport/kafka/kafka_errors.h"

namespace vimur::kafka {

namespace {
constexpr int kQueueFullWaitMs = 20;
}  // namespace

bool DeliveryState::Closing() const {
  std::lock_guard<std::mutex> lock(mu);
  return closing;
}

void DeliveryState::Fire(Callbacks& to_fire) {
  if (to_fire.empty()) return;
  for (auto& [callback, status] : to_fire) {
    if (callback) callback(status);
  }
  std::lock_guard<std::mutex> lock(mu);
  unfinished -= to_fire.size();
  if (unfinished == 0) drained_cv.notify_all();
}

void DeliveryState::FailAll(const Status& status) {
  Callbacks to_fire;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& b : queue) {
      if (!b->fired) to_fire.emplace_back(std::move(b->on_acked), status);
      b->fired = true;
    }
  }
  Fire(to_fire);
}

Status DeliveryState::ProduceRecord(const OutgoingRecord& record, rd_kafka_topic_t* topic,
                                    void* opaque, bool copy) {
  // Pointers into the record itself: without F_COPY librdkafka reads them until delivery.
  // A null pointer means a null key or value to librdkafka; an empty one must not be null.
  static char empty[1] = {0};
  const auto bytes = [](const std::optional<std::string_view>& part) -> void* {
    if (!part) return nullptr;
    return part->empty() ? empty : const_cast<char*>(part->data());
  };
  void* key = bytes(record.key);
  size_t key_len = record.key ? record.key->size() : 0;
  void* value = bytes(record.value);
  size_t value_len = record.value ? record.value->size() : 0;
  const int flags = copy ? RD_KAFKA_MSG_F_COPY : 0;
  const std::string header(record.header_name);  // librdkafka copies headers
  while (true) {
    rd_kafka_resp_err_t err =
        header.empty()
            ? rd_kafka_producev(producer, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(flags),
                                RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
                                RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END)
            : rd_kafka_producev(producer, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(flags),
                                RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
                                RD_KAFKA_V_HEADER(header.c_str(), record.header_value.data(),
                                                  static_cast<ssize_t>(record.header_value.size())),
                                RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // librdkafka's queue bounds what exactly-once hands over of a large transaction, and
      // client_config may shrink it below the window: wait for room.
      if (Closing()) return Status::Aborted("kafka transport is shutting down");
      std::this_thread::sleep_for(std::chrono::milliseconds(kQueueFullWaitMs));
      continue;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      rd_kafka_resp_err_t code = rd_kafka_fatal_error(producer, reason, sizeof(reason));
      Status s = KafkaErrorStatus(code, "kafka producer failed");
      return Status(s.code(), s.message() + " (" + reason + ")");
    }
    return KafkaErrorStatus(err, "kafka: producing to topic " + std::string(record.topic) +
                                     ", key " + DescribeKey(key, key_len));
  }
}

}  // namespace vimur::kafka
