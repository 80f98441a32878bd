// The sql sink's direct reading of Avro change events: it gives exactly what decoding their
// Connect JSON gives (values, column types, key columns, source), reads the usual columns without
// the translation, leaves the unusual to it, and fails on data that does not match its schema.
#include "sink/sql/avro_event_decoder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "../avro_events.h"

namespace vimur::sink {
namespace {

using testing::Encode;
using testing::Encoded;
using testing::Event;
using testing::MemoryRegistry;
using testing::Record;

std::string DataFile(const std::string& path) {
  std::ifstream in(std::string(VIMUR_SOURCE_DIR) + "/tests/data/" + path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
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
  const std::string seed = DataFile("fuzz/json_change_event/avro-flat-seed");
  const size_t cut = seed.find('\n');
  ASSERT_NE(cut, std::string::npos);
  InputRecord record = Record(seed.substr(0, cut), seed.substr(cut + 1));
  const std::string value_schema = DataFile("avro/fuzz-flat-envelope.avsc");
  const std::string key_schema = DataFile("avro/fuzz-key.avsc");
  ASSERT_FALSE(value_schema.empty());
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
