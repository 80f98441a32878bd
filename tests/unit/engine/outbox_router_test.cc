#include "engine/outbox_router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/record_builder.h"

namespace vimur {
namespace {

std::shared_ptr<TableSchema> Table(const char* name, std::vector<const char*> columns) {
  auto t = std::make_shared<TableSchema>();
  t->database = "shop";
  t->table = name;
  for (const char* c : columns) {
    ColumnSchema col;
    col.name = c;
    col.type = LogicalType::kString;
    t->columns.push_back(col);
  }
  t->key_columns = {0};
  return t;
}

ChangeEvent Row(std::shared_ptr<TableSchema> table, Op op, std::vector<Value> row) {
  ChangeEvent e;
  e.op = op;
  e.table = std::move(table);
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mariadb";
  source->name = "shop";
  e.source = source;
  (op == Op::kDelete ? e.before : e.after) = std::move(row);
  return e;
}

RecordBuilder Builder(bool schemas, bool expand) {
  RecordBuilderOptions o;
  o.topic_prefix = "shop";
  o.outbox.tables = {R"(shop\.outbox)"};
  o.outbox.expand_json_payload = expand;
  JsonFormatOptions json;
  json.schemas = schemas;
  return RecordBuilder(o, std::make_unique<JsonEventSerializer>(json));
}

const std::vector<const char*> kOutboxColumns = {"id", "aggregatetype", "aggregateid", "type",
                                                 "payload"};

TEST(OutboxRouterTest, InsertsBecomeEventsOnTheAggregateTopic) {
  auto outbox = Table("outbox", kOutboxColumns);
  auto orders = Table("orders", {"id"});
  Transaction txn;
  txn.id = "0-1-1";
  txn.complete = true;
  txn.events.push_back(Row(orders, Op::kCreate, {Value::Text("7")}));
  txn.events.push_back(Row(outbox, Op::kCreate,
                           {Value::Text("e-1"), Value::Text("Order"), Value::Text("7"),
                            Value::Text("OrderCreated"), Value::Text(R"({"total":12.5})")}));
  txn.events.push_back(Row(outbox, Op::kDelete,
                           {Value::Text("e-1"), Value::Text("Order"), Value::Text("7"),
                            Value::Text("OrderCreated"), Value::Text("{}")}));
  RecordBuilder b = Builder(false, false);
  OutgoingBatch batch;
  ASSERT_TRUE(b.Build(txn, 1, &batch).ok());
  // The order's change event, then the routed event; the outbox delete adds nothing.
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.records[0].topic, "shop.shop.orders");
  const OutgoingRecord& event = batch.records[1];
  EXPECT_EQ(event.topic, "outbox.event.Order");
  EXPECT_EQ(*event.key, R"("7")");
  EXPECT_EQ(*event.value, R"("{\"total\":12.5}")");  // a JSON string, as Debezium's default
  EXPECT_EQ(event.header_name, "id");
  EXPECT_EQ(event.header_value, "e-1");
}

TEST(OutboxRouterTest, ExpandedPayloadSchemasAndUpdates) {
  auto outbox = Table("outbox", kOutboxColumns);
  Transaction txn;
  txn.events.push_back(Row(outbox, Op::kCreate,
                           {Value::Text("e-2"), Value::Text("Customer"), Value::Int(42),
                            Value::Text("Renamed"), Value::Text(R"({"name":"Ann"})")}));
  txn.events.push_back(Row(outbox, Op::kUpdate,
                           {Value::Text("e-2"), Value::Text("Customer"), Value::Int(42),
                            Value::Text("Renamed"), Value::Text("{}")}));
  OutgoingBatch expanded;
  ASSERT_TRUE(Builder(false, true).Build(txn, 1, &expanded).ok());
  ASSERT_EQ(expanded.records.size(), 1u);  // the update is no event
  EXPECT_EQ(*expanded.records[0].key, "42");
  EXPECT_EQ(nlohmann::json::parse(*expanded.records[0].value), nlohmann::json({{"name", "Ann"}}));
  OutgoingBatch with_schema;
  ASSERT_TRUE(Builder(true, false).Build(txn, 1, &with_schema).ok());
  EXPECT_EQ(nlohmann::json::parse(*with_schema.records[0].key),
            nlohmann::json::parse(R"({"schema":{"type":"int64","optional":true},"payload":42})"));
}

TEST(OutboxRouterTest, MissingColumnsAndEmptyRoutesAreErrors) {
  auto outbox = Table("outbox", {"id", "aggregateid", "payload"});
  Transaction txn;
  txn.events.push_back(
      Row(outbox, Op::kCreate, {Value::Text("e"), Value::Text("1"), Value::Text("{}")}));
  OutgoingBatch batch;
  Status s = Builder(false, false).Build(txn, 1, &batch);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no column 'aggregatetype'"), std::string::npos) << s.message();
  auto full = Table("outbox", kOutboxColumns);
  Transaction null_route;
  null_route.events.push_back(Row(
      full, Op::kCreate,
      {Value::Text("e"), Value::Null(), Value::Text("1"), Value::Text("t"), Value::Text("{}")}));
  s = Builder(false, false).Build(null_route, 1, &batch);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("names no topic"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vimur
