#include "transport/kafka/murmur2.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace vimur::kafka {
namespace {

// Vectors from Apache Kafka's UtilsTest.testMurmur2 (the Java client's own expectations).
TEST(Murmur2Test, MatchesJavaClientVectors) {
  const std::vector<std::pair<std::string, int32_t>> cases = {
      {"21", -973932308},
      {"foobar", -790332482},
      {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107},
  };
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(Murmur2(input), expected) << input;
  }
}

TEST(Murmur2Test, HashesBytesAboveSevenBitsLikeJava) {
  // Java masks each byte with 0xff; a port that sign-extends would differ on these.
  // Expected values printed by Utils.murmur2 of kafka-clients 4.3.1.
  EXPECT_EQ(Murmur2(std::string("\xff\x80\xfe", 3)), 957058525);
  EXPECT_EQ(Murmur2(std::string("\xff\x80\xfe\x81", 4)), -1333559100);
  EXPECT_EQ(Murmur2(std::string("\xff\x80\xfe\x81\x90", 5)), 234866925);
  EXPECT_EQ(Murmur2(std::string()), 275646681);
}

TEST(Murmur2Test, ToPositiveClearsTheSignBitOnly) {
  EXPECT_EQ(ToPositive(-790332482), 1357151166);
  EXPECT_EQ(ToPositive(-1), 0x7fffffff);
  EXPECT_EQ(ToPositive(INT32_MIN), 0);
  EXPECT_EQ(ToPositive(12345), 12345);
}

TEST(Murmur2Test, PartitionForKeyIsToPositiveModulo) {
  // toPositive(murmur2("foobar")) = 1357151166.
  EXPECT_EQ(PartitionForKey("foobar", 10), 6);
  EXPECT_EQ(PartitionForKey("foobar", 50), 16);
  EXPECT_EQ(PartitionForKey("21", 7), ToPositive(-973932308) % 7);
  for (int32_t n = 1; n <= 64; ++n) {
    int32_t p = PartitionForKey("a-little-bit-long-string", n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

}  // namespace
}  // namespace vimur::kafka
