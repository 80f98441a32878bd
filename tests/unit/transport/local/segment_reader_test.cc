// The local log's record frames: round trip, every truncated prefix read as a partial tail
// (never an error, never a record), and any changed byte refused with file and byte offset.
#include "transport/local/segment_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "transport/local/log_record.h"

namespace vimur::local {
namespace {

std::string ThreeRecords() {
  std::string bytes;
  AppendRecordFrame({0, 1000, std::string_view("k0"), std::string_view("v0")}, &bytes);
  AppendRecordFrame({1, 1001, std::nullopt, std::string_view("no key")}, &bytes);
  AppendRecordFrame({5, 1002, std::string_view("k0"), std::nullopt}, &bytes);  // tombstone
  return bytes;
}

TEST(LogSegmentReaderTest, RoundTrip) {
  const std::string bytes = ThreeRecords();
  LogSegmentReader reader(bytes, "seg.log");
  LogRecordView r;
  ASSERT_TRUE(reader.Next(&r).value());
  EXPECT_EQ(r.offset, 0);
  EXPECT_EQ(r.timestamp_ms, 1000);
  EXPECT_EQ(r.key, "k0");
  EXPECT_EQ(r.value, "v0");
  ASSERT_TRUE(reader.Next(&r).value());
  EXPECT_EQ(r.offset, 1);
  EXPECT_FALSE(r.key.has_value());
  EXPECT_EQ(r.value, "no key");
  ASSERT_TRUE(reader.Next(&r).value());
  EXPECT_EQ(r.offset, 5);
  EXPECT_EQ(r.key, "k0");
  EXPECT_FALSE(r.value.has_value());
  EXPECT_FALSE(reader.Next(&r).value());
  EXPECT_FALSE(reader.partial());
  EXPECT_EQ(reader.position(), bytes.size());
  EXPECT_EQ(RecordFrameBytes(std::string_view("k0"), std::string_view("v0")),
            bytes.size() - RecordFrameBytes(std::nullopt, std::string_view("no key")) -
                RecordFrameBytes(std::string_view("k0"), std::nullopt));
}

TEST(LogSegmentReaderTest, EveryTruncatedPrefixIsAPartialTail) {
  const std::string bytes = ThreeRecords();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    const std::string prefix = bytes.substr(0, cut);
    LogSegmentReader reader(prefix, "seg.log");
    LogRecordView r;
    size_t records = 0;
    while (true) {
      auto got = reader.Next(&r);
      ASSERT_TRUE(got.ok()) << cut << ": " << got.status().message();
      if (!*got) break;
      ++records;
    }
    EXPECT_LT(records, 3u) << cut;
    EXPECT_EQ(reader.partial(), reader.position() < cut) << cut;
  }
}

TEST(LogSegmentReaderTest, AnyFlippedByteIsRefusedWithFileAndOffset) {
  const std::string bytes = ThreeRecords();
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    LogSegmentReader reader(damaged, "seg.log", 4096);
    LogRecordView r;
    Status error;
    size_t records = 0;
    while (true) {
      auto got = reader.Next(&r);
      if (!got.ok()) {
        error = got.status();
        break;
      }
      if (!*got) break;
      ++records;
    }
    // A flip in a length field may also make the rest look like a torn tail.
    EXPECT_TRUE(!error.ok() || reader.partial()) << i;
    EXPECT_LT(records, 3u) << i;
    if (!error.ok()) {
      EXPECT_EQ(error.code(), StatusCode::kCorruption);
      EXPECT_NE(error.message().find("seg.log at byte " + std::to_string(4096 + reader.position())),
                std::string::npos)
          << error.message();
    }
  }
}

TEST(LogSegmentReaderTest, ZeroedPageIsRefused) {
  std::string bytes = ThreeRecords() + std::string(4096, '\0');
  LogSegmentReader reader(bytes, "seg.log");
  LogRecordView r;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader.Next(&r).value());
  auto got = reader.Next(&r);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("frame length 0"), std::string::npos);
}

TEST(LogSegmentReaderTest, OffsetsMustIncrease) {
  std::string bytes;
  AppendRecordFrame({3, 0, std::nullopt, std::string_view("a")}, &bytes);
  AppendRecordFrame({3, 0, std::nullopt, std::string_view("b")}, &bytes);
  LogSegmentReader reader(bytes, "seg.log");
  LogRecordView r;
  ASSERT_TRUE(reader.Next(&r).value());
  EXPECT_FALSE(reader.Next(&r).ok());
}

}  // namespace
}  // namespace vimur::local
