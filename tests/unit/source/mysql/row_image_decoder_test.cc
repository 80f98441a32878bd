#include "source/mysql/row_image_decoder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "mysql_json_test_util.h"
#include "source/mysql/table_schema_builder.h"

// Column descriptions list only the fields a case needs.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vimur::mysql {
namespace {

using testing::LittleEndian;
using T = BinlogColumnType;

constexpr uint32_t kUtf8mb4 = 255;
constexpr uint32_t kLatin1 = 8;

struct Col {
  uint8_t type;
  uint16_t meta = 0;
  bool is_unsigned = false;
  uint32_t charset = 0;
  bool nullable = true;
  std::vector<std::string> members;  // ENUM or SET
};

TableMapEvent MakeMap(const std::vector<Col>& cols) {
  TableMapEvent map;
  map.table_id = 42;
  map.database = "shop";
  map.table = "t";
  for (size_t i = 0; i < cols.size(); ++i) {
    const Col& c = cols[i];
    map.column_types.push_back(c.type);
    map.column_meta.push_back(c.meta);
    map.nullable.push_back(c.nullable);
    map.is_unsigned.push_back(c.is_unsigned);
    map.column_charset.push_back(c.charset);
    map.column_names.push_back("c" + std::to_string(i));
    const uint8_t real = RealColumnType(c.type, c.meta);
    map.enum_values.push_back(real == T::kEnum ? c.members : std::vector<std::string>{});
    map.set_values.push_back(real == T::kSet ? c.members : std::vector<std::string>{});
    map.geometry_types.push_back(0);
  }
  return map;
}

std::string BE(uint64_t v, size_t width) {
  std::string s;
  for (size_t i = 0; i < width; ++i)
    s.push_back(static_cast<char>((v >> (8 * (width - 1 - i))) & 0xff));
  return s;
}

// Decodes a single-column row image holding `bytes` (non-null) and checks it is fully consumed.
class OneColumn {
 public:
  explicit OneColumn(Col col) : map_(MakeMap({std::move(col)})) {
    auto schema = BuildTableSchema(map_);
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    if (schema.ok()) schema_ = *schema;
  }
  Value Decode(const std::string& bytes) {
    row_ = std::string(1, '\0') + bytes;
    ByteReader reader(row_);
    std::vector<Value> out;
    Status s = decoder_.DecodeRow(map_, schema_, {true}, &reader, &arena_, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(reader.empty()) << reader.remaining() << " bytes left";
    return out.empty() ? Value() : out[0];
  }
  Status DecodeStatus(const std::string& bytes) {
    row_ = std::string(1, '\0') + bytes;
    ByteReader reader(row_);
    std::vector<Value> out;
    return decoder_.DecodeRow(map_, schema_, {true}, &reader, &arena_, &out);
  }

 private:
  TableMapEvent map_;
  TableSchema schema_;
  RowImageDecoder decoder_;
  ByteArena arena_;
  std::string row_;  // decoded values may view it
};

int64_t IntOf(Col col, const std::string& bytes) {
  OneColumn c(std::move(col));
  Value v = c.Decode(bytes);
  EXPECT_EQ(v.kind, ValueKind::kInt);
  return v.i;
}

std::string TextOf(Col col, const std::string& bytes) {
  OneColumn c(std::move(col));
  Value v = c.Decode(bytes);
  EXPECT_EQ(v.kind, ValueKind::kText);
  return std::string(v.s);
}

std::string BytesOf(Col col, const std::string& bytes) {
  OneColumn c(std::move(col));
  Value v = c.Decode(bytes);
  EXPECT_EQ(v.kind, ValueKind::kBytes);
  return std::string(v.s);
}

TEST(RowImageDecoderTest, IntegersSignedAndUnsignedAtExtremes) {
  EXPECT_EQ(IntOf({T::kTiny}, "\x80"), -128);
  EXPECT_EQ(IntOf({T::kTiny}, "\x7f"), 127);
  EXPECT_EQ(IntOf({T::kTiny}, "\xff"), -1);
  EXPECT_EQ(IntOf({T::kTiny, 0, true}, "\xff"), 255);
  EXPECT_EQ(IntOf({T::kShort}, LittleEndian(0x8000, 2)), -32768);
  EXPECT_EQ(IntOf({T::kShort}, LittleEndian(0x7fff, 2)), 32767);
  EXPECT_EQ(IntOf({T::kShort, 0, true}, LittleEndian(0xffff, 2)), 65535);
  EXPECT_EQ(IntOf({T::kInt24}, LittleEndian(0x800000, 3)), -8388608);
  EXPECT_EQ(IntOf({T::kInt24}, LittleEndian(0x7fffff, 3)), 8388607);
  EXPECT_EQ(IntOf({T::kInt24}, LittleEndian(0xffffff, 3)), -1);
  EXPECT_EQ(IntOf({T::kInt24, 0, true}, LittleEndian(0xffffff, 3)), 16777215);
  EXPECT_EQ(IntOf({T::kLong}, LittleEndian(0x80000000u, 4)), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(IntOf({T::kLong}, LittleEndian(0x7fffffffu, 4)), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(IntOf({T::kLong, 0, true}, LittleEndian(0xffffffffu, 4)), 4294967295);
  EXPECT_EQ(IntOf({T::kLongLong}, LittleEndian(0x8000000000000000u, 8)),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(IntOf({T::kLongLong}, LittleEndian(0x7fffffffffffffffu, 8)),
            std::numeric_limits<int64_t>::max());
  OneColumn u({T::kLongLong, 0, true});
  Value v = u.Decode(LittleEndian(0xffffffffffffffffu, 8));
  EXPECT_EQ(v.kind, ValueKind::kUInt);
  EXPECT_EQ(v.u, std::numeric_limits<uint64_t>::max());
}

TEST(RowImageDecoderTest, FloatingPoint) {
  OneColumn f({T::kFloat, 4});
  float fv = -1.5f;
  uint32_t fbits;
  std::memcpy(&fbits, &fv, 4);
  Value v = f.Decode(LittleEndian(fbits, 4));
  EXPECT_EQ(v.kind, ValueKind::kFloat);
  EXPECT_EQ(v.f, -1.5f);
  OneColumn d({T::kDouble, 8});
  double dv = 1e308;
  uint64_t dbits;
  std::memcpy(&dbits, &dv, 8);
  v = d.Decode(LittleEndian(dbits, 8));
  EXPECT_EQ(v.kind, ValueKind::kDouble);
  EXPECT_EQ(v.d, 1e308);
}

// Encodes a decimal string ("-12.50") in MySQL's binary DECIMAL format (decimal2bin).
std::string EncodeDecimal(const std::string& text, int precision, int scale) {
  static const int kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  bool negative = text[0] == '-';
  std::string digits = negative ? text.substr(1) : text;
  size_t point = digits.find('.');
  std::string ip = digits.substr(0, point);
  while (!ip.empty() && ip[0] == '0') ip.erase(0, 1);
  std::string fp = point == std::string::npos ? "" : digits.substr(point + 1);
  const int intg = precision - scale;
  ip = std::string(static_cast<size_t>(intg) - ip.size(), '0') + ip;
  fp += std::string(static_cast<size_t>(scale) - fp.size(), '0');
  std::string out;
  auto group = [&](const std::string& d) {
    int n = kDigitBytes[d.size()];
    out += BE(std::stoull(d), static_cast<size_t>(n));
  };
  size_t lead = static_cast<size_t>(intg % 9);
  if (lead > 0) group(ip.substr(0, lead));
  for (size_t i = lead; i < ip.size(); i += 9) group(ip.substr(i, 9));
  size_t full = static_cast<size_t>(scale / 9) * 9;
  for (size_t i = 0; i < full; i += 9) group(fp.substr(i, 9));
  if (scale % 9 > 0) group(fp.substr(full));
  out[0] = static_cast<char>(out[0] ^ 0x80);
  if (negative) {
    for (char& c : out) c = static_cast<char>(~c);
  }
  return out;
}

TEST(RowImageDecoderTest, NewDecimal) {
  auto dec = [](int p, int s, const std::string& in) {
    return TextOf({T::kNewDecimal, static_cast<uint16_t>((p << 8) | s)}, EncodeDecimal(in, p, s));
  };
  // Hand-checked bytes: DECIMAL(10,2) -0.50.
  EXPECT_EQ(TextOf({T::kNewDecimal, (10 << 8) | 2}, std::string("\x7f\xff\xff\xff\xcd", 5)),
            "-0.50");
  EXPECT_EQ(TextOf({T::kNewDecimal, (10 << 8) | 2}, std::string("\x80\x00\x00\x00\x32", 5)),
            "0.50");
  EXPECT_EQ(dec(10, 2, "-0.50"), "-0.50");
  EXPECT_EQ(dec(10, 2, "12345678.90"), "12345678.90");
  EXPECT_EQ(dec(10, 0, "-1234567890"), "-1234567890");
  EXPECT_EQ(dec(1, 0, "0"), "0");
  EXPECT_EQ(dec(4, 4, "0.1234"), "0.1234");
  EXPECT_EQ(dec(4, 4, "-0.0001"), "-0.0001");
  EXPECT_EQ(dec(18, 9, "-999999999.999999999"), "-999999999.999999999");
  EXPECT_EQ(dec(19, 0, "1000000000000000000"), "1000000000000000000");
  const std::string max = std::string(35, '9') + "." + std::string(30, '9');
  EXPECT_EQ(dec(65, 30, max), max);
  EXPECT_EQ(dec(65, 30, "-" + max), "-" + max);
  EXPECT_EQ(dec(65, 30, "0.000000000000000000000000000001"), "0.000000000000000000000000000001");
  EXPECT_EQ(dec(65, 0, std::string(65, '9')), std::string(65, '9'));
  EXPECT_EQ(dec(12, 3, "7.5"), "7.500");
  EXPECT_EQ(dec(12, 3, "0"), "0.000");
  // A digit group beyond 999999999 is corrupt.
  OneColumn bad({T::kNewDecimal, (18 << 8) | 0});
  EXPECT_EQ(bad.DecodeStatus(std::string("\x80\x00\x00\x00\xff\xff\xff\xff", 8)).code(),
            StatusCode::kCorruption);
}

TEST(RowImageDecoderTest, Bits) {
  OneColumn b1({T::kBit, 1});
  Value v = b1.Decode("\x01");
  EXPECT_EQ(v.kind, ValueKind::kBool);
  EXPECT_TRUE(v.b);
  EXPECT_FALSE(b1.Decode(std::string(1, '\0')).b);
  EXPECT_EQ(BytesOf({T::kBit, (1 << 8) | 2}, "\x02\x01"), "\x01\x02");  // BIT(10)
  EXPECT_EQ(BytesOf({T::kBit, (0 << 8) | 5}, "\x1f"), "\x1f");          // BIT(5)
  EXPECT_EQ(BytesOf({T::kBit, 8 << 8}, "\x01\x02\x03\x04\x05\x06\x07\x08"),
            "\x08\x07\x06\x05\x04\x03\x02\x01");  // BIT(64)
}

std::string Date(int y, int m, int d) { return LittleEndian((y << 9) | (m << 5) | d, 3); }

TEST(RowImageDecoderTest, DatesAndZeroDates) {
  EXPECT_EQ(IntOf({T::kDate}, Date(2024, 5, 1)), 19844);
  EXPECT_EQ(IntOf({T::kDate}, Date(1970, 1, 1)), 0);
  EXPECT_EQ(IntOf({T::kDate}, Date(1969, 12, 31)), -1);
  EXPECT_EQ(IntOf({T::kDate}, Date(1000, 1, 1)), -354285);
  EXPECT_EQ(IntOf({T::kDate}, Date(9999, 12, 31)), 2932896);
  OneColumn nullable({T::kDate});
  EXPECT_TRUE(nullable.Decode(Date(0, 0, 0)).is_null());
  EXPECT_TRUE(nullable.Decode(Date(2024, 0, 0)).is_null());
  Col not_null{T::kDate};
  not_null.nullable = false;
  EXPECT_EQ(IntOf(not_null, Date(0, 0, 0)), 0);
}

// DATETIME2: 1 sign bit, 17 bits year*13+month, 5 day, 5 hour, 6 minute, 6 second; fraction.
std::string Datetime2(int y, int mo, int d, int h, int mi, int s, int micros, int fsp) {
  const uint64_t ym = static_cast<uint64_t>(y) * 13 + static_cast<uint64_t>(mo);
  const uint64_t packed = (uint64_t{1} << 39) | (ym << 22) | (uint64_t(d) << 17) |
                          (uint64_t(h) << 12) | (uint64_t(mi) << 6) | uint64_t(s);
  std::string out = BE(packed, 5);
  switch (fsp) {
    case 1:
    case 2: out += BE(static_cast<uint64_t>(micros / 10000), 1); break;
    case 3:
    case 4: out += BE(static_cast<uint64_t>(micros / 100), 2); break;
    case 5:
    case 6: out += BE(static_cast<uint64_t>(micros), 3); break;
  }
  return out;
}

TEST(RowImageDecoderTest, Datetime2AtEveryPrecision) {
  const int64_t base_us = 1714558830000000;  // 2024-05-01 10:20:30 UTC
  const int micros[7] = {0, 100000, 120000, 123000, 123400, 123450, 123456};
  for (int fsp = 0; fsp <= 6; ++fsp) {
    Value v = OneColumn({T::kDatetime2, static_cast<uint16_t>(fsp)})
                  .Decode(Datetime2(2024, 5, 1, 10, 20, 30, micros[fsp], fsp));
    ASSERT_EQ(v.kind, ValueKind::kInt) << fsp;
    if (fsp <= 3) {
      EXPECT_EQ(v.i, (base_us + micros[fsp]) / 1000) << "fsp " << fsp;
    } else {
      EXPECT_EQ(v.i, base_us + micros[fsp]) << "fsp " << fsp;
    }
  }
  EXPECT_EQ(IntOf({T::kDatetime2, 6}, Datetime2(9999, 12, 31, 23, 59, 59, 999999, 6)),
            253402300799999999);
  EXPECT_EQ(IntOf({T::kDatetime2, 0}, Datetime2(1000, 1, 1, 0, 0, 0, 0, 0)), -30610224000000);
  EXPECT_TRUE(OneColumn({T::kDatetime2, 0}).Decode(Datetime2(0, 0, 0, 0, 0, 0, 0, 0)).is_null());
  Col not_null{T::kDatetime2, 3};
  not_null.nullable = false;
  EXPECT_EQ(IntOf(not_null, Datetime2(0, 0, 0, 0, 0, 0, 0, 3)), 0);
  // Old DATETIME: YYYYMMDDhhmmss as a little-endian integer.
  EXPECT_EQ(IntOf({T::kDatetime}, LittleEndian(20240501102030u, 8)), 1714558830000);
  EXPECT_TRUE(OneColumn({T::kDatetime}).Decode(LittleEndian(0, 8)).is_null());
}

TEST(RowImageDecoderTest, TimestampsAsIsoUtcText) {
  const uint64_t secs = 1714558830;  // 2024-05-01T10:20:30Z
  EXPECT_EQ(TextOf({T::kTimestamp2, 0}, BE(secs, 4)), "2024-05-01T10:20:30Z");
  EXPECT_EQ(TextOf({T::kTimestamp2, 1}, BE(secs, 4) + BE(10, 1)), "2024-05-01T10:20:30.1Z");
  EXPECT_EQ(TextOf({T::kTimestamp2, 2}, BE(secs, 4) + BE(12, 1)), "2024-05-01T10:20:30.12Z");
  EXPECT_EQ(TextOf({T::kTimestamp2, 3}, BE(secs, 4) + BE(1200, 2)), "2024-05-01T10:20:30.120Z");
  EXPECT_EQ(TextOf({T::kTimestamp2, 4}, BE(secs, 4) + BE(1234, 2)), "2024-05-01T10:20:30.1234Z");
  EXPECT_EQ(TextOf({T::kTimestamp2, 5}, BE(secs, 4) + BE(123450, 3)), "2024-05-01T10:20:30.12345Z");
  EXPECT_EQ(TextOf({T::kTimestamp2, 6}, BE(secs, 4) + BE(5, 3)), "2024-05-01T10:20:30.000005Z");
  EXPECT_EQ(TextOf({T::kTimestamp2, 0}, BE(2147483647, 4)), "2038-01-19T03:14:07Z");
  EXPECT_EQ(TextOf({T::kTimestamp2, 0}, BE(1, 4)), "1970-01-01T00:00:01Z");
  EXPECT_EQ(TextOf({T::kTimestamp}, LittleEndian(secs, 4)), "2024-05-01T10:20:30Z");
  EXPECT_TRUE(OneColumn({T::kTimestamp2, 3}).Decode(BE(0, 4) + BE(0, 2)).is_null());
  Col not_null{T::kTimestamp2, 3};
  not_null.nullable = false;
  EXPECT_EQ(TextOf(not_null, BE(0, 4) + BE(0, 2)), "1970-01-01T00:00:00.000Z");
}

// TIME2 as MySQL writes it (my_time_packed_to_binary).
std::string Time2(bool negative, int h, int m, int s, int micros, int fsp) {
  const int64_t hms = (int64_t{h} << 12) | (m << 6) | s;
  int64_t packed = (hms << 24) + micros;
  if (negative) packed = -packed;
  const int64_t int_part = packed >> 24;  // arithmetic, like MY_PACKED_TIME_GET_INT_PART
  const int64_t frac_part = packed % (int64_t{1} << 24);
  switch (fsp) {
    case 0: return BE(static_cast<uint64_t>(int_part + 0x800000), 3);
    case 1:
    case 2:
      return BE(static_cast<uint64_t>(int_part + 0x800000), 3) +
             std::string(1, static_cast<char>(frac_part / 10000));
    case 3:
    case 4:
      return BE(static_cast<uint64_t>(int_part + 0x800000), 3) +
             BE(static_cast<uint16_t>(frac_part / 100), 2);
    default: return BE(static_cast<uint64_t>(packed + 0x800000000000), 6);
  }
}

TEST(RowImageDecoderTest, Time2AtEveryPrecisionIncludingNegative) {
  const int micros[7] = {0, 500000, 10000, 123000, 123400, 123450, 123456};
  for (int fsp = 0; fsp <= 6; ++fsp) {
    const uint16_t meta = static_cast<uint16_t>(fsp);
    const int64_t base = (12 * 3600 + 34 * 60 + 56) * int64_t{1000000};
    EXPECT_EQ(IntOf({T::kTime2, meta}, Time2(false, 12, 34, 56, micros[fsp], fsp)),
              base + micros[fsp])
        << fsp;
    EXPECT_EQ(IntOf({T::kTime2, meta}, Time2(true, 12, 34, 56, micros[fsp], fsp)),
              -(base + micros[fsp]))
        << fsp;
    EXPECT_EQ(IntOf({T::kTime2, meta}, Time2(true, 0, 0, 0, micros[fsp], fsp)), -micros[fsp])
        << fsp;
    EXPECT_EQ(IntOf({T::kTime2, meta}, Time2(true, 0, 0, 1, micros[fsp], fsp)),
              -(1000000 + micros[fsp]))
        << fsp;
  }
  EXPECT_EQ(IntOf({T::kTime2, 0}, Time2(true, 838, 59, 59, 0, 0)), -3020399000000);
  EXPECT_EQ(IntOf({T::kTime2, 6}, Time2(false, 838, 59, 59, 0, 6)), 3020399000000);
  EXPECT_EQ(IntOf({T::kTime2, 2}, Time2(true, 0, 0, 0, 10000, 2)), -10000);
  EXPECT_EQ(IntOf({T::kTime2, 2}, Time2(true, 0, 0, 1, 990000, 2)), -1990000);
  // Old TIME: HHMMSS as a signed 3-byte integer.
  EXPECT_EQ(IntOf({T::kTime}, LittleEndian(123456, 3)), (12 * 3600 + 34 * 60 + 56) * 1000000LL);
  EXPECT_EQ(IntOf({T::kTime}, LittleEndian(static_cast<uint32_t>(-123456) & 0xffffff, 3)),
            -(12 * 3600 + 34 * 60 + 56) * 1000000LL);
}

TEST(RowImageDecoderTest, Year) {
  EXPECT_EQ(IntOf({T::kYear}, std::string(1, '\0')), 0);
  EXPECT_EQ(IntOf({T::kYear}, "\x01"), 1901);
  EXPECT_EQ(IntOf({T::kYear}, "\x7c"), 2024);
  EXPECT_EQ(IntOf({T::kYear}, "\xff"), 2155);
}

TEST(RowImageDecoderTest, StringsAndLengthPrefixes) {
  EXPECT_EQ(TextOf({T::kVarchar, 40, false, kUtf8mb4}, "\x05hello"), "hello");
  EXPECT_EQ(TextOf({T::kVarchar, 40, false, kUtf8mb4}, std::string(1, '\0')), "");
  const std::string long_text(300, 'z');
  EXPECT_EQ(TextOf({T::kVarchar, 1020, false, kUtf8mb4}, LittleEndian(300, 2) + long_text),
            long_text);
  EXPECT_EQ(TextOf({T::kVarchar, 256, false, kUtf8mb4}, LittleEndian(1, 2) + "x"), "x");
  EXPECT_EQ(BytesOf({T::kVarchar, 10, false, 63}, std::string("\x03\x00\x01\xff", 4)),
            std::string("\x00\x01\xff", 3));
  // CHAR(10) utf8mb4: 40 bytes, 1-byte prefix; CHAR(255) utf8mb4: 1020 bytes, 2-byte prefix.
  EXPECT_EQ(TextOf({T::kString, 0xFE28, false, kUtf8mb4},
                   "\x03"
                   "abc"),
            "abc");
  EXPECT_EQ(StringColumnLength(0xCEFC), 1020u);
  EXPECT_EQ(TextOf({T::kString, 0xCEFC, false, kUtf8mb4}, LittleEndian(3, 2) + "abc"), "abc");
  // BINARY(4) loses trailing zeros in the binlog; SELECT shows them.
  EXPECT_EQ(BytesOf({T::kString, 0xFE04, false, 63},
                    "\x02"
                    "ab"),
            std::string("ab\0\0", 4));
  EXPECT_EQ(BytesOf({T::kString, 0xFE04, false, 63},
                    "\x04"
                    "abcd"),
            "abcd");
  // TEXT / BLOB with 1..4 byte lengths.
  EXPECT_EQ(TextOf({T::kBlob, 1, false, kUtf8mb4},
                   "\x02"
                   "hi"),
            "hi");
  EXPECT_EQ(TextOf({T::kBlob, 2, false, kUtf8mb4}, LittleEndian(300, 2) + long_text), long_text);
  EXPECT_EQ(TextOf({T::kBlob, 3, false, kUtf8mb4}, LittleEndian(2, 3) + "\xc3\xa9"), "\xc3\xa9");
  EXPECT_EQ(BytesOf({T::kBlob, 4, false, 63}, LittleEndian(3, 4) + std::string("\x00\x01\x02", 3)),
            std::string("\x00\x01\x02", 3));
}

TEST(RowImageDecoderTest, Latin1BecomesUtf8) {
  EXPECT_EQ(TextOf({T::kVarchar, 20, false, kLatin1},
                   "\x04"
                   "caf\xe9"),
            "caf\xc3\xa9");
  EXPECT_EQ(TextOf({T::kVarchar, 20, false, 47}, "\x03\x80\x81\x9f"),
            "\xe2\x82\xac\xc2\x81\xc5\xb8");
  EXPECT_EQ(TextOf({T::kBlob, 2, false, kLatin1}, LittleEndian(2, 2) + "\xff\xa0"),
            "\xc3\xbf\xc2\xa0");
  EXPECT_EQ(TextOf({T::kString, 0xFE0A, false, 48},
                   "\x05"
                   "plain"),
            "plain");
}

TEST(RowImageDecoderTest, EnumAndSet) {
  Col e{T::kString, (T::kEnum << 8) | 1, false, kUtf8mb4, true, {"small", "medium", "large"}};
  EXPECT_EQ(TextOf(e, "\x02"), "medium");
  EXPECT_EQ(TextOf(e, "\x03"), "large");
  EXPECT_EQ(TextOf(e, std::string(1, '\0')), "");
  EXPECT_EQ(OneColumn(e).DecodeStatus("\x04").code(), StatusCode::kCorruption);
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i) many.push_back("v" + std::to_string(i));
  Col e2{T::kString, (T::kEnum << 8) | 2, false, kUtf8mb4, true, many};
  EXPECT_EQ(TextOf(e2, LittleEndian(300, 2)), "v299");

  Col s{T::kString, (T::kSet << 8) | 1, false, kUtf8mb4, true, {"a", "bb", "ccc"}};
  EXPECT_EQ(TextOf(s, "\x05"), "a,ccc");
  EXPECT_EQ(TextOf(s, "\x07"), "a,bb,ccc");
  EXPECT_EQ(TextOf(s, std::string(1, '\0')), "");
  EXPECT_EQ(OneColumn(s).DecodeStatus("\x08").code(), StatusCode::kCorruption);
  std::vector<std::string> members64;
  for (int i = 0; i < 64; ++i) members64.push_back(std::to_string(i));
  Col s64{T::kString, (T::kSet << 8) | 8, false, kUtf8mb4, true, members64};
  EXPECT_EQ(TextOf(s64, LittleEndian(0x8000000000000001u, 8)), "0,63");
}

TEST(RowImageDecoderTest, JsonColumn) {
  using testing::JArray;
  using testing::JBool;
  using testing::JInt16;
  using testing::JObject;
  const std::string doc = JObject({{"a", JInt16(1)}, {"b", JArray({JBool(true)})}}).doc();
  EXPECT_EQ(TextOf({T::kJson, 4}, LittleEndian(doc.size(), 4) + doc), "{\"a\":1,\"b\":[true]}");
  // Empty JSON: null for nullable columns, "{}" otherwise.
  EXPECT_TRUE(OneColumn({T::kJson, 4}).Decode(LittleEndian(0, 4)).is_null());
  Col not_null{T::kJson, 4};
  not_null.nullable = false;
  EXPECT_EQ(TextOf(not_null, LittleEndian(0, 4)), "{}");
  Status s = OneColumn({T::kJson, 4}).DecodeStatus(LittleEndian(2, 4) + "\x04\x09");
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("column `c0` (JSON, #0)"), std::string::npos) << s.message();
}

TEST(RowImageDecoderTest, Geometry) {
  // SRID 4326 + WKB POINT(1 2).
  std::string wkb = std::string("\x01\x01\x00\x00\x00", 5);
  double x = 1, y = 2;
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  wkb += LittleEndian(bits, 8);
  std::memcpy(&bits, &y, 8);
  wkb += LittleEndian(bits, 8);
  const std::string value = LittleEndian(4326, 4) + wkb;
  OneColumn g({T::kGeometry, 4});
  Value v = g.Decode(LittleEndian(value.size(), 4) + value);
  EXPECT_EQ(v.kind, ValueKind::kGeometry);
  EXPECT_EQ(v.srid, 4326u);
  EXPECT_EQ(std::string(v.s), wkb);
  EXPECT_EQ(g.DecodeStatus(LittleEndian(3, 4) + "abc").code(), StatusCode::kCorruption);
}

// A row of every type, used for multi-column, NULL and truncation tests.
struct WideRow {
  TableMapEvent map;
  TableSchema schema;
  std::string image;  // one full row image, no NULLs
  WideRow() {
    map = MakeMap({{T::kLong},
                   {T::kVarchar, 40, false, kUtf8mb4},
                   {T::kNewDecimal, (10 << 8) | 2},
                   {T::kDatetime2, 3},
                   {T::kTimestamp2, 6},
                   {T::kTime2, 4},
                   {T::kDate},
                   {T::kBlob, 2, false, 63},
                   {T::kJson, 4},
                   {T::kString, (T::kSet << 8) | 1, false, kUtf8mb4, true, {"x", "y"}},
                   {T::kBit, (1 << 8) | 4},
                   {T::kDouble, 8}});
    schema = *BuildTableSchema(map);
    const std::string doc = testing::JArray({testing::JInt16(7)}).doc();
    image = std::string(2, '\0') + LittleEndian(7, 4) +
            "\x03"
            "abc" +
            EncodeDecimal("-1.25", 10, 2) + Datetime2(2024, 5, 1, 10, 20, 30, 123000, 3) +
            BE(1714558830, 4) + BE(1, 3) + Time2(true, 1, 2, 3, 400000, 4) + Date(2024, 5, 1) +
            LittleEndian(2, 2) + std::string("\x00\x01", 2) + LittleEndian(doc.size(), 4) + doc +
            "\x03" + "\x0f\xff" + LittleEndian(0, 8);
  }
};

TEST(RowImageDecoderTest, WholeRowOfEveryType) {
  WideRow w;
  RowImageDecoder decoder;
  ByteArena arena;
  std::vector<Value> out;
  const std::string two_rows = w.image + w.image;  // two rows back to back
  ByteReader reader(two_rows);
  std::vector<bool> all(w.map.column_types.size(), true);
  for (int row = 0; row < 2; ++row) {
    ASSERT_TRUE(decoder.DecodeRow(w.map, w.schema, all, &reader, &arena, &out).ok());
    ASSERT_EQ(out.size(), 12u);
    EXPECT_EQ(out[0].i, 7);
    EXPECT_EQ(out[1].s, "abc");
    EXPECT_EQ(out[2].s, "-1.25");
    EXPECT_EQ(out[3].i, 1714558830123);
    EXPECT_EQ(out[4].s, "2024-05-01T10:20:30.000001Z");
    EXPECT_EQ(out[5].i, -3723400000);
    EXPECT_EQ(out[6].i, 19844);
    EXPECT_EQ(out[7].kind, ValueKind::kBytes);
    EXPECT_EQ(out[7].s, std::string("\x00\x01", 2));
    EXPECT_EQ(out[8].s, "[7]");
    EXPECT_EQ(out[9].s, "x,y");
    EXPECT_EQ(out[10].s, "\xff\x0f");
    EXPECT_EQ(out[11].d, 0.0);
  }
  EXPECT_TRUE(reader.empty());
}

TEST(RowImageDecoderTest, NullsAndAbsentColumns) {
  TableMapEvent map = MakeMap({{T::kLong}, {T::kLong}, {T::kLong}, {T::kVarchar, 10}});
  TableSchema schema = *BuildTableSchema(map);
  RowImageDecoder decoder;
  ByteArena arena;
  std::vector<Value> out;
  // Columns 0, 2, 3 present; null bitmap over them: second present column (2) is NULL.
  const std::string image = std::string("\x02", 1) + LittleEndian(5, 4) + "\x01z";
  ByteReader reader(image);
  ASSERT_TRUE(
      decoder.DecodeRow(map, schema, {true, false, true, true}, &reader, &arena, &out).ok());
  EXPECT_TRUE(reader.empty());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].i, 5);
  EXPECT_TRUE(out[1].is_null());
  EXPECT_TRUE(out[2].is_null());
  EXPECT_EQ(out[3].s, "z");
  // Nine present columns need a two-byte null bitmap.
  std::vector<Col> nine(9, Col{T::kTiny});
  TableMapEvent map9 = MakeMap(nine);
  TableSchema schema9 = *BuildTableSchema(map9);
  const std::string image9 = std::string("\xff\x00", 2) + "\x09";
  ByteReader r9(image9);
  ASSERT_TRUE(decoder.DecodeRow(map9, schema9, std::vector<bool>(9, true), &r9, &arena, &out).ok());
  EXPECT_TRUE(r9.empty());
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(out[i].is_null()) << i;
  EXPECT_EQ(out[8].i, 9);
}

TEST(RowImageDecoderTest, EveryTruncatedPrefixIsRejected) {
  WideRow w;
  RowImageDecoder decoder;
  ByteArena arena;
  std::vector<Value> out;
  std::vector<bool> all(w.map.column_types.size(), true);
  for (size_t n = 0; n < w.image.size(); ++n) {
    const std::string prefix = w.image.substr(0, n);
    ByteReader reader(prefix);
    Status s = decoder.DecodeRow(w.map, w.schema, all, &reader, &arena, &out);
    ASSERT_FALSE(s.ok()) << "prefix of " << n << " bytes";
    EXPECT_TRUE(s.code() == StatusCode::kUnderflow || s.code() == StatusCode::kCorruption)
        << s.ToString();
    EXPECT_NE(s.message().find("shop.t"), std::string::npos) << s.message();
  }
}

TEST(RowImageDecoderTest, ErrorsNameTableColumnAndOffset) {
  TableMapEvent map = MakeMap({{T::kLong}, {T::kVarchar, 10}});
  TableSchema schema = *BuildTableSchema(map);
  RowImageDecoder decoder;
  ByteArena arena;
  std::vector<Value> out;
  const std::string image = std::string(1, '\0') + LittleEndian(1, 4) +
                            "\x05"
                            "ab";
  ByteReader reader(image);
  Status s = decoder.DecodeRow(map, schema, {true, true}, &reader, &arena, &out);
  EXPECT_EQ(s.code(), StatusCode::kUnderflow);
  EXPECT_EQ(s.message(),
            "row image of shop.t column `c1` (VARCHAR, #1) at row offset 5: need 6 bytes for "
            "VARCHAR, only 3 left");
  // Mismatched shapes are caller errors.
  ByteReader r2(image);
  EXPECT_EQ(decoder.DecodeRow(map, schema, {true}, &r2, &arena, &out).code(),
            StatusCode::kInvalidArgument);
  // Bad metadata is rejected, not trusted.
  TableMapEvent bad = MakeMap({{T::kDatetime2, 9}});
  TableSchema bad_schema = schema;
  bad_schema.columns.resize(1);
  const std::string zeros(10, '\0');
  ByteReader r3(zeros);
  EXPECT_EQ(decoder.DecodeRow(bad, bad_schema, {true}, &r3, &arena, &out).code(),
            StatusCode::kCorruption);
}

TEST(RowImageDecoderTest, PartialJsonUpdateAfterImage) {
  using testing::JInt16;
  using testing::JObject;
  TableMapEvent map = MakeMap({{T::kLong}, {T::kJson, 4}, {T::kJson, 4}});
  TableSchema schema = *BuildTableSchema(map);
  RowImageDecoder decoder;
  ByteArena arena;
  std::vector<Value> before, after;
  const std::string doc1 = JObject({{"a", JInt16(1)}}).doc();
  const std::string doc2 = JObject({{"z", JInt16(9)}}).doc();
  const std::string before_image = std::string(1, '\0') + LittleEndian(1, 4) +
                                   LittleEndian(doc1.size(), 4) + doc1 +
                                   LittleEndian(doc2.size(), 4) + doc2;
  std::vector<bool> all(3, true);
  ByteReader br(before_image);
  ASSERT_TRUE(decoder.DecodeRow(map, schema, all, &br, &arena, &before).ok());
  EXPECT_EQ(before[1].s, "{\"a\":1}");

  // value_options = PARTIAL_JSON_UPDATES, partial bits: first JSON column only.
  const std::string two = JInt16(2).doc();
  std::string diff = std::string("\x00\x03$.a", 5) + static_cast<char>(two.size()) + two;
  diff += std::string("\x01\x04$.bb", 6) + static_cast<char>(two.size()) + two;
  const std::string doc3 = JObject({{"q", JInt16(3)}}).doc();
  const std::string after_image = std::string("\x01\x01\x00", 3) + LittleEndian(1, 4) +
                                  LittleEndian(diff.size(), 4) + diff +
                                  LittleEndian(doc3.size(), 4) + doc3;
  ByteReader ar(after_image);
  Status s = decoder.DecodePartialUpdateAfterRow(map, schema, all, before, &ar, &arena, &after);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(ar.empty());
  EXPECT_EQ(after[0].i, 1);
  EXPECT_EQ(after[1].s, "{\"a\":2,\"bb\":2}");
  EXPECT_EQ(after[2].s, "{\"q\":3}");

  // Without PARTIAL_JSON_UPDATES the after image is a plain image behind value_options.
  const std::string plain = std::string("\x00\x00", 2) + LittleEndian(1, 4) +
                            LittleEndian(doc3.size(), 4) + doc3 + LittleEndian(doc1.size(), 4) +
                            doc1;
  ByteReader pr(plain);
  ASSERT_TRUE(
      decoder.DecodePartialUpdateAfterRow(map, schema, all, before, &pr, &arena, &after).ok());
  EXPECT_EQ(after[1].s, "{\"q\":3}");
  EXPECT_TRUE(pr.empty());

  // A diff against a missing before image is a clear precondition failure.
  std::vector<Value> no_before(3);
  ByteReader ar2(after_image);
  s = decoder.DecodePartialUpdateAfterRow(map, schema, all, no_before, &ar2, &arena, &after);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("binlog_row_image=FULL"), std::string::npos) << s.message();

  for (size_t n = 0; n < after_image.size(); ++n) {
    const std::string prefix = after_image.substr(0, n);
    ByteReader r(prefix);
    EXPECT_FALSE(
        decoder.DecodePartialUpdateAfterRow(map, schema, all, before, &r, &arena, &after).ok())
        << n;
  }
}

TEST(RowImageDecoderTest, TenColumnRowThroughput) {
  // Not a benchmark gate (sanitizers slow this down); checks the decoder reuses its output and
  // arena without growing per row.
  TableMapEvent map = MakeMap({{T::kLong},
                               {T::kLongLong},
                               {T::kVarchar, 200, false, kUtf8mb4},
                               {T::kVarchar, 200, false, kUtf8mb4},
                               {T::kNewDecimal, (10 << 8) | 2},
                               {T::kDatetime2, 0},
                               {T::kTiny},
                               {T::kDouble, 8},
                               {T::kDate},
                               {T::kTimestamp2, 0}});
  TableSchema schema = *BuildTableSchema(map);
  const std::string row = std::string(2, '\0') + LittleEndian(1, 4) + LittleEndian(2, 8) +
                          "\x0bhello world" +
                          "\x05"
                          "shop!" +
                          EncodeDecimal("19.99", 10, 2) + Datetime2(2024, 5, 1, 1, 2, 3, 0, 0) +
                          "\x01" + LittleEndian(0, 8) + Date(2024, 5, 1) + BE(1714558830, 4);
  RowImageDecoder decoder;
  ByteArena arena(1 << 20);
  std::vector<Value> out;
  std::vector<bool> all(10, true);
  const int kRows = 20000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRows; ++i) {
    ByteReader reader(row);
    ASSERT_TRUE(decoder.DecodeRow(map, schema, all, &reader, &arena, &out).ok());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(out[4].s, "19.99");
  EXPECT_EQ(out[9].s, "2024-05-01T10:20:30Z");
  EXPECT_LE(arena.chunk_count(), 2u);  // ~30 bytes of text per row
  std::printf("10-column rows: %.0f rows/s (debug build)\n", kRows / seconds);
}

}  // namespace
}  // namespace vimur::mysql
