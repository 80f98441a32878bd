// Avro topics read by sinks: an event serialized by Vimur's Avro serializer, translated to
// Connect JSON, decodes to the same rows and column types as the same event in JSON with
// schemas, for every kind of column (decimals, times, bytes, enums, arrays, nulls).
#include "sink/avro_translation.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "avro_events.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink {
namespace {

using testing::Encode;
using testing::Event;
using testing::MemoryRegistry;
using testing::Record;

TEST(AvroTranslationTest, AvroEventsDecodeAsTheirJsonWithSchemas) {
  std::vector<Value> items;
  auto registry = std::make_shared<MemoryRegistry>();
  const testing::Encoded records = Encode(Event(true, &items), registry);
  const std::optional<std::string>& avro_key = records.avro.key;
  const std::string& avro_value = *records.avro.value;
  ASSERT_TRUE(IsConfluentAvro(avro_value));
  EXPECT_FALSE(IsConfluentAvro(*records.json.value));

  int fetches = 0;
  AvroToConnectJson translator([&](int32_t id) -> Result<std::string> {
    ++fetches;
    return registry->by_id.at(id);
  });
  auto key = translator.Translate(*avro_key);
  ASSERT_TRUE(key.ok()) << key.status().message();
  auto value = translator.Translate(avro_value);
  ASSERT_TRUE(value.ok()) << value.status().message();
  ASSERT_TRUE(translator.Translate(avro_value).ok());
  EXPECT_EQ(fetches, 2);  // key and value schema, each fetched once

  auto from_avro = DecodeJsonEvent(Record(*key, *value));
  ASSERT_TRUE(from_avro.ok()) << from_avro.status().message();
  auto from_json = DecodeJsonEvent(records.json);
  ASSERT_TRUE(from_json.ok()) << from_json.status().message();
  EXPECT_EQ(from_avro->op, 'u');
  EXPECT_EQ(from_avro->key_columns, from_json->key_columns);
  EXPECT_EQ(from_avro->after.names, from_json->after.names);
  EXPECT_EQ(from_avro->after.values, from_json->after.values);
  EXPECT_EQ(from_avro->before.values, from_json->before.values);
  ASSERT_EQ(from_avro->after.types.size(), from_json->after.types.size());
  for (size_t i = 0; i < from_json->after.types.size(); ++i) {
    const ColumnType& a = from_avro->after.types[i];
    const ColumnType& j = from_json->after.types[i];
    EXPECT_EQ(a.connect_type, j.connect_type) << from_json->after.names[i];
    EXPECT_EQ(a.logical, j.logical) << from_json->after.names[i];
    EXPECT_EQ(a.precision, j.precision) << from_json->after.names[i];
    EXPECT_EQ(a.scale, j.scale) << from_json->after.names[i];
    EXPECT_EQ(a.optional, j.optional) << from_json->after.names[i];
  }
  EXPECT_EQ(*from_avro->after.Find("price"), SqlValue::Number("-12.50"));
  EXPECT_EQ(*from_avro->after.Find("tags"),
            SqlValue::Array({SqlValue::Number("1"), SqlValue::Null(), SqlValue::Number("3")}));
}

TEST(AvroTranslationTest, DataThatDoesNotMatchItsSchemaIsAnError) {
  AvroToConnectJson translator([](int32_t) -> Result<std::string> {
    return std::string(R"({"type":"record","name":"R",
      "fields":[{"name":"s","type":"string"}]})");
  });
  // A string whose length runs past the end.
  EXPECT_FALSE(translator.Translate(std::string("\0\0\0\0\x01\x20", 6)).ok());
  // Bytes left over after the record.
  EXPECT_FALSE(translator.Translate(std::string("\0\0\0\0\x01\x02x!", 8)).ok());
  auto ok = translator.Translate(std::string("\0\0\0\0\x01\x02x", 7));
  ASSERT_TRUE(ok.ok());
  EXPECT_NE(ok->find(R"("payload":{"s":"x"})"), std::string::npos) << *ok;
  // Bytes that are not UTF-8 in a string: replaced, not an exception.
  auto latin = translator.Translate(std::string("\0\0\0\0\x01\x02\xff", 7));
  ASSERT_TRUE(latin.ok()) << latin.status().message();
  EXPECT_NE(latin->find("\xef\xbf\xbd"), std::string::npos) << *latin;
  // Array block counts: the most negative long (its negation overflows) and a count far
  // beyond the bytes left are malformed, not undefined behaviour or an endless loop.
  AvroToConnectJson arrays([](int32_t) -> Result<std::string> {
    return std::string(R"({"type":"record","name":"R",
      "fields":[{"name":"a","type":{"type":"array","items":"long"}}]})");
  });
  EXPECT_FALSE(
      arrays.Translate(std::string("\0\0\0\0\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02", 16))
          .ok());
  EXPECT_FALSE(arrays.Translate(std::string("\0\0\0\0\x01\xfe\xff\xff\xff\x0f\x02", 11)).ok());
  auto two = arrays.Translate(std::string("\0\0\0\0\x01\x04\x02\x04\x00", 9));
  ASSERT_TRUE(two.ok()) << two.status().message();
  EXPECT_NE(two->find(R"("a":[1,2])"), std::string::npos) << *two;
  AvroToConnectJson failing(
      [](int32_t) -> Result<std::string> { return Status::Unavailable("registry down"); });
  EXPECT_EQ(failing.Translate(std::string("\0\0\0\0\x01\x02x", 7)).status().code(),
            StatusCode::kUnavailable);
}

// Every Avro kind, as the fuzz target's schema has them: the seed of its corpus translates.
TEST(AvroTranslationTest, EveryAvroKindTranslates) {
  std::string schema;
  {
    std::ifstream in(std::string(VIMUR_SOURCE_DIR) + "/tests/data/avro/fuzz-every-kind.avsc");
    schema.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(schema.empty());
  AvroToConnectJson translator([&](int32_t) -> Result<std::string> { return schema; });
  std::string seed;
  {
    std::ifstream in(std::string(VIMUR_SOURCE_DIR) + "/tests/data/fuzz/json_change_event/avro-seed",
                     std::ios::binary);
    seed.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(seed.size(), 3u);
  auto json = translator.Translate(seed.substr(seed.find('\n') + 1));
  ASSERT_TRUE(json.ok()) << json.status().message();
  const nlohmann::json j = nlohmann::json::parse(*json);
  const nlohmann::json& after = j["payload"]["after"];
  EXPECT_EQ(after["id"], 7);
  EXPECT_EQ(after["d"], "BOI=");
  EXPECT_EQ(after["s"], 3);
  EXPECT_EQ(after["f"], 1.5);
  EXPECT_EQ(after["b"], true);
  EXPECT_EQ(after["a"], nlohmann::json::parse(R"(["a",null])"));
  EXPECT_EQ(after["m"], nlohmann::json::parse(R"({"k":5})"));
  EXPECT_EQ(after["e"], "y");
  EXPECT_EQ(after["x"], "YWJj");  // "abc"
  EXPECT_EQ(j["payload"]["op"], "u");
  const nlohmann::json& fields = j["schema"]["fields"][0]["fields"];
  EXPECT_EQ(fields[1]["name"], "org.apache.kafka.connect.data.Decimal");
  EXPECT_EQ(fields[1]["optional"], true);
  EXPECT_EQ(fields[2]["type"], "int16");
  EXPECT_EQ(j["schema"]["fields"][1]["name"], "f.db.t.Value");  // the named reference
}

}  // namespace
}  // namespace vimur::sink
