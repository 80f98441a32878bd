#include "format/avro/avro_event_serializer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "avro_test_decoder.h"
#include "format/avro/avro_encoder.h"
#include "format/avro/avro_schema.h"

namespace vimur::avro {
namespace {

using nlohmann::json;
using testing::AvroTestDecoder;
using testing::TwosComplementToDecimal;

// A registry in memory: global ids, one version per distinct schema per subject.
class FakeRegistry : public SchemaRegistryClient {
 public:
  Result<int32_t> Register(const std::string& subject, const std::string& schema) override {
    ++calls;
    if (fail) return Status::Unavailable("registry down");
    auto& versions = subjects[subject];
    if (refuse_new_versions && !versions.empty() && compatibility[subject] != "NONE") {
      bool known = false;
      for (const auto& [text, id] : versions) known = known || text == schema;
      if (!known) return Status::FailedPrecondition("HTTP 409: incompatible (error_code 409)");
    }
    for (const auto& [text, id] : versions) {
      if (text == schema) return id;
    }
    int32_t id = next_id++;
    versions.emplace_back(schema, id);
    by_id[id] = schema;
    return id;
  }
  std::map<std::string, std::vector<std::pair<std::string, int32_t>>> subjects;
  Status SetSubjectCompatibility(const std::string& subject, const std::string& level) override {
    compatibility[subject] = level;
    return Status::Ok();
  }
  std::map<int32_t, std::string> by_id;
  std::map<std::string, std::string> compatibility;
  int32_t next_id = 1;
  int calls = 0;
  bool fail = false;
  bool refuse_new_versions = false;  // stands for a subject at BACKWARD refusing a change
};

ColumnSchema Col(const char* name, LogicalType type, bool nullable = true) {
  ColumnSchema c;
  c.name = name;
  c.type = type;
  c.nullable = nullable;
  return c;
}

std::shared_ptr<TableSchema> AllTypesTable() {
  auto t = std::make_shared<TableSchema>();
  t->database = "shop";
  t->table = "orders";
  t->columns.push_back(Col("id", LogicalType::kInt64, false));
  t->columns.back().in_primary_key = true;
  t->columns.push_back(Col("flag", LogicalType::kBoolean));
  t->columns.push_back(Col("small", LogicalType::kInt16));
  t->columns.push_back(Col("qty", LogicalType::kInt32));
  t->columns.push_back(Col("big_u", LogicalType::kUInt64));
  t->columns.push_back(Col("ratio", LogicalType::kFloat));
  t->columns.push_back(Col("score", LogicalType::kDouble));
  t->columns.push_back(Col("price", LogicalType::kDecimal, false));
  t->columns.back().precision = 10;
  t->columns.back().scale = 2;
  t->columns.push_back(Col("bits", LogicalType::kBits));
  t->columns.back().precision = 12;
  t->columns.push_back(Col("day", LogicalType::kDate));
  t->columns.push_back(Col("created", LogicalType::kTimestampMillis));
  t->columns.push_back(Col("updated", LogicalType::kTimestampMicros));
  t->columns.push_back(Col("seen", LogicalType::kZonedTimestamp));
  t->columns.push_back(Col("dur", LogicalType::kMicroTime));
  t->columns.push_back(Col("yr", LogicalType::kYear));
  t->columns.push_back(Col("name", LogicalType::kString));
  t->columns.push_back(Col("blob", LogicalType::kBytes));
  t->columns.push_back(Col("status", LogicalType::kEnum));
  t->columns.back().enum_values = {"new", "paid"};
  t->columns.push_back(Col("tags", LogicalType::kSet));
  t->columns.back().enum_values = {"a", "b"};
  t->columns.push_back(Col("doc", LogicalType::kJson));
  t->columns.push_back(Col("place", LogicalType::kGeometry));
  t->columns.push_back(Col("area", LogicalType::kGeometry));
  t->key_columns = {0};
  t->version = 1;
  return t;
}

std::vector<Value> AllTypesRow() {
  return {Value::Int(42),
          Value::Bool(true),
          Value::Int(-7),
          Value::Int(100000),
          Value::UInt(18446744073709551615ull),
          Value::Float(1.5f),
          Value::Double(-2.25),
          Value::Text("-12.50"),
          Value::Bytes(std::string_view("\x01\x0f", 2)),
          Value::Int(19844),
          Value::Int(1714557600120),
          Value::Int(1714557600120456),
          Value::Text("2024-05-01T10:00:00.120Z"),
          Value::Int(-3600000000),
          Value::Int(2024),
          Value::Text("caf\xc3\xa9"),
          Value::Bytes(std::string_view("\x00\xff", 2)),
          Value::Text("paid"),
          Value::Text("a,b"),
          Value::Text("{\"k\":1}"),
          Value::Geometry("WKB", 4326),
          Value::Null()};
}

ChangeEvent MakeEvent(std::shared_ptr<const TableSchema> table, Op op) {
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mysql";
  source->name = "shop";
  source->ts_ms = 1714557600000;
  source->server_id = 5400;
  source->file = "binlog.000003";
  source->pos = 1234;
  ChangeEvent e;
  e.op = op;
  e.table = std::move(table);
  e.source = source;
  e.row = 2;
  e.total_order = 3;
  e.data_collection_order = 1;
  if (op != Op::kCreate) e.before = AllTypesRow();
  if (op != Op::kDelete) e.after = AllTypesRow();
  return e;
}

int32_t HeaderId(const std::string& bytes) {
  EXPECT_GE(bytes.size(), 5u);
  EXPECT_EQ(bytes[0], 0);
  return (static_cast<uint8_t>(bytes[1]) << 24) | (static_cast<uint8_t>(bytes[2]) << 16) |
         (static_cast<uint8_t>(bytes[3]) << 8) | static_cast<uint8_t>(bytes[4]);
}

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

TEST(AvroWriterTest, ZigZagVarintsMatchTheSpec) {
  // The Avro spec's table: 0 -> 00, -1 -> 01, 1 -> 02, -2 -> 03, 2 -> 04, -64 -> 7f, 64 -> 80 01.
  std::map<int64_t, std::string> cases = {
      {0, "00"}, {-1, "01"},  {1, "02"},    {-2, "03"},
      {2, "04"}, {-64, "7f"}, {64, "8001"}, {INT64_MIN, "ffffffffffffffffff01"}};
  for (const auto& [v, hex] : cases) {
    ByteBuffer out;
    AvroWriter w(&out);
    w.Long(v);
    EXPECT_EQ(Hex(out.view()), hex) << v;
  }
}

TEST(AvroWriterTest, DecimalsAreMinimalTwosComplement) {
  struct Case {
    const char* text;
    int scale;
    const char* hex;
  };
  // Each is the length varint then the unscaled value's bytes.
  const Case cases[] = {{"-12.50", 2, "04fb1e"}, {"0.00", 2, "0200"},  {"127", 0, "027f"},
                        {"128", 0, "040080"},    {"-128", 0, "0280"},  {"-129", 0, "04ff7f"},
                        {"1.5", 2, "020096"},    {"-0.00", 2, "0200"}, {"007", 0, "0207"}};
  // 1.5 at scale 2 pads to 150 = 0x96, which needs a sign byte: 00 96, length 2 -> "04"
  for (const auto& c : cases) {
    ByteBuffer out;
    AvroWriter w(&out);
    ASSERT_TRUE(AppendDecimal(c.text, c.scale, w).ok()) << c.text;
    std::string expected = c.hex;
    if (std::string(c.text) == "1.5") expected = "040096";
    EXPECT_EQ(Hex(out.view()), expected) << c.text;
  }
}

TEST(AvroWriterTest, WideDecimalsRoundTrip) {
  const char* values[] = {
      "99999999999999999999999999999999999999",  "-99999999999999999999999999999999999999",
      "12345678901234567890.123456789012345678", "-0.000000000000000000000000000000000001",
      "170141183460469231731687303715884105728", "-170141183460469231731687303715884105728"};
  for (const char* v : values) {
    std::string text = v;
    int scale = 0;
    size_t dot = text.find('.');
    if (dot != std::string::npos) scale = static_cast<int>(text.size() - dot - 1);
    ByteBuffer buffer;
    AvroWriter w(&buffer);
    ASSERT_TRUE(AppendDecimal(text, scale, w).ok()) << v;
    std::string_view out = buffer.view();
    std::string_view body = out;
    body.remove_prefix(1);  // length varint (all fit one byte)
    ASSERT_EQ(static_cast<size_t>(static_cast<uint8_t>(out[0]) >> 1), body.size());
    // Minimal: the first byte is not a redundant sign byte.
    if (body.size() > 1) {
      uint8_t b0 = static_cast<uint8_t>(body[0]), b1 = static_cast<uint8_t>(body[1]);
      EXPECT_FALSE((b0 == 0 && !(b1 & 0x80)) || (b0 == 0xff && (b1 & 0x80))) << v;
    }
    EXPECT_EQ(TwosComplementToDecimal(body, scale), text);
  }
}

TEST(AvroWriterTest, UnsignedBigintIsDecimal20) {
  ByteBuffer out;
  AvroWriter w(&out);
  AppendUnsignedDecimal(18446744073709551615ull, w);
  EXPECT_EQ(Hex(out.view()), "1200ffffffffffffffff");
  out.Clear();
  AppendUnsignedDecimal(5, w);
  EXPECT_EQ(Hex(out.view()), "0205");
}

TEST(AvroWriterTest, BadDecimalsAreRejected) {
  ByteBuffer out;
  AvroWriter w(&out);
  EXPECT_EQ(AppendDecimal("12a", 0, w).code(), StatusCode::kCorruption);
  EXPECT_EQ(AppendDecimal("", 0, w).code(), StatusCode::kCorruption);
  EXPECT_EQ(AppendDecimal("-", 0, w).code(), StatusCode::kCorruption);
  EXPECT_EQ(AppendDecimal("1.234", 2, w).code(), StatusCode::kCorruption);
  EXPECT_EQ(AppendDecimal("1.2.3", 2, w).code(), StatusCode::kCorruption);
  EXPECT_EQ(AppendDecimal(std::string(81, '9'), 0, w).code(), StatusCode::kCorruption);
}

TEST(AvroSchemaTest, UsesDebeziumNamesAndConnectTypes) {
  auto t = AllTypesTable();
  json key = json::parse(KeySchemaJson("shop", *t));
  EXPECT_EQ(key["name"], "Key");
  EXPECT_EQ(key["namespace"], "shop.shop.orders");
  EXPECT_EQ(key["connect.name"], "shop.shop.orders.Key");
  ASSERT_EQ(key["fields"].size(), 1u);
  EXPECT_EQ(key["fields"][0], json::parse(R"({"name":"id","type":"long"})"));

  json value = json::parse(ValueSchemaJson("shop", *t, "mysql"));
  EXPECT_EQ(value["name"], "Envelope");
  EXPECT_EQ(value["connect.name"], "shop.shop.orders.Envelope");
  EXPECT_EQ(value["connect.version"], 2);
  const json& fields = value["fields"];
  ASSERT_EQ(fields.size(), 8u);
  EXPECT_EQ(fields[0]["name"], "before");
  EXPECT_EQ(fields[0]["type"][0], "null");
  EXPECT_TRUE(fields[0]["default"].is_null());
  const json& row = fields[0]["type"][1];
  EXPECT_EQ(row["name"], "Value");
  EXPECT_EQ(fields[1]["type"][1], "shop.shop.orders.Value");
  EXPECT_EQ(fields[2]["type"]["connect.name"], "io.debezium.connector.mysql.Source");
  EXPECT_EQ(fields[2]["type"]["connect.version"], 1);
  std::vector<std::string> source_fields;
  for (const auto& f : fields[2]["type"]["fields"]) source_fields.push_back(f["name"]);
  EXPECT_EQ(source_fields,
            (std::vector<std::string>{"version", "connector", "name", "ts_ms", "snapshot", "db",
                                      "sequence", "ts_us", "ts_ns", "table", "server_id", "gtid",
                                      "file", "pos", "row", "thread", "query"}));
  EXPECT_EQ(fields[3]["name"], "transaction");
  EXPECT_EQ(fields[3]["type"][1]["connect.name"], "event.block");
  EXPECT_EQ(fields[4]["name"], "op");
  EXPECT_EQ(fields[5]["name"], "ts_ms");
  EXPECT_EQ(fields[6]["name"], "ts_us");
  EXPECT_EQ(fields[7]["name"], "ts_ns");
  EXPECT_EQ(
      json::parse(ValueSchemaJson("shop", *t, "mariadb"))["fields"][2]["type"]["connect.name"],
      "io.debezium.connector.mariadb.Source");

  std::map<std::string, json> by_name;
  for (const auto& f : row["fields"]) by_name[f["name"]] = f;
  // Nullable: ["null", T] with default null; NOT NULL: T.
  EXPECT_EQ(by_name["qty"]["type"], json::parse(R"(["null","int"])"));
  EXPECT_TRUE(by_name["qty"].contains("default") && by_name["qty"]["default"].is_null());
  EXPECT_EQ(by_name["small"]["type"][1]["connect.type"], "int16");
  const json& price = by_name["price"]["type"];
  EXPECT_EQ(price["type"], "bytes");
  EXPECT_EQ(price["logicalType"], "decimal");
  EXPECT_EQ(price["precision"], 10);
  EXPECT_EQ(price["scale"], 2);
  EXPECT_EQ(price["connect.parameters"]["connect.decimal.precision"], "10");
  const json& big_u = by_name["big_u"]["type"][1];
  EXPECT_EQ(big_u["precision"], 20);
  EXPECT_EQ(big_u["scale"], 0);
  EXPECT_EQ(by_name["day"]["type"][1]["connect.name"], "io.debezium.time.Date");
  EXPECT_EQ(by_name["created"]["type"][1]["connect.name"], "io.debezium.time.Timestamp");
  EXPECT_EQ(by_name["updated"]["type"][1]["connect.name"], "io.debezium.time.MicroTimestamp");
  EXPECT_EQ(by_name["seen"]["type"][1]["connect.name"], "io.debezium.time.ZonedTimestamp");
  EXPECT_EQ(by_name["status"]["type"][1]["connect.parameters"]["allowed"], "new,paid");
  EXPECT_EQ(by_name["bits"]["type"][1]["connect.parameters"]["length"], "12");
  // The geometry record is defined once, then referred to by name.
  EXPECT_EQ(by_name["place"]["type"][1]["connect.name"], "io.debezium.data.geometry.Geometry");
  EXPECT_EQ(by_name["area"]["type"][1], "io.debezium.data.geometry.Geometry");
}

TEST(AvroSchemaTest, AdjustsInvalidAvroNames) {
  EXPECT_EQ(AvroName("order-items"), "order_items");
  EXPECT_EQ(AvroName("1st"), "_1st");
  EXPECT_EQ(AvroName("ok_Name9"), "ok_Name9");
  TableSchema t;
  t.database = "my-db";
  t.table = "t$1";
  EXPECT_EQ(TableNamespace("eu.shop-1", t), "eu.shop_1.my_db.t_1");
}

TEST(AvroEventSerializerTest, ValueRoundTripsThroughTheSchema) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", true}, registry);
  auto t = AllTypesTable();
  ChangeEvent e = MakeEvent(t, Op::kUpdate);
  std::string value;
  ASSERT_TRUE(s.Value(e, 1714557601000, &value).ok());
  int32_t id = HeaderId(value);
  ASSERT_TRUE(registry->by_id.count(id));
  EXPECT_EQ(registry->subjects.count("shop.shop.orders-value"), 1u);
  AvroTestDecoder decoder(registry->by_id[id]);
  json v = decoder.Decode(std::string_view(value).substr(5));

  const json& after = v["after"];
  EXPECT_EQ(after["id"], 42);
  EXPECT_EQ(after["flag"], true);
  EXPECT_EQ(after["small"], -7);
  EXPECT_EQ(after["qty"], 100000);
  EXPECT_EQ(after["big_u"], "18446744073709551615");
  EXPECT_EQ(after["ratio"], 1.5);
  EXPECT_EQ(after["score"], -2.25);
  EXPECT_EQ(after["price"], "-12.50");
  EXPECT_EQ(after["bits"], std::string("\x01\x0f", 2));
  EXPECT_EQ(after["day"], 19844);
  EXPECT_EQ(after["created"], 1714557600120);
  EXPECT_EQ(after["updated"], 1714557600120456);
  EXPECT_EQ(after["seen"], "2024-05-01T10:00:00.120Z");
  EXPECT_EQ(after["dur"], -3600000000);
  EXPECT_EQ(after["yr"], 2024);
  EXPECT_EQ(after["name"], "caf\xc3\xa9");
  EXPECT_EQ(after["blob"], std::string("\x00\xff", 2));
  EXPECT_EQ(after["status"], "paid");
  EXPECT_EQ(after["tags"], "a,b");
  EXPECT_EQ(after["doc"], "{\"k\":1}");
  EXPECT_EQ(after["place"]["wkb"], "WKB");
  EXPECT_EQ(after["place"]["srid"], 4326);
  EXPECT_TRUE(after["area"].is_null());
  EXPECT_EQ(v["before"], after);

  const json& src = v["source"];
  EXPECT_EQ(src["connector"], "mysql");
  EXPECT_EQ(src["name"], "shop");
  EXPECT_EQ(src["ts_ms"], 1714557600000);
  EXPECT_EQ(src["snapshot"], "false");
  EXPECT_EQ(src["db"], "shop");
  EXPECT_EQ(src["table"], "orders");
  EXPECT_EQ(src["server_id"], 5400);
  EXPECT_TRUE(src["gtid"].is_null());
  EXPECT_EQ(src["file"], "binlog.000003");
  EXPECT_EQ(src["pos"], 1234);
  EXPECT_EQ(src["row"], 2);
  EXPECT_TRUE(src["sequence"].is_null());
  EXPECT_EQ(src["ts_us"], 1714557600000000);
  EXPECT_EQ(src["ts_ns"], 1714557600000000000);
  EXPECT_TRUE(src["thread"].is_null());
  EXPECT_TRUE(src["query"].is_null());
  EXPECT_EQ(v["op"], "u");
  EXPECT_EQ(v["ts_ms"], 1714557601000);
  EXPECT_EQ(v["ts_us"], 1714557601000000);
  EXPECT_EQ(v["ts_ns"], 1714557601000000000);
  EXPECT_EQ(v["transaction"]["id"], "binlog.000003:1234");
  EXPECT_EQ(v["transaction"]["total_order"], 3);
  EXPECT_EQ(v["transaction"]["data_collection_order"], 1);
}

// PostgreSQL: the source block carries the database as `db` and schema, txId and lsn; a
// TRUNCATE has a null key and neither before nor after.
TEST(AvroEventSerializerTest, PostgresqlSourceAndTruncate) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", false}, registry);
  auto t = AllTypesTable();
  ChangeEvent e = MakeEvent(t, Op::kTruncate);
  e.before.clear();
  e.after.clear();
  auto source = std::make_shared<SourceInfo>();
  source->connector = "postgresql";
  source->name = "shop";
  source->ts_ms = 1714557600000;
  source->database = "shopdb";
  source->schema = "shop";
  source->tx_id = 771;
  source->lsn = 26583616;
  e.source = source;
  std::optional<std::string> key;
  ASSERT_TRUE(s.Key(e, &key).ok());
  EXPECT_FALSE(key.has_value());
  std::string value;
  ASSERT_TRUE(s.Value(e, 1714557601000, &value).ok());
  AvroTestDecoder decoder(registry->by_id[HeaderId(value)]);
  json v = decoder.Decode(std::string_view(value).substr(5));
  EXPECT_TRUE(v["before"].is_null());
  EXPECT_TRUE(v["after"].is_null());
  EXPECT_EQ(v["op"], "t");
  const json& src = v["source"];
  EXPECT_EQ(src["connector"], "postgresql");
  EXPECT_EQ(src["db"], "shopdb");
  EXPECT_EQ(src["schema"], "shop");
  EXPECT_EQ(src["table"], "orders");
  EXPECT_EQ(src["txId"], 771);
  EXPECT_EQ(src["lsn"], 26583616);
  EXPECT_TRUE(src["xmin"].is_null());
}

TEST(AvroEventSerializerTest, HandlingModesChangeSchemaAndValuesAlike) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroFormatOptions options{"shop", false};
  options.modes.decimal = DecimalHandlingMode::kString;
  options.modes.bigint_unsigned = BigintUnsignedHandlingMode::kLong;
  options.modes.time_precision = TimePrecisionMode::kConnect;
  options.modes.binary = BinaryHandlingMode::kHex;
  AvroEventSerializer s(options, registry);
  auto t = AllTypesTable();
  ChangeEvent e = MakeEvent(t, Op::kCreate);
  e.after[13] = Value::Int(3723500001);  // dur: 01:02:03.500001
  std::string value;
  ASSERT_TRUE(s.Value(e, 1, &value).ok());
  const std::string& schema = registry->by_id[HeaderId(value)];
  std::map<std::string, json> by_name;
  const json parsed = json::parse(schema);
  for (const auto& f : parsed["fields"][0]["type"][1]["fields"]) by_name[f["name"]] = f["type"];
  EXPECT_EQ(by_name["price"], "string");
  EXPECT_EQ(by_name["big_u"], json::parse(R"(["null","long"])"));
  EXPECT_EQ(by_name["blob"], json::parse(R"(["null","string"])"));
  EXPECT_EQ(by_name["day"][1], json::parse(R"({"type":"int","connect.version":1,
      "connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"})"));
  EXPECT_EQ(by_name["dur"][1]["logicalType"], "time-millis");
  EXPECT_EQ(by_name["updated"][1]["connect.name"], "org.apache.kafka.connect.data.Timestamp");
  json v = AvroTestDecoder(schema).Decode(std::string_view(value).substr(5));
  EXPECT_EQ(v["after"]["price"], "-12.50");
  EXPECT_EQ(v["after"]["big_u"], -1);
  EXPECT_EQ(v["after"]["blob"], "00ff");
  EXPECT_EQ(v["after"]["day"], 19844);
  EXPECT_EQ(v["after"]["updated"], 1714557600120);
  EXPECT_EQ(v["after"]["dur"], 3723500);

  // double decimals, base64 binary; a TIME beyond 24:00 has no Connect Time: null.
  options.modes.decimal = DecimalHandlingMode::kDouble;
  options.modes.binary = BinaryHandlingMode::kBase64;
  AvroEventSerializer s2(options, registry);
  e.after[13] = Value::Int(int64_t{25} * 3600 * 1000000);
  ASSERT_TRUE(s2.Value(e, 1, &value).ok());
  v = AvroTestDecoder(registry->by_id[HeaderId(value)]).Decode(std::string_view(value).substr(5));
  EXPECT_EQ(v["after"]["price"], -12.5);
  EXPECT_EQ(v["after"]["blob"], "AP8=");
  EXPECT_TRUE(v["after"]["dur"].is_null());
}

TEST(AvroEventSerializerTest, DefaultsAndSourceTypesInTheSchema) {
  auto t = AllTypesTable();
  t->columns[15].has_default = true;  // name, nullable string
  t->columns[15].default_value = "dflt";
  t->columns[15].type_name = "VARCHAR";
  t->columns[15].precision = 20;
  t->columns[7].has_default = true;  // price DECIMAL(10,2) NOT NULL
  t->columns[7].default_value = "1.5";
  t->columns[3].has_default = true;  // qty INT
  t->columns[3].default_value = "7";
  auto registry = std::make_shared<FakeRegistry>();
  AvroFormatOptions options{"shop", false};
  options.propagate_source_types = {"shop\\.orders\\.name"};
  AvroEventSerializer s(options, registry);
  ChangeEvent e = MakeEvent(t, Op::kUpdate);
  e.before[15] = Value::Null();
  std::string value;
  ASSERT_TRUE(s.Value(e, 1, &value).ok());
  const std::string& schema = registry->by_id[HeaderId(value)];
  std::map<std::string, json> by_name;
  const json parsed = json::parse(schema);
  for (const auto& f : parsed["fields"][0]["type"][1]["fields"]) by_name[f["name"]] = f;
  // A nullable column with a default: [type, null] with the default, as AvroData writes it.
  EXPECT_EQ(by_name["name"], json::parse(R"({"name":"name","type":[{"type":"string",
      "connect.parameters":{"__debezium.source.column.type":"VARCHAR",
      "__debezium.source.column.length":"20","__debezium.source.column.name":"name"},
      "connect.default":"dflt"},"null"],"default":"dflt"})"));
  EXPECT_EQ(by_name["qty"]["type"], json::parse(R"([{"type":"int","connect.default":7},"null"])"));
  EXPECT_EQ(by_name["qty"]["default"], 7);
  // 1.50 at scale 2: 150, bytes 00 96, as Avro's JSON encoding of bytes ("\u0000\u0096").
  const std::string unscaled("\0\xc2\x96", 3);
  EXPECT_EQ(by_name["price"]["default"], unscaled);
  EXPECT_EQ(by_name["price"]["type"]["connect.default"], unscaled);
  // The values still round-trip, nulls and values in the flipped unions included.
  json v = AvroTestDecoder(schema).Decode(std::string_view(value).substr(5));
  EXPECT_EQ(v["after"]["name"], "caf\xc3\xa9");
  EXPECT_TRUE(v["before"]["name"].is_null());
  EXPECT_EQ(v["after"]["qty"], 100000);
  EXPECT_EQ(v["after"]["price"], "-12.50");
  // The one-off encoder writes the same bytes as the cached one.
  std::string expected;
  ASSERT_TRUE(EncodeEnvelope(e, 1, EnvelopeOptions{false}, &expected).ok());
  EXPECT_EQ(Hex(std::string_view(value).substr(5)), Hex(expected));
}

// DECIMAL(65,2) values around the 18-digit fast path: 19 or more digits go the wide way (no
// int64 overflow on the way, found by UndefinedBehaviorSanitizer in an end-to-end run).
TEST(AvroEventSerializerTest, DecimalsOfEveryWidthRoundTrip) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", true}, registry);
  auto t = AllTypesTable();
  t->columns[7].precision = 65;
  for (const char* text :
       {"9325425213142848461.00", "-9325425213142848461.25", "932542521314284846",
        "9999999999999999.99", "99999999999999999.99", "-0.01"}) {
    ChangeEvent e = MakeEvent(t, Op::kUpdate);
    e.after[7] = Value::Text(text);
    std::string value;
    ASSERT_TRUE(s.Value(e, 1714557601000, &value).ok()) << text;
    AvroTestDecoder decoder(registry->by_id[HeaderId(value)]);
    json v = decoder.Decode(std::string_view(value).substr(5));
    std::string want = text;
    if (want.find('.') == std::string::npos) want += ".00";
    EXPECT_EQ(v["after"]["price"], want);
  }
}

TEST(AvroEventSerializerTest, KeyAndDeleteRoundTrip) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", false}, registry);
  ChangeEvent e = MakeEvent(AllTypesTable(), Op::kDelete);
  std::optional<std::string> key;
  ASSERT_TRUE(s.Key(e, &key).ok());
  ASSERT_TRUE(key.has_value());
  int32_t key_id = HeaderId(*key);
  EXPECT_EQ(registry->subjects["shop.shop.orders-key"][0].second, key_id);
  EXPECT_EQ(AvroTestDecoder(registry->by_id[key_id]).Decode(std::string_view(*key).substr(5)),
            json::parse(R"({"id":42})"));
  std::string value;
  ASSERT_TRUE(s.Value(e, 5, &value).ok());
  json v =
      AvroTestDecoder(registry->by_id[HeaderId(value)]).Decode(std::string_view(value).substr(5));
  EXPECT_TRUE(v["after"].is_null());
  EXPECT_EQ(v["before"]["id"], 42);
  EXPECT_EQ(v["op"], "d");
  EXPECT_TRUE(v["transaction"].is_null());
}

TEST(AvroEventSerializerTest, NoKeyTableHasNullKey) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", false}, registry);
  auto t = AllTypesTable();
  t->key_columns.clear();
  std::optional<std::string> key = std::string("stale");
  ASSERT_TRUE(s.Key(MakeEvent(t, Op::kCreate), &key).ok());
  EXPECT_FALSE(key.has_value());
  std::string value;
  ASSERT_TRUE(s.Value(MakeEvent(t, Op::kCreate), 1, &value).ok());
  EXPECT_EQ(registry->subjects.count("shop.shop.orders-key"), 0u);
}

TEST(AvroEventSerializerTest, RegistersOncePerShapeAndNewVersionOnChange) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", false}, registry);
  auto t = AllTypesTable();
  std::string value;
  std::optional<std::string> key;
  for (int i = 0; i < 100; ++i) {
    ChangeEvent e = MakeEvent(t, Op::kCreate);
    ASSERT_TRUE(s.Key(e, &key).ok());
    ASSERT_TRUE(s.Value(e, i, &value).ok());
  }
  EXPECT_EQ(registry->calls, 2);  // key and value, once
  int32_t first_value_id = HeaderId(value);

  // The same shape in a new TableSchema object: no new registry call (cached by text).
  auto same = std::make_shared<TableSchema>(*t);
  ASSERT_TRUE(s.Value(MakeEvent(same, Op::kCreate), 1, &value).ok());
  EXPECT_EQ(registry->calls, 2);
  EXPECT_EQ(HeaderId(value), first_value_id);

  // A new column (the source bumps the version): the next version of the value subject.
  auto altered = std::make_shared<TableSchema>(*t);
  altered->columns.push_back(Col("note", LogicalType::kString));
  altered->version = 2;
  ChangeEvent e = MakeEvent(altered, Op::kCreate);
  e.after.push_back(Value::Text("hello"));
  ASSERT_TRUE(s.Value(e, 1, &value).ok());
  ASSERT_TRUE(s.Key(e, &key).ok());
  EXPECT_NE(HeaderId(value), first_value_id);
  EXPECT_EQ(registry->subjects["shop.shop.orders-value"].size(), 2u);
  EXPECT_EQ(registry->subjects["shop.shop.orders-key"].size(), 1u);  // key unchanged
  json v =
      AvroTestDecoder(registry->by_id[HeaderId(value)]).Decode(std::string_view(value).substr(5));
  EXPECT_EQ(v["after"]["note"], "hello");
}

TEST(AvroEventSerializerTest, IncompatibleShapeStopsOrContinuesByPolicy) {
  for (bool keep_going : {false, true}) {
    auto registry = std::make_shared<FakeRegistry>();
    registry->refuse_new_versions = true;
    AvroEventSerializer s({"shop", false, keep_going}, registry);
    auto t = AllTypesTable();
    std::string value;
    ASSERT_TRUE(s.Value(MakeEvent(t, Op::kCreate), 1, &value).ok());
    auto altered = std::make_shared<TableSchema>(*t);
    altered->columns.push_back(Col("required", LogicalType::kInt32, /*nullable=*/false));
    altered->version = 2;
    altered->last_ddl = "ALTER TABLE shop.orders ADD COLUMN required INT NOT NULL";
    ChangeEvent e = MakeEvent(altered, Op::kCreate);
    e.after.push_back(Value::Int(5));
    Status st = s.Value(e, 1, &value);
    if (!keep_going) {
      ASSERT_FALSE(st.ok());
      EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
      const std::string& m = st.message();
      EXPECT_NE(m.find("table shop.orders"), std::string::npos) << m;
      EXPECT_NE(m.find("ADD COLUMN required INT NOT NULL"), std::string::npos) << m;
      EXPECT_NE(m.find("shop.shop.orders-value"), std::string::npos) << m;
      EXPECT_NE(m.find("409"), std::string::npos) << m;
      EXPECT_NE(m.find("on_incompatible_schema"), std::string::npos) << m;
    } else {
      ASSERT_TRUE(st.ok()) << st.ToString();
      EXPECT_EQ(registry->compatibility["shop.shop.orders-value"], "NONE");
      EXPECT_EQ(registry->subjects["shop.shop.orders-value"].size(), 2u);
    }
  }
}

TEST(AvroEventSerializerTest, ReusesOutputBufferWithoutGrowing) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", false}, registry);
  ChangeEvent e = MakeEvent(AllTypesTable(), Op::kCreate);
  std::string value;
  ASSERT_TRUE(s.Value(e, 1, &value).ok());
  std::string first = value;
  const char* data = value.data();
  size_t capacity = value.capacity();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s.Value(e, 1, &value).ok());
  EXPECT_EQ(value, first);  // cleared and rewritten, not appended
  EXPECT_EQ(value.data(), data);
  EXPECT_EQ(value.capacity(), capacity);
}

TEST(AvroEventSerializerTest, ErrorsNameTheColumnAndRegistryFailures) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", false}, registry);
  ChangeEvent e = MakeEvent(AllTypesTable(), Op::kCreate);
  e.after[7] = Value::Null();  // price is NOT NULL
  std::string value;
  Status st = s.Value(e, 1, &value);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("price"), std::string::npos) << st.ToString();
  e.after[7] = Value::Text("1.999");
  st = s.Value(e, 1, &value);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("price"), std::string::npos) << st.ToString();
  e.after[3] = Value::Int(int64_t{1} << 40);  // int column out of range
  e.after[7] = Value::Text("1.99");
  EXPECT_FALSE(s.Value(e, 1, &value).ok());
  e.after.pop_back();
  EXPECT_FALSE(s.Value(e, 1, &value).ok());

  auto down = std::make_shared<FakeRegistry>();
  down->fail = true;
  AvroEventSerializer s2({"shop", false}, down);
  st = s2.Value(MakeEvent(AllTypesTable(), Op::kCreate), 1, &value);
  EXPECT_TRUE(st.retriable());
  EXPECT_NE(st.message().find("shop.shop.orders-key"), std::string::npos) << st.ToString();
}

// One encoder reused over events of several transactions and sources (its cached `source`
// block, column codes and buffer) writes exactly what a fresh encoder writes for each event,
// and the serializer's buffer entry points write the same bytes after the 5-byte header.
TEST(AvroTableEncoderTest, ReusedEncoderMatchesOneOffEncodings) {
  auto t = AllTypesTable();
  std::vector<ChangeEvent> events;
  for (Op op : {Op::kCreate, Op::kUpdate, Op::kDelete}) events.push_back(MakeEvent(t, op));
  auto gtid_source = std::make_shared<SourceInfo>(*events[0].source);
  gtid_source->gtid = "0-1-77";
  gtid_source->pos = 99999;
  auto pg_source = std::make_shared<SourceInfo>();
  pg_source->connector = "postgresql";
  pg_source->name = "shop";
  pg_source->schema = "public";
  pg_source->tx_id = 812;
  pg_source->lsn = 123456789;
  for (const auto& source : {gtid_source, pg_source}) {
    for (size_t i = 0; i < 3; ++i) {
      ChangeEvent e = events[i];
      e.source = source;
      e.row = static_cast<uint32_t>(i + 300);  // a varint of two bytes
      e.total_order = 1000 + i;
      events.push_back(e);
    }
  }
  events.push_back(events[1]);  // back to the first source
  // Nulls everywhere they may be, and values the inline paths leave to the general one.
  ChangeEvent odd = MakeEvent(t, Op::kUpdate);
  for (size_t i = 0; i < odd.after.size(); ++i) {
    if (t->columns[i].nullable) odd.after[i] = Value::Null();
  }
  odd.before[2] = Value::Int(int64_t{1} << 40);  // int column out of range: an error
  odd.before[3] = Value::UInt(7);                // unsigned value in an int column
  odd.before[6] = Value::Float(0.5f);            // float in a double column
  odd.before[7] = Value::Int(1234);              // integer in a decimal column
  odd.before[15] = Value::Bytes("raw");          // bytes in a string column
  events.push_back(odd);
  odd.before[2] = Value::Int(-5);
  events.push_back(odd);

  for (bool metadata : {false, true}) {
    EnvelopeOptions options;
    options.transaction_metadata = metadata;
    AvroTableEncoder reused(t, options);
    for (const ChangeEvent& e : events) {
      std::string expected_key, expected_value;
      Status key_status = EncodeKey(e, &expected_key);
      Status value_status = EncodeEnvelope(e, 1714557601000, options, &expected_value);
      ByteBuffer key, value;
      EXPECT_EQ(reused.AppendKey(e, &key).ToString(), key_status.ToString());
      EXPECT_EQ(reused.AppendEnvelope(e, 1714557601000, &value).ToString(),
                value_status.ToString());
      if (!value_status.ok()) continue;
      EXPECT_EQ(Hex(key.view()), Hex(expected_key));
      EXPECT_EQ(Hex(value.view()), Hex(expected_value));
      // An independent decoder reads back what was written.
      json decoded =
          AvroTestDecoder(ValueSchemaJson("shop", *t, e.source->connector)).Decode(value.view());
      EXPECT_EQ(decoded["source"]["connector"], e.source->connector);
      EXPECT_EQ(decoded["op"], std::string(1, static_cast<char>(e.op)));
    }
  }

  AvroEventSerializer serializer({"shop", true}, std::make_shared<FakeRegistry>());
  EnvelopeOptions options;
  options.transaction_metadata = true;
  for (const ChangeEvent& e : events) {
    std::string expected_key, expected_value;
    if (!EncodeEnvelope(e, 7, options, &expected_value).ok()) continue;
    ASSERT_TRUE(EncodeKey(e, &expected_key).ok());
    std::optional<std::string> key;
    std::string value;
    ASSERT_TRUE(serializer.Key(e, &key).ok());
    ASSERT_TRUE(serializer.Value(e, 7, &value).ok());
    EXPECT_EQ(Hex(key->substr(5)), Hex(expected_key));
    EXPECT_EQ(Hex(value.substr(5)), Hex(expected_value));
  }
}

TEST(AvroEventSerializerTest, SchemaChangeEventsRoundTrip) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", false}, registry);
  SchemaChange change;
  change.database = "shop";
  change.ddl = "ALTER TABLE orders ADD note TEXT";
  change.tables = {"shop.orders"};
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mysql";
  source->name = "shop";
  source->file = "binlog.000001";
  source->pos = 4;
  source->gtid = "uuid:7";
  change.source = source;
  std::string key, value;
  ASSERT_TRUE(s.SchemaChangeKey(change, &key).ok());
  ASSERT_TRUE(s.SchemaChangeValue(change, 9, &value).ok());
  EXPECT_EQ(registry->subjects.count("shop-key"), 1u);
  EXPECT_EQ(AvroTestDecoder(registry->by_id[HeaderId(key)]).Decode(std::string_view(key).substr(5)),
            json::parse(R"({"databaseName":"shop"})"));
  json v =
      AvroTestDecoder(registry->by_id[HeaderId(value)]).Decode(std::string_view(value).substr(5));
  EXPECT_EQ(v["ddl"], change.ddl);
  EXPECT_EQ(v["source"]["gtid"], "uuid:7");
  EXPECT_EQ(v["tableChanges"], json::parse(R"([{"id":"shop.orders"}])"));
  EXPECT_EQ(v["ts_ms"], 9);
}

SourceMessage OutboxMessage() {
  auto source = std::make_shared<SourceInfo>();
  source->connector = "postgresql";
  source->name = "shop";
  source->database = "shopdb";
  source->ts_ms = 1700000000000;
  source->lsn = 12345;
  source->tx_id = 77;
  return SourceMessage{"outbox", std::string("\x00\xffhi", 4), source};
}

TEST(AvroEventSerializerTest, LogicalDecodingMessagesRoundTripAsDebeziumNamesThem) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroEventSerializer s({"shop", false}, registry);
  const SourceMessage message = OutboxMessage();
  std::string key, value;
  ASSERT_TRUE(s.MessageKey(message, &key).ok());
  ASSERT_TRUE(s.MessageValue(message, 9, &value).ok());
  EXPECT_EQ(registry->subjects.count("shop.message-key"), 1u);
  EXPECT_EQ(registry->subjects.count("shop.message-value"), 1u);
  EXPECT_EQ(AvroTestDecoder(registry->by_id[HeaderId(key)]).Decode(std::string_view(key).substr(5)),
            json::parse(R"({"prefix":"outbox"})"));
  json v =
      AvroTestDecoder(registry->by_id[HeaderId(value)]).Decode(std::string_view(value).substr(5));
  EXPECT_EQ(v["op"], "m");
  EXPECT_EQ(v["ts_ms"], 9);
  EXPECT_EQ(v["source"]["connector"], "postgresql");
  EXPECT_EQ(v["source"]["db"], "shopdb");
  EXPECT_EQ(v["source"]["table"], "");
  EXPECT_EQ(v["source"]["txId"], 77);
  EXPECT_EQ(v["source"]["lsn"], 12345);
  EXPECT_TRUE(v["transaction"].is_null());
  EXPECT_EQ(v["message"]["prefix"], "outbox");
  const std::string content = v["message"]["content"].get<std::string>();
  EXPECT_EQ(content, message.content);
  EXPECT_EQ(json::parse(registry->by_id[HeaderId(value)])["name"], "MessageValue");
}

TEST(AvroEventSerializerTest, MessageContentFollowsTheBinaryHandlingMode) {
  auto registry = std::make_shared<FakeRegistry>();
  AvroFormatOptions options{"shop", false};
  options.modes.binary = BinaryHandlingMode::kHex;
  AvroEventSerializer s(options, registry);
  std::string value;
  ASSERT_TRUE(s.MessageValue(OutboxMessage(), 9, &value).ok());
  json v =
      AvroTestDecoder(registry->by_id[HeaderId(value)]).Decode(std::string_view(value).substr(5));
  EXPECT_EQ(v["message"]["content"], "00ff6869");
}

}  // namespace
}  // namespace vimur::avro

namespace vimur::avro {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Golden files that tests/e2e/test_avro_golden.py decodes with fastavro, an independent Avro
// implementation. Regenerate with VIMUR_UPDATE_GOLDEN=1 after an intended format change.
TEST(AvroGoldenTest, BytesMatchTheCheckedInGoldenFiles) {
  auto t = AllTypesTable();
  ChangeEvent e = MakeEvent(t, Op::kUpdate);
  EnvelopeOptions options;
  options.transaction_metadata = true;
  options.version = "0.0.0-golden";
  std::map<std::string, std::string> files;
  files["all_types.key.avsc"] = KeySchemaJson("shop", *t);
  files["all_types.value.avsc"] = ValueSchemaJson("shop", *t, "mysql");
  ASSERT_TRUE(EncodeKey(e, &files["all_types.key.bin"]).ok());
  ASSERT_TRUE(EncodeEnvelope(e, 1714557601000, options, &files["all_types.value.bin"]).ok());
  const std::string dir = std::string(VIMUR_TEST_DATA_DIR) + "/avro/";
  bool update = std::getenv("VIMUR_UPDATE_GOLDEN") != nullptr;
  for (const auto& [name, content] : files) {
    if (update) {
      std::filesystem::create_directories(dir);
      std::ofstream(dir + name, std::ios::binary) << content;
    }
    EXPECT_EQ(ReadFile(dir + name), content)
        << dir << name << " differs; if the change is intended, regenerate with "
        << "VIMUR_UPDATE_GOLDEN=1 and rerun tests/e2e/test_avro_golden.py";
  }
}

}  // namespace
}  // namespace vimur::avro
