#include "format/debezium_json.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "format/json_writer.h"

namespace vimur {
namespace {

std::shared_ptr<TableSchema> OrdersTable() {
  auto t = std::make_shared<TableSchema>();
  t->database = "shop";
  t->table = "orders";
  auto col = [&](std::string name, LogicalType type, bool nullable) {
    ColumnSchema c;
    c.name = std::move(name);
    c.type = type;
    c.nullable = nullable;
    t->columns.push_back(c);
  };
  col("id", LogicalType::kInt64, false);
  col("note", LogicalType::kString, true);
  col("price", LogicalType::kDecimal, true);
  col("blob", LogicalType::kBytes, true);
  col("big", LogicalType::kUInt64, true);
  col("shape", LogicalType::kGeometry, true);
  col("ratio", LogicalType::kDouble, true);
  t->key_columns = {0};
  return t;
}

ChangeEvent MakeEvent(Op op) {
  ChangeEvent e;
  e.op = op;
  e.table = OrdersTable();
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mariadb";
  source->name = "shop";
  source->ts_ms = 1714557600000;
  source->server_id = 1;
  source->gtid = "0-1-42";
  source->file = "mysql-bin.000001";
  source->pos = 1234;
  e.source = source;
  std::vector<Value> row = {Value::Int(7),
                            Value::Text("h\xC3\xA9llo \"q\"\n\xF0\x9F\x98\x80"),
                            Value::Text("-0.50"),
                            Value::Bytes(std::string_view("\x00\xff\x10", 3)),
                            Value::UInt(18446744073709551615ull),
                            Value::Geometry(std::string_view("\x01\x01\x00", 3), 4326),
                            Value::Null()};
  if (op == Op::kDelete) {
    e.before = row;
  } else {
    e.after = row;
  }
  return e;
}

TEST(DebeziumJsonTest, EnvelopeMatchesDebeziumShape) {
  DebeziumJsonSerializer ser(JsonFormatOptions{false, false, "shop"});
  ChangeEvent e = MakeEvent(Op::kCreate);
  std::string value;
  ser.SerializeValue(e, 1714557600123, &value);
  auto j = nlohmann::json::parse(value);
  EXPECT_TRUE(j["before"].is_null());
  EXPECT_EQ(j["op"], "c");
  EXPECT_EQ(j["ts_ms"], 1714557600123);
  EXPECT_TRUE(j["transaction"].is_null());
  const auto& after = j["after"];
  EXPECT_EQ(after["id"], 7);
  EXPECT_EQ(after["note"], "h\xC3\xA9llo \"q\"\n\xF0\x9F\x98\x80");
  EXPECT_EQ(after["price"], "-0.50");
  EXPECT_EQ(after["blob"], "AP8Q");  // base64 of 00 ff 10
  EXPECT_EQ(after["big"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(after["shape"]["srid"], 4326);
  EXPECT_EQ(after["shape"]["wkb"], "AQEA");
  EXPECT_TRUE(after["ratio"].is_null());
  const auto& source = j["source"];
  EXPECT_EQ(source["connector"], "mariadb");
  EXPECT_EQ(source["db"], "shop");
  EXPECT_EQ(source["table"], "orders");
  EXPECT_EQ(source["gtid"], "0-1-42");
  EXPECT_EQ(source["file"], "mysql-bin.000001");
  EXPECT_EQ(source["pos"], 1234);
  EXPECT_EQ(source["snapshot"], "false");
  EXPECT_EQ(source["ts_ms"], 1714557600000);
  // Field order is Debezium's: before, after, source, op, ts_ms, transaction.
  EXPECT_LT(value.find("\"before\""), value.find("\"after\""));
  EXPECT_LT(value.find("\"after\""), value.find("\"source\""));
  EXPECT_LT(value.find("\"source\""), value.find("\"op\""));
}

TEST(DebeziumJsonTest, KeyIsPrimaryKeyOrNull) {
  DebeziumJsonSerializer ser(JsonFormatOptions{false, false, "shop"});
  ChangeEvent del = MakeEvent(Op::kDelete);
  std::string key;
  ASSERT_TRUE(ser.SerializeKey(del, &key));  // taken from the before image
  EXPECT_EQ(key, R"({"id":7})");

  auto keyless = std::make_shared<TableSchema>(*del.table);
  keyless->key_columns.clear();
  del.table = keyless;
  std::string none;
  EXPECT_FALSE(ser.SerializeKey(del, &none));
  EXPECT_TRUE(none.empty());
}

TEST(DebeziumJsonTest, EmbeddedSchemaDescribesFields) {
  DebeziumJsonSerializer ser(JsonFormatOptions{true, true, "shop"});
  ChangeEvent e = MakeEvent(Op::kUpdate);
  e.before = e.after;
  e.total_order = 2;
  e.data_collection_order = 1;
  std::string value;
  ser.SerializeValue(e, 1, &value);
  auto j = nlohmann::json::parse(value);
  EXPECT_EQ(j["schema"]["name"], "shop.shop.orders.Envelope");
  const auto& fields = j["schema"]["fields"];
  ASSERT_EQ(fields.size(), 6u);
  EXPECT_EQ(fields[0]["field"], "before");
  EXPECT_EQ(fields[0]["name"], "shop.shop.orders.Value");
  EXPECT_EQ(fields[0]["fields"][0]["type"], "int64");
  EXPECT_EQ(fields[0]["fields"][0]["optional"], false);
  EXPECT_EQ(fields[0]["fields"][5]["name"], "io.debezium.data.geometry.Geometry");
  EXPECT_EQ(j["payload"]["op"], "u");
  EXPECT_EQ(j["payload"]["transaction"]["id"], "0-1-42");
  EXPECT_EQ(j["payload"]["transaction"]["total_order"], 2);

  std::string key;
  ASSERT_TRUE(ser.SerializeKey(e, &key));
  auto k = nlohmann::json::parse(key);
  EXPECT_EQ(k["schema"]["name"], "shop.shop.orders.Key");
  EXPECT_EQ(k["payload"]["id"], 7);
}

TEST(DebeziumJsonTest, EscapesControlCharacters) {
  std::string out;
  JsonWriter w(&out);
  w.String(std::string_view("a\x01\x1f\\b", 5));
  EXPECT_EQ(out, "\"a\\u0001\\u001f\\\\b\"");
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j.get<std::string>(), std::string("a\x01\x1f\\b"));
}

TEST(DebeziumJsonTest, Base64AllPaddings) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string out;
    JsonWriter w(&out);
    w.Base64(s);
    static const std::map<std::string, std::string> kExpected = {{"", "\"\""},
                                                                 {"f", "\"Zg==\""},
                                                                 {"fo", "\"Zm8=\""},
                                                                 {"foo", "\"Zm9v\""},
                                                                 {"foob", "\"Zm9vYg==\""},
                                                                 {"fooba", "\"Zm9vYmE=\""},
                                                                 {"foobar", "\"Zm9vYmFy\""}};
    EXPECT_EQ(out, kExpected.at(s));
  }
}

}  // namespace
}  // namespace vimur
