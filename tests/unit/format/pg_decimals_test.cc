// PostgreSQL's decimals in both formats: money (a Decimal without a declared precision) and
// numeric without precision (io.debezium.data.VariableScaleDecimal), schema and value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "avro/avro_test_decoder.h"
#include "format/avro/avro_encoder.h"
#include "format/avro/avro_schema.h"
#include "format/debezium_json.h"
#include "format/field_repr.h"

namespace vimur {
namespace {

using nlohmann::json;

std::shared_ptr<TableSchema> PgTable() {
  auto t = std::make_shared<TableSchema>();
  t->database = "public";
  t->table = "prices";
  ColumnSchema id;
  id.name = "id";
  id.type = LogicalType::kInt32;
  id.nullable = false;
  t->columns.push_back(id);
  ColumnSchema money;
  money.name = "m";
  money.type = LogicalType::kDecimal;
  money.scale = 2;  // precision 0: none declared
  t->columns.push_back(money);
  ColumnSchema n;
  n.name = "n";
  n.type = LogicalType::kDecimal;
  n.scale = kVariableScale;
  t->columns.push_back(n);
  t->key_columns = {0};
  return t;
}

ChangeEvent Event(std::string_view money, std::string_view numeric) {
  ChangeEvent e;
  e.op = Op::kCreate;
  e.table = PgTable();
  auto source = std::make_shared<SourceInfo>();
  source->connector = "postgresql";
  source->name = "shop";
  source->database = "shop";
  source->schema = "public";
  e.source = source;
  e.after = {Value::Int(1), Value::Text(money),
             numeric.empty() ? Value::Null() : Value::Text(numeric)};
  return e;
}

json JsonValue(const ChangeEvent& e, ValueModes modes = {}) {
  DebeziumJsonSerializer ser(JsonFormatOptions{true, false, "shop", modes});
  std::string out;
  ser.SerializeValue(e, 1, &out);
  return json::parse(out);
}

TEST(PgDecimalsTest, TextScale) {
  EXPECT_EQ(TextScale("12.500"), 3);
  EXPECT_EQ(TextScale("-7"), 0);
  EXPECT_EQ(TextScale("0.1"), 1);
}

TEST(PgDecimalsTest, JsonSchemaAndValues) {
  json j = JsonValue(Event("-1234.50", "-12.500"));
  const json& after_schema = j["schema"]["fields"][1];
  ASSERT_EQ(after_schema["field"], "after");
  const json& m = after_schema["fields"][1];
  EXPECT_EQ(m["name"], "org.apache.kafka.connect.data.Decimal");
  EXPECT_EQ(m["parameters"], json({{"scale", "2"}}));  // no connect.decimal.precision
  const json& n = after_schema["fields"][2];
  EXPECT_EQ(n, json::parse(R"({"type":"struct","fields":[
      {"type":"int32","optional":false,"field":"scale"},
      {"type":"bytes","optional":false,"field":"value"}],"optional":true,
      "name":"io.debezium.data.VariableScaleDecimal","version":1,
      "doc":"Variable scaled decimal","field":"n"})"));
  const json& after = j["payload"]["after"];
  EXPECT_EQ(after["m"], "/h3G");                                   // -123450
  EXPECT_EQ(after["n"], json({{"scale", 3}, {"value", "zyw="}}));  // -12500
  EXPECT_EQ(JsonValue(Event("0.00", "0"))["payload"]["after"]["n"],
            json({{"scale", 0}, {"value", "AA=="}}));
  EXPECT_EQ(JsonValue(Event("0.00",
                            "123456789012345678901234567890.5"))["payload"]["after"]["n"]["scale"],
            1);
  EXPECT_TRUE(JsonValue(Event("0.00", ""))["payload"]["after"]["n"].is_null());
}

TEST(PgDecimalsTest, StringAndDoubleModesAsForNumeric) {
  ValueModes string_mode;
  string_mode.decimal = DecimalHandlingMode::kString;
  json s = JsonValue(Event("-1234.50", "12.500"), string_mode);
  EXPECT_EQ(s["payload"]["after"]["m"], "-1234.50");
  EXPECT_EQ(s["payload"]["after"]["n"], "12.500");
  EXPECT_EQ(s["schema"]["fields"][1]["fields"][2]["type"], "string");
  ValueModes double_mode;
  double_mode.decimal = DecimalHandlingMode::kDouble;
  json d = JsonValue(Event("-1234.50", "12.500"), double_mode);
  EXPECT_EQ(d["payload"]["after"]["m"], -1234.5);
  EXPECT_EQ(d["payload"]["after"]["n"], 12.5);
}

TEST(PgDecimalsTest, AvroSchemaAndRoundTrip) {
  const ChangeEvent e = Event("-1234.50", "-12.500");
  const std::string schema = avro::ValueSchemaJson("shop", *e.table, "postgresql");
  // `before` defines the row record, `after` names it.
  json value_record = json::parse(schema)["fields"][0]["type"][1];
  ASSERT_EQ(value_record["name"], "Value");
  const json& m = value_record["fields"][1]["type"][1];
  EXPECT_EQ(m["logicalType"], "decimal");
  EXPECT_EQ(m["precision"], 64);
  EXPECT_EQ(m["scale"], 2);
  EXPECT_EQ(m["connect.parameters"], json({{"scale", "2"}}));
  const json& n = value_record["fields"][2]["type"][1];
  EXPECT_EQ(n["type"], "record");
  EXPECT_EQ(n["name"], "VariableScaleDecimal");
  EXPECT_EQ(n["namespace"], "io.debezium.data");
  EXPECT_EQ(n["connect.name"], "io.debezium.data.VariableScaleDecimal");
  EXPECT_EQ(n["fields"], json::parse(R"([{"name":"scale","type":"int"},
                                         {"name":"value","type":"bytes"}])"));
  std::string bytes;
  ASSERT_TRUE(avro::EncodeEnvelope(e, 1, avro::EnvelopeOptions(), &bytes).ok());
  json decoded = avro::testing::AvroTestDecoder(schema).Decode(bytes);
  EXPECT_EQ(decoded["after"]["m"], "-1234.50");
  EXPECT_EQ(decoded["after"]["n"]["scale"], 3);
  EXPECT_EQ(
      avro::testing::TwosComplementToDecimal(decoded["after"]["n"]["value"].get<std::string>(), 3),
      "-12.500");
}

}  // namespace
}  // namespace vimur
