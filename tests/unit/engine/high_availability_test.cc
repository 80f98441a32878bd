#include "engine/high_availability.h"

#include <gtest/gtest.h>

#include <string>

#include "core/config.h"

namespace vimur {
namespace {

constexpr const char* kKafka = R"(
name: shop
sources:
  - name: shop-db
    type: mysql
    user: vimur
transport:
  type: kafka
  bootstrap_servers: 127.0.0.1:9092
  exactly_once: true
)";

TEST(HighAvailabilityTest, EveryUnitHasItsOwnPartitionOfTheControlTopic) {
  EXPECT_EQ(HaControlTopicPartitions(), 1);
  for (HaUnit unit : {HaUnit::kSources}) {
    const int p = HaPartitionOf(unit);
    ASSERT_GE(p, 0);
    ASSERT_LT(p, HaControlTopicPartitions());
    HaUnit back;
    ASSERT_TRUE(HaUnitOf(p, &back));
    EXPECT_EQ(back, unit);
  }
  EXPECT_STREQ(HaUnitName(HaUnit::kSources), "sources");
  HaUnit none;
  EXPECT_FALSE(HaUnitOf(1, &none));  // a partition added by hand holds no unit
}

TEST(HighAvailabilityTest, OffByDefaultWithDefaultsNamedAfterThePipeline) {
  auto config = LoadConfigText(kKafka, "pipeline.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const HighAvailabilityConfig& ha = config->high_availability;
  EXPECT_FALSE(ha.enabled);
  EXPECT_EQ(ha.group, "vimur-ha.shop");
  EXPECT_EQ(ha.topic, "__vimur-ha.shop");
  EXPECT_EQ(ha.session_timeout_ms, 10000);
  EXPECT_EQ(ha.heartbeat_interval_ms, 1000);
}

TEST(HighAvailabilityTest, ReadsItsKeys) {
  auto config = LoadConfigText(std::string(kKafka) + R"(
high_availability:
  enabled: true
  group: shop-ha
  topic: shop-ha-control
  session_timeout_ms: 6000
  heartbeat_interval_ms: 500
)",
                               "pipeline.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const HighAvailabilityConfig& ha = config->high_availability;
  EXPECT_TRUE(ha.enabled);
  EXPECT_EQ(ha.group, "shop-ha");
  EXPECT_EQ(ha.topic, "shop-ha-control");
  EXPECT_EQ(ha.session_timeout_ms, 6000);
  EXPECT_EQ(ha.heartbeat_interval_ms, 500);
}

TEST(HighAvailabilityTest, NeedsTheKafkaTransport) {
  for (const char* type : {"local", "stdout"}) {
    auto config = LoadConfigText(R"(
name: shop
sources:
  - name: shop-db
    type: mysql
    user: vimur
transport:
  type: )" + std::string(type) + R"(
high_availability:
  enabled: true
)",
                                 "pipeline.yaml");
    ASSERT_FALSE(config.ok()) << type;
    const std::string& m = config.status().message();
    EXPECT_NE(m.find("high_availability.enabled"), std::string::npos) << m;
    EXPECT_NE(m.find("transport.type: kafka"), std::string::npos) << m;
  }
}

TEST(HighAvailabilityTest, HeartbeatAtMostAThirdOfTheSession) {
  auto config = LoadConfigText(std::string(kKafka) + R"(
high_availability:
  enabled: true
  session_timeout_ms: 6000
  heartbeat_interval_ms: 3000
)",
                               "pipeline.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("heartbeat_interval_ms"), std::string::npos)
      << config.status().message();
  auto unknown = LoadConfigText(std::string(kKafka) + R"(
high_availability:
  enabled: true
  session_timeout: 6000
)",
                                "pipeline.yaml");
  EXPECT_FALSE(unknown.ok());
}

TEST(HighAvailabilityTest, RecognizesAFencedProducer) {
  EXPECT_TRUE(IsFenced(Status::FailedPrecondition(
      "kafka: committing a transaction: _FENCED; another producer uses the same "
      "transactional id")));
  EXPECT_TRUE(IsFenced(Status::FailedPrecondition("kafka: x: PRODUCER_FENCED")));
  EXPECT_TRUE(IsFenced(Status::FailedPrecondition("kafka: x: INVALID_PRODUCER_EPOCH")));
  // As the transport reports it after a failed commit.
  EXPECT_TRUE(IsFenced(Status::FailedPrecondition(
      "kafka producer failed: Local: This instance has been fenced by a newer instance; another "
      "producer uses the same transactional id: run one instance per pipeline")));
  EXPECT_FALSE(IsFenced(Status::Unavailable("kafka: x: _TRANSPORT")));
  // Brokers that start are "fenced" too: retriable, not a producer's fencing.
  EXPECT_FALSE(IsFenced(Status::Unavailable(
      "kafka: creating topic t: INVALID_REPLICATION_FACTOR (broker 1 is fenced)")));
}

}  // namespace
}  // namespace vimur
