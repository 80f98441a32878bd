#include "core/crc32.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>

namespace vimur {
namespace {

uint32_t ZlibCrc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<z_size_t>(s.size())));
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(Crc32Test, KnownCheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32Portable("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
}

// Every length across the short path, the 64-byte folds, the 16-byte folds and the tail,
// starting at every offset within 16 bytes (the loads are unaligned).
TEST(Crc32Test, MatchesZlibAtEveryLengthAndAlignment) {
  std::string buf = RandomBytes(600 + 16, 1);
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t len = 0; len <= 600; ++len) {
      std::string_view s(buf.data() + offset, len);
      ASSERT_EQ(Crc32(s), ZlibCrc(s)) << "offset " << offset << " length " << len;
    }
  }
}

TEST(Crc32Test, MatchesZlibOnLargeInputs) {
  for (size_t len : {size_t{64} << 10, (size_t{1} << 20) + 13}) {
    std::string buf = RandomBytes(len + 1, static_cast<uint32_t>(len));
    EXPECT_EQ(Crc32(buf), ZlibCrc(buf)) << "length " << len;
    std::string_view shifted(buf.data() + 1, len);
    EXPECT_EQ(Crc32(shifted), ZlibCrc(shifted)) << "length " << len << " at offset 1";
  }
}

// All-zero and all-ones inputs exercise the pre-inversion of the first 32 bits.
TEST(Crc32Test, MatchesZlibOnUniformInputs) {
  for (char fill : {'\0', '\xff'}) {
    for (size_t len : {64, 65, 127, 128, 4096}) {
      std::string s(len, fill);
      EXPECT_EQ(Crc32(s), ZlibCrc(s)) << "length " << len << " fill " << int{fill};
    }
  }
}

TEST(Crc32Test, PortablePathMatchesZlib) {
  std::string buf = RandomBytes(4096 + 7, 2);
  for (size_t len : {0, 1, 15, 63, 64, 100, 1000, 4096 + 7}) {
    std::string_view s(buf.data(), len);
    EXPECT_EQ(Crc32Portable(s), ZlibCrc(s)) << "length " << len;
    EXPECT_EQ(Crc32Portable(s), Crc32(s)) << "length " << len;
  }
  if (!Crc32Accelerated()) {
    std::printf("note: no PCLMULQDQ on this CPU; Crc32 used the zlib path throughout\n");
  }
}

}  // namespace
}  // namespace vimur
