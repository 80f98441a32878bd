// Debezium JSON byte for byte: the cases of debezium_json_cases.h against
// tests/data/format/debezium_json_golden.txt (written by the first, JsonWriter-based
// implementation, before the per-table text caches), through both entry points.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "debezium_json_cases.h"
#include "format/debezium_json.h"

namespace vimur {
namespace {

std::vector<std::string> GoldenLines() {
  std::ifstream in(VIMUR_TEST_DATA_DIR "/format/debezium_json_golden.txt", std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    for (size_t at; (at = line.find("@VERSION@")) != std::string::npos;) {
      line.replace(at, 9, VIMUR_VERSION);
    }
    lines.push_back(line);
  }
  return lines;
}

const JsonFormatOptions kOptions[3] = {
    {false, false, "shop"}, {false, true, "pre"}, {true, true, "shop"}};

// VIMUR_UPDATE_GOLDEN=1 rewrites the golden file from the current serializer: check the
// difference by hand against Debezium's representation before committing it.
void MaybeUpdateGolden(const std::vector<ChangeEvent>& events) {
  if (std::getenv("VIMUR_UPDATE_GOLDEN") == nullptr) return;
  std::ofstream out(VIMUR_TEST_DATA_DIR "/format/debezium_json_golden.txt", std::ios::binary);
  for (const auto& options : kOptions) {
    DebeziumJsonSerializer ser(options);
    for (const ChangeEvent& e : events) {
      std::string key;
      std::string value;
      if (!ser.SerializeKey(e, &key)) key = "-";
      ser.SerializeValue(e, 1714557600123, &value);
      for (std::string* line : {&key, &value}) {
        const std::string version = std::string("\"") + VIMUR_VERSION + "\"";
        for (size_t at; (at = line->find(version)) != std::string::npos;) {
          line->replace(at, version.size(), "\"@VERSION@\"");
        }
        out << *line << '\n';
      }
    }
  }
}

TEST(DebeziumJsonGoldenTest, StringEntryPointsMatchGolden) {
  const auto texts = testing::CaseTexts();
  const auto events = testing::CaseEvents(texts);
  MaybeUpdateGolden(events);
  const std::vector<std::string> golden = GoldenLines();
  ASSERT_EQ(golden.size(), 3 * 2 * events.size());
  size_t line = 0;
  for (const auto& options : kOptions) {
    DebeziumJsonSerializer ser(options);
    for (const ChangeEvent& e : events) {
      std::string key = "prefix:";  // the entry points append
      std::string value;
      const bool has_key = ser.SerializeKey(e, &key);
      ser.SerializeValue(e, 1714557600123, &value);
      EXPECT_EQ(has_key ? key : "prefix:-", "prefix:" + golden[line]) << "line " << line + 1;
      EXPECT_EQ(value, golden[line + 1]) << "line " << line + 2;
      line += 2;
    }
  }
}

TEST(DebeziumJsonGoldenTest, BufferEntryPointsMatchGoldenWhenReused) {
  const std::vector<std::string> golden = GoldenLines();
  const auto texts = testing::CaseTexts();
  const auto events = testing::CaseEvents(texts);
  size_t line = 0;
  for (const auto& options : kOptions) {
    DebeziumJsonSerializer ser(options);
    JsonBuffer out;
    // Twice over, so that the second round runs on cached table and source text.
    for (int round = 0; round < 2; ++round) {
      size_t l = line;
      for (const ChangeEvent& e : events) {
        out.Clear();
        out.Raw("[");
        if (!ser.AppendKey(e, &out)) out.Raw("-");
        out.Raw("|");
        ser.AppendValue(e, 1714557600123, &out);
        EXPECT_EQ(out.view(), "[" + golden[l] + "|" + golden[l + 1]) << "line " << l + 1;
        l += 2;
      }
    }
    line += 2 * events.size();
  }
}

TEST(DebeziumJsonGoldenTest, NewTablesAndSourcesAreNeverConfusedWithCachedOnes) {
  DebeziumJsonSerializer ser(JsonFormatOptions{false, true, "p"});
  for (int i = 0; i < 600; ++i) {
    const std::string column = "c" + std::to_string(i);
    ChangeEvent e;
    e.table = testing::CaseTable("db", "t" + std::to_string(i % 7), {column}, {0});
    auto source = std::make_shared<SourceInfo>();
    source->connector = "mysql";
    source->gtid = "0-1-" + std::to_string(i);
    e.source = source;
    e.after = {Value::Int(i)};
    std::string key;
    std::string value;
    ASSERT_TRUE(ser.SerializeKey(e, &key));
    ser.SerializeValue(e, 1000 + i / 3, &value);  // the processing time changes now and then
    EXPECT_EQ(key, "{\"" + column + "\":" + std::to_string(i) + "}");
    auto j = nlohmann::json::parse(value);
    EXPECT_EQ(j["ts_ms"], 1000 + i / 3);
    EXPECT_EQ(j["after"][column], i);
    EXPECT_EQ(j["source"]["gtid"], source->gtid);
    EXPECT_EQ(j["source"]["table"], "t" + std::to_string(i % 7));
    EXPECT_EQ(j["transaction"]["id"], source->gtid);
  }
}

TEST(JsonBufferTest, StringEscapesLikeJsonWriterAtEveryOffset) {
  // Every byte value at every position of strings of 0..24 bytes, against a byte-at-a-time
  // reference.
  auto reference = [](std::string_view s) {
    std::string r = "\"";
    for (unsigned char c : s) {
      static const char kHex[] = "0123456789abcdef";
      switch (c) {
        case '"': r += "\\\""; break;
        case '\\': r += "\\\\"; break;
        case '\n': r += "\\n"; break;
        case '\r': r += "\\r"; break;
        case '\t': r += "\\t"; break;
        case '\b': r += "\\b"; break;
        case '\f': r += "\\f"; break;
        default:
          if (c < 0x20) {
            r += "\\u00";
            r += kHex[c >> 4];
            r += kHex[c & 15];
          } else {
            r += static_cast<char>(c);
          }
      }
    }
    return r + "\"";
  };
  JsonBuffer buffer;
  for (size_t len = 0; len <= 24; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(byte);
        if (at + 1 < len) s[len - 1] = static_cast<char>(0x80 | byte);  // high bytes stay
        buffer.Clear();
        buffer.String(s);
        const std::string want = reference(s);
        ASSERT_EQ(buffer.view(), want) << "len " << len << " at " << at << " byte " << byte;
        std::string w;
        JsonWriter(&w).String(s);
        ASSERT_EQ(w, want);
      }
    }
  }
}

std::string ToChars(double v) {
  char buf[64];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

TEST(JsonBufferTest, DoublesAreWrittenExactlyAsToChars) {
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                -1.0,
                                0.1,
                                0.3,
                                1.5,
                                1501.5,
                                1e-3,
                                9.99e-4,
                                1e15,
                                999999999999999.9,
                                123456.0,
                                100000,
                                1e5,
                                1e6,
                                120000,
                                1200000,
                                0.001,
                                0.0012,
                                0.5,
                                2.5e-3,
                                1e14,
                                4503599627370496.0,
                                9007199254740991.0,
                                0.1 + 0.2,
                                1.0 / 3,
                                2.0 / 3,
                                1e-2,
                                12345678.12345678};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    // Short decimals of every size, scaled powers of two, and random bit patterns.
    const double digits = static_cast<double>(rng() % 100000000);
    values.push_back(digits / std::pow(10.0, static_cast<double>(rng() % 12)));
    values.push_back(-digits * std::pow(10.0, static_cast<double>(rng() % 9)));
    values.push_back(std::ldexp(1.0, static_cast<int>(rng() % 80) - 20));
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
  }
  JsonBuffer b;
  size_t fast = 0;
  for (double v : values) {
    b.Clear();
    b.Double(v);
    ASSERT_EQ(b.view(), ToChars(v)) << std::hexfloat << v;
    char out[32];
    fast += json_internal::WriteShortDouble(v, out) != nullptr ? 1 : 0;
  }
  EXPECT_GT(fast, values.size() / 3);  // the short path does take the common values
}

TEST(JsonBufferTest, IntegersAreWrittenExactlyAsToChars) {
  std::vector<int64_t> values = {0,
                                 1,
                                 -1,
                                 9,
                                 10,
                                 99,
                                 100,
                                 std::numeric_limits<int64_t>::max(),
                                 std::numeric_limits<int64_t>::min()};
  for (int64_t p = 1, i = 0; i < 18; ++i, p *= 10) {
    for (int64_t v : {p - 1, p, p + 1, -p, -p - 1}) values.push_back(v);
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100000; ++i) values.push_back(static_cast<int64_t>(rng() >> (rng() % 64)));
  JsonBuffer b;
  for (int64_t v : values) {
    char buf[32];
    b.Clear();
    b.Number(v);
    ASSERT_EQ(b.view(), std::string_view(buf, std::to_chars(buf, buf + 32, v).ptr));
    const auto u = static_cast<uint64_t>(v);
    b.Clear();
    b.Number(u);
    ASSERT_EQ(b.view(), std::string_view(buf, std::to_chars(buf, buf + 32, u).ptr));
  }
}

TEST(JsonBufferTest, GrowsAcrossLargeValuesKeepingContent) {
  JsonBuffer buffer;
  std::string big(100000, 'x');
  big[99999] = '"';
  buffer.Raw("[");
  buffer.String(big);
  buffer.Char(',');
  buffer.Number(-42);
  buffer.Char(',');
  buffer.Base64(std::string(70000, '\xff'));
  buffer.CopyOwn(0, 1);
  const std::string_view v = buffer.view();
  EXPECT_EQ(v.substr(0, 3), "[\"x");
  EXPECT_EQ(v.substr(100001, 4), "\\\"\",");
  EXPECT_EQ(v.substr(100005, 4), "-42,");
  EXPECT_EQ(v.size(), 1 + 100003 + 5 + (70000 + 2) / 3 * 4 + 2 + 1);
  EXPECT_EQ(v.back(), '[');
}

}  // namespace
}  // namespace vimur
