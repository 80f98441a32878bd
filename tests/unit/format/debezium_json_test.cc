#include "format/debezium_json.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "format/column_default.h"
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
  t->columns.back().precision = 10;
  t->columns.back().scale = 2;
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

// PostgreSQL: source.db is the database (the table's `database` is its schema), the source
// block carries schema, txId and lsn, and a TRUNCATE has neither rows nor a key.
TEST(DebeziumJsonTest, PostgresqlSourceBlockAndTruncate) {
  DebeziumJsonSerializer ser(JsonFormatOptions{false, false, "shop"});
  ChangeEvent e = MakeEvent(Op::kTruncate);
  e.after.clear();
  e.before.clear();
  auto source = std::make_shared<SourceInfo>();
  source->connector = "postgresql";
  source->name = "shop";
  source->database = "shopdb";
  source->schema = "shop";
  source->tx_id = 771;
  source->lsn = 26583616;
  e.source = source;
  std::string key;
  EXPECT_FALSE(ser.SerializeKey(e, &key));
  EXPECT_TRUE(key.empty());
  std::string value;
  ser.SerializeValue(e, 1, &value);
  auto j = nlohmann::json::parse(value);
  EXPECT_EQ(j["op"], "t");
  EXPECT_TRUE(j["before"].is_null());
  EXPECT_TRUE(j["after"].is_null());
  EXPECT_EQ(j["source"]["db"], "shopdb");
  EXPECT_EQ(j["source"]["schema"], "shop");
  EXPECT_EQ(j["source"]["table"], "orders");
  EXPECT_EQ(j["source"]["txId"], 771);
  EXPECT_EQ(j["source"]["lsn"], 26583616);
  EXPECT_FALSE(j["source"].contains("server_id"));
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
  // decimal.handling.mode=precise (Debezium's default): base64 of the unscaled value, -50.
  EXPECT_EQ(after["price"], "zg==");
  EXPECT_EQ(after["blob"], "AP8Q");  // base64 of 00 ff 10
  // bigint.unsigned.handling.mode=precise: Decimal(20,0), base64 of 00 ff ff ff ff ff ff ff ff.
  EXPECT_EQ(after["big"], "AP//////////");
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
  EXPECT_EQ(source["ts_us"], 1714557600000000);
  EXPECT_EQ(source["ts_ns"], 1714557600000000000);
  EXPECT_TRUE(source["sequence"].is_null());
  EXPECT_TRUE(source["thread"].is_null());
  EXPECT_TRUE(source["query"].is_null());
  EXPECT_EQ(j["ts_us"], 1714557600123000);
  EXPECT_EQ(j["ts_ns"], 1714557600123000000);
  // Field order is Debezium's (envelope version 2): before, after, source, transaction, op,
  // ts_ms, ts_us, ts_ns; source: version, connector, name, ts_ms, snapshot, db, sequence,
  // ts_us, ts_ns, table, server_id, gtid, file, pos, row, thread, query.
  const std::vector<std::string> envelope = {"before", "after", "source", "transaction",
                                             "op",     "ts_ms", "ts_us",  "ts_ns"};
  size_t at = 0;
  for (const auto& name : envelope) {
    const size_t next = value.find("\"" + name + "\":", at);
    ASSERT_NE(next, std::string::npos) << name;
    at = next;
  }
  const std::vector<std::string> source_fields = {
      "version", "connector", "name", "ts_ms", "snapshot", "db",  "sequence", "ts_us", "ts_ns",
      "table",   "server_id", "gtid", "file",  "pos",      "row", "thread",   "query"};
  at = value.find("\"source\":");
  for (const auto& name : source_fields) {
    const size_t next = value.find("\"" + name + "\":", at);
    ASSERT_NE(next, std::string::npos) << name;
    at = next;
  }
  EXPECT_LT(at, value.find("\"transaction\":"));
}

// The value and schema of each column under one set of handling modes, with schemas embedded.
struct Written {
  nlohmann::json after;
  nlohmann::json fields;  // the `after` struct's field schemas, by name
};

Written WriteWith(const ValueModes& modes, const ChangeEvent& e) {
  JsonFormatOptions options{true, false, "shop"};
  options.modes = modes;
  DebeziumJsonSerializer ser(options);
  std::string value;
  ser.SerializeValue(e, 1, &value);
  auto j = nlohmann::json::parse(value);
  Written w;
  w.after = j["payload"]["after"];
  for (const auto& f : j["schema"]["fields"][1]["fields"])
    w.fields[f["field"].get<std::string>()] = f;
  return w;
}

TEST(DebeziumJsonTest, BigintUnsignedIsAPreciseDecimalByDefault) {
  // Regression: the field said int64 while the value was the number 18446744073709551615,
  // which Kafka's JsonConverter accepts and sinks store as -1.
  Written w = WriteWith(ValueModes(), MakeEvent(Op::kCreate));
  EXPECT_EQ(w.fields["big"], nlohmann::json::parse(
                                 R"({"type":"bytes","optional":true,
                                     "name":"org.apache.kafka.connect.data.Decimal","version":1,
                                     "parameters":{"scale":"0","connect.decimal.precision":"20"},
                                     "field":"big"})"));
  EXPECT_EQ(w.after["big"], "AP//////////");
  ValueModes long_mode;
  long_mode.bigint_unsigned = BigintUnsignedHandlingMode::kLong;
  w = WriteWith(long_mode, MakeEvent(Op::kCreate));
  EXPECT_EQ(w.fields["big"]["type"], "int64");
  EXPECT_FALSE(w.fields["big"].contains("name"));
  EXPECT_EQ(w.after["big"], -1);  // as Debezium's long mode: the 64 bits as a signed long
}

TEST(DebeziumJsonTest, DecimalHandlingModes) {
  ChangeEvent e = MakeEvent(Op::kCreate);
  auto t = std::make_shared<TableSchema>(*e.table);
  t->columns[2].precision = 10;
  t->columns[2].scale = 2;
  e.table = t;
  Written w = WriteWith(ValueModes(), e);
  EXPECT_EQ(w.fields["price"], nlohmann::json::parse(
                                   R"({"type":"bytes","optional":true,
                                       "name":"org.apache.kafka.connect.data.Decimal","version":1,
                                       "parameters":{"scale":"2","connect.decimal.precision":"10"},
                                       "field":"price"})"));
  EXPECT_EQ(w.after["price"], "zg==");
  ValueModes modes;
  modes.decimal = DecimalHandlingMode::kString;
  w = WriteWith(modes, e);
  EXPECT_EQ(w.fields["price"],
            nlohmann::json::parse(R"({"type":"string","optional":true,"field":"price"})"));
  EXPECT_EQ(w.after["price"], "-0.50");
  modes.decimal = DecimalHandlingMode::kDouble;
  w = WriteWith(modes, e);
  EXPECT_EQ(w.fields["price"]["type"], "double");
  EXPECT_EQ(w.after["price"], -0.5);
}

TEST(DebeziumJsonTest, PreciseDecimalsOfEveryWidth) {
  ChangeEvent e = MakeEvent(Op::kCreate);
  auto t = std::make_shared<TableSchema>(*e.table);
  t->columns[2].precision = 65;
  t->columns[2].scale = 2;
  e.table = t;
  DebeziumJsonSerializer ser(JsonFormatOptions{false, false, "shop"});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0.00", "AA=="},
      {"-0.01", "/w=="},
      {"123.45", "MDk="},
      {"1234567890123456789012345678.90", "AY7pD/bDc+DuTj8K0g=="},
      {"92233720368547758.08", "AIAAAAAAAAAA"},
  };
  for (const auto& [text, base64] : cases) {
    e.after[2] = Value::Text(text);
    std::string value;
    ser.SerializeValue(e, 1, &value);
    EXPECT_EQ(nlohmann::json::parse(value)["after"]["price"], base64) << text;
  }
}

TEST(DebeziumJsonTest, BinaryAndTimeModes) {
  auto t = std::make_shared<TableSchema>();
  t->database = "shop";
  t->table = "t";
  auto col = [&](std::string name, LogicalType type) {
    ColumnSchema c;
    c.name = std::move(name);
    c.type = type;
    c.nullable = true;
    t->columns.push_back(c);
  };
  col("blob", LogicalType::kBytes);
  col("day", LogicalType::kDate);
  col("dt3", LogicalType::kTimestampMillis);
  col("dt6", LogicalType::kTimestampMicros);
  col("tm", LogicalType::kMicroTime);
  col("late", LogicalType::kMicroTime);
  ChangeEvent e = MakeEvent(Op::kCreate);
  e.table = t;
  e.after = {Value::Bytes(std::string_view("\x00\xff\x10", 3)),
             Value::Int(19844),
             Value::Int(1714557600123),
             Value::Int(-1500),
             Value::Int(3723500001),
             Value::Int(int64_t{25} * 3600 * 1000000)};
  Written w = WriteWith(ValueModes(), e);
  EXPECT_EQ(w.fields["blob"]["type"], "bytes");
  EXPECT_EQ(w.after["blob"], "AP8Q");
  EXPECT_EQ(w.fields["day"]["name"], "io.debezium.time.Date");
  EXPECT_EQ(w.fields["dt6"]["name"], "io.debezium.time.MicroTimestamp");
  EXPECT_EQ(w.after["dt6"], -1500);
  EXPECT_EQ(w.fields["tm"]["name"], "io.debezium.time.MicroTime");
  EXPECT_EQ(w.after["tm"], 3723500001);
  EXPECT_EQ(w.after["late"], int64_t{25} * 3600 * 1000000);

  ValueModes modes;
  modes.binary = BinaryHandlingMode::kHex;
  modes.time_precision = TimePrecisionMode::kConnect;
  w = WriteWith(modes, e);
  EXPECT_EQ(w.fields["blob"],
            nlohmann::json::parse(R"({"type":"string","optional":true,"field":"blob"})"));
  EXPECT_EQ(w.after["blob"], "00ff10");
  EXPECT_EQ(w.fields["day"], nlohmann::json::parse(
                                 R"({"type":"int32","optional":true,
                                     "name":"org.apache.kafka.connect.data.Date","version":1,
                                     "field":"day"})"));
  EXPECT_EQ(w.after["day"], 19844);
  EXPECT_EQ(w.fields["dt3"]["name"], "org.apache.kafka.connect.data.Timestamp");
  EXPECT_EQ(w.after["dt3"], 1714557600123);
  EXPECT_EQ(w.fields["dt6"]["name"], "org.apache.kafka.connect.data.Timestamp");
  EXPECT_EQ(w.after["dt6"], -2);  // floored to the millisecond, as Java's toEpochMilli
  EXPECT_EQ(w.fields["tm"], nlohmann::json::parse(
                                R"({"type":"int32","optional":true,
                                    "name":"org.apache.kafka.connect.data.Time","version":1,
                                    "field":"tm"})"));
  EXPECT_EQ(w.after["tm"], 3723500);
  EXPECT_TRUE(w.after["late"].is_null());  // beyond 24:00: no Connect Time, as in Debezium

  modes.binary = BinaryHandlingMode::kBase64;
  w = WriteWith(modes, e);
  EXPECT_EQ(w.fields["blob"]["type"], "string");
  EXPECT_EQ(w.after["blob"], "AP8Q");
}

TEST(DebeziumJsonTest, ColumnDefaultsAreDeclaredInTheirRepresentation) {
  // Regression: after ADD COLUMN c VARCHAR(20) DEFAULT 'dflt' the field had no default, so a
  // sink adding the column left old rows NULL instead of 'dflt'.
  ChangeEvent e = MakeEvent(Op::kCreate);
  auto t = std::make_shared<TableSchema>(*e.table);
  t->columns[1].has_default = true;  // note
  t->columns[1].default_value = "dflt";
  t->columns[2].has_default = true;  // price DECIMAL(10,2)
  t->columns[2].default_value = "-0.5";
  t->columns[2].precision = 10;
  t->columns[2].scale = 2;
  t->columns[4].has_default = true;  // big BIGINT UNSIGNED
  t->columns[4].default_value = "18446744073709551615";
  ColumnSchema day;
  day.name = "day";
  day.type = LogicalType::kDate;
  day.nullable = false;
  day.has_default = true;
  day.default_value = "2024-05-01";
  t->columns.push_back(day);
  ColumnSchema created;
  created.name = "created";
  created.type = LogicalType::kZonedTimestamp;
  created.fsp = 3;
  created.has_default = true;
  created.default_value = "2024-05-01 10:00:00.12";
  t->columns.push_back(created);
  e.table = t;
  e.after.push_back(Value::Int(19844));
  e.after.push_back(Value::Null());
  Written w = WriteWith(ValueModes(), e);
  EXPECT_EQ(w.fields["note"], nlohmann::json::parse(
                                  R"({"type":"string","optional":true,"default":"dflt",
                                      "field":"note"})"));
  EXPECT_EQ(w.fields["price"]["default"], "zg==");
  EXPECT_EQ(w.fields["big"]["default"], "AP//////////");
  EXPECT_EQ(w.fields["day"]["default"], 19844);
  EXPECT_EQ(w.fields["created"]["default"], "2024-05-01T10:00:00.120Z");
  EXPECT_FALSE(w.fields["id"].contains("default"));
  ValueModes readable;
  readable.decimal = DecimalHandlingMode::kString;
  readable.bigint_unsigned = BigintUnsignedHandlingMode::kLong;
  w = WriteWith(readable, e);
  EXPECT_EQ(w.fields["price"]["default"], "-0.50");
  EXPECT_EQ(w.fields["big"]["default"], -1);
}

TEST(DebeziumJsonTest, PropagatedSourceTypesUseDebeziumsParameters) {
  ChangeEvent e = MakeEvent(Op::kCreate);
  auto t = std::make_shared<TableSchema>(*e.table);
  t->columns[1].type_name = "VARCHAR";
  t->columns[1].precision = 100;
  t->columns[2].type_name = "DECIMAL";
  t->columns[2].precision = 10;
  t->columns[2].scale = 2;
  e.table = t;
  JsonFormatOptions options{true, false, "shop"};
  options.propagate_source_types = {"shop\\.orders\\.(note|price)"};
  DebeziumJsonSerializer ser(options);
  std::string value;
  ser.SerializeValue(e, 1, &value);
  auto j = nlohmann::ordered_json::parse(value);
  std::map<std::string, nlohmann::ordered_json> fields;
  for (const auto& f : j["schema"]["fields"][1]["fields"]) fields[f["field"]] = f;
  EXPECT_EQ(fields["note"]["parameters"],
            nlohmann::ordered_json::parse(R"({"__debezium.source.column.type":"VARCHAR",
                                      "__debezium.source.column.length":"100",
                                      "__debezium.source.column.name":"note"})"));
  // After the Decimal's own parameters, in Debezium's order.
  EXPECT_EQ(fields["price"]["parameters"].dump(),
            R"({"scale":"2","connect.decimal.precision":"10",)"
            R"("__debezium.source.column.type":"DECIMAL","__debezium.source.column.length":"10",)"
            R"("__debezium.source.column.scale":"2","__debezium.source.column.name":"price"})");
  EXPECT_FALSE(fields["id"].contains("parameters"));
}

TEST(DebeziumJsonTest, PropagatedLengthsOfIntegersEnumsAndSetsAreDebeziums) {
  auto col = [](LogicalType type, const char* type_name) {
    ColumnSchema c;
    c.name = "c";
    c.type = type;
    c.type_name = type_name;
    return c;
  };
  auto length = [](const ColumnSchema& c) {
    for (const auto& [k, v] : SourceTypeParameters(c)) {
      if (k == "__debezium.source.column.length") return v;
    }
    return std::string("none");
  };
  EXPECT_EQ(length(col(LogicalType::kInt32, "INT")), "11");
  EXPECT_EQ(length(col(LogicalType::kInt64, "INT UNSIGNED")), "10");
  EXPECT_EQ(length(col(LogicalType::kInt16, "TINYINT")), "4");
  EXPECT_EQ(length(col(LogicalType::kUInt64, "BIGINT UNSIGNED")), "20");
  EXPECT_EQ(length(col(LogicalType::kYear, "YEAR")), "4");
  EXPECT_EQ(length(col(LogicalType::kFloat, "FLOAT")), "none");
  ColumnSchema b = col(LogicalType::kInt16, "TINYINT");
  b.display_width = 1;  // BOOLEAN, as information_schema shows it
  EXPECT_EQ(length(b), "1");
  ColumnSchema set = col(LogicalType::kSet, "SET");
  set.enum_values = {"x", "yy", "\xc3\xbc"};  // the last: one character, two bytes
  EXPECT_EQ(length(set), "6");                // x,yy,ü
  ColumnSchema e = set;
  e.type = LogicalType::kEnum;
  e.type_name = "ENUM";
  EXPECT_EQ(length(e), "2");
}

TEST(DebeziumJsonTest, KeyFieldsCarryNoSourceTypeParameters) {
  ChangeEvent e = MakeEvent(Op::kCreate);
  JsonFormatOptions options{true, false, "shop"};
  options.propagate_source_types = {".*"};
  DebeziumJsonSerializer ser(options);
  std::string key;
  ser.SerializeKey(e, &key);
  auto j = nlohmann::ordered_json::parse(key);
  ASSERT_FALSE(j["schema"]["fields"].empty());
  for (const auto& f : j["schema"]["fields"]) EXPECT_FALSE(f.contains("parameters")) << f.dump();
}

TEST(DebeziumJsonTest, ModesAreReadByTheirConfigurationNames) {
  auto m = ValueModes::FromNames("string", "long", "connect", "hex");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->decimal, DecimalHandlingMode::kString);
  EXPECT_EQ(m->bigint_unsigned, BigintUnsignedHandlingMode::kLong);
  EXPECT_EQ(m->time_precision, TimePrecisionMode::kConnect);
  EXPECT_EQ(m->binary, BinaryHandlingMode::kHex);
  auto bad = ValueModes::FromNames("exact", "precise", "connect", "bytes");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("decimal_handling_mode"), std::string::npos);
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
  EXPECT_EQ(j["schema"]["version"], 2);
  const auto& fields = j["schema"]["fields"];
  ASSERT_EQ(fields.size(), 8u);
  EXPECT_EQ(fields[2]["name"], "io.debezium.connector.mariadb.Source");
  EXPECT_EQ(fields[2]["version"], 1);
  EXPECT_EQ(fields[2]["fields"].size(), 17u);
  EXPECT_EQ(fields[2]["fields"][4]["parameters"]["allowed"],
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental");
  EXPECT_EQ(fields[3]["field"], "transaction");
  EXPECT_EQ(fields[4]["field"], "op");
  EXPECT_EQ(fields[7]["field"], "ts_ns");
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

TEST(DebeziumJsonTest, LogicalDecodingMessagesAsDebeziumsPostgresConnectorWritesThem) {
  auto source = std::make_shared<SourceInfo>();
  source->connector = "postgresql";
  source->name = "shop";
  source->database = "shopdb";
  source->ts_ms = 1700000000000;
  source->lsn = 12345;
  source->tx_id = -1;  // not transactional
  const SourceMessage message{"audit", std::string("\x00hi", 3), source};
  for (bool schemas : {false, true}) {
    DebeziumJsonSerializer ser(JsonFormatOptions{schemas, false, "shop"});
    std::string key, value;
    ser.SerializeMessageKey(message, &key);
    ser.SerializeMessage(message, 5, &value);
    auto k = nlohmann::json::parse(key);
    auto v = nlohmann::json::parse(value);
    if (schemas) {
      EXPECT_EQ(k["schema"]["name"], "io.debezium.connector.postgresql.MessageKey");
      EXPECT_EQ(v["schema"]["name"], "io.debezium.connector.postgresql.MessageValue");
      const auto& fields = v["schema"]["fields"];
      ASSERT_EQ(fields.size(), 5u);
      EXPECT_EQ(fields[2]["name"], "io.debezium.connector.postgresql.Source");
      EXPECT_EQ(fields[4]["name"], "io.debezium.connector.postgresql.Message");
      EXPECT_EQ(fields[4]["fields"][1]["type"], "bytes");
      k = k["payload"];
      v = v["payload"];
    }
    EXPECT_EQ(k, nlohmann::json::parse(R"({"prefix":"audit"})"));
    EXPECT_EQ(v["op"], "m");
    EXPECT_EQ(v["ts_ms"], 5);
    EXPECT_EQ(v["source"]["db"], "shopdb");
    EXPECT_EQ(v["source"]["table"], "");
    EXPECT_TRUE(v["source"]["txId"].is_null());
    EXPECT_EQ(v["source"]["lsn"], 12345);
    EXPECT_TRUE(v["transaction"].is_null());
    EXPECT_EQ(v["message"], nlohmann::json::parse(R"({"prefix":"audit","content":"AGhp"})"));
  }
}

}  // namespace
}  // namespace vimur
