// Change events for the sinks' Avro tests: a table with a column of each kind, serialized by
// Vimur's Avro serializer (into an in-memory registry) and by its JSON one with schemas.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/avro/avro_event_serializer.h"
#include "format/event_serializer.h"
#include "sink/record_input.h"

namespace vimur::sink::testing {

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

inline ColumnSchema Column(std::string name, LogicalType type) {
  ColumnSchema c;
  c.name = std::move(name);
  c.type = type;
  c.nullable = c.name != "id";
  return c;
}

// An update of shop.things: a column of each kind the sql sink reads directly from Avro;
// `with_array` adds an array column (which it leaves to the Connect JSON).
inline ChangeEvent Event(bool with_array, std::vector<Value>* items) {
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

inline InputRecord Record(std::optional<std::string> key, std::string value) {
  InputRecord r;
  r.topic = "shop.shop.things";
  r.partition = 2;
  r.offset = 41;
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

struct Encoded {
  InputRecord avro;
  InputRecord json;
};

inline Encoded Encode(const ChangeEvent& e, const std::shared_ptr<MemoryRegistry>& registry) {
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

}  // namespace vimur::sink::testing
