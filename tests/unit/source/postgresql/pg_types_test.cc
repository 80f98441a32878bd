#include "source/postgresql/pg_types.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vimur::postgresql {
namespace {

Value Decode(uint32_t type_oid, int32_t typmod, std::string_view text, ByteArena* arena) {
  ColumnSchema c = ColumnForType(type_oid, typmod);
  c.name = "c";
  Value v;
  Status s = DecodeText(c, type_oid, text, arena, &v);
  EXPECT_TRUE(s.ok()) << text << ": " << s.ToString();
  return v;
}

TEST(PgTypesTest, ColumnTypes) {
  EXPECT_EQ(ColumnForType(oid::kInt2, -1).type, LogicalType::kInt16);
  EXPECT_EQ(ColumnForType(oid::kInt8, -1).type, LogicalType::kInt64);
  const ColumnSchema n = ColumnForType(oid::kNumeric, (12 << 16) + 4 + 3);
  EXPECT_EQ(n.type, LogicalType::kDecimal);
  EXPECT_EQ(n.precision, 12);
  EXPECT_EQ(n.scale, 3);
  // numeric without precision, and numeric(5,-2) (a negative scale, PostgreSQL 15): each value
  // has its own scale (VariableScaleDecimal), the value its exact text.
  EXPECT_EQ(ColumnForType(oid::kNumeric, -1).type, LogicalType::kDecimal);
  EXPECT_EQ(ColumnForType(oid::kNumeric, -1).scale, -1);
  EXPECT_EQ(ColumnForType(oid::kNumeric, (5 << 16) + (0x7fe) + 4).type, LogicalType::kDecimal);
  EXPECT_EQ(ColumnForType(oid::kNumeric, (5 << 16) + (0x7fe) + 4).scale, -1);
  EXPECT_EQ(ColumnForType(oid::kTimestamp, 3).type, LogicalType::kTimestampMillis);
  EXPECT_EQ(ColumnForType(oid::kTimestamp, -1).type, LogicalType::kTimestampMicros);
  EXPECT_EQ(ColumnForType(oid::kTimestamptz, -1).fsp, 6);
  EXPECT_EQ(ColumnForType(oid::kJsonb, -1).type, LogicalType::kJson);
  EXPECT_EQ(ColumnForType(600, -1).type, LogicalType::kString);  // point: text
}

TEST(PgTypesTest, MoneyIsADecimalWithTheFractionDigits) {
  const ColumnSchema m = ColumnForType(oid::kMoney, -1);
  EXPECT_EQ(m.type, LogicalType::kDecimal);
  EXPECT_EQ(m.scale, 2);
  EXPECT_EQ(m.precision, 0);
  EXPECT_EQ(ColumnForType(oid::kMoney, -1, 4).scale, 4);
  ByteArena a;
  EXPECT_EQ(Decode(oid::kMoney, -1, "-$1,234.56", &a).s, "-1234.56");
  ColumnSchema four = ColumnForType(oid::kMoney, -1, 4);
  four.name = "m";
  Value v;
  ASSERT_TRUE(DecodeText(four, oid::kMoney, "$0.10", &a, &v).ok());
  EXPECT_EQ(v.s, "0.1000");
  Status s = DecodeText(four, oid::kMoney, "free", &a, &v);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("column m"), std::string::npos) << s.message();
}

TEST(PgTypesTest, DecodesValues) {
  ByteArena a;
  EXPECT_TRUE(Decode(oid::kBool, -1, "t", &a).b);
  EXPECT_EQ(Decode(oid::kInt8, -1, "-9223372036854775808", &a).i, INT64_MIN);
  EXPECT_EQ(Decode(oid::kOid, -1, "4294967295", &a).i, 4294967295);
  EXPECT_TRUE(std::isnan(Decode(oid::kFloat8, -1, "NaN", &a).d));
  EXPECT_EQ(Decode(oid::kFloat8, -1, "-Infinity", &a).d, -INFINITY);
  EXPECT_EQ(Decode(oid::kFloat4, -1, "1.5", &a).f, 1.5f);
  EXPECT_EQ(Decode(oid::kNumeric, (10 << 16) + 6, "-12.50", &a).s, "-12.50");
  EXPECT_EQ(Decode(oid::kNumeric, -1, "-0.000100", &a).s, "-0.000100");
  EXPECT_EQ(Decode(oid::kBytea, -1, "\\x00ff41", &a).s, std::string("\0\xff"
                                                                    "A",
                                                                    3));
  EXPECT_EQ(Decode(oid::kBytea, -1, "\\x", &a).s, "");
  EXPECT_EQ(Decode(oid::kDate, -1, "1970-01-02", &a).i, 1);
  EXPECT_EQ(Decode(oid::kDate, -1, "1969-12-31", &a).i, -1);
  EXPECT_EQ(Decode(oid::kDate, -1, "0001-01-01 BC", &a).i, -719528);  // year 0
  EXPECT_EQ(Decode(oid::kTime, -1, "10:00:00.5", &a).i, 36000500000);
  EXPECT_EQ(Decode(oid::kTime, -1, "24:00:00", &a).i, 86400000000);
  EXPECT_EQ(Decode(oid::kTimestamp, -1, "1970-01-01 00:00:01.000001", &a).i, 1000001);
  EXPECT_EQ(Decode(oid::kTimestamp, 3, "1969-12-31 23:59:59.999", &a).i, -1);
  EXPECT_EQ(Decode(oid::kTimestamptz, -1, "2024-05-01 10:00:00.12+00", &a).s,
            "2024-05-01T10:00:00.120000Z");
  EXPECT_EQ(Decode(oid::kTimestamptz, 0, "2024-05-01 12:30:00+02:30", &a).s,
            "2024-05-01T10:00:00Z");
  EXPECT_EQ(Decode(oid::kUuid, -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", &a).s,
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
}

TEST(PgTypesTest, RejectsMalformedText) {
  ByteArena a;
  Value v;
  for (auto [type, text] :
       std::vector<std::pair<uint32_t, std::string>>{{oid::kBool, "yes"},
                                                     {oid::kInt4, "12a"},
                                                     {oid::kBytea, "\\x0"},
                                                     {oid::kBytea, "00"},
                                                     {oid::kDate, "2024-13-01"},
                                                     {oid::kTime, "10:00"},
                                                     {oid::kTimestamp, "2024-01-01T00:00:00"},
                                                     {oid::kFloat8, ""}}) {
    ColumnSchema c = ColumnForType(type, -1);
    c.name = "col";
    Status s = DecodeText(c, type, text, &a, &v);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_NE(s.message().find("column col"), std::string::npos) << s.message();
  }
}

TEST(PgTypesTest, BitsAsDebeziumDoes) {
  EXPECT_EQ(ColumnForType(oid::kBit, 1).type, LogicalType::kBoolean);
  EXPECT_EQ(ColumnForType(oid::kVarbit, 1).type, LogicalType::kBoolean);
  EXPECT_EQ(ColumnForType(oid::kBit, 12).type, LogicalType::kBits);
  EXPECT_EQ(ColumnForType(oid::kBit, 12).precision, 12);
  EXPECT_EQ(ColumnForType(oid::kVarbit, -1).type, LogicalType::kBits);
  EXPECT_EQ(ColumnForType(oid::kUuid, -1).type, LogicalType::kUuid);
  EXPECT_EQ(ColumnForType(oid::kInterval, -1).type, LogicalType::kMicroDuration);
  ByteArena a;
  EXPECT_TRUE(Decode(oid::kBit, 1, "1", &a).b);
  EXPECT_FALSE(Decode(oid::kVarbit, 1, "0", &a).b);
  // The last character is bit 0; little-endian bytes, as few as the highest set bit needs.
  EXPECT_EQ(Decode(oid::kBit, 12, "000000000101", &a).s, std::string_view("\x05", 1));
  EXPECT_EQ(Decode(oid::kBit, 12, "100000000001", &a).s, std::string_view("\x01\x08", 2));
  EXPECT_EQ(Decode(oid::kVarbit, -1, "0000", &a).s, std::string_view());
  EXPECT_EQ(Decode(oid::kInterval, -1, "1 day", &a).i, 86400LL * 1000000);
  ColumnSchema bits = ColumnForType(oid::kBit, 4);
  Value v;
  EXPECT_FALSE(DecodeText(bits, oid::kBit, "10x1", &a, &v).ok());
}

TEST(PgTypesTest, ArraysOfBuiltInTypes) {
  const ColumnSchema ints = ColumnForType(1007, -1);  // int4[]
  EXPECT_TRUE(ints.is_array());
  EXPECT_EQ(ints.type, LogicalType::kInt32);
  EXPECT_EQ(ints.array_element_oid, oid::kInt4);
  EXPECT_EQ(ints.type_name, "_INT4");
  // The modifier of an array column is its elements': numeric(6,2)[].
  const ColumnSchema nums = ColumnForType(1231, (6 << 16) + 4 + 2);
  EXPECT_TRUE(nums.is_array());
  EXPECT_EQ(nums.precision, 6);
  EXPECT_EQ(nums.scale, 2);
  EXPECT_FALSE(ColumnForType(oid::kInt4, -1).is_array());
  EXPECT_FALSE(ColumnForType(1020, -1).is_array());  // box[]: ';' separates its elements
  EXPECT_EQ(BuiltinArrayElement(3807), oid::kJsonb);
  EXPECT_EQ(BuiltinArrayElement(oid::kText), 0u);
}

TEST(PgTypesTest, DecodesArraysElementByElement) {
  ByteArena a;
  Value v = Decode(1007, -1, "{1,NULL,-3}", &a);
  ASSERT_EQ(v.kind, ValueKind::kArray);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.items[0].i, 1);
  EXPECT_TRUE(v.items[1].is_null());
  EXPECT_EQ(v.items[2].i, -3);
  EXPECT_EQ(Decode(1007, -1, "{}", &a).size(), 0u);
  // Quoted elements with escapes; "NULL" quoted is text, unquoted it is null.
  v = Decode(1009, -1, R"({plain,"a b","q\"uote","back\\slash","",NULL,"NULL","{x,y}"})", &a);
  ASSERT_EQ(v.size(), 8u);
  EXPECT_EQ(v.items[0].s, "plain");
  EXPECT_EQ(v.items[1].s, "a b");
  EXPECT_EQ(v.items[2].s, "q\"uote");
  EXPECT_EQ(v.items[3].s, "back\\slash");
  EXPECT_EQ(v.items[4].s, "");
  EXPECT_EQ(v.items[4].kind, ValueKind::kText);
  EXPECT_TRUE(v.items[5].is_null());
  EXPECT_EQ(v.items[6].s, "NULL");
  EXPECT_EQ(v.items[7].s, "{x,y}");
  // Bounds other than 1 come first; the elements are what counts.
  v = Decode(1007, -1, "[0:1]={7,8}", &a);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v.items[1].i, 8);
  v = Decode(1182, -1, "{1970-01-02,NULL}", &a);  // date[]
  EXPECT_EQ(v.items[0].i, 1);
  v = Decode(1001, -1, R"({"\\x00ff",NULL})", &a);  // bytea[]
  EXPECT_EQ(v.items[0].s, std::string("\0\xff", 2));
  v = Decode(1185, -1, R"({"2024-05-01 12:30:00+02:30"})", &a);  // timestamptz[]
  EXPECT_EQ(v.items[0].s, "2024-05-01T10:00:00.000000Z");
  v = Decode(791, -1, R"({"$1,234.50","-$0.07"})", &a);  // money[]
  EXPECT_EQ(v.items[0].s, "1234.50");
  EXPECT_EQ(v.items[1].s, "-0.07");
}

TEST(PgTypesTest, RejectsMalformedAndMultiDimensionalArrays) {
  ByteArena a;
  Value v;
  ColumnSchema c = ColumnForType(1007, -1);
  c.name = "ints";
  for (std::string text : {"1,2", "{1,2", "{1,,2}", "{1,x}", "{\"1}", "[0:1]{1,2}"}) {
    Status s = DecodeText(c, 1007, text, &a, &v);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_NE(s.message().find("column ints"), std::string::npos) << s.message();
  }
  Status s = DecodeText(c, 1007, "{{1,2},{3,4}}", &a, &v);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("multi-dimensional"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vimur::postgresql
