// KafkaRecordInput against a real single-node Kafka started with scripts/kafka: records come in
// order and complete past the prefetch limit, and acknowledged offsets are what a new member of
// the group resumes from, also when the input is closed right after its last acknowledgement.
#include "sink/kafka_record_input.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "../kafka/kafka_test_broker.h"
#include "transport/kafka/topic_admin.h"

namespace vimur::sink {
namespace {

using namespace std::chrono_literals;

class KafkaRecordInputTest : public kafka::testing::KafkaBrokerSuite {
 protected:
  // Writes `count` records of `value_bytes` each to partition 0 of a new one-partition topic;
  // record i has key "k<i>" and a value starting with "v<i>:".
  static std::string Produce(const std::string& topic, int count, size_t value_bytes) {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", broker_->bootstrap().c_str(), errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr));
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (producer == nullptr) return errstr;
    std::string error;
    {
      kafka::KafkaTransportOptions options;
      options.bootstrap_servers = broker_->bootstrap();
      options.partitions = 1;
      options.request_timeout = 20s;
      kafka::TopicAdmin admin(options, producer);
      auto handle = admin.Ensure(topic, false, [] { return false; });
      if (!handle.ok()) {
        error = handle.status().message();
      } else {
        for (int i = 0; i < count && error.empty(); ++i) {
          std::string key = "k" + std::to_string(i);
          std::string value = "v" + std::to_string(i) + ":";
          value.resize(value_bytes, 'x');
          while (rd_kafka_produce(*handle, 0, RD_KAFKA_MSG_F_COPY, value.data(), value.size(),
                                  key.data(), key.size(), nullptr) != 0) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
              error = rd_kafka_err2str(rd_kafka_last_error());
              break;
            }
            rd_kafka_poll(producer, 10);
          }
        }
        if (error.empty() && rd_kafka_flush(producer, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          error = "flush timed out";
        }
      }
    }
    rd_kafka_destroy(producer);
    return error;
  }

  static KafkaInputOptions Options(const std::string& topic, const std::string& group) {
    KafkaInputOptions o;
    o.bootstrap_servers = broker_->bootstrap();
    o.group_id = group;
    o.topic_regexes = {topic};
    o.sink_name = "test";
    return o;
  }

  // The group's committed offset of partition 0 of `topic` (-1 when none; -2 on error).
  static int64_t Committed(const std::string& topic, const std::string& group) {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", broker_->bootstrap().c_str(), errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", group.c_str(), errstr, sizeof(errstr));
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (rk == nullptr) return -2;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), 0);
    int64_t offset = -2;
    if (rd_kafka_committed(rk, list, 20000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      offset = list->elems[0].offset < 0 ? -1 : list->elems[0].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return offset;
  }

  // Polls batches of up to `batch` records until `count` records came (or 60 s passed),
  // acknowledging each batch as it comes when `acknowledge`.
  static std::vector<InputRecord> Read(RecordInput& input, size_t count, size_t batch,
                                       bool acknowledge) {
    std::vector<InputRecord> all;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto polled = input.Poll(std::min(batch, count - all.size()), 200ms);
      EXPECT_TRUE(polled.ok()) << polled.status().message();
      if (!polled.ok()) break;
      if (acknowledge && !polled->empty()) {
        Status acked = input.Acknowledge(*polled);
        EXPECT_TRUE(acked.ok()) << acked.message();
      }
      for (auto& r : *polled) all.push_back(std::move(r));
    }
    return all;
  }
};

TEST_F(KafkaRecordInputTest, ReadsEveryRecordInOrderPastThePrefetchLimit) {
  // 12,000 records of 4 KB: 48 MB, more than the 32 MiB the consumer queues ahead, so the
  // fetcher stops and must be woken again as the queue drains.
  const int count = 12000;
  ASSERT_EQ(Produce("input-order", count, 4096), "");
  KafkaRecordInput input(Options("input-order", "g-order"));
  ASSERT_TRUE(input.Start().ok());
  auto records = Read(input, count, 2000, true);
  input.Close();
  ASSERT_EQ(records.size(), static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(records[i].offset, i);
    ASSERT_EQ(records[i].key, "k" + std::to_string(i));
    ASSERT_EQ(records[i].value->size(), 4096u);
    ASSERT_EQ(records[i].value->rfind("v" + std::to_string(i) + ":", 0), 0u);
  }
}

TEST_F(KafkaRecordInputTest, CloseRightAfterTheLastAcknowledgementKeepsIt) {
  const int count = 3000;
  ASSERT_EQ(Produce("input-close", count, 100), "");
  {
    KafkaRecordInput input(Options("input-close", "g-close"));
    ASSERT_TRUE(input.Start().ok());
    ASSERT_EQ(Read(input, count, 500, true).size(), static_cast<size_t>(count));
    input.Close();  // at once: the last commit may still be on its way
  }
  EXPECT_EQ(Committed("input-close", "g-close"), count);
}

TEST_F(KafkaRecordInputTest, ANewMemberResumesAfterTheAcknowledgedRecordsOnly) {
  const int count = 1000;
  ASSERT_EQ(Produce("input-resume", count, 100), "");
  {
    KafkaRecordInput input(Options("input-resume", "g-resume"));
    ASSERT_TRUE(input.Start().ok());
    auto first = Read(input, 600, 600, false);
    ASSERT_EQ(first.size(), 600u);
    first.resize(400);  // only the first 400 were applied
    ASSERT_TRUE(input.Acknowledge(first).ok());
    input.Close();
  }
  EXPECT_EQ(Committed("input-resume", "g-resume"), 400);
  KafkaRecordInput again(Options("input-resume", "g-resume"));
  ASSERT_TRUE(again.Start().ok());
  auto rest = Read(again, count - 400, 1000, true);
  again.Close();
  ASSERT_EQ(rest.size(), static_cast<size_t>(count - 400));
  EXPECT_EQ(rest.front().offset, 400);
  EXPECT_EQ(rest.back().offset, count - 1);
}

}  // namespace
}  // namespace vimur::sink
