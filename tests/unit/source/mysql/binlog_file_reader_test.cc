#include "source/mysql/binlog_file_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "binlog_event_builder.h"
#include "source/mysql/binlog_event_parser.h"

namespace vimur::mysql {
namespace {

using fixtures::BuildEvent;
using fixtures::Bytes;

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    char name[] = "/tmp/vimur_binlog_reader_XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    if (fd >= 0) ::close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::string kMagic(
    "\xfe"
    "bin",
    4);

// A small binlog: FDE, then events of varied sizes (one larger than the smallest chunks).
std::vector<std::string> SampleEvents() {
  std::vector<std::string> events = {fixtures::MySql8Fde()};
  for (int i = 0; i < 20; ++i) {
    std::string query = "INSERT INTO t VALUES (" + std::to_string(i) + ")" +
                        std::string(static_cast<size_t>(i * 37), 'x');
    std::string body = Bytes().u32(1).u32(0).u8(0).u16(0).u16(0).u8(0).raw(query);
    events.push_back(BuildEvent(EventType::kQuery, body, true));
    events.push_back(BuildEvent(EventType::kXid, Bytes().u64(i), true));
  }
  events.push_back(BuildEvent(EventType::kRotate, Bytes().u64(4).raw("binlog.000002"), true));
  return events;
}

std::string Join(const std::vector<std::string>& events) {
  std::string out = kMagic;
  for (const auto& e : events) out += e;
  return out;
}

TEST(BinlogFileReaderTest, ReadsEveryEventInOrderForAnyChunkSize) {
  std::vector<std::string> events = SampleEvents();
  TempFile file(Join(events));
  for (size_t chunk :
       {size_t{1}, size_t{64}, size_t{100}, size_t{4096}, BinlogFileReader::kDefaultChunkSize}) {
    auto reader = BinlogFileReader::Open(file.path(), chunk);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    BinlogEventParser parser;
    uint64_t offset = 4;
    for (size_t i = 0; i < events.size(); ++i) {
      auto next = (*reader)->Next();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      ASSERT_TRUE(next->has_value()) << "chunk " << chunk << " event " << i;
      EXPECT_EQ(**next, events[i]) << "chunk " << chunk << " event " << i;
      EXPECT_EQ((*reader)->position(), offset);
      offset += events[i].size();
      EXPECT_EQ((*reader)->next_position(), offset);
      // The bytes frame (and the checksums verify) with the parser.
      auto framed = parser.Frame(**next);
      ASSERT_TRUE(framed.ok()) << framed.status().ToString();
      if (framed->type() == EventType::kFormatDescription) {
        auto fde = parser.ParseFormatDescription(*framed);
        ASSERT_TRUE(fde.ok());
        parser.Apply(*fde);
      }
    }
    auto end = (*reader)->Next();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(end->has_value());
    auto again = (*reader)->Next();  // stays at the end
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->has_value());
  }
}

TEST(BinlogFileReaderTest, TruncatedLastEventIsUnderflow) {
  std::vector<std::string> events = SampleEvents();
  std::string full = Join(events);
  const size_t last_start = full.size() - events.back().size();
  // Cut inside the header and inside the body of the last event.
  for (size_t cut : {last_start + 1, last_start + 18, full.size() - 1}) {
    TempFile file(full.substr(0, cut));
    auto reader = BinlogFileReader::Open(file.path(), 64);
    ASSERT_TRUE(reader.ok());
    for (size_t i = 0; i + 1 < events.size(); ++i) {
      auto next = (*reader)->Next();
      ASSERT_TRUE(next.ok() && next->has_value()) << i;
    }
    auto last = (*reader)->Next();
    ASSERT_FALSE(last.ok()) << "cut " << cut;
    EXPECT_EQ(last.status().code(), StatusCode::kUnderflow);
    EXPECT_NE(last.status().message().find(file.path()), std::string::npos);
  }
}

TEST(BinlogFileReaderTest, ResumesWhenAGrowingFileIsCompleted) {
  std::vector<std::string> events = SampleEvents();
  std::string full = Join(events);
  size_t cut = full.size() - 5;
  TempFile file(full.substr(0, cut));
  auto reader = BinlogFileReader::Open(file.path(), 128);
  ASSERT_TRUE(reader.ok());
  for (size_t i = 0; i + 1 < events.size(); ++i) ASSERT_TRUE((*reader)->Next().ok());
  EXPECT_EQ((*reader)->Next().status().code(), StatusCode::kUnderflow);
  std::ofstream(file.path(), std::ios::binary | std::ios::app) << full.substr(cut);
  auto last = (*reader)->Next();
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ(**last, events.back());
}

TEST(BinlogFileReaderTest, RejectsBadMagicMissingFileAndImpossibleSizes) {
  TempFile not_binlog("GIF89a this is not a binlog");
  auto bad = BinlogFileReader::Open(not_binlog.path());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);

  TempFile empty("");
  EXPECT_EQ(BinlogFileReader::Open(empty.path()).status().code(), StatusCode::kCorruption);

  auto missing = BinlogFileReader::Open("/nonexistent/dir/binlog.000001");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  std::string event = BuildEvent(EventType::kXid, Bytes().u64(1), false);
  event[9] = 3;  // event_size 3: smaller than a header
  event[10] = event[11] = event[12] = 0;
  TempFile tiny(kMagic + event);
  auto reader = BinlogFileReader::Open(tiny.path());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->Next().status().code(), StatusCode::kCorruption);

  TempFile only_magic(kMagic);
  reader = BinlogFileReader::Open(only_magic.path());
  ASSERT_TRUE(reader.ok());
  auto end = (*reader)->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace vimur::mysql
