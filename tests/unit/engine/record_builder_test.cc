#include "engine/record_builder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vimur {
namespace {

Transaction TwoTableTxn(std::string id, bool complete) {
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mariadb";
  source->name = "shop";
  source->gtid = id;
  Transaction t;
  t.id = id;
  t.source = source;
  t.complete = complete;
  for (const char* name : {"orders", "items", "orders"}) {
    auto table = std::make_shared<TableSchema>();
    table->database = "shop";
    table->table = name;
    ColumnSchema c;
    c.name = "id";
    c.type = LogicalType::kInt32;
    table->columns.push_back(c);
    table->key_columns = {0};
    ChangeEvent e;
    e.op = Op::kCreate;
    e.table = table;
    e.source = source;
    e.after.push_back(Value::Int(1));
    t.events.push_back(e);
  }
  return t;
}

RecordBuilder Builder(bool metadata, bool heartbeat) {
  RecordBuilderOptions o;
  o.topic_prefix = "shop";
  if (metadata) o.transaction_topic = "shop.transaction";
  if (heartbeat) o.heartbeat_topic = "__vimur-heartbeat.shop";
  return RecordBuilder(o, std::make_unique<JsonEventSerializer>(JsonFormatOptions{}));
}

TEST(RecordBuilderTest, TransactionMetadataWrapsChunksOnce) {
  RecordBuilder b = Builder(true, false);
  OutgoingBatch batch;
  ASSERT_TRUE(b.Build(TwoTableTxn("0-1-5", false), 10, &batch).ok());
  ASSERT_TRUE(b.Build(TwoTableTxn("0-1-5", true), 11, &batch).ok());
  const std::vector<OutgoingRecord>& out = batch.records;
  ASSERT_EQ(out.size(), 8u);  // BEGIN, 3 + 3 events, END
  EXPECT_EQ(out.front().topic, "shop.transaction");
  auto begin = nlohmann::json::parse(*out.front().value);
  EXPECT_EQ(begin["status"], "BEGIN");
  EXPECT_EQ(begin["id"], "0-1-5");
  EXPECT_TRUE(begin["event_count"].is_null());
  auto end = nlohmann::json::parse(*out.back().value);
  EXPECT_EQ(end["status"], "END");
  EXPECT_EQ(end["event_count"], 6);
  ASSERT_EQ(end["data_collections"].size(), 2u);
  EXPECT_EQ(end["data_collections"][0]["data_collection"], "shop.items");
  EXPECT_EQ(end["data_collections"][0]["event_count"], 2);
  EXPECT_EQ(end["data_collections"][1]["event_count"], 4);
  EXPECT_EQ(nlohmann::json::parse(*out.back().key)["id"], "0-1-5");
}

TEST(RecordBuilderTest, PositionOnlyTransactionsBecomeHeartbeats) {
  Transaction empty;
  empty.id = "heartbeat";
  OutgoingBatch batch;
  const std::vector<OutgoingRecord>& out = batch.records;
  RecordBuilder without = Builder(false, false);
  ASSERT_TRUE(without.Build(empty, 5, &batch).ok());
  EXPECT_TRUE(out.empty());
  RecordBuilder with = Builder(true, true);
  ASSERT_TRUE(with.Build(empty, 5, &batch).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, "__vimur-heartbeat.shop");
  EXPECT_EQ(nlohmann::json::parse(*out[0].key)["serverName"], "shop");
  EXPECT_EQ(nlohmann::json::parse(*out[0].value)["ts_ms"], 5);
}

// A row of shop.docs (id, title, body, blob) whose body and blob make it ~6 KB.
Transaction BigRowTxn() {
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mariadb";
  source->name = "shop";
  source->file = "mysql-bin.000001";
  source->pos = 4;
  auto table = std::make_shared<TableSchema>();
  table->database = "shop";
  table->table = "docs";
  for (auto [name, type] : {std::pair{"id", LogicalType::kInt32},
                            {"title", LogicalType::kString},
                            {"body", LogicalType::kString},
                            {"blob", LogicalType::kBytes}}) {
    ColumnSchema c;
    c.name = name;
    c.type = type;
    table->columns.push_back(c);
  }
  table->key_columns = {0};
  static const std::string body(4000, 'b');
  static const std::string blob(1500, 'x');
  ChangeEvent e;
  e.op = Op::kCreate;
  e.table = table;
  e.source = source;
  e.after = {Value::Int(7), Value::Text("short title"), Value::Text(body), Value::Bytes(blob)};
  Transaction t;
  t.id = "t";
  t.source = source;
  t.events.push_back(e);
  return t;
}

RecordBuilder LimitedBuilder(OversizedPolicy policy, size_t limit) {
  RecordBuilderOptions o;
  o.topic_prefix = "shop";
  o.max_record_bytes = limit;
  o.oversized = policy;
  o.oversized_topic = "shop.oversized";
  o.topic_max_record_bytes["shop.oversized"] = 1 << 20;
  return RecordBuilder(o, std::make_unique<JsonEventSerializer>(JsonFormatOptions{}));
}

TEST(RecordBuilderTest, OversizedEventStopsNamingTableSizeAndLimit) {
  RecordBuilder b = LimitedBuilder(OversizedPolicy::kStop, 3000);
  OutgoingBatch batch;
  Status s = b.Build(BigRowTxn(), 1, &batch);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("shop.docs at mysql-bin.000001:4"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("over the 3000"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("on_oversized_event"), std::string::npos) << s.message();
  // Under the limit nothing changes.
  RecordBuilder roomy = LimitedBuilder(OversizedPolicy::kStop, 100000);
  ASSERT_TRUE(roomy.Build(BigRowTxn(), 1, &batch).ok());
  EXPECT_EQ(batch.records.at(0).topic, "shop.shop.docs");
  EXPECT_TRUE(batch.records.at(0).header_name.empty());
}

TEST(RecordBuilderTest, OversizedEventGoesWholeToTheDeadLetterTopic) {
  RecordBuilder b = LimitedBuilder(OversizedPolicy::kDeadLetter, 3000);
  OutgoingBatch batch;
  ASSERT_TRUE(b.Build(BigRowTxn(), 1, &batch).ok());
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].topic, "shop.oversized");
  auto v = nlohmann::json::parse(*batch.records[0].value);
  EXPECT_EQ(v["after"]["body"].get<std::string>().size(), 4000u);
}

TEST(RecordBuilderTest, OversizedEventLosesItsLargestValuesUntilItFits) {
  // Without body (4000) the record fits in 3000; blob (1500 bytes, 2000 in base64) stays.
  RecordBuilder b = LimitedBuilder(OversizedPolicy::kTruncate, 3000);
  OutgoingBatch batch;
  ASSERT_TRUE(b.Build(BigRowTxn(), 1, &batch).ok());
  ASSERT_EQ(batch.records.size(), 1u);
  const OutgoingRecord& r = batch.records[0];
  EXPECT_EQ(r.topic, "shop.shop.docs");
  EXPECT_LE(r.key->size() + r.value->size(), 3000u);
  auto v = nlohmann::json::parse(*r.value);
  EXPECT_EQ(v["after"]["body"], "__vimur_truncated__");
  EXPECT_EQ(v["after"]["title"], "short title");
  EXPECT_EQ(v["after"]["id"], 7);
  EXPECT_EQ(v["after"]["blob"].get<std::string>().size(), 2000u);
  EXPECT_EQ(r.header_name, kTruncatedHeader);
  EXPECT_EQ(r.header_value, "body");
  // Tighter: both go, named in size order.
  RecordBuilder tight = LimitedBuilder(OversizedPolicy::kTruncate, 1000);
  OutgoingBatch small;
  ASSERT_TRUE(tight.Build(BigRowTxn(), 1, &small).ok());
  EXPECT_EQ(small.records.at(0).header_value, "body,blob");
  // Nothing left to truncate: an error.
  RecordBuilder impossible = LimitedBuilder(OversizedPolicy::kTruncate, 100);
  OutgoingBatch none;
  EXPECT_FALSE(impossible.Build(BigRowTxn(), 1, &none).ok());
}

}  // namespace
}  // namespace vimur
