// Kafka transport behaviour that needs no broker: configuration checks, error mapping.
#include "transport/kafka/kafka_transport.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <string>

namespace vimur::kafka {
namespace {

KafkaTransportOptions ValidOptions() {
  KafkaTransportOptions o;
  o.bootstrap_servers = "127.0.0.1:1";  // never contacted by these tests
  o.pipeline_name = "unit";
  return o;
}

TEST(KafkaTransportConfigTest, RejectsPropertiesThatWouldWeakenDelivery) {
  for (const char* name :
       {"acks", "enable.idempotence", "partitioner", "transactional.id", "bootstrap.servers"}) {
    KafkaTransportOptions o = ValidOptions();
    o.client_config[name] = "1";
    KafkaTransport transport(o);
    Status s = transport.Start();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(s.message().find(name), std::string::npos) << s.message();
  }
}

TEST(KafkaTransportConfigTest, RejectsInvalidOptions) {
  KafkaTransportOptions no_servers = ValidOptions();
  no_servers.bootstrap_servers.clear();
  EXPECT_EQ(KafkaTransport(no_servers).Start().code(), StatusCode::kInvalidArgument);
  KafkaTransportOptions no_name = ValidOptions();
  no_name.pipeline_name.clear();
  EXPECT_EQ(KafkaTransport(no_name).Start().code(), StatusCode::kInvalidArgument);
  KafkaTransportOptions zero = ValidOptions();
  zero.partitions = 0;
  EXPECT_EQ(KafkaTransport(zero).Start().code(), StatusCode::kInvalidArgument);
  KafkaTransportOptions no_window = ValidOptions();
  no_window.max_in_flight_bytes = 0;
  EXPECT_EQ(KafkaTransport(no_window).Start().code(), StatusCode::kInvalidArgument);
}

TEST(KafkaTransportConfigTest, UnknownOrInvalidPropertyIsNamed) {
  KafkaTransportOptions o = ValidOptions();
  o.client_config["linger.ms"] = "soon";
  Status s = KafkaTransport(o).Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("linger.ms"), std::string::npos) << s.message();
}

TEST(KafkaTransportConfigTest, SecretValuesNeverAppearInErrors) {
  KafkaTransportOptions o = ValidOptions();
  o.client_config["sasl.password"] = "hunter2-secret";
  o.client_config["sasl.username"] = "vimur";
  o.client_config["security.protocol"] = "not-a-protocol";
  Status s = KafkaTransport(o).Start();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  EXPECT_TRUE(IsSecretProperty("sasl.password"));
  EXPECT_TRUE(IsSecretProperty("ssl.key.password"));
  EXPECT_TRUE(IsSecretProperty("ssl.keystore.password"));
  EXPECT_TRUE(IsSecretProperty("ssl.key.pem"));
  EXPECT_TRUE(IsSecretProperty("sasl.oauthbearer.client.secret"));
  EXPECT_FALSE(IsSecretProperty("security.protocol"));
  EXPECT_FALSE(IsSecretProperty("linger.ms"));
}

TEST(KafkaTransportConfigTest, SendBeforeStartFails) {
  KafkaTransport transport(ValidOptions());
  bool called = false;
  Status s = transport.Send(OutgoingBatch{}, [&](const Status&) { called = true; });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(called);
}

TEST(KafkaErrorStatusTest, ClassifiesRetriableAndFatal) {
  EXPECT_TRUE(KafkaErrorStatus(RD_KAFKA_RESP_ERR_NO_ERROR, "x").ok());
  for (int err : {RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
                  RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                  RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT}) {
    Status s = KafkaErrorStatus(err, "ctx");
    EXPECT_TRUE(s.retriable()) << s.ToString();
  }
  Status auth = KafkaErrorStatus(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "topic t");
  EXPECT_EQ(auth.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(auth.message().find("ACL"), std::string::npos);
  Status policy = KafkaErrorStatus(RD_KAFKA_RESP_ERR_POLICY_VIOLATION, "creating topic t");
  EXPECT_EQ(policy.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(policy.message().find("policy"), std::string::npos);
  Status large = KafkaErrorStatus(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, "topic t, key k");
  EXPECT_EQ(large.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(large.retriable());
  EXPECT_NE(large.message().find("topic t, key k"), std::string::npos);
  EXPECT_NE(large.message().find("max.message.bytes"), std::string::npos);
  Status fenced = KafkaErrorStatus(RD_KAFKA_RESP_ERR__FENCED, "commit");
  EXPECT_FALSE(fenced.retriable());
}

TEST(KafkaOffsetKeyTest, IsAJsonArrayOfPipelineAndSource) {
  EXPECT_EQ(OffsetKey("shop", "shop-db"), "[\"shop\",\"shop-db\"]");
  EXPECT_EQ(OffsetKey("a\"b", "c"), "[\"a\\\"b\",\"c\"]");
  EXPECT_NE(OffsetKey("ab", "c"), OffsetKey("a", "bc"));
}

}  // namespace
}  // namespace vimur::kafka
