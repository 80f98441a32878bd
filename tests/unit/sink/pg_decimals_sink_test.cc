// The sql sink's handling of PostgreSQL's decimals: io.debezium.data.VariableScaleDecimal
// values and a Decimal without a declared precision (money), their values and target types.
#include <gtest/gtest.h>

#include "sink/sql/event_decoder.h"
#include "sink/sql/type_mapping.h"

namespace vimur::sink {
namespace {

constexpr const char* kEvent = R"({"schema":{"type":"struct","fields":[
 {"type":"struct","optional":true,"field":"before","fields":[]},
 {"type":"struct","optional":true,"field":"after","fields":[
   {"type":"int32","optional":false,"field":"id"},
   {"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"field":"m"},
   {"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"n"},
   {"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"z"}]}]},
 "payload":{"before":null,"after":{"id":1,"m":"/h3G","n":{"scale":3,"value":"zyw="},"z":null},
            "source":{"db":"shop","table":"prices","ts_ms":1},"op":"c"}})";

TEST(PgDecimalsSinkTest, DecodesValuesAndMapsTypes) {
  InputRecord r{"shop.public.prices", 0, 1, std::nullopt, kEvent, 0};
  auto c = DecodeJsonEvent(r);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(*c->after.Find("m"), SqlValue::Number("-1234.50"));
  EXPECT_EQ(*c->after.Find("n"), SqlValue::Number("-12.500"));
  EXPECT_TRUE(c->after.Find("z")->is_null());
  EXPECT_EQ(TargetType(Dialect::kPostgres, *c->after.TypeOf("m"), false), "numeric(65,2)");
  EXPECT_EQ(TargetType(Dialect::kMariaDb, *c->after.TypeOf("m"), false), "DECIMAL(65,2)");
  EXPECT_EQ(TargetType(Dialect::kPostgres, *c->after.TypeOf("n"), false), "numeric");
  EXPECT_EQ(TargetType(Dialect::kMariaDb, *c->after.TypeOf("n"), false), "DECIMAL(65,30)");
}

TEST(PgDecimalsSinkTest, RefusesAMalformedVariableScaleDecimal) {
  std::string event = kEvent;
  event.replace(event.find(R"({"scale":3,"value":"zyw="})"), 26, R"({"value":"zyw="})");
  InputRecord r{"shop.public.prices", 0, 1, std::nullopt, event, 0};
  auto c = DecodeJsonEvent(r);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("column 'n'"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace vimur::sink
