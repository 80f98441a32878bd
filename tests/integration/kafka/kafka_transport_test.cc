// Kafka transport against a real single-node Kafka started with scripts/kafka.
#include "transport/kafka/kafka_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kafka_test_broker.h"
#include "transport/kafka/murmur2.h"

namespace vimur::kafka {
namespace {

using testing::ConsumedRecord;
using testing::DescribeTopic;
using testing::ReadTopic;

using namespace std::chrono_literals;

// Collects on_acked results in the order they arrive.
class AckLog {
 public:
  std::function<void(const Status&)> Callback(int id) {
    return [this, id](const Status& s) {
      std::lock_guard<std::mutex> lock(mu_);
      ids_.push_back(id);
      statuses_.push_back(s);
    };
  }
  std::vector<int> ids() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_;
  }
  std::vector<Status> statuses() const {
    std::lock_guard<std::mutex> lock(mu_);
    return statuses_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<int> ids_;
  std::vector<Status> statuses_;
};

Position PositionAt(uint64_t pos) {
  Position p;
  p.file = "mysql-bin.000001";
  p.pos = pos;
  p.gtid_set = "0-1-" + std::to_string(pos);
  return p;
}

class KafkaTransportTest : public testing::KafkaBrokerSuite {
 protected:
  KafkaTransportOptions Options(const std::string& pipeline) {
    KafkaTransportOptions o;
    o.bootstrap_servers = broker_->bootstrap();
    o.pipeline_name = pipeline;
    o.offsets_topic = pipeline + "-offsets";
    o.request_timeout = 20s;
    return o;
  }
};

TEST_F(KafkaTransportTest, CreatesCompactedTopicsWithConfiguredSettings) {
  KafkaTransportOptions o = Options("create");
  o.partitions = 4;
  o.min_insync_replicas = 1;
  KafkaTopicOverride special;
  special.partitions = 2;
  special.config["retention.ms"] = "3600000";
  o.topic_overrides["create.db.special"] = special;
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(o);
  ASSERT_TRUE(transport.Start().ok());

  OutgoingBatch batch;
  batch.source_name = "db";
  batch.Add("create.db.plain", "k1", "v1");
  batch.Add("create.db.special", "k2", "v2");
  batch.end = PositionAt(10);
  ASSERT_TRUE(transport.Send(std::move(batch), acks.Callback(0)).ok());
  ASSERT_TRUE(transport.Flush(30s).ok());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks.statuses()[0].ok()) << acks.statuses()[0].ToString();

  std::string error;
  auto plain = DescribeTopic(broker_->bootstrap(), "create.db.plain", &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(plain.partitions, 4);
  EXPECT_EQ(plain.config["cleanup.policy"], "compact");
  EXPECT_EQ(plain.config["min.insync.replicas"], "1");
  auto special_desc = DescribeTopic(broker_->bootstrap(), "create.db.special", &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(special_desc.partitions, 2);
  EXPECT_EQ(special_desc.config["cleanup.policy"], "compact");
  EXPECT_EQ(special_desc.config["retention.ms"], "3600000");
  auto offsets = DescribeTopic(broker_->bootstrap(), o.offsets_topic, &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(offsets.partitions, 1);
  EXPECT_EQ(offsets.config["cleanup.policy"], "compact");
}

TEST_F(KafkaTransportTest, KeysLandOnTheJavaPartitionInOrder) {
  KafkaTransportOptions o = Options("placement");
  o.partitions = 5;
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(o);
  ASSERT_TRUE(transport.Start().ok());
  const std::string topic = "placement.db.orders";
  constexpr int kBatches = 10;
  constexpr int kKeys = 40;
  for (int b = 0; b < kBatches; ++b) {
    OutgoingBatch batch;
    batch.source_name = "db";
    for (int k = 0; k < kKeys; ++k) {
      // Text keys and keys with bytes above 0x7f, as Avro-encoded keys have.
      std::string key = k % 2 ? "{\"id\":" + std::to_string(k) + "}"
                              : std::string("\x00\x00\x00\x00\x01", 5) + char(0x80 + k);
      batch.Add(topic, key, std::to_string(b));
    }
    batch.end = PositionAt(100 + b);
    ASSERT_TRUE(transport.Send(std::move(batch), acks.Callback(b)).ok());
  }
  ASSERT_TRUE(transport.Flush(30s).ok());
  std::vector<int> expected_ids;
  for (int b = 0; b < kBatches; ++b) expected_ids.push_back(b);
  EXPECT_EQ(acks.ids(), expected_ids);
  for (const Status& s : acks.statuses()) EXPECT_TRUE(s.ok()) << s.ToString();

  std::string error;
  std::vector<ConsumedRecord> records = ReadTopic(broker_->bootstrap(), topic, false, &error);
  ASSERT_EQ(error, "");
  ASSERT_EQ(records.size(), static_cast<size_t>(kBatches * kKeys));
  std::map<std::string, int> last_value;
  std::set<int32_t> partitions_used;
  for (const ConsumedRecord& r : records) {
    ASSERT_TRUE(r.key.has_value());
    ASSERT_TRUE(r.value.has_value());
    EXPECT_EQ(r.partition, PartitionForKey(*r.key, 5)) << *r.key;
    partitions_used.insert(r.partition);
    // Per key, values arrive in send order (records are read partition by partition).
    int v = std::stoi(*r.value);
    auto it = last_value.find(*r.key);
    if (it != last_value.end()) {
      EXPECT_EQ(v, it->second + 1) << *r.key;
    }
    last_value[*r.key] = v;
  }
  EXPECT_EQ(last_value.size(), static_cast<size_t>(kKeys));
  EXPECT_GT(partitions_used.size(), 1u);
}

// A new partition takes writes a moment after CreateTopics returns. A record sent in that
// moment used to vanish while acknowledged: its request failed (not leader), the next request,
// already in flight, succeeded as the producer's first on the partition, and librdkafka counted
// the first one delivered. Each topic here gets one record, then more at once, right after its
// creation; every record must be in the topic.
TEST_F(KafkaTransportTest, RecordsSentRightAfterATopicIsCreatedAllArrive) {
  KafkaTransportOptions o = Options("fresh");
  o.partitions = 1;
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(o);
  ASSERT_TRUE(transport.Start().ok());
  constexpr int kTopics = 12;
  constexpr int kFollowing = 5;
  constexpr int kPerBatch = 20;
  int id = 0;
  for (int t = 0; t < kTopics; ++t) {
    const std::string topic = "fresh.db.t" + std::to_string(t);
    OutgoingBatch first;
    first.source_name = "db";
    first.Add(topic, "first", "0");
    first.end = PositionAt(1000 + id);
    ASSERT_TRUE(transport.Send(std::move(first), acks.Callback(id++)).ok());
    for (int b = 0; b < kFollowing; ++b) {
      OutgoingBatch batch;
      batch.source_name = "db";
      for (int k = 0; k < kPerBatch; ++k) {
        batch.Add(topic, "k" + std::to_string(k), std::to_string(b + 1));
      }
      batch.end = PositionAt(1000 + id);
      ASSERT_TRUE(transport.Send(std::move(batch), acks.Callback(id++)).ok());
    }
  }
  ASSERT_TRUE(transport.Flush(60s).ok());
  ASSERT_EQ(acks.size(), static_cast<size_t>(id));
  for (const Status& s : acks.statuses()) EXPECT_TRUE(s.ok()) << s.ToString();

  for (int t = 0; t < kTopics; ++t) {
    const std::string topic = "fresh.db.t" + std::to_string(t);
    std::string error;
    std::vector<ConsumedRecord> records = ReadTopic(broker_->bootstrap(), topic, false, &error);
    ASSERT_EQ(error, "") << topic;
    ASSERT_EQ(records.size(), static_cast<size_t>(1 + kFollowing * kPerBatch)) << topic;
    ASSERT_TRUE(records.front().key.has_value());
    EXPECT_EQ(*records.front().key, "first") << topic;
  }
}

TEST_F(KafkaTransportTest, TombstonesHaveNullValues) {
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(Options("tombstone"));
  ASSERT_TRUE(transport.Start().ok());
  const std::string topic = "tombstone.db.users";
  OutgoingBatch batch;
  batch.source_name = "db";
  batch.Add(topic, "{\"id\":7}", "{\"op\":\"d\"}");
  batch.Add(topic, "{\"id\":7}", std::nullopt);
  batch.Add(topic, "{\"id\":8}", std::string());  // empty, not null
  batch.end = PositionAt(5);
  ASSERT_TRUE(transport.Send(std::move(batch), acks.Callback(0)).ok());
  ASSERT_TRUE(transport.Flush(30s).ok());

  std::string error;
  auto records = ReadTopic(broker_->bootstrap(), topic, false, &error);
  ASSERT_EQ(error, "");
  std::vector<ConsumedRecord> for7, for8;
  for (auto& r : records) (r.key == "{\"id\":7}" ? for7 : for8).push_back(r);
  ASSERT_EQ(for7.size(), 2u);
  EXPECT_EQ(for7[0].value, "{\"op\":\"d\"}");
  EXPECT_FALSE(for7[1].value.has_value());
  ASSERT_EQ(for8.size(), 1u);
  EXPECT_TRUE(for8[0].value.has_value());
}

TEST_F(KafkaTransportTest, TopicForKeylessRecordsIsNotCompacted) {
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(Options("keyless"));
  ASSERT_TRUE(transport.Start().ok());
  const std::string topic = "keyless.db.log";
  OutgoingBatch batch;
  batch.source_name = "db";
  batch.Add(topic, std::nullopt, "a");
  batch.Add(topic, std::nullopt, "b");
  batch.end = PositionAt(1);
  ASSERT_TRUE(transport.Send(std::move(batch), acks.Callback(0)).ok());
  ASSERT_TRUE(transport.Flush(30s).ok());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks.statuses()[0].ok()) << acks.statuses()[0].ToString();
  std::string error;
  EXPECT_EQ(DescribeTopic(broker_->bootstrap(), topic, &error).config["cleanup.policy"], "delete");
  auto records = ReadTopic(broker_->bootstrap(), topic, false, &error);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[0].key.has_value());
}

TEST_F(KafkaTransportTest, WarnsWhenAnExistingTopicIsNotCompacted) {
  const std::string topic = "existing.db.log";
  AckLog acks;
  {
    KafkaTransport creator(Options("existing"));
    ASSERT_TRUE(creator.Start().ok());
    OutgoingBatch batch;
    batch.source_name = "db";
    batch.Add(topic, std::nullopt, "a");  // creates it with delete
    ASSERT_TRUE(creator.Send(std::move(batch), acks.Callback(0)).ok());
    ASSERT_TRUE(creator.Flush(30s).ok());
  }
  KafkaTransport transport(Options("existing"));
  ASSERT_TRUE(transport.Start().ok());
  OutgoingBatch batch;
  batch.source_name = "db";
  batch.Add(topic, "k", "b");
  ::testing::internal::CaptureStderr();
  Status sent = transport.Send(std::move(batch), acks.Callback(1));
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(sent.ok());
  EXPECT_NE(log.find("existing topic " + topic + " has cleanup.policy=delete"), std::string::npos)
      << log;
  ASSERT_TRUE(transport.Flush(30s).ok());
}

TEST_F(KafkaTransportTest, OffsetsRoundTripThroughTheOffsetsTopic) {
  KafkaTransportOptions o = Options("offsets");
  {
    AckLog acks;  // outlives the transport, which may call it until destroyed
    KafkaTransport transport(o);
    ASSERT_TRUE(transport.Start().ok());
    auto none = transport.offsets().Load("db");
    ASSERT_TRUE(none.ok()) << none.status().ToString();
    EXPECT_FALSE(none->has_value());

    for (int b = 0; b < 5; ++b) {
      OutgoingBatch batch;
      batch.source_name = b % 2 ? "other" : "db";
      batch.Add("offsets.db.t", "k" + std::to_string(b), "v");
      batch.end = PositionAt(1000 + b);
      ASSERT_TRUE(transport.Send(std::move(batch), acks.Callback(b)).ok());
    }
    // A source transaction that touched no captured table still moves the position.
    OutgoingBatch empty;
    empty.source_name = "db";
    empty.end = PositionAt(2000);
    ASSERT_TRUE(transport.Send(std::move(empty), acks.Callback(5)).ok());
    ASSERT_TRUE(transport.Flush(30s).ok());
    EXPECT_EQ(acks.ids(), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  }
  // A new transport (a restart) reads the positions back.
  KafkaTransport restarted(o);
  ASSERT_TRUE(restarted.Start().ok());
  auto db = restarted.offsets().Load("db");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->has_value());
  EXPECT_EQ(**db, PositionAt(2000));
  auto other = restarted.offsets().Load("other");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other->has_value());
  EXPECT_EQ(**other, PositionAt(1003));
  auto unknown = restarted.offsets().Load("unknown");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  // The records are keyed by pipeline and source.
  std::string error;
  auto records = ReadTopic(broker_->bootstrap(), o.offsets_topic, false, &error);
  ASSERT_FALSE(records.empty());
  std::optional<std::string> last_db;
  for (const ConsumedRecord& r : records) {
    ASSERT_TRUE(r.key == OffsetKey("offsets", "db") || r.key == OffsetKey("offsets", "other"))
        << r.key.value_or("(null)");
    if (r.key == OffsetKey("offsets", "db")) last_db = r.value;
  }
  EXPECT_EQ(last_db, PositionAt(2000).ToJson());
}

TEST_F(KafkaTransportTest, ExactlyOnceBatchesAreCommittedTransactions) {
  KafkaTransportOptions o = Options("eos");
  o.exactly_once = true;
  o.partitions = 1;
  const std::string topic = "eos.db.accounts";
  {
    AckLog acks;  // outlives the transport, which may call it until destroyed
    KafkaTransport transport(o);
    Status started = transport.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    for (int b = 0; b < 3; ++b) {
      OutgoingBatch batch;
      batch.source_name = "db";
      batch.Add(topic, "a", "a" + std::to_string(b));
      batch.Add(topic, "b", "b" + std::to_string(b));
      batch.end = PositionAt(300 + b);
      ASSERT_TRUE(transport.Send(std::move(batch), acks.Callback(b)).ok());
      // One at a time, so each batch is its own Kafka transaction.
      ASSERT_TRUE(transport.Flush(30s).ok());
    }
    EXPECT_EQ(acks.ids(), (std::vector<int>{0, 1, 2}));
    for (const Status& s : acks.statuses()) EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::string error;
  auto records = ReadTopic(broker_->bootstrap(), topic, /*read_committed=*/true, &error);
  ASSERT_EQ(error, "");
  ASSERT_EQ(records.size(), 6u);
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(records[2 * b].value, "a" + std::to_string(b));
    EXPECT_EQ(records[2 * b + 1].value, "b" + std::to_string(b));
  }
  // Each commit writes a control record: offsets 0,1 then 3,4 then 6,7.
  EXPECT_EQ(records[2].offset, records[1].offset + 2);
  EXPECT_EQ(records[4].offset, records[3].offset + 2);

  // The offset records were committed in the same transactions.
  auto offset_records = ReadTopic(broker_->bootstrap(), o.offsets_topic, true, &error);
  ASSERT_EQ(offset_records.size(), 3u);
  EXPECT_EQ(offset_records[1].offset, offset_records[0].offset + 2);
  KafkaTransport restarted(o);
  ASSERT_TRUE(restarted.Start().ok());
  auto loaded = restarted.offsets().Load("db");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, PositionAt(302));
}

// Regression (issue 9): a leading chunk of a large source transaction carries no resume
// point; the offsets topic got `null` for it and a restart failed ("stored position is not a
// JSON object"). Offsets are stored only where a source transaction ends.
TEST_F(KafkaTransportTest, ChunksOfALargeTransactionStoreNoOffsetUntilItsEnd) {
  KafkaTransportOptions o = Options("chunks");
  const std::string topic = "chunks.db.t";
  auto chunk = [&](int first, std::optional<Position> end) {
    OutgoingBatch batch;
    batch.source_name = "db";
    for (int i = first; i < first + 50; ++i) batch.Add(topic, "k" + std::to_string(i), "v");
    batch.end = std::move(end);
    return batch;
  };
  {
    AckLog acks;
    KafkaTransport transport(o);
    ASSERT_TRUE(transport.Start().ok());
    ASSERT_TRUE(transport.Send(chunk(0, PositionAt(10)), acks.Callback(0)).ok());
    // A transaction of three chunks, of which only two were sent when the process died.
    ASSERT_TRUE(transport.Send(chunk(100, std::nullopt), acks.Callback(1)).ok());
    ASSERT_TRUE(transport.Send(chunk(200, std::nullopt), acks.Callback(2)).ok());
    ASSERT_TRUE(transport.Flush(30s).ok());
    EXPECT_EQ(acks.ids(), (std::vector<int>{0, 1, 2}));
    for (const Status& s : acks.statuses()) EXPECT_TRUE(s.ok()) << s.ToString();
  }
  {
    KafkaTransport restarted(o);
    ASSERT_TRUE(restarted.Start().ok());
    auto loaded = restarted.offsets().Load("db");
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ASSERT_TRUE(loaded->has_value());
    EXPECT_EQ(**loaded, PositionAt(10)) << "resumes before the unfinished transaction";
    AckLog acks;
    ASSERT_TRUE(restarted.Send(chunk(100, std::nullopt), acks.Callback(0)).ok());
    ASSERT_TRUE(restarted.Send(chunk(200, std::nullopt), acks.Callback(1)).ok());
    ASSERT_TRUE(restarted.Send(chunk(300, PositionAt(20)), acks.Callback(2)).ok());
    ASSERT_TRUE(restarted.Flush(30s).ok());
    EXPECT_EQ(acks.size(), 3u);
  }
  KafkaTransport again(o);
  ASSERT_TRUE(again.Start().ok());
  auto loaded = again.offsets().Load("db");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, PositionAt(20));
  std::string error;
  for (const ConsumedRecord& r : ReadTopic(broker_->bootstrap(), o.offsets_topic, false, &error)) {
    EXPECT_NE(r.value, std::optional<std::string>("null"));
  }
}

// Regression (issue 9): with exactly_once each batch was its own Kafka transaction, so a
// read_committed consumer saw part of a large source transaction, and a restart after a crash
// wrote the committed part again. One source transaction is one Kafka transaction.
TEST_F(KafkaTransportTest, ExactlyOnceKeepsALargeTransactionInOneKafkaTransaction) {
  KafkaTransportOptions o = Options("eoschunks");
  o.exactly_once = true;
  o.partitions = 1;
  o.max_in_flight_bytes = 64 << 10;  // smaller than the transaction: it cannot wait in it
  const std::string topic = "eoschunks.db.t";
  auto chunk = [&](int first, int n, std::optional<Position> end) {
    OutgoingBatch batch;
    batch.source_name = "db";
    for (int i = first; i < first + n; ++i) {
      batch.Add(topic, "k" + std::to_string(i), std::string(200, 'v'));
    }
    batch.end = std::move(end);
    return batch;
  };
  std::string error;
  AckLog acks;
  KafkaTransport transport(o);
  ASSERT_TRUE(transport.Start().ok());
  ASSERT_TRUE(transport.Send(chunk(0, 10, PositionAt(1)), acks.Callback(0)).ok());
  ASSERT_TRUE(transport.Flush(30s).ok());
  // Leading chunks, together 5 times the window: Send must not wait for room forever.
  for (int c = 0; c < 5; ++c) {
    ASSERT_TRUE(
        transport.Send(chunk(1000 + 300 * c, 300, std::nullopt), acks.Callback(1 + c)).ok());
  }
  std::this_thread::sleep_for(2s);
  auto visible = ReadTopic(broker_->bootstrap(), topic, /*read_committed=*/true, &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(visible.size(), 10u) << "part of an unfinished source transaction became visible";
  EXPECT_EQ(acks.size(), 1u);
  ASSERT_TRUE(transport.Send(chunk(5000, 10, PositionAt(2)), acks.Callback(6)).ok());
  Status flushed = transport.Flush(30s);
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();
  EXPECT_EQ(acks.ids(), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  for (const Status& s : acks.statuses()) EXPECT_TRUE(s.ok()) << s.ToString();
  auto all = ReadTopic(broker_->bootstrap(), topic, /*read_committed=*/true, &error);
  ASSERT_EQ(all.size(), 10u + 1500u + 10u);
  // Records 10..1519 were committed together: no control record between them.
  EXPECT_EQ(all.back().offset - all[10].offset, 1509);
  auto offsets = ReadTopic(broker_->bootstrap(), o.offsets_topic, true, &error);
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[1].value, PositionAt(2).ToJson());
}

TEST_F(KafkaTransportTest, SecondInstanceWithTheSameTransactionalIdFencesTheFirst) {
  KafkaTransportOptions o = Options("fence");
  o.exactly_once = true;
  const std::string topic = "fence.db.t";
  AckLog acks;
  KafkaTransport first(o);
  ASSERT_TRUE(first.Start().ok());
  auto send = [&](KafkaTransport& t, int id) {
    OutgoingBatch batch;
    batch.source_name = "db";
    batch.Add(topic, "k", "v" + std::to_string(id));
    batch.end = PositionAt(id);
    return t.Send(std::move(batch), acks.Callback(id));
  };
  ASSERT_TRUE(send(first, 1).ok());
  ASSERT_TRUE(first.Flush(30s).ok());

  KafkaTransport second(o);
  ASSERT_TRUE(second.Start().ok());
  ASSERT_TRUE(send(first, 2).ok());
  Status flushed = first.Flush(60s);
  EXPECT_FALSE(flushed.ok());
  ASSERT_EQ(acks.size(), 2u);
  Status fenced = acks.statuses()[1];
  EXPECT_FALSE(fenced.ok());
  EXPECT_FALSE(fenced.retriable()) << fenced.ToString();
  EXPECT_NE(fenced.message().find("transactional id"), std::string::npos) << fenced.ToString();

  // The new instance carries on.
  ASSERT_TRUE(send(second, 3).ok());
  ASSERT_TRUE(second.Flush(30s).ok());
  EXPECT_TRUE(acks.statuses()[2].ok()) << acks.statuses()[2].ToString();
  std::string error;
  auto records = ReadTopic(broker_->bootstrap(), topic, true, &error);
  ASSERT_EQ(error, "");
  std::vector<std::string> values;
  for (const auto& r : records) values.push_back(r.value.value_or("(null)"));
  EXPECT_EQ(values, (std::vector<std::string>{"v1", "v3"}));
}

TEST_F(KafkaTransportTest, TooLargeRecordFailsNamingTopicAndKey) {
  KafkaTransportOptions o = Options("large");
  KafkaTopicOverride small;
  small.config["max.message.bytes"] = "2000";
  o.topic_overrides["large.db.blobs"] = small;
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(o);
  ASSERT_TRUE(transport.Start().ok());
  OutgoingBatch batch;
  batch.source_name = "db";
  batch.Add("large.db.blobs", "{\"id\":42}", std::string(20000, 'x'));
  batch.end = PositionAt(1);
  ASSERT_TRUE(transport.Send(std::move(batch), acks.Callback(0)).ok());
  Status flushed = transport.Flush(30s);
  EXPECT_FALSE(flushed.ok());
  ASSERT_EQ(acks.size(), 1u);
  Status s = acks.statuses()[0];
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("large.db.blobs"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("{\"id\":42}"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("max.message.bytes"), std::string::npos) << s.message();
  // Later batches fail too: nothing after a lost record may be committed.
  OutgoingBatch next;
  next.source_name = "db";
  next.Add("large.db.blobs", "k", "small");
  next.end = PositionAt(2);
  EXPECT_FALSE(transport.Send(std::move(next), acks.Callback(1)).ok());
  auto loaded = transport.offsets().Load("db");
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(KafkaTransportTest, SendBlocksWithinTheWindowWhileKafkaIsDownThenResumes) {
  KafkaTransportOptions o = Options("outage");
  constexpr size_t kWindow = 64 * 1024;
  o.max_in_flight_bytes = kWindow;
  o.partitions = 2;
  const std::string topic = "outage.db.events";
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(o);
  ASSERT_TRUE(transport.Start().ok());
  {
    OutgoingBatch warmup;
    warmup.source_name = "db";
    warmup.Add(topic, "warmup", "w");
    warmup.end = PositionAt(1);
    ASSERT_TRUE(transport.Send(std::move(warmup), acks.Callback(0)).ok());
    ASSERT_TRUE(transport.Flush(30s).ok());
  }

  ASSERT_TRUE(broker_->Stop());
  constexpr int kBatches = 30;  // 30 x ~8 KiB: several times the window
  std::atomic<int> sent{0};
  std::atomic<size_t> max_in_flight{0};
  std::thread sender([&] {
    for (int b = 1; b <= kBatches; ++b) {
      OutgoingBatch batch;
      batch.source_name = "db";
      batch.Add(topic, "key" + std::to_string(b % 7), std::string(8000, 'a' + b % 26));
      batch.end = PositionAt(1 + b);
      Status s = transport.Send(std::move(batch), acks.Callback(b));
      if (!s.ok()) break;
      sent = b;
      size_t now = transport.InFlightBytes();
      if (now > max_in_flight) max_in_flight = now;
    }
  });
  std::this_thread::sleep_for(4s);
  int sent_while_down = sent.load();
  EXPECT_LT(sent_while_down, kBatches) << "Send did not wait for room in the window";
  EXPECT_GT(sent_while_down, 0);
  EXPECT_LE(transport.InFlightBytes(), kWindow);
  EXPECT_EQ(acks.size(), 1u) << "nothing can be acknowledged while Kafka is down";

  std::string restart_error = broker_->Start();
  ASSERT_EQ(restart_error, "");
  sender.join();
  EXPECT_EQ(sent.load(), kBatches);
  EXPECT_LE(max_in_flight.load(), kWindow);
  Status flushed = transport.Flush(60s);
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();
  std::vector<int> expected;
  for (int b = 0; b <= kBatches; ++b) expected.push_back(b);
  EXPECT_EQ(acks.ids(), expected);
  for (const Status& s : acks.statuses()) EXPECT_TRUE(s.ok()) << s.ToString();

  std::string error;
  auto records = ReadTopic(broker_->bootstrap(), topic, false, &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(records.size(), static_cast<size_t>(kBatches + 1));
  auto loaded = transport.offsets().Load("db");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, PositionAt(1 + kBatches));
}

TEST_F(KafkaTransportTest, SendTimesOutWhenTheWindowStaysFull) {
  KafkaTransportOptions o = Options("timeout");
  o.max_in_flight_bytes = 16 * 1024;
  o.send_timeout = 500ms;
  const std::string topic = "timeout.db.t";
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(o);
  ASSERT_TRUE(transport.Start().ok());
  OutgoingBatch first;
  first.source_name = "db";
  first.Add(topic, "k", "v");
  first.end = PositionAt(1);
  ASSERT_TRUE(transport.Send(std::move(first), acks.Callback(0)).ok());
  ASSERT_TRUE(transport.Flush(30s).ok());

  ASSERT_TRUE(broker_->Stop());
  Status s;
  int b = 1;
  for (; b < 10 && s.ok(); ++b) {
    OutgoingBatch batch;
    batch.source_name = "db";
    batch.Add(topic, "k", std::string(10000, 'x'));
    batch.end = PositionAt(1 + b);
    s = transport.Send(std::move(batch), acks.Callback(b));
  }
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_TRUE(s.retriable());
  EXPECT_LE(b, 4);
  ASSERT_EQ(broker_->Start(), "");
  EXPECT_TRUE(transport.Flush(60s).ok());
}

// Regression (issue 9): creating a topic while the broker was down failed the Send (and so
// ended the pipeline). It is retried with backoff until the cluster answers.
TEST_F(KafkaTransportTest, TopicCreationWaitsForTheBrokerToComeBack) {
  KafkaTransportOptions o = Options("newtopic");
  o.request_timeout = 2s;
  AckLog acks;  // outlives the transport, which may call it until destroyed
  KafkaTransport transport(o);
  ASSERT_TRUE(transport.Start().ok());
  ASSERT_TRUE(broker_->Stop());
  std::string restart_error;
  std::thread restart([&] {
    std::this_thread::sleep_for(6s);
    restart_error = broker_->Start();
  });
  OutgoingBatch batch;
  batch.source_name = "db";
  batch.Add("newtopic.db.created_during_outage", "k", "v");
  batch.end = PositionAt(7);
  Status s = transport.Send(std::move(batch), acks.Callback(0));
  restart.join();
  ASSERT_EQ(restart_error, "");
  ASSERT_TRUE(s.ok()) << s.ToString();
  Status flushed = transport.Flush(60s);
  EXPECT_TRUE(flushed.ok()) << flushed.ToString();
  std::string error;
  auto records =
      ReadTopic(broker_->bootstrap(), "newtopic.db.created_during_outage", false, &error);
  EXPECT_EQ(records.size(), 1u) << error;
}

}  // namespace
}  // namespace vimur::kafka
