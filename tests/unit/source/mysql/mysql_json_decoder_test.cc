#include "source/mysql/mysql_json_decoder.h"

#include <gtest/gtest.h>

#include <limits>

#include "mysql_json_test_util.h"

namespace vimur::mysql {
namespace {

using testing::BinJson;
using testing::JArray;
using testing::JBool;
using testing::JDouble;
using testing::JInt16;
using testing::JInt32;
using testing::JInt64;
using testing::JNull;
using testing::JObject;
using testing::JOpaque;
using testing::JString;
using testing::JUInt16;
using testing::JUInt32;
using testing::JUInt64;
using testing::LittleEndian;

std::string ToText(const std::string& doc) {
  std::string out;
  Status s = MySqlJsonToText(doc, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string ToText(const BinJson& j) { return ToText(j.doc()); }

Status Decode(const std::string& doc) {
  std::string out;
  return MySqlJsonToText(doc, &out);
}

// Packed temporal value as MySQL stores it in JSON opaques (TIME_to_longlong_packed).
std::string PackedDateTime(int year, int month, int day, int hour, int minute, int second,
                           int micros) {
  const int64_t ymd = ((int64_t{year} * 13 + month) << 5) | day;
  const int64_t hms = (int64_t{hour} << 12) | (minute << 6) | second;
  const int64_t packed = (((ymd << 17) | hms) << 24) | micros;
  return LittleEndian(static_cast<uint64_t>(packed), 8);
}

std::string PackedTime(bool negative, int hour, int minute, int second, int micros) {
  const int64_t hms = (int64_t{hour} << 12) | (minute << 6) | second;
  int64_t packed = (hms << 24) | micros;
  if (negative) packed = -packed;
  return LittleEndian(static_cast<uint64_t>(packed), 8);
}

TEST(MySqlJsonDecoderTest, HandWrittenSmallObject) {
  // {"a": 1} exactly as MySQL 8 writes it.
  const std::string doc("\x00\x01\x00\x0c\x00\x0b\x00\x01\x00\x05\x01\x00\x61", 13);
  EXPECT_EQ(ToText(doc), "{\"a\":1}");
}

TEST(MySqlJsonDecoderTest, Literals) {
  EXPECT_EQ(ToText(JNull()), "null");
  EXPECT_EQ(ToText(JBool(true)), "true");
  EXPECT_EQ(ToText(JBool(false)), "false");
  EXPECT_EQ(ToText(JArray({JNull(), JBool(true), JBool(false)})), "[null,true,false]");
  EXPECT_EQ(ToText(JObject({{"a", JBool(true)}, {"b", JNull()}}, true)), "{\"a\":true,\"b\":null}");
}

TEST(MySqlJsonDecoderTest, IntegersAtTheirExtremes) {
  EXPECT_EQ(ToText(JInt16(-32768)), "-32768");
  EXPECT_EQ(ToText(JInt16(32767)), "32767");
  EXPECT_EQ(ToText(JUInt16(65535)), "65535");
  EXPECT_EQ(ToText(JInt32(std::numeric_limits<int32_t>::min())), "-2147483648");
  EXPECT_EQ(ToText(JUInt32(4294967295u)), "4294967295");
  EXPECT_EQ(ToText(JInt64(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(ToText(JUInt64(std::numeric_limits<uint64_t>::max())), "18446744073709551615");
  // Inlined in small (16-bit) and large (32-bit) containers.
  EXPECT_EQ(ToText(JArray({JInt16(-1), JUInt16(65535), JInt32(-7), JUInt32(7)})),
            "[-1,65535,-7,7]");
  EXPECT_EQ(
      ToText(JArray({JInt16(-1), JUInt16(65535), JInt32(-70000), JUInt32(4000000000u)}, true)),
      "[-1,65535,-70000,4000000000]");
}

TEST(MySqlJsonDecoderTest, DoublesLikeDebezium) {
  EXPECT_EQ(ToText(JDouble(1.5)), "1.5");
  EXPECT_EQ(ToText(JDouble(1.0)), "1.0");
  EXPECT_EQ(ToText(JDouble(-2.25)), "-2.25");
  EXPECT_EQ(ToText(JDouble(0.0)), "0.0");
  EXPECT_EQ(ToText(JDouble(-0.0)), "-0.0");
  EXPECT_EQ(ToText(JDouble(0.1)), "0.1");
  EXPECT_EQ(ToText(JDouble(0.001)), "0.001");
  EXPECT_EQ(ToText(JDouble(9999999.0)), "9999999.0");
  // Outside [1e-3, 1e7) Java uses an exponent, so Debezium prints the exact BigDecimal.
  EXPECT_EQ(ToText(JDouble(1e7)), "10000000");
  EXPECT_EQ(ToText(JDouble(1e20)), "100000000000000000000");
  EXPECT_EQ(ToText(JDouble(12345678.9)), "12345678.90000000037252902984619140625");
  EXPECT_EQ(ToText(JDouble(1e-5)),
            "0.000010000000000000000818030539140313095458623138256371021270751953125");
  std::string tiny = ToText(JDouble(5e-324));
  EXPECT_EQ(tiny.size(), 1076u);
  EXPECT_EQ(tiny.substr(0, 4), "0.00");
}

TEST(MySqlJsonDecoderTest, StringsEscapedLikeJsonStringFormatter) {
  EXPECT_EQ(ToText(JString("")), "\"\"");
  EXPECT_EQ(ToText(JString("plain")), "\"plain\"");
  EXPECT_EQ(ToText(JString("a\"b\\c/d")), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(ToText(JString("\b\t\n\f\r")), "\"\\b\\t\\n\\f\\r\"");
  EXPECT_EQ(ToText(JString(std::string("\x01\x1f\x7f", 3))), "\"\\u0001\\u001F\x7f\"");
  EXPECT_EQ(ToText(JString("h\xC3\xA9llo \xF0\x9F\x98\x80")), "\"h\xC3\xA9llo \xF0\x9F\x98\x80\"");
  // Invalid UTF-8 becomes U+FFFD, as Java's decoder does.
  EXPECT_EQ(ToText(JString("a\xFF"
                           "b")),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(ToText(JString("\xC3")), "\"\xEF\xBF\xBD\"");
  // A string longer than 127 bytes needs a two-byte length.
  std::string longer(300, 'x');
  EXPECT_EQ(ToText(JString(longer)), "\"" + longer + "\"");
  // Keys are escaped the same way.
  EXPECT_EQ(ToText(JObject({{"q\"k", JInt16(1)}})), "{\"q\\\"k\":1}");
}

TEST(MySqlJsonDecoderTest, NestedContainersSmallAndLarge) {
  BinJson inner =
      JObject({{"x", JArray({JInt16(1), JString("two"), JDouble(3.5)})}, {"yy", JObject({})}});
  EXPECT_EQ(ToText(inner), "{\"x\":[1,\"two\",3.5],\"yy\":{}}");
  BinJson outer = JArray({inner, JArray({}), JObject({{"k", JInt64(-5)}}, true)}, true);
  EXPECT_EQ(ToText(outer), "[{\"x\":[1,\"two\",3.5],\"yy\":{}},[],{\"k\":-5}]");
  EXPECT_EQ(ToText(JObject({{"a", JUInt64(1)}, {"b", JArray({JBool(false)})}})),
            "{\"a\":1,\"b\":[false]}");
}

TEST(MySqlJsonDecoderTest, OpaqueValues) {
  // DECIMAL(5,2): precision, scale, binary decimal.
  EXPECT_EQ(ToText(JOpaque(246, std::string("\x05\x02\x80\x7b\x2d", 5))), "123.45");
  EXPECT_EQ(ToText(JOpaque(246, std::string("\x05\x02\x7f\x84\xd2", 5))), "-123.45");
  EXPECT_EQ(ToText(JOpaque(10, PackedDateTime(2024, 5, 1, 0, 0, 0, 0))), "\"2024-05-01\"");
  EXPECT_EQ(ToText(JOpaque(12, PackedDateTime(2024, 5, 1, 10, 20, 30, 123456))),
            "\"2024-05-01 10:20:30.123456\"");
  EXPECT_EQ(ToText(JOpaque(12, PackedDateTime(999, 12, 31, 23, 59, 59, 500000))),
            "\"0999-12-31 23:59:59.5\"");
  EXPECT_EQ(ToText(JOpaque(7, PackedDateTime(2024, 5, 1, 10, 0, 0, 0))), "\"2024-05-01 10:00:00\"");
  EXPECT_EQ(ToText(JOpaque(11, PackedTime(false, 12, 34, 56, 0))), "\"12:34:56\"");
  EXPECT_EQ(ToText(JOpaque(11, PackedTime(true, 838, 59, 58, 120000))), "\"-838:59:58.12\"");
  EXPECT_EQ(ToText(JOpaque(11, PackedTime(false, 0, 0, 0, 5000))), "\"00:00:00.005\"");
  // Anything else is base64 of its bytes.
  EXPECT_EQ(ToText(JOpaque(252, "\xca\xfe")), "\"yv4=\"");
  EXPECT_EQ(ToText(JOpaque(15, "\xca\xfe\xba\xbe")), "\"yv66vg==\"");
  EXPECT_EQ(ToText(JOpaque(16, "abc")), "\"YWJj\"");
  EXPECT_EQ(ToText(JOpaque(16, "")), "\"\"");
}

TEST(MySqlJsonDecoderTest, AppendsToExistingText) {
  std::string out = "prefix:";
  ASSERT_TRUE(MySqlJsonToText(JInt16(3).doc(), &out).ok());
  EXPECT_EQ(out, "prefix:3");
}

TEST(MySqlJsonDecoderTest, EveryTruncatedPrefixIsRejected) {
  BinJson doc = JObject({{"a", JArray({JInt16(1), JString("two"), JDouble(3.5)})},
                         {"bb", JOpaque(246, std::string("\x05\x02\x80\x7b\x2d", 5))},
                         {"ccc", JObject({{"x", JUInt64(9)}}, true)}});
  const std::string bytes = doc.doc();
  ASSERT_EQ(Decode(bytes).ok(), true);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Status s = Decode(bytes.substr(0, n));
    EXPECT_FALSE(s.ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
  }
  for (const BinJson& scalar : {JInt64(1), JDouble(2), JString("abc"), JOpaque(12, "12345678")}) {
    const std::string b = scalar.doc();
    for (size_t n = 0; n < b.size(); ++n) EXPECT_FALSE(Decode(b.substr(0, n)).ok()) << n;
  }
}

TEST(MySqlJsonDecoderTest, CorruptInputNamesTheOffset) {
  Status s = Decode(std::string("\x0d", 1));
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("unknown value type 13"), std::string::npos) << s.message();
  s = Decode(std::string("\x04\x07", 2));
  EXPECT_NE(s.message().find("invalid literal 7 at offset 1"), std::string::npos) << s.message();
  // Array whose only value offset points past its size.
  std::string arr("\x02\x01\x00\x07\x00\x0c\x40\x00", 8);
  s = Decode(arr);
  EXPECT_NE(s.message().find("value offset 64 outside its array at offset 5"), std::string::npos)
      << s.message();
  // Key outside the object.
  std::string obj("\x00\x01\x00\x0c\x00\x0b\x00\x09\x00\x05\x01\x00\x61", 13);
  s = Decode(obj);
  EXPECT_NE(s.message().find("key 0 outside its object"), std::string::npos) << s.message();
  // Size larger than the document.
  s = Decode(std::string("\x02\x00\x00\xff\x00", 5));
  EXPECT_NE(s.message().find("overruns"), std::string::npos) << s.message();
  // Unterminated variable length.
  s = Decode(std::string("\x0c\xff\xff\xff\xff\xff\x01", 7));
  EXPECT_FALSE(s.ok());
  // Bad decimal and short temporal opaques.
  EXPECT_FALSE(Decode(JOpaque(246, std::string("\x50\x02\x80\x7b\x2d", 5)).doc()).ok());
  EXPECT_FALSE(Decode(JOpaque(246, std::string("\x05\x02\x83\xe8\x2d", 5)).doc()).ok());
  EXPECT_FALSE(Decode(JOpaque(12, "1234567").doc()).ok());
  EXPECT_FALSE(Decode("").ok());
}

TEST(MySqlJsonDecoderTest, DeepNestingIsRejectedNotOverflowed) {
  BinJson doc = JArray({});
  for (int i = 0; i < 200; ++i) doc = JArray({doc});
  Status s = Decode(doc.doc());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("nested too deep"), std::string::npos);
  BinJson ok = JArray({});
  for (int i = 0; i < 99; ++i) ok = JArray({ok});
  EXPECT_TRUE(Decode(ok.doc()).ok());
}

TEST(MySqlJsonDecoderTest, SharedOffsetsCannotExplode) {
  // An array whose 1000 entries all point at the same big array, nested: a "zip bomb".
  std::string leaf = JArray(std::vector<BinJson>(1000, JString("xxxxxxxxxxxxxxxxxxxx"))).doc();
  std::string data = LittleEndian(1000, 2) + LittleEndian(0, 2);
  const size_t header = 4 + 1000 * 3;
  for (int i = 0; i < 1000; ++i) data += std::string("\x02", 1) + LittleEndian(header, 2);
  data += leaf.substr(1);
  const size_t size = data.size();
  data.replace(2, 2, LittleEndian(size, 2));
  Status s = Decode(std::string("\x02", 1) + data);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("size limit"), std::string::npos) << s.message();
}

std::string Diff(uint8_t op, const std::string& path, const BinJson* value) {
  std::string d(1, static_cast<char>(op));
  d += static_cast<char>(path.size());
  d += path;
  if (value != nullptr) {
    std::string v = value->doc();
    d += static_cast<char>(v.size());
    d += v;
  }
  return d;
}

std::string Apply(const std::string& before, const std::string& diffs) {
  std::string out;
  Status s = ApplyMySqlJsonDiff(before, diffs, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(MySqlJsonDiffTest, ReplaceInsertRemove) {
  const std::string before = "{\"a\":1,\"bb\":[1,2,3],\"ccc\":{\"x\":\"y\"}}";
  BinJson two = JInt16(2);
  BinJson str = JString("new");
  BinJson obj = JObject({{"k", JBool(true)}});
  EXPECT_EQ(Apply(before, Diff(0, "$.a", &two)), "{\"a\":2,\"bb\":[1,2,3],\"ccc\":{\"x\":\"y\"}}");
  EXPECT_EQ(Apply(before, Diff(0, "$.bb[1]", &str)),
            "{\"a\":1,\"bb\":[1,\"new\",3],\"ccc\":{\"x\":\"y\"}}");
  EXPECT_EQ(Apply(before, Diff(0, "$.bb[last]", &obj)),
            "{\"a\":1,\"bb\":[1,2,{\"k\":true}],\"ccc\":{\"x\":\"y\"}}");
  EXPECT_EQ(Apply(before, Diff(0, "$.bb[last-2]", &two)),
            "{\"a\":1,\"bb\":[2,2,3],\"ccc\":{\"x\":\"y\"}}");
  // Inserted keys land in MySQL's order: by length, then bytewise.
  EXPECT_EQ(Apply(before, Diff(1, "$.b", &two)),
            "{\"a\":1,\"b\":2,\"bb\":[1,2,3],\"ccc\":{\"x\":\"y\"}}");
  EXPECT_EQ(Apply(before, Diff(1, "$.zz", &two)),
            "{\"a\":1,\"bb\":[1,2,3],\"zz\":2,\"ccc\":{\"x\":\"y\"}}");
  EXPECT_EQ(Apply(before, Diff(1, "$.\"a b c d\"", &two)),
            "{\"a\":1,\"bb\":[1,2,3],\"ccc\":{\"x\":\"y\"},\"a b c d\":2}");
  EXPECT_EQ(Apply(before, Diff(1, "$.bb[0]", &str)),
            "{\"a\":1,\"bb\":[\"new\",1,2,3],\"ccc\":{\"x\":\"y\"}}");
  EXPECT_EQ(Apply(before, Diff(1, "$.bb[9]", &str)),
            "{\"a\":1,\"bb\":[1,2,3,\"new\"],\"ccc\":{\"x\":\"y\"}}");
  EXPECT_EQ(Apply(before, Diff(2, "$.ccc.x", nullptr)), "{\"a\":1,\"bb\":[1,2,3],\"ccc\":{}}");
  EXPECT_EQ(Apply(before, Diff(2, "$.bb[0]", nullptr) + Diff(2, "$.a", nullptr)),
            "{\"bb\":[2,3],\"ccc\":{\"x\":\"y\"}}");
  // Several diffs apply in order.
  EXPECT_EQ(Apply(before, Diff(0, "$.a", &two) + Diff(1, "$.ccc.z", &str)),
            "{\"a\":2,\"bb\":[1,2,3],\"ccc\":{\"x\":\"y\",\"z\":\"new\"}}");
  // Scalars keep their exact text (numbers, escapes).
  EXPECT_EQ(Apply("{\"d\":12345678.90000000037252902984619140625,\"s\":\"q\\\"\\u0001\"}",
                  Diff(1, "$.e", &two)),
            "{\"d\":12345678.90000000037252902984619140625,\"e\":2,\"s\":\"q\\\"\\u0001\"}");
}

TEST(MySqlJsonDiffTest, RejectsDiffsThatDoNotFit) {
  BinJson two = JInt16(2);
  std::string out;
  const std::string before = "{\"a\":1,\"bb\":[1,2,3]}";
  for (const std::string& d : {Diff(0, "$.zz", &two), Diff(1, "$.a", &two),
                               Diff(2, "$.nope", nullptr), Diff(2, "$.bb[3]", nullptr),
                               Diff(0, "$", &two), Diff(0, "$.a.b", &two), Diff(0, "$.bb[*]", &two),
                               Diff(0, "a", &two), Diff(3, "$.a", &two), Diff(0, "$.a", nullptr)}) {
    Status s = ApplyMySqlJsonDiff(before, d, &out);
    EXPECT_FALSE(s.ok()) << d;
  }
  const std::string full = Diff(0, "$.bb[1]", &two);
  for (size_t n = 1; n < full.size(); ++n) {
    EXPECT_FALSE(ApplyMySqlJsonDiff(before, full.substr(0, n), &out).ok()) << n;
  }
  EXPECT_FALSE(ApplyMySqlJsonDiff("{\"a\":", full, &out).ok());
  EXPECT_FALSE(ApplyMySqlJsonDiff("[1,2", full, &out).ok());
  EXPECT_TRUE(ApplyMySqlJsonDiff(before, "", &out).ok());
  EXPECT_EQ(out, before);
}

}  // namespace
}  // namespace vimur::mysql
