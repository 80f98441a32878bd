// The embedded log: records land in the partition Kafka's partitioner picks, read back in
// order; a batch becomes visible and durable only with its commit record, and recovery cuts
// uncommitted, torn and damaged tails (saying where); retention deletes whole old segments.
#include "transport/local/local_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "transport/kafka/murmur2.h"
#include "transport/local/file_io.h"
#include "transport/local/log_record.h"
#include "transport/local/partition_log.h"
#include "transport/local/partition_reader.h"

namespace vimur::local {
namespace {

namespace fs = std::filesystem;

class LocalLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vimur-local-log-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.dir = dir_.string();
    options_.partitions = 3;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<LocalLog> Open() {
    auto log = LocalLog::Open(options_);
    EXPECT_TRUE(log.ok()) << log.status().message();
    return log.ok() ? *log : nullptr;
  }
  // Every committed record of `topic`, partition by partition.
  std::vector<std::vector<OwnedRecord>> ReadAll(const std::string& topic, const CommitState& s) {
    std::vector<std::vector<OwnedRecord>> out;
    const auto& offsets = s.topics.at(topic);
    for (size_t p = 0; p < offsets.size(); ++p) {
      PartitionReader reader(options_.dir + "/" + topic + "/" + std::to_string(p), topic);
      int64_t next = 0;
      std::vector<OwnedRecord> records;
      Status st = reader.Read(&next, offsets[p], 100000, 1 << 30, &records);
      EXPECT_TRUE(st.ok()) << st.message();
      EXPECT_EQ(next, offsets[p]);
      out.push_back(std::move(records));
    }
    return out;
  }
  static std::vector<OutgoingRecord> Records(const std::string& topic,
                                             const std::vector<std::string>& keys,
                                             const std::string& value_prefix) {
    static std::vector<std::string> storage;  // views below point here
    storage.reserve(100000);
    std::vector<OutgoingRecord> out;
    for (const std::string& k : keys) {
      storage.push_back(topic);
      OutgoingRecord r;
      r.topic = storage.back();
      storage.push_back(k);
      r.key = storage.back();
      storage.push_back(value_prefix + k);
      r.value = storage.back();
      out.push_back(r);
    }
    return out;
  }
  std::pair<std::string, std::string> End(int n) {
    return {"src", "{\"file\":\"bin.000001\",\"pos\":" + std::to_string(n) + "}"};
  }
  uint64_t SegmentSize(const std::string& topic, int p) {
    auto segs = ListSegments(options_.dir + "/" + topic + "/" + std::to_string(p)).value();
    return fs::file_size(segs.back().second);
  }

  fs::path dir_;
  LocalLogOptions options_;
};

TEST_F(LocalLogTest, RecordsLandWhereKafkasPartitionerPutsThemAndReadBackInOrder) {
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("{\"id\":" + std::to_string(i % 50) + "}");
  {
    auto log = Open();
    ASSERT_TRUE(log->AppendAndWait(Records("t", keys, "v1-"), 7, End(100)).ok());
    ASSERT_TRUE(log->AppendAndWait(Records("t", keys, "v2-"), 8, End(200)).ok());
    EXPECT_EQ(log->Committed().positions.at("src"), End(200).second);
  }
  auto log = Open();  // and after a clean reopen
  CommitState s = log->Committed();
  EXPECT_EQ(s.sequence, 2);
  auto parts = ReadAll("t", s);
  ASSERT_EQ(parts.size(), 3u);
  size_t total = 0;
  for (size_t p = 0; p < parts.size(); ++p) {
    std::map<std::string, std::vector<std::string>> by_key;
    for (size_t i = 0; i < parts[p].size(); ++i) {
      const OwnedRecord& r = parts[p][i];
      EXPECT_EQ(r.offset, static_cast<int64_t>(i));
      EXPECT_EQ(kafka::PartitionForKey(*r.key, 3), static_cast<int32_t>(p)) << *r.key;
      by_key[*r.key].push_back(*r.value);
    }
    for (const auto& [k, values] : by_key) {
      ASSERT_EQ(values.size(), 8u) << k;  // 4 per batch, v1 before v2
      EXPECT_EQ(values.front(), "v1-" + k);
      EXPECT_EQ(values.back(), "v2-" + k);
    }
    total += parts[p].size();
  }
  EXPECT_EQ(total, 400u);
}

TEST_F(LocalLogTest, ABatchWithoutItsCommitRecordVanishesOnReopen) {
  {
    auto log = Open();
    ASSERT_TRUE(log->AppendAndWait(Records("t", {"a", "b", "c"}, "1-"), 1, End(1)).ok());
    // A leading chunk of a source transaction: written, never committed (kill -9 here).
    ASSERT_TRUE(
        log->Append(Records("t", {"a", "b", "c", "d"}, "2-"), 2, std::nullopt, false, nullptr)
            .ok());
    ASSERT_TRUE(
        log->Append(Records("new-topic", {"x"}, "2-"), 2, std::nullopt, false, nullptr).ok());
    EXPECT_EQ(log->Committed().topics.count("new-topic"), 0u);
  }
  ASSERT_TRUE(fs::exists(dir_ / "new-topic"));
  auto log = Open();
  CommitState s = log->Committed();
  EXPECT_EQ(s.positions.at("src"), End(1).second);
  EXPECT_FALSE(fs::exists(dir_ / "new-topic"));
  size_t total = 0;
  for (const auto& p : ReadAll("t", s)) {
    for (const auto& r : p) EXPECT_EQ(r.value->substr(0, 2), "1-");
    total += p.size();
  }
  EXPECT_EQ(total, 3u);
  // The files end at the commit: the next batch continues the offsets without a gap.
  ASSERT_TRUE(log->AppendAndWait(Records("t", {"a"}, "3-"), 3, End(3)).ok());
  auto after = ReadAll("t", log->Committed());
  const int pa = kafka::PartitionForKey("a", 3);
  ASSERT_FALSE(after[pa].empty());
  EXPECT_EQ(*after[pa].back().value, "3-a");
  EXPECT_EQ(after[pa].back().offset, static_cast<int64_t>(after[pa].size()) - 1);
}

TEST_F(LocalLogTest, ACommitRecordCutMidWayDropsItsBatchAndSaysWhere) {
  {
    auto log = Open();
    ASSERT_TRUE(log->AppendAndWait(Records("t", {"a"}, "1-"), 1, End(1)).ok());
    ASSERT_TRUE(log->AppendAndWait(Records("t", {"a"}, "2-"), 2, End(2)).ok());
  }
  const std::string commits = options_.dir + "/" + kCommitLogName;
  const auto size = fs::file_size(commits);
  fs::resize_file(commits, size - 5);  // the second commit record is torn
  ::testing::internal::CaptureStderr();
  auto log = Open();
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logged.find("commit log " + commits + " cut at byte "), std::string::npos) << logged;
  CommitState s = log->Committed();
  EXPECT_EQ(s.positions.at("src"), End(1).second);
  auto parts = ReadAll("t", s);
  const int pa = kafka::PartitionForKey("a", 3);
  ASSERT_EQ(parts[pa].size(), 1u);
  EXPECT_EQ(*parts[pa][0].value, "1-a");
  EXPECT_EQ(SegmentSize("t", pa), RecordFrameBytes(std::string_view("a"), std::string_view("1-a")));
}

TEST_F(LocalLogTest, ATornOrFlippedSegmentTailIsCutAtTheLastWholeRecord) {
  const int pa = kafka::PartitionForKey("a", 3);
  const std::string seg = options_.dir + "/t/" + std::to_string(pa) + "/" + SegmentFileName(0);
  const uint64_t one = RecordFrameBytes(std::string_view("a"), std::string_view("1-a"));
  {
    auto log = Open();
    ASSERT_TRUE(log->AppendAndWait(Records("t", {"a"}, "1-"), 1, End(1)).ok());
    ASSERT_TRUE(log->AppendAndWait(Records("t", {"a"}, "1-"), 1, End(2)).ok());
  }
  {
    // A bit flipped in the last committed record (a bad sector, a torn page).
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(one + 20));
    f.put('\x7f');
  }
  ::testing::internal::CaptureStderr();
  {
    auto log = Open();
    const std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(logged.find("segment " + seg + " cut at byte " + std::to_string(one)),
              std::string::npos)
        << logged;
    EXPECT_NE(logged.find("CRC mismatch"), std::string::npos) << logged;
    EXPECT_EQ(fs::file_size(seg), one);
    // The offset of the lost record is not reused: readers past it stay valid.
    ASSERT_TRUE(log->AppendAndWait(Records("t", {"a"}, "3-"), 3, End(3)).ok());
    auto parts = ReadAll("t", log->Committed());
    ASSERT_EQ(parts[pa].size(), 2u);
    EXPECT_EQ(parts[pa][1].offset, 2);
    EXPECT_EQ(*parts[pa][1].value, "3-a");
  }
  // Half a record written past the commit (kill -9 during write): cut as well.
  {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f << std::string("\x30\x00\x00\x00\x01\x02", 6);
  }
  auto log = Open();
  EXPECT_EQ(fs::file_size(seg), 2 * one);
  EXPECT_EQ(ReadAll("t", log->Committed())[pa].size(), 2u);
}

TEST_F(LocalLogTest, RetentionDeletesWholeOldSegmentsOnly) {
  options_.segment_bytes = 4096;
  options_.retention_bytes = 3 * 4096;
  options_.retention_ms = 0;
  options_.partitions = 1;
  auto log = Open();
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back("key-" + std::to_string(i));
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(log->AppendAndWait(Records("t", keys, std::string(40, 'v')), i, End(i)).ok());
  }
  const std::string pdir = options_.dir + "/t/0";
  const size_t before = ListSegments(pdir).value().size();
  ASSERT_GT(before, 8u);
  ASSERT_TRUE(log->ApplyRetention(0).ok());
  auto segs = ListSegments(pdir).value();
  EXPECT_LT(segs.size(), before);
  uint64_t total = 0;
  for (const auto& [base, path] : segs) total += fs::file_size(path);
  EXPECT_LE(total, 3 * 4096 + 4096u);  // one segment past the bound at most: whole segments
  // A reader from offset 0 skips to the oldest record left, then reads to the end in order.
  PartitionReader reader(pdir, "t[0]");
  int64_t next = 0;
  std::vector<OwnedRecord> records;
  ASSERT_TRUE(reader.Read(&next, 800, 100000, 1 << 30, &records).ok());
  EXPECT_EQ(next, 800);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front().offset, segs.front().first);
  EXPECT_EQ(records.back().offset, 799);
  // Retention by time: everything but the active segment is older than 1 ms "later".
  log.reset();
  options_.retention_bytes = 0;
  options_.retention_ms = 1;
  log = Open();
  ASSERT_TRUE(log->ApplyRetention(int64_t{1} << 50).ok());
  EXPECT_EQ(ListSegments(pdir).value().size(), 1u);
}

TEST_F(LocalLogTest, OneWriterPerDirectory) {
  {
    auto log = Open();
    auto same = LocalLog::Open(options_);
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same->get(), log.get());  // shared within a process
  }
  // Another process holding the directory's lock (the same flock from a second descriptor).
  int fd = ::open((dir_ / ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto other = LocalLog::Open(options_);
  ::close(fd);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("in use by another vimur process"), std::string::npos);
}

}  // namespace
}  // namespace vimur::local
