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

}  // namespace
}  // namespace vimur
