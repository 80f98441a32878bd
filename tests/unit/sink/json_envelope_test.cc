#include "sink/json_envelope.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

TEST(JsonEnvelopeTest, SplitsSchemaAndPayloadInEitherOrder) {
  JsonEnvelopeParts parts;
  ASSERT_TRUE(SplitJsonEnvelope(R"({"schema":{"a":[1,{"b":"}"}]},"payload":{"x":"\"{"}})", &parts));
  EXPECT_EQ(parts.schema, R"({"a":[1,{"b":"}"}]})");
  EXPECT_EQ(parts.payload, R"({"x":"\"{"})");
  ASSERT_TRUE(SplitJsonEnvelope(" { \"payload\" : null ,\n\"schema\":\"s\\\\\" } ", &parts));
  EXPECT_EQ(parts.payload, "null");
  EXPECT_EQ(parts.schema, "\"s\\\\\"");
}

TEST(JsonEnvelopeTest, RefusesWhatIsNotAnEnvelope) {
  JsonEnvelopeParts parts;
  EXPECT_FALSE(SplitJsonEnvelope(R"({"payload":{}})", &parts));                // no schema
  EXPECT_FALSE(SplitJsonEnvelope(R"({"schema":{},"payload":{})", &parts));     // unclosed
  EXPECT_FALSE(SplitJsonEnvelope(R"({"schema":{},"payload":{}} x)", &parts));  // trailing text
  EXPECT_FALSE(SplitJsonEnvelope(R"({"schema":{},"payload":"x)", &parts));     // open string
  EXPECT_FALSE(SplitJsonEnvelope(R"([{"schema":{},"payload":{}}])", &parts));  // not an object
  EXPECT_FALSE(SplitJsonEnvelope(R"({"schema" {},"payload":{}})", &parts));    // no colon
  EXPECT_FALSE(SplitJsonEnvelope("", &parts));
  EXPECT_FALSE(SplitJsonEnvelope(R"({"schema":{},"x":1,"payload":{}})", &parts));  // another
  EXPECT_FALSE(SplitJsonEnvelope(R"({"op":"c","after":{}})", &parts));  // an event, no schema
}

TEST(JsonEnvelopeTest, KnownSchemaSkipsTheScanOnlyWhenItMatchesExactly) {
  JsonEnvelopeParts parts;
  ASSERT_TRUE(SplitJsonEnvelope(R"({"schema":{"s":1},"payload":{"p":2}})", R"({"s":1})", &parts));
  EXPECT_EQ(parts.schema, R"({"s":1})");
  EXPECT_EQ(parts.payload, R"({"p":2})");
  // Another schema, or another layout: found by the scan.
  ASSERT_TRUE(SplitJsonEnvelope(R"({"schema":{"s":2},"payload":{"p":2}})", R"({"s":1})", &parts));
  EXPECT_EQ(parts.schema, R"({"s":2})");
  ASSERT_TRUE(SplitJsonEnvelope(R"({"payload":{"p":3}, "schema":{"s":1}})", R"({"s":1})", &parts));
  EXPECT_EQ(parts.payload, R"({"p":3})");
  EXPECT_FALSE(SplitJsonEnvelope(R"({"schema":{"s":1},"payload":})", R"({"s":1})", &parts));
}

}  // namespace
}  // namespace vimur::sink
