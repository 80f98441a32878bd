// DecodeJsonEvent's one-pass fast path against the tree-based decoding, on events of every
// column type and on unusual and malformed payloads: the results must be the same.
#include <gtest/gtest.h>

#include <string>

#include "sink/sql/event_decoder.h"

namespace vimur::sink {
namespace {

constexpr const char* kColumns = R"([
 {"type":"int64","optional":false,"field":"id"},
 {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"d"},
 {"type":"int32","optional":true,"name":"io.debezium.time.Date","field":"dt"},
 {"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","field":"ts"},
 {"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","field":"mts"},
 {"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","field":"mt"},
 {"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","field":"t"},
 {"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","field":"z"},
 {"type":"struct","optional":true,"name":"io.debezium.data.VariableScaleDecimal","field":"v"},
 {"type":"array","optional":true,"items":{"type":"int32"},"field":"a"},
 {"type":"bytes","optional":true,"field":"by"},
 {"type":"boolean","optional":true,"field":"b"},
 {"type":"string","optional":true,"field":"s"},
 {"type":"double","optional":true,"field":"f"}])";

std::string Event(const std::string& payload) {
  return std::string(
             R"({"schema":{"type":"struct","fields":[{"type":"struct","optional":true,"field":"before","fields":)") +
         kColumns + R"(},{"type":"struct","optional":true,"field":"after","fields":)" + kColumns +
         R"(}]},"payload":)" + payload + "}";
}

constexpr const char* kKey =
    R"({"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}]},"payload":{"id":1}})";

// `value` whole, as the record's value (`Event(payload)` wraps a payload with the schema).
void ExpectSameValue(const std::string& value, const std::string& key = kKey) {
  SCOPED_TRACE(value);
  InputRecord r{"t", 0, 1, key, value, 0};
  auto fast = DecodeJsonEvent(r);
  auto tree = DecodeJsonEventByTree(r);
  ASSERT_EQ(fast.ok(), tree.ok()) << (fast.ok() ? tree.status() : fast.status()).message();
  if (!fast.ok()) {
    EXPECT_EQ(fast.status().message(), tree.status().message());
    return;
  }
  EXPECT_EQ(fast->op, tree->op);
  EXPECT_EQ(fast->db, tree->db);
  EXPECT_EQ(fast->table, tree->table);
  EXPECT_EQ(fast->source_ts_ms, tree->source_ts_ms);
  EXPECT_EQ(fast->key_columns, tree->key_columns);
  EXPECT_EQ(fast->has_before, tree->has_before);
  EXPECT_EQ(fast->has_after, tree->has_after);
  for (auto [a, b] : {std::pair{&fast->before, &tree->before}, {&fast->after, &tree->after}}) {
    EXPECT_EQ(a->names, b->names);
    EXPECT_EQ(a->values, b->values);
    EXPECT_EQ(a->types, b->types);
  }
}

void ExpectSame(const std::string& payload) { ExpectSameValue(Event(payload)); }

const std::string kRow =
    R"({"id":1,"d":"BOI=","dt":19844,"ts":1714557600123,"mts":1714557600123456,"mt":3723000001,)"
    R"("t":3723001,"z":"2024-05-01T10:00:00.120Z","v":{"scale":2,"value":"BOI="},"a":[1,2,null],)"
    R"("by":"AAEC","b":true,"s":"caf\u00e9 \"x\"\n","f":1.5})";
const std::string kSource = R"("source":{"db":"shop","table":"t","ts_ms":1714557600000})";

TEST(EventDecoderFastPathTest, EveryColumnType) {
  ExpectSame(R"({"before":null,"after":)" + kRow + "," + kSource + R"(,"op":"c"})");
  ExpectSame(R"({"before":)" + kRow + R"(,"after":)" + kRow + "," + kSource + R"(,"op":"u"})");
  ExpectSame(R"({"before":)" + kRow + R"(,"after":null,)" + kSource + R"(,"op":"d"})");
  ExpectSame(R"( { "op" : "r" , "after" : { "s" : "only" , "id" : 2 } } )");  // order, missing
}

TEST(EventDecoderFastPathTest, Numbers) {
  for (const char* f :
       {"0", "-0", "-0.0", "1e20", "1E-7", "123456789012345678901234567890", "-9223372036854775808",
        "-9223372036854775809", "18446744073709551615", "0.1", "1e400", "2.5e-310"}) {
    ExpectSame(std::string(R"({"after":{"id":1,"f":)") + f + R"(},"op":"c"})");
    ExpectSame(std::string(R"({"after":{"id":)") + f + R"(},"op":"c"})");
    ExpectSame(std::string(R"({"after":{"id":1,"dt":)") + f + R"(},"op":"c"})");
    ExpectSame(std::string(R"({"after":{"id":1},"source":{"ts_ms":)") + f + R"(},"op":"c"})");
  }
}

TEST(EventDecoderFastPathTest, UnusualPayloads) {
  for (std::string payload : {
           R"({"after":{"id":1,"id":2},"op":"c"})",        // a repeated column
           R"({"after":{"id":1},"after":null,"op":"c"})",  // a repeated image
           R"({"after":{"id":1},"op":"x","op":"c"})",      // a repeated op
           R"({"after":{"id":1},"source":{"db":"a"},"source":7,"op":"c"})",
           R"({"after":{"id":1},"source":{"db":null},"op":"c"})",
           R"({"after":{"id":1},"source":{"ts_ms":true},"op":"c"})",
           R"({"after":{"id":1},"source":[1],"op":"c"})",
           R"({"after":{"id":1,"extra":{"x":[1,{"y":"z"}]}},"op":"c"})",
           R"({"after":{"id":1},"op":"t"})",
           R"({"after":{"id":1},"op":"m"})",
           R"({"after":{"id":1},"op":"x"})",
           R"({"after":{"id":1},"op":7})",
           R"({"after":{"id":1}})",
           R"({"after":[1],"op":"c"})",
           R"({"after":{"id":"1"},"op":"c"})",
           R"({"after":{"id":1,"b":1},"op":"c"})",
           R"({"after":{"id":1,"d":"B!I="},"op":"c"})",
           R"({"after":{"id":1,"v":{"scale":-1,"value":"AA=="}},"op":"c"})",
           R"({"after":{"id":1,"a":[[1]]},"op":"c"})",
           R"({"after":{"id":1,"s":"\ud800"},"op":"c"})",
           "{\"after\":{\"id\":1,\"s\":\"\xff\"},\"op\":\"c\"}",
           R"({"after":{"id":1},"op":"c"} , "x":1)",
           R"({"after":{"id":1},"op":"c"})",
           R"({"after":{"id":1},"op":"c",})",
           R"({"after":{"id":1 "s":"a"},"op":"c"})",
           R"({"after":{"\u0069d":1},"op":"c"})",
           "[1]",
           "7",
       }) {
    ExpectSame(payload);
  }
}

// Text after the payload (here a member the split does not expect): the record decodes the same
// whether its schema is new or was seen just before (found by the fuzz target).
TEST(EventDecoderFastPathTest, TextAfterThePayloadDecodesTheSameWithASchemaSeenBefore) {
  const std::string payload =
      "{\"after\":{\"id\":5,\"rare_fast_path_column\":1}," + kSource + ",\"op\":\"c\"}";
  const std::string schema =
      R"({"type":"struct","fields":[{"type":"struct","optional":true,"field":"after","fields":[)"
      R"({"type":"int64","optional":false,"field":"id"},)"
      R"({"type":"int32","optional":true,"field":"rare_fast_path_column"}]}]})";
  const std::string odd = "{\"schema\":" + schema + ",\"payload\":" + payload + ",\"extra\":1}";
  InputRecord r{"t", 0, 1, kKey, odd, 0};
  auto first = DecodeJsonEvent(r);  // the schema is new: found by a scan
  auto again = DecodeJsonEvent(r);  // seen before: the quick split, then a scan
  auto tree = DecodeJsonEventByTree(r);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(again.ok()) << again.status().message();
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(again->after.values, first->after.values);
  EXPECT_EQ(tree->after.values, first->after.values);
  EXPECT_EQ(*first->after.Find("id"), SqlValue::Number("5"));
}

// Events without a schema (format.schemas: false): the columns come in name order, a repeated
// one takes its last value, and nested values, envelopes and malformed text go to the tree.
TEST(EventDecoderFastPathTest, EventsWithoutSchema) {
  for (
      std::string value : {
          R"({"before":null,"after":{"id":1,"b":true,"a":"x","n":null,"f":1.50,"big":18446744073709551616,"neg":-0,"u":18446744073709551615},"source":{"db":"d","table":"t","ts_ms":5},"op":"c"})",
          R"({"before":{"z":1,"a":2,"z":3},"after":{"a":1},"op":"u"})",
          R"({"before":{"id":1},"after":null,"op":"d"})",
          R"({"after":{"id":1,"j":{"x":[2,1],"a":null}},"op":"c"})",
          R"({"after":{"id":1,"arr":[1,"a"]},"op":"r"})",
          R"({"after":{"id":1},"op":"c","schema":{},"payload":{"op":"d"}})",
          R"({"after":{"id":1},"payload":{"op":"d"},"op":"c"})",
          R"({"after":{"s":"caf\u00e9 \"x\"\n\ud83d\ude00"},"op":"c"})",
          R"({"after":{"s":"\ud800"},"op":"c"})",
          "{\"after\":{\"s\":\"\xff\"},\"op\":\"c\"}",
          R"({"after":{},"op":"c"})",
          R"({"after":{"id":1},"op":"t"})",
          R"({"after":{"id":1}})",
          R"({"after":{"id":01},"op":"c"})",
          R"({"after":{"id":1},"op":"c"} x)",
          "not json",
      }) {
    ExpectSameValue(value, R"({"id":1})");
    ExpectSameValue(value, R"({"b":2,"a":1})");
  }
}

}  // namespace
}  // namespace vimur::sink
