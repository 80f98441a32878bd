#include "sink/sql/event_decoder.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "sink/sql/router.h"
#include "sink/sql/sql_sink.h"
#include "sink/sql/verifier.h"

namespace vimur::sink {
namespace {

TEST(EventDecoderTest, Values) {
  EXPECT_EQ(DecimalText(std::string("\x04\xe2", 2), 2), "12.50");   // 1250
  EXPECT_EQ(DecimalText(std::string("\xfb\x1e", 2), 2), "-12.50");  // -1250
  EXPECT_EQ(DecimalText(std::string("\x05", 1), 3), "0.005");
  EXPECT_EQ(DecimalText(std::string("\x00", 1), 2), "0.00");
  EXPECT_EQ(DecimalText(std::string("\x00\xff\xff\xff\xff\xff\xff\xff\xff", 9), 0),
            "18446744073709551615");  // BIGINT UNSIGNED max, Decimal(20,0)
  // Across several 32-bit limbs and nine-digit passes, both signs.
  EXPECT_EQ(DecimalText(std::string("\x01") + std::string(25, '\0'), 10),
            "160693804425899027554196209234116260252220299378279.2835301376");  // 2^200
  EXPECT_EQ(
      DecimalText(std::string("\xff\xf3\x60\xd3\x63\x2f\xb9\x8b\x12\x15\xbf\xff\xff\xf9", 14), 0),
      "-1000000000000000000000000000007");
  EXPECT_EQ(DecimalText(std::string("\x80", 1), 0), "-128");
  EXPECT_EQ(DecimalText(std::string(), 2), "0.00");
  EXPECT_EQ(DateText(0), "1970-01-01");
  EXPECT_EQ(DateText(19844), "2024-05-01");
  EXPECT_EQ(DateText(-1), "1969-12-31");
  EXPECT_EQ(DateTimeText(1714557600123456), "2024-05-01 10:00:00.123456");
  EXPECT_EQ(DateTimeText(1714557600000000), "2024-05-01 10:00:00");
  EXPECT_EQ(DateTimeText(-1), "1969-12-31 23:59:59.999999");
  // The extremes: no intermediate product may overflow (the fuzz target found one).
  EXPECT_EQ(DateTimeText(std::numeric_limits<int64_t>::min()), "-290308-12-21 19:59:05.224192");
  EXPECT_EQ(DateText(std::numeric_limits<int32_t>::max()), "5881580-07-11");
  EXPECT_EQ(DateText(std::numeric_limits<int32_t>::min()), "-5877641-06-23");
  EXPECT_EQ(TimeText(-3723000001), "-01:02:03.000001");
  EXPECT_EQ(TimeText(90000000000), "25:00:00");
  EXPECT_EQ(*Base64Decode("BOI="), std::string("\x04\xe2", 2));
}

constexpr const char* kSchemaEvent = R"({"schema":{"type":"struct","fields":[
 {"type":"struct","optional":true,"field":"before","fields":[
   {"type":"int32","optional":false,"field":"id"},{"type":"int32","optional":false,"field":"user_id"},
   {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"},
   {"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","field":"at"}]},
 {"type":"struct","optional":true,"field":"after","fields":[
   {"type":"int32","optional":false,"field":"id"},{"type":"int32","optional":false,"field":"user_id"},
   {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"},
   {"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","field":"at"}]}]},
 "payload":{"before":{"id":7,"user_id":1,"amount":"BOI=","at":null},
            "after":{"id":7,"user_id":2,"amount":"BOI=","at":1714557600123456},
            "source":{"db":"shop","table":"orders","ts_ms":1714557600000},"op":"u"}})";

constexpr const char* kSchemaKey =
    R"({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}]},"payload":{"id":7}})";

TEST(EventDecoderTest, EventWithSchema) {
  InputRecord r{"shop.shop.orders", 0, 5, kSchemaKey, kSchemaEvent, 0};
  auto c = DecodeJsonEvent(r);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->op, 'u');
  EXPECT_EQ(c->db, "shop");
  EXPECT_EQ(c->table, "orders");
  EXPECT_EQ(c->source_ts_ms, 1714557600000);
  EXPECT_EQ(c->key_columns, std::vector<std::string>{"id"});
  ASSERT_TRUE(c->has_after);
  EXPECT_EQ(*c->after.Find("amount"), SqlValue::Number("12.50"));
  EXPECT_EQ(*c->after.Find("at"), SqlValue::Text("2024-05-01 10:00:00.123456"));
  EXPECT_TRUE(c->before.Find("at")->is_null());
  ASSERT_NE(c->after.TypeOf("amount"), nullptr);
  EXPECT_EQ(c->after.TypeOf("amount")->precision, 10);
}

// Records of one topic repeat one schema (parsed once and remembered); a record with another
// schema in between, or the same schema written with other spacing, decodes by its own.
TEST(EventDecoderTest, RepeatedAndChangingSchemas) {
  const std::string event = kSchemaEvent;
  const std::string compact = nlohmann::json::parse(event).dump();
  std::string other = compact;  // the same table after a column became a string
  const std::string decimal =   // as dump() writes it: keys in order
      nlohmann::json::parse(
          R"({"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"})")
          .dump();
  for (size_t at; (at = other.find(decimal)) != std::string::npos;) {
    other.replace(at, decimal.size(), R"({"field":"amount","optional":true,"type":"string"})");
  }
  for (size_t at; (at = other.find("\"BOI=\"")) != std::string::npos;) {
    other.replace(at, 6, "\"12.5\"");
  }
  ASSERT_NE(other, compact);
  const std::string& changed = other;
  for (const std::string* text : {&compact, &compact, &changed, &compact, &event, &changed}) {
    InputRecord r{"shop.shop.orders", 0, 5, kSchemaKey, *text, 0};
    auto c = DecodeJsonEvent(r);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->key_columns, std::vector<std::string>{"id"});
    EXPECT_EQ(*c->after.Find("at"), SqlValue::Text("2024-05-01 10:00:00.123456"));
    if (text == &changed) {
      EXPECT_EQ(*c->after.Find("amount"), SqlValue::Text("12.5"));
      EXPECT_EQ(c->after.TypeOf("amount")->connect_type, "string");
    } else {
      EXPECT_EQ(*c->after.Find("amount"), SqlValue::Number("12.50"));
      EXPECT_EQ(c->after.TypeOf("amount")->precision, 10);
    }
  }
}

// Values wider than their Connect type are refused, not overflowed: a Date beyond INT32 days,
// a millisecond Timestamp beyond what microseconds hold.
TEST(EventDecoderTest, ValuesBeyondTheirConnectTypeAreErrors) {
  auto event = [](const std::string& d, const std::string& ts) {
    return R"({"schema":{"type":"struct","fields":[
 {"type":"struct","optional":true,"field":"after","fields":[
   {"type":"int32","optional":false,"field":"id"},
   {"type":"int32","optional":true,"name":"io.debezium.time.Date","field":"d"},
   {"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","field":"ts"}]}]},
 "payload":{"before":null,"after":{"id":7,"d":)" +
           d + R"(,"ts":)" + ts +
           R"(},"source":{"db":"shop","table":"orders","ts_ms":1},"op":"c"}})";
  };
  InputRecord ok{"shop.shop.orders", 0, 5, kSchemaKey, event("19844", "1714557600123"), 0};
  auto c = DecodeJsonEvent(ok);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c->after.Find("d"), SqlValue::Text("2024-05-01"));
  EXPECT_EQ(*c->after.Find("ts"), SqlValue::Text("2024-05-01 10:00:00.123000"));
  for (const auto& [d, ts] : {std::pair<std::string, std::string>{"2147483648", "0"},
                              {"-2147483649", "0"},
                              {"0", "9223372036854776"}}) {
    InputRecord r{"shop.shop.orders", 0, 5, kSchemaKey, event(d, ts), 0};
    auto fast = DecodeJsonEvent(r);
    auto tree = DecodeJsonEventByTree(r);
    ASSERT_FALSE(fast.ok()) << d << " " << ts;
    ASSERT_FALSE(tree.ok()) << d << " " << ts;
    EXPECT_NE(fast.status().message().find("does not match its schema type"), std::string::npos)
        << fast.status().message();
    EXPECT_EQ(fast.status().message(), tree.status().message());
  }
}

TEST(EventDecoderTest, EventWithoutSchemaAndTombstone) {
  InputRecord r{
      "t",
      0,
      1,
      R"({"id":3})",
      R"({"before":{"id":3,"name":"x"},"after":null,"source":{"db":"d","table":"t"},"op":"d"})",
      0};
  auto c = DecodeJsonEvent(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->op, 'd');
  EXPECT_EQ(*c->before.Find("id"), SqlValue::Number("3"));
  EXPECT_EQ(*c->before.Find("name"), SqlValue::Text("x"));
  InputRecord tomb{"t", 0, 2, R"({"id":3})", std::nullopt, 0};
  EXPECT_EQ(DecodeJsonEvent(tomb)->op, 0);
  InputRecord junk{"t", 1, 9, std::nullopt, "not json", 0};
  auto bad = DecodeJsonEvent(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t[1]@9"), std::string::npos);
}

// An update that changes the sharding column moves the row: delete at the old place, upsert
// at the new one; the last change of a place in a batch wins.
TEST(EventDecoderTest, PlanMovesRowsWhenRoutingColumnsChange) {
  SinkConfig config;
  config.name = "split";
  config.targets = {{"db0", "mariadb://u@h/x"}, {"db1", "mariadb://u@h/x"}};
  config.target = "db${mod(user_id, 2)}";
  config.table = "orders_${mod(user_id, 4)}";
  auto router = Router::Make(config);
  ASSERT_TRUE(router.ok()) << router.status().message();
  InputRecord r{"shop.shop.orders", 0, 5, kSchemaKey, kSchemaEvent, 0};
  auto change = DecodeJsonEvent(r);
  ASSERT_TRUE(change.ok());
  ApplyPlan plan;
  ASSERT_TRUE(PlanChange(*router, *change, r.topic, &plan).ok());
  ASSERT_EQ(plan.by_target.size(), 2u);
  ASSERT_EQ(plan.by_target["db1"].size(), 1u);
  const WriteAction& gone = plan.by_target["db1"].begin()->second;
  EXPECT_TRUE(gone.remove);
  EXPECT_EQ(gone.place.table, "orders_1");
  ASSERT_EQ(plan.by_target["db0"].size(), 1u);
  const WriteAction& moved = plan.by_target["db0"].begin()->second;
  EXPECT_FALSE(moved.remove);
  EXPECT_EQ(moved.place.table, "orders_2");
  EXPECT_EQ(*moved.row.Find("amount"), SqlValue::Number("12.50"));

  // Without a routing change an update is one upsert.
  change->before = change->after;
  ApplyPlan same;
  ASSERT_TRUE(PlanChange(*router, *change, r.topic, &same).ok());
  ASSERT_EQ(same.by_target.size(), 1u);
  EXPECT_FALSE(same.by_target["db0"].begin()->second.remove);
}

TEST(EventDecoderTest, RouterNeedsATargetTemplateForSeveralTargets) {
  SinkConfig config;
  config.name = "s";
  config.targets = {{"a", "mariadb://u@h/x"}, {"b", "mariadb://u@h/x"}};
  auto router = Router::Make(config);
  ASSERT_FALSE(router.ok());
  EXPECT_NE(router.status().message().find("target"), std::string::npos);
}

TEST(EventDecoderTest, CanonicalValuesCompareByMeaning) {
  EXPECT_EQ(Canonical(ValueClass::kDecimal, "12.50"), Canonical(ValueClass::kDecimal, "12.5"));
  EXPECT_EQ(Canonical(ValueClass::kDecimal, "12.00"), "12");
  EXPECT_NE(Canonical(ValueClass::kDecimal, "12.51"), Canonical(ValueClass::kDecimal, "12.5"));
  EXPECT_EQ(Canonical(ValueClass::kDateTime, "2024-05-01 10:00:00.000000"),
            Canonical(ValueClass::kDateTime, "2024-05-01 10:00:00"));
  EXPECT_EQ(Canonical(ValueClass::kDateTime, "2024-05-01 10:00:00.12+00"),
            Canonical(ValueClass::kDateTime, "2024-05-01 10:00:00.120000"));
  EXPECT_EQ(Canonical(ValueClass::kJson, R"({"b":1,"a":[1,2]})"),
            Canonical(ValueClass::kJson, R"({"a": [1, 2], "b": 1})"));
  EXPECT_EQ(Canonical(ValueClass::kInt, "t"), "1");
  EXPECT_NE(Canonical(ValueClass::kText, std::nullopt), Canonical(ValueClass::kText, "NULL"));
  EXPECT_EQ(Canonical(ValueClass::kBinary, std::string("\x01\xff", 2)), "01ff");
}

TEST(EventDecoderTest, ArraysCompareByMeaningAcrossPostgresTextAndJson) {
  EXPECT_EQ(Canonical(ValueClass::kArray, R"({1,NULL,"a b","q\"u",1.50})"),
            Canonical(ValueClass::kArray, R"([1, null, "a b", "q\"u", 1.5])"));
  EXPECT_EQ(Canonical(ValueClass::kArray, "[0:1]={t,f}"),
            Canonical(ValueClass::kArray, "[true,false]"));
  EXPECT_EQ(Canonical(ValueClass::kArray, "{}"), "[]");
  EXPECT_NE(Canonical(ValueClass::kArray, "{1,2}"), Canonical(ValueClass::kArray, "{1,3}"));
  EXPECT_NE(Canonical(ValueClass::kArray, "{NULL}"), Canonical(ValueClass::kArray, R"({"NULL"})"));
  EXPECT_EQ(ClassOfSourceType("array", "_int4"), ValueClass::kArray);
}

constexpr const char* kArrayEvent = R"({"schema":{"type":"struct","fields":[
 {"type":"struct","optional":true,"field":"after","fields":[
   {"type":"int32","optional":false,"field":"id"},
   {"type":"array","items":{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"optional":true,"field":"prices"},
   {"type":"array","items":{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1},"optional":true,"field":"days"},
   {"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"tags"}]}]},
 "payload":{"before":null,"after":{"id":1,"prices":["BOI=",null],"days":[19844],"tags":[]},
            "source":{"db":"shop","schema":"public","table":"t","ts_ms":1},"op":"c"}})";

TEST(EventDecoderTest, ArraysDecodeElementByElement) {
  InputRecord r{"shop.public.t", 0, 5, kSchemaKey, kArrayEvent, 0};
  auto c = DecodeJsonEvent(r);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c->after.Find("prices"),
            SqlValue::Array({SqlValue::Number("12.50"), SqlValue::Null()}));
  EXPECT_EQ(*c->after.Find("days"), SqlValue::Array({SqlValue::Text("2024-05-01")}));
  EXPECT_EQ(*c->after.Find("tags"), SqlValue::Array({}));
  const ColumnType* prices = c->after.TypeOf("prices");
  ASSERT_NE(prices, nullptr);
  ASSERT_EQ(prices->items.size(), 1u);
  EXPECT_EQ(prices->items[0].scale, 2);
  std::string bad = kArrayEvent;
  bad.replace(bad.find(R"("days":[19844])"), 14, R"("days":19844 )");
  InputRecord wrong{"shop.public.t", 0, 6, kSchemaKey, bad, 0};
  auto w = DecodeJsonEvent(wrong);
  EXPECT_FALSE(w.ok());
}

TEST(EventDecoderTest, DatabaseUrls) {
  auto u = ParseDatabaseUrl("postgresql://vimur:p%40ss@127.0.0.1:5433/shop");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->dialect, Dialect::kPostgres);
  EXPECT_EQ(u->password, "p@ss");
  EXPECT_EQ(u->port, 5433);
  EXPECT_EQ(u->database, "shop");
  EXPECT_EQ(u->Redacted(), "postgresql://vimur@127.0.0.1:5433/shop");
  auto bad = ParseDatabaseUrl("oracle://u:secret@h/x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace vimur::sink
