// The sql sink's direct reading of Avro change events: it gives exactly what decoding their
// Connect JSON gives (values, column types, key columns, source), reads the usual columns without
// the translation, leaves the unusual to it, and fails on data that does not match its schema.
#include "sink/sql/avro_event_decoder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "format/avro/avro_event_serializer.h"
#include "format/event_serializer.h"

namespace vimur::sink {
namespace {

class MemoryRegistry : public avro::SchemaRegistryClient {
 public:
  Result<int32_t> Register(const std::string&, const std::string& schema) override {
    for (const auto& [id, text] : by_id) {
      if (text == schema) return id;
    }
    const int32_t id = static_cast<int32_t>(by_id.size()) + 1;
    by_id[id] = schema;
    return id;
  }
  std::map<int32_t, std::string> by_id;
};

ColumnSchema Column(std::string name, LogicalType type) {
  ColumnSchema c;
  c.name = std::move(name);
  c.type = type;
  c.nullable = c.name != "id";
  return c;
}

// An update of a row with a column of each kind the direct reading takes; `with_array` adds an
// array column (left to the translation).
ChangeEvent Event(bool with_array, std::vector<Value>* items) {
  auto t = std::make_shared<TableSchema>();
  t->database = "shop";
  t->table = "things";
  t->columns = {Column("id", LogicalType::kInt64),
                Column("price", LogicalType::kDecimal),
                Column("small", LogicalType::kInt16),
                Column("ratio", LogicalType::kDouble),
                Column("name", LogicalType::kString),
                Column("blob", LogicalType::kBytes),
                Column("day", LogicalType::kDate),
                Column("at", LogicalType::kTimestampMicros),
                Column("zoned", LogicalType::kZonedTimestamp),
                Column("mood", LogicalType::kEnum),
                Column("doc", LogicalType::kJson),
                Column("flag", LogicalType::kBoolean),
                Column("gone", LogicalType::kString)};
  t->columns[1].precision = 10;
  t->columns[1].scale = 2;
  t->columns[9].enum_values = {"sad", "happy"};
  t->key_columns = {0};
  ChangeEvent e;
  e.op = Op::kUpdate;
  e.table = t;
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mariadb";
  source->name = "shop";
  source->database = "shop";
  source->file = "bin.000001";
  source->ts_ms = 1714557600000;
  e.source = source;
  e.after = {Value::Int(7),
             Value::Text("-12.50"),
             Value::Int(-3),
             Value::Double(0.1),
             Value::Text("héllo \"quoted\" \\ \x01"),
             Value::Bytes(std::string_view("\0\xff", 2)),
             Value::Int(-719162),
             Value::Int(1714557600123456),
             Value::Text("2024-05-01T10:00:00.5Z"),
             Value::Text("happy"),
             Value::Text(R"({"a":[1,2]})"),
             Value::Bool(true),
             Value::Null()};
  if (with_array) {
    ColumnSchema tags = Column("tags", LogicalType::kInt32);
    tags.array_element_oid = 23;
    t->columns.push_back(tags);
    *items = {Value::Int(1), Value::Null(), Value::Int(3)};
    e.after.push_back(Value::Array(items->data(), 3));
  }
  e.before = e.after;
  e.before[1] = Value::Text("1.00");
  e.before[4] = Value::Null();
  return e;
}

InputRecord Record(std::optional<std::string> key, std::string value) {
  InputRecord r;
  r.topic = "shop.shop.things";
  r.partition = 2;
  r.offset = 41;
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

void ExpectSameChange(const RowChange& a, const RowChange& j) {
  EXPECT_EQ(a.op, j.op);
  EXPECT_EQ(a.db, j.db);
  EXPECT_EQ(a.table, j.table);
  EXPECT_EQ(a.source_ts_ms, j.source_ts_ms);
  EXPECT_EQ(a.key_columns, j.key_columns);
  EXPECT_EQ(a.has_before, j.has_before);
  EXPECT_EQ(a.has_after, j.has_after);
  for (const auto& [x, y] : {std::pair{&a.before, &j.before}, std::pair{&a.after, &j.after}}) {
    EXPECT_EQ(x->names, y->names);
    ASSERT_EQ(x->values.size(), y->values.size());
    for (size_t i = 0; i < x->values.size(); ++i) {
      EXPECT_EQ(x->values[i], y->values[i]) << y->names[i];
    }
    EXPECT_EQ(x->types, y->types);
  }
}

struct Encoded {
  InputRecord avro;
  InputRecord json;
};

Encoded Encode(const ChangeEvent& e, const std::shared_ptr<MemoryRegistry>& registry) {
  avro::AvroFormatOptions avro_options;
  avro_options.topic_prefix = "shop";
  avro::AvroEventSerializer avro(avro_options, registry);
  JsonFormatOptions json_options;
  json_options.schemas = true;
  json_options.topic_prefix = "shop";
  JsonEventSerializer json(json_options);
  std::optional<std::string> avro_key, json_key;
  std::string avro_value, json_value;
  EXPECT_TRUE(avro.Key(e, &avro_key).ok());
  EXPECT_TRUE(avro.Value(e, 1, &avro_value).ok());
  EXPECT_TRUE(json.Key(e, &json_key).ok());
  EXPECT_TRUE(json.Value(e, 1, &json_value).ok());
  return {Record(avro_key, avro_value), Record(json_key, json_value)};
}

TEST(AvroEventDecoderTest, ReadsTheUsualColumnsDirectlyAsTheirJsonDecodes) {
  auto registry = std::make_shared<MemoryRegistry>();
  std::vector<Value> items;
  for (Op op : {Op::kUpdate, Op::kCreate, Op::kDelete, Op::kRead}) {
    ChangeEvent e = Event(false, &items);
    e.op = op;
    if (op == Op::kCreate || op == Op::kRead) e.before.clear();
    if (op == Op::kDelete) e.after.clear();
    const Encoded records = Encode(e, registry);
    int fetches = 0;
    AvroEventDecoder decoder([&](int32_t id) -> Result<std::string> {
      ++fetches;
      return registry->by_id.at(id);
    });
    ASSERT_TRUE(decoder.Prepare({records.avro, records.avro}).ok());
    EXPECT_EQ(fetches, 2);  // the key's schema and the value's, once each
    RowChange direct;
    ASSERT_TRUE(decoder.DecodeDirectly(records.avro, &direct));
    auto decoded = decoder.Decode(records.avro);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    auto json = DecodeJsonEvent(records.json);
    ASSERT_TRUE(json.ok()) << json.status().message();
    ExpectSameChange(direct, *json);
    ExpectSameChange(*decoded, *json);
    EXPECT_EQ(json->key_columns, std::vector<std::string>{"id"});
    EXPECT_EQ(decoder.DescribeKey(records.avro), DescribeRecordKey(records.json));
    EXPECT_EQ(decoder.DescribeKey(records.avro), R"({"id":7})");
    EXPECT_EQ(json->table, "things");
    const Row& row = op == Op::kDelete ? json->before : json->after;
    EXPECT_EQ(*row.Find("ratio"), SqlValue::Number("0.1"));
    EXPECT_EQ(*row.Find("day"), SqlValue::Text("0001-01-01"));
  }
}

TEST(AvroEventDecoderTest, LeavesArraysToTheTranslationWithTheSameResult) {
  auto registry = std::make_shared<MemoryRegistry>();
  std::vector<Value> items;
  const Encoded records = Encode(Event(true, &items), registry);
  AvroEventDecoder decoder([&](int32_t id) -> Result<std::string> { return registry->by_id[id]; });
  ASSERT_TRUE(decoder.Prepare({records.avro}).ok());
  RowChange direct;
  EXPECT_FALSE(decoder.DecodeDirectly(records.avro, &direct));
  auto decoded = decoder.Decode(records.avro);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  auto json = DecodeJsonEvent(records.json);
  ASSERT_TRUE(json.ok());
  ExpectSameChange(*decoded, *json);
  EXPECT_EQ(*decoded->after.Find("tags"),
            SqlValue::Array({SqlValue::Number("1"), SqlValue::Null(), SqlValue::Number("3")}));
}

TEST(AvroEventDecoderTest, JsonRecordsAndTombstonesPassToTheJsonDecoding) {
  AvroEventDecoder decoder([](int32_t) -> Result<std::string> { return Status::NotFound("none"); });
  auto registry = std::make_shared<MemoryRegistry>();
  std::vector<Value> items;
  const Encoded records = Encode(Event(false, &items), registry);
  ASSERT_TRUE(decoder.Prepare({records.json}).ok());  // nothing to fetch
  auto json = decoder.Decode(records.json);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->op, 'u');
  InputRecord tombstone = records.avro;
  tombstone.value.reset();
  auto none = decoder.Decode(tombstone);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->op, 0);
}

TEST(AvroEventDecoderTest, DataThatDoesNotMatchItsSchemaFailsAndTheRegistryIsReported) {
  auto registry = std::make_shared<MemoryRegistry>();
  std::vector<Value> items;
  Encoded records = Encode(Event(false, &items), registry);
  AvroEventDecoder decoder([&](int32_t id) -> Result<std::string> { return registry->by_id[id]; });
  ASSERT_TRUE(decoder.Prepare({records.avro}).ok());
  InputRecord cut = records.avro;
  cut.value->resize(cut.value->size() - 3);
  RowChange direct;
  EXPECT_FALSE(decoder.DecodeDirectly(cut, &direct));
  auto failed = decoder.Decode(cut);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("shop.shop.things[2]@41"), std::string::npos)
      << failed.status().message();
  InputRecord longer = records.avro;
  longer.value->push_back('\0');
  EXPECT_FALSE(decoder.Decode(longer).ok());

  AvroEventDecoder down(
      [](int32_t) -> Result<std::string> { return Status::Unavailable("registry down"); });
  Status s = down.Prepare({records.avro});
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("registry down"), std::string::npos);
}

// The fuzz target's seed of the flat envelope (a source record, an Avro key) reads directly.
TEST(AvroEventDecoderTest, TheFuzzSeedOfTheFlatEnvelopeReadsDirectly) {
  std::string seed;
  {
    std::ifstream in(
        std::string(VIMUR_SOURCE_DIR) + "/tests/data/fuzz/json_change_event/avro-flat-seed",
        std::ios::binary);
    seed.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t cut = seed.find('\n');
  ASSERT_NE(cut, std::string::npos);
  InputRecord record = Record(seed.substr(0, cut), seed.substr(cut + 1));
  const std::string value_schema = R"({"type":"record","name":"Envelope","namespace":"f.db.u",
  "fields":[
  {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
    {"name":"id","type":"long"},
    {"name":"d","type":["null",{"type":"bytes","scale":2,"precision":10,"logicalType":"decimal",
      "connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal"}]},
    {"name":"s","type":{"type":"int","connect.type":"int16"}},
    {"name":"f","type":"float"},{"name":"g","type":["null","double"]},{"name":"b","type":"boolean"},
    {"name":"e","type":{"type":"enum","name":"E","symbols":["x","y"]}},
    {"name":"x","type":{"type":"fixed","name":"X","size":3}},
    {"name":"t","type":["null","string"]},
    {"name":"z","type":{"type":"string","connect.name":"io.debezium.time.ZonedTimestamp"}},
    {"name":"day","type":{"type":"int","connect.name":"io.debezium.time.Date"}},
    {"name":"at","type":{"type":"long","connect.name":"io.debezium.time.MicroTimestamp"}},
    {"name":"ms","type":{"type":"long","connect.name":"io.debezium.time.Timestamp"}}]}],
    "default":null},
  {"name":"after","type":["null","f.db.u.Value"],"default":null},
  {"name":"source","type":{"type":"record","name":"Source","fields":[
    {"name":"version","type":"string"},{"name":"db","type":"string"},
    {"name":"table","type":["null","string"]},{"name":"ts_ms","type":"long"},
    {"name":"pos","type":["null","long"]}]}},
  {"name":"op","type":"string"},{"name":"ts_ms","type":["null","long"]}]})";
  const std::string key_schema =
      R"({"type":"record","name":"Key","namespace":"f.db.u","fields":[{"name":"id","type":"long"}]})";
  AvroEventDecoder decoder(
      [&](int32_t id) -> Result<std::string> { return id == 2 ? value_schema : key_schema; });
  ASSERT_TRUE(decoder.Prepare({record}).ok());
  RowChange c;
  ASSERT_TRUE(decoder.DecodeDirectly(record, &c));
  EXPECT_EQ(c.op, 'c');
  EXPECT_EQ(c.db, "db");
  EXPECT_EQ(c.table, "u");
  EXPECT_EQ(c.source_ts_ms, 1714557600000);
  EXPECT_EQ(c.key_columns, std::vector<std::string>{"id"});
  EXPECT_FALSE(c.has_before);
  ASSERT_TRUE(c.has_after);
  const Row& r = c.after;
  EXPECT_EQ(*r.Find("id"), SqlValue::Number("7"));
  EXPECT_EQ(*r.Find("d"), SqlValue::Number("12.50"));
  EXPECT_EQ(*r.Find("s"), SqlValue::Number("3"));
  EXPECT_EQ(*r.Find("f"), SqlValue::Number("1.5"));
  EXPECT_EQ(*r.Find("g"), SqlValue::Number("2.25"));
  EXPECT_EQ(*r.Find("b"), SqlValue::Bool(true));
  EXPECT_EQ(*r.Find("e"), SqlValue::Text("y"));
  EXPECT_EQ(*r.Find("x"), SqlValue::Bytes("abc"));
  EXPECT_EQ(*r.Find("t"), SqlValue::Text("héllo"));
  EXPECT_EQ(*r.Find("z"), SqlValue::Text("2024-05-01 10:00:00.5"));
  EXPECT_EQ(*r.Find("day"), SqlValue::Text("2024-05-01"));
  EXPECT_EQ(*r.Find("at"), SqlValue::Text("2024-05-01 10:00:00.123456"));
  EXPECT_EQ(*r.Find("ms"), SqlValue::Text("2024-05-01 10:00:00.123000"));
}

}  // namespace
}  // namespace vimur::sink
