#include "core/status.h"

#include <gtest/gtest.h>

#include "core/byte_reader.h"
#include "core/position.h"

namespace vimur {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Status UseHalf(int x, int* out) {
  VIMUR_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::Ok();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::Corruption("bad bytes");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.ToString(), "Corruption: bad bytes");
  EXPECT_EQ(s.WithContext("table shop.orders").message(), "table shop.orders: bad bytes");
  EXPECT_TRUE(Status::IoError("x").retriable());
  EXPECT_FALSE(Status::Corruption("x").retriable());
}

TEST(StatusTest, ResultPropagates) {
  int v = 0;
  EXPECT_TRUE(UseHalf(8, &v).ok());
  EXPECT_EQ(v, 4);
  Status s = UseHalf(7, &v);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "odd: 7");
}

TEST(ByteReaderTest, ReadsAndRejectsOverrun) {
  const unsigned char bytes[] = {0x01, 0x02, 0x03, 0xfc, 0x10, 0x27, 'a', 'b', 0};
  ByteReader r(bytes, sizeof bytes);
  uint16_t u16 = 0;
  ASSERT_TRUE(r.ReadU16(&u16).ok());
  EXPECT_EQ(u16, 0x0201);
  uint64_t be = 0;
  ASSERT_TRUE(r.ReadBE(1, &be).ok());
  EXPECT_EQ(be, 3u);
  uint64_t len = 0;
  ASSERT_TRUE(r.ReadLengthEncoded(&len).ok());
  EXPECT_EQ(len, 10000u);
  std::string_view s;
  ASSERT_TRUE(r.ReadNulTerminated(&s).ok());
  EXPECT_EQ(s, "ab");
  EXPECT_TRUE(r.empty());
  uint32_t u32 = 0;
  Status st = r.ReadU32(&u32);
  EXPECT_EQ(st.code(), StatusCode::kUnderflow);
}

TEST(PositionTest, JsonRoundTrip) {
  Position p;
  p.gtid_set = "0-1-100,1-2-7";
  p.file = "mysql-bin.000003";
  p.pos = 1234;
  auto back = Position::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
  EXPECT_FALSE(Position::FromJson("{nope").ok());
  EXPECT_FALSE(Position::FromJson("{\"pos\": \"x\"}").ok());
}

}  // namespace
}  // namespace vimur
