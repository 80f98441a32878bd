#include "source/mysql/mysql_decimal.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace vimur::mysql {
namespace {

constexpr int kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

// decimal2bin of MySQL's strings/decimal.cc for `int_digits` . `frac_digits` (exactly
// precision - scale and scale digits, zero padded).
std::string Encode(bool negative, const std::string& int_digits, const std::string& frac_digits) {
  std::string out;
  auto group = [&](const std::string& d) {
    const uint32_t v = static_cast<uint32_t>(std::stoul(d));
    const int n = d.size() == 9 ? 4 : kDigitBytes[d.size()];
    for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const size_t lead = int_digits.size() % 9;
  if (lead > 0) group(int_digits.substr(0, lead));
  for (size_t i = lead; i < int_digits.size(); i += 9) group(int_digits.substr(i, 9));
  const size_t full = frac_digits.size() / 9 * 9;
  for (size_t i = 0; i < full; i += 9) group(frac_digits.substr(i, 9));
  if (full < frac_digits.size()) group(frac_digits.substr(full));
  out[0] = static_cast<char>(out[0] ^ 0x80);
  if (negative) {
    for (char& c : out) c = static_cast<char>(~c);
  }
  return out;
}

// What MySQL's SELECT shows: no leading zeros (one kept), exactly `scale` fraction digits, no
// sign on zero.
std::string Expected(bool negative, const std::string& int_digits, const std::string& frac) {
  std::string ip = int_digits;
  while (ip.size() > 1 && ip[0] == '0') ip.erase(0, 1);
  if (ip.empty()) ip = "0";
  const bool zero = ip == "0" && frac.find_first_not_of('0') == std::string::npos;
  return (negative && !zero ? "-" : "") + ip + (frac.empty() ? "" : "." + frac);
}

TEST(MySqlDecimalTest, SizesFollowDecimal2Bin) {
  for (int p = -1; p <= kMaxDecimalPrecision + 1; ++p) {
    for (int s = -1; s <= kMaxDecimalScale + 1; ++s) {
      const bool valid =
          p >= 1 && p <= kMaxDecimalPrecision && s >= 0 && s <= kMaxDecimalScale && s <= p;
      size_t want = 0;
      if (valid) {
        want = static_cast<size_t>((p - s) / 9 * 4 + kDigitBytes[(p - s) % 9] + s / 9 * 4 +
                                   kDigitBytes[s % 9]);
      }
      EXPECT_EQ(DecimalBinarySize(p, s), want) << p << "," << s;
    }
  }
}

TEST(MySqlDecimalTest, RandomValuesOfEveryPrecisionAndScale) {
  std::mt19937_64 rng(20261124);
  for (int p = 1; p <= kMaxDecimalPrecision; ++p) {
    for (int s = 0; s <= kMaxDecimalScale && s <= p; ++s) {
      for (int round = 0; round < 12; ++round) {
        // Mostly zeros in some rounds, to reach leading-zero groups and zero itself.
        const int zero_bias = round % 4;
        auto digit = [&] {
          return rng() % 4 < static_cast<uint64_t>(zero_bias) ? '0'
                                                              : static_cast<char>('0' + rng() % 10);
        };
        std::string ip;
        std::string fp;
        for (int i = 0; i < p - s; ++i) ip.push_back(digit());
        for (int i = 0; i < s; ++i) fp.push_back(digit());
        const bool negative = rng() % 2 == 0;
        const std::string bytes = Encode(negative, ip, fp);
        ASSERT_EQ(bytes.size(), DecimalBinarySize(p, s));
        char text[kMaxDecimalTextSize];
        size_t len = 0;
        ASSERT_TRUE(
            FormatBinaryDecimal(reinterpret_cast<const uint8_t*>(bytes.data()), p, s, text, &len)
                .ok());
        ASSERT_LE(len, static_cast<size_t>(p) + 3);
        EXPECT_EQ(std::string(text, len), Expected(negative, ip, fp))
            << "DECIMAL(" << p << "," << s << ") " << (negative ? "-" : "") << ip << "." << fp;
      }
    }
  }
}

TEST(MySqlDecimalTest, GroupsOutOfRangeAreCorrupt) {
  // DECIMAL(12,2): one leading digit (1 byte), one group of 9 (4 bytes), 2 fraction digits.
  const std::string bytes = Encode(false, "1234567890", "12");
  ASSERT_EQ(bytes.size(), 6u);
  char text[kMaxDecimalTextSize];
  size_t len = 0;
  ASSERT_TRUE(
      FormatBinaryDecimal(reinterpret_cast<const uint8_t*>(bytes.data()), 12, 2, text, &len).ok());
  EXPECT_EQ(std::string(text, len), "1234567890.12");
  for (size_t at : {0u, 1u, 5u}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(0xff);  // digit values 127, over 10^9 and 255
    EXPECT_EQ(
        FormatBinaryDecimal(reinterpret_cast<const uint8_t*>(bad.data()), 12, 2, text, &len).code(),
        StatusCode::kCorruption)
        << at;
  }
  EXPECT_EQ(
      FormatBinaryDecimal(reinterpret_cast<const uint8_t*>(bytes.data()), 0, 0, text, &len).code(),
      StatusCode::kCorruption);
}

}  // namespace
}  // namespace vimur::mysql
