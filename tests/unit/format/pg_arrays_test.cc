// PostgreSQL arrays in both formats: a Connect array of optional elements of the column's
// type (Debezium's PostgreSQL connector), schema and value, nulls and empty arrays included.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avro/avro_test_decoder.h"
#include "format/avro/avro_encoder.h"
#include "format/avro/avro_schema.h"
#include "format/debezium_json.h"

namespace vimur {
namespace {

using nlohmann::json;

ColumnSchema ArrayColumn(std::string name, LogicalType type, uint32_t element_oid) {
  ColumnSchema c;
  c.name = std::move(name);
  c.type = type;
  c.array_element_oid = element_oid;
  return c;
}

std::shared_ptr<TableSchema> ArrayTable() {
  auto t = std::make_shared<TableSchema>();
  t->database = "public";
  t->table = "tagged";
  ColumnSchema id;
  id.name = "id";
  id.type = LogicalType::kInt32;
  id.nullable = false;
  t->columns.push_back(id);
  t->columns.push_back(ArrayColumn("ints", LogicalType::kInt32, 23));
  t->columns.push_back(ArrayColumn("tags", LogicalType::kString, 25));
  ColumnSchema prices = ArrayColumn("prices", LogicalType::kDecimal, 1700);
  prices.precision = 6;
  prices.scale = 2;
  t->columns.push_back(prices);
  t->columns.push_back(ArrayColumn("days", LogicalType::kDate, 1082));
  t->key_columns = {0};
  return t;
}

struct ArrayEvent {
  std::vector<Value> ints{Value::Int(1), Value::Null(), Value::Int(-3)};
  std::vector<Value> tags{Value::Text("a b"), Value::Text("")};
  std::vector<Value> prices{Value::Text("-12.50")};
  ChangeEvent event;

  ArrayEvent() {
    event.op = Op::kCreate;
    event.table = ArrayTable();
    auto source = std::make_shared<SourceInfo>();
    source->connector = "postgresql";
    source->name = "shop";
    source->database = "shop";
    source->schema = "public";
    event.source = source;
    event.after = {Value::Int(1), Value::Array(ints.data(), 3), Value::Array(tags.data(), 2),
                   Value::Array(prices.data(), 1), Value::Array(nullptr, 0)};
  }
};

TEST(PgArraysTest, JsonSchemaIsAConnectArrayOfOptionalElements) {
  ArrayEvent e;
  DebeziumJsonSerializer ser(JsonFormatOptions{true, false, "shop", {}});
  std::string out;
  ser.SerializeValue(e.event, 1, &out);
  const json j = json::parse(out);
  const json& fields = j["schema"]["fields"][1]["fields"];
  EXPECT_EQ(fields[1], json::parse(R"({"type":"array","items":{"type":"int32","optional":true},
                                       "optional":true,"field":"ints"})"));
  EXPECT_EQ(fields[3], json::parse(R"({"type":"array","items":{"type":"bytes","optional":true,
      "name":"org.apache.kafka.connect.data.Decimal","version":1,
      "parameters":{"scale":"2","connect.decimal.precision":"6"}},
      "optional":true,"field":"prices"})"));
  EXPECT_EQ(fields[4]["items"]["name"], "io.debezium.time.Date");
  const json& after = j["payload"]["after"];
  EXPECT_EQ(after["ints"], json::parse("[1,null,-3]"));
  EXPECT_EQ(after["tags"], json::parse(R"(["a b",""])"));
  EXPECT_EQ(after["prices"], json::parse(R"(["+x4="])"));  // -1250
  EXPECT_EQ(after["days"], json::array());
}

TEST(PgArraysTest, JsonStringModeAppliesToElements) {
  ArrayEvent e;
  ValueModes modes;
  modes.decimal = DecimalHandlingMode::kString;
  DebeziumJsonSerializer ser(JsonFormatOptions{false, false, "shop", modes});
  std::string out;
  ser.SerializeValue(e.event, 1, &out);
  EXPECT_EQ(json::parse(out)["after"]["prices"], json::parse(R"(["-12.50"])"));
}

TEST(PgArraysTest, AvroSchemaAndRoundTrip) {
  ArrayEvent e;
  const std::string schema = avro::ValueSchemaJson("shop", *e.event.table, "postgresql");
  const json value_record = json::parse(schema)["fields"][0]["type"][1];
  ASSERT_EQ(value_record["name"], "Value");
  EXPECT_EQ(value_record["fields"][1]["type"],
            json::parse(R"(["null",{"type":"array","items":["null","int"]}])"));
  EXPECT_EQ(value_record["fields"][3]["type"][1]["items"][1]["logicalType"], "decimal");
  std::string bytes;
  ASSERT_TRUE(avro::EncodeEnvelope(e.event, 1, avro::EnvelopeOptions(), &bytes).ok());
  const json decoded = avro::testing::AvroTestDecoder(schema).Decode(bytes);
  EXPECT_EQ(decoded["after"]["ints"], json::parse("[1,null,-3]"));
  EXPECT_EQ(decoded["after"]["tags"], json::parse(R"(["a b",""])"));
  EXPECT_EQ(decoded["after"]["prices"][0], "-12.50");
  EXPECT_EQ(decoded["after"]["days"], json::array());
}

TEST(PgArraysTest, AvroRefusesANonArrayValueInAnArrayColumn) {
  ArrayEvent e;
  e.event.after[1] = Value::Int(5);
  std::string bytes;
  Status s = avro::EncodeEnvelope(e.event, 1, avro::EnvelopeOptions(), &bytes);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ints"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vimur
