// Compaction by key of the local log: closed segments keep the newest record per key, a
// tombstone removes its key and goes itself after its retention, offsets and order stay,
// readers inside a replaced segment go on, and a rewrite a crash interrupted is harmless.
#include "transport/local/segment_compactor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "transport/local/local_log.h"
#include "transport/local/partition_log.h"
#include "transport/local/partition_reader.h"

namespace vimur::local {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'000'000'000;  // the records' timestamp
constexpr int64_t kDay = 24ll * 3600 * 1000;

class SegmentCompactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vimur-compact-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.dir = dir_.string();
    options_.partitions = 1;
    options_.segment_bytes = 4096;
    options_.retention_ms = 0;
    options_.compaction = false;  // passes run by the test, not the background thread
    options_.compaction_tombstone_retention_ms = kDay;
    options_.fsync = FsyncPolicy::kNever;  // fast; durability is not what is tested here
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<LocalLog> Open() {
    auto log = LocalLog::Open(options_);
    EXPECT_TRUE(log.ok()) << log.status().message();
    return log.ok() ? *log : nullptr;
  }
  // Writes one committed batch: `value` nullopt is a tombstone.
  void Put(LocalLog& log, const std::string& key, const std::optional<std::string>& value) {
    OutgoingRecord r;
    r.topic = "t";
    r.key = key;
    if (value) r.value = *value;
    Status s = log.AppendAndWait({r}, kT0, std::make_pair("src", "{}"));
    ASSERT_TRUE(s.ok()) << s.message();
  }
  std::vector<OwnedRecord> ReadAll(int64_t until) {
    PartitionReader reader(PartitionDir(), "t[0]");
    int64_t next = 0;
    std::vector<OwnedRecord> out;
    Status s = reader.Read(&next, until, 1000000, 1 << 30, &out);
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(next, until);
    return out;
  }
  std::string PartitionDir() const { return options_.dir + "/t/0"; }
  int64_t End(LocalLog& log) { return log.Committed().topics.at("t").at(0); }

  // 30 rounds over keys k0..k9, then k3 deleted, then 20 rounds without k3: several closed
  // segments, the tombstone in one of them.
  void WriteHistory(LocalLog& log) {
    for (int round = 0; round < 30; ++round) {
      for (int k = 0; k < 10; ++k) {
        Put(log, "k" + std::to_string(k), "r" + std::to_string(round) + "-k" + std::to_string(k));
      }
    }
    Put(log, "k3", std::nullopt);
    for (int round = 30; round < 50; ++round) {
      for (int k = 0; k < 10; ++k) {
        if (k == 3) continue;
        Put(log, "k" + std::to_string(k), "r" + std::to_string(round) + "-k" + std::to_string(k));
      }
    }
  }

  fs::path dir_;
  LocalLogOptions options_;
};

TEST_F(SegmentCompactorTest, KeepsTheNewestValuePerKeyDropsDeletedKeysKeepsOffsetsAndOrder) {
  auto log = Open();
  WriteHistory(*log);
  const int64_t end = End(*log);
  const std::vector<OwnedRecord> before = ReadAll(end);
  ASSERT_EQ(before.size(), static_cast<size_t>(end));
  auto segments = ListSegments(PartitionDir()).value();
  ASSERT_GE(segments.size(), 4u);
  const int64_t active_base = segments.back().first;
  const std::string active_bytes = ReadWholeFile(segments.back().second).value();
  // Where the tombstone is: it must be in a closed segment for this test to mean anything.
  int64_t tombstone = -1;
  for (const OwnedRecord& r : before) {
    if (!r.value) tombstone = r.offset;
  }
  ASSERT_GE(tombstone, 0);
  ASSERT_LT(tombstone, active_base);

  // A reader part-way into the first segment before the pass.
  PartitionReader early(PartitionDir(), "t[0]");
  int64_t early_next = 0;
  std::vector<OwnedRecord> early_got;
  ASSERT_TRUE(early.Read(&early_next, end, 5, 1 << 30, &early_got).ok());
  ASSERT_EQ(early_next, 5);

  auto removed = log->Compact(kT0 + 1000);
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_GT(*removed, 0);
  const std::vector<OwnedRecord> after = ReadAll(end);
  EXPECT_EQ(after.size() + static_cast<size_t>(*removed), before.size());

  // Every kept record is the record that had its offset; offsets increase.
  std::map<int64_t, const OwnedRecord*> by_offset;
  for (const OwnedRecord& r : before) by_offset[r.offset] = &r;
  int64_t previous = -1;
  for (const OwnedRecord& r : after) {
    EXPECT_GT(r.offset, previous);
    previous = r.offset;
    const OwnedRecord* was = by_offset.at(r.offset);
    EXPECT_EQ(r.key, was->key);
    EXPECT_EQ(r.value, was->value);
  }
  // Below the active segment: one record per key, the newest of the closed range; k3 only
  // as its tombstone (its values are gone).
  std::map<std::string, int64_t> newest_closed;
  for (const OwnedRecord& r : before) {
    if (r.offset < active_base) newest_closed[*r.key] = r.offset;
  }
  std::map<std::string, int> seen;
  for (const OwnedRecord& r : after) {
    if (r.offset >= active_base) continue;
    ++seen[*r.key];
    EXPECT_EQ(r.offset, newest_closed.at(*r.key)) << *r.key;
    if (*r.key == "k3") EXPECT_FALSE(r.value.has_value());
  }
  EXPECT_EQ(seen.size(), 10u);
  for (const auto& [key, n] : seen) EXPECT_EQ(n, 1) << key;
  // The latest value of every key is what it was before the pass.
  std::map<std::string, std::optional<std::string>> latest_before, latest_after;
  for (const OwnedRecord& r : before) latest_before[*r.key] = r.value;
  for (const OwnedRecord& r : after) latest_after[*r.key] = r.value;
  EXPECT_EQ(latest_after, latest_before);
  // The active segment is untouched; segment names (first offsets) stay.
  EXPECT_EQ(ReadWholeFile(segments.back().second).value(), active_bytes);
  auto segments_after = ListSegments(PartitionDir()).value();
  ASSERT_EQ(segments_after.size(), segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    EXPECT_EQ(segments_after[i].first, segments[i].first);
  }

  // The reader inside a replaced segment goes on at its offset, with what is left.
  std::vector<OwnedRecord> rest;
  ASSERT_TRUE(early.Read(&early_next, end, 1000000, 1 << 30, &rest).ok());
  EXPECT_EQ(early_next, end);
  std::vector<int64_t> want, got;
  for (const OwnedRecord& r : after) {
    if (r.offset >= 5) want.push_back(r.offset);
  }
  for (const OwnedRecord& r : rest) got.push_back(r.offset);
  EXPECT_EQ(got, want);

  // A second pass within the tombstone's retention changes nothing.
  auto again = log->Compact(kT0 + 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);

  // After compaction_tombstone_retention_ms the tombstone goes too: k3 is gone.
  auto later = log->Compact(kT0 + kDay + 1);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*later, 1);
  for (const OwnedRecord& r : ReadAll(end)) EXPECT_NE(*r.key, "k3");

  // Appends go on at the committed next offset, also after a restart.
  log.reset();
  log = Open();
  Put(*log, "k0", "new");
  EXPECT_EQ(End(*log), end + 1);
  EXPECT_EQ(ReadAll(end + 1).back().offset, end);
}

TEST_F(SegmentCompactorTest, UncompactedTopicsUncommittedAndActiveSegmentsStayWhole) {
  options_.uncompacted_topics = {"t"};
  auto log = Open();
  WriteHistory(*log);
  auto removed = log->Compact(kT0);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0);
  // Directly: nothing at or past committed_next (here: only the first closed segment's
  // records count as committed) is touched.
  auto segments = ListSegments(PartitionDir()).value();
  ASSERT_GE(segments.size(), 3u);
  const std::string second = ReadWholeFile(segments[1].second).value();
  auto r = CompactPartition(PartitionDir(), "t[0]", segments[1].first, kT0, kDay);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->segments_rewritten, 1);
  EXPECT_EQ(ReadWholeFile(segments[1].second).value(), second);
}

TEST_F(SegmentCompactorTest, ACrashInTheMiddleOfARewriteRecovers) {
  int64_t end = 0;
  std::vector<OwnedRecord> before;
  std::string first_segment;
  {
    auto log = Open();
    WriteHistory(*log);
    end = End(*log);
    before = ReadAll(end);
    first_segment = ListSegments(PartitionDir()).value().front().second;
  }
  // Killed while writing the new file: a partial temp file next to the whole segment.
  const std::string temp = first_segment + kCompactingSuffix;
  {
    std::ofstream f(temp, std::ios::binary);
    const std::string bytes = ReadWholeFile(first_segment).value();
    f << bytes.substr(0, bytes.size() / 3);
  }
  {
    auto log = Open();
    EXPECT_FALSE(fs::exists(temp));
    const std::vector<OwnedRecord> again = ReadAll(end);
    ASSERT_EQ(again.size(), before.size());
    for (size_t i = 0; i < again.size(); ++i) {
      EXPECT_EQ(again[i].offset, before[i].offset);
      EXPECT_EQ(again[i].value, before[i].value);
    }
    // Killed after the rename: the compacted segment is the segment; the log opens and
    // continues at the committed offset.
    ASSERT_TRUE(log->Compact(kT0).ok());
  }
  auto log = Open();
  EXPECT_EQ(End(*log), end);
  Put(*log, "k9", "after");
  const std::vector<OwnedRecord> all = ReadAll(end + 1);
  EXPECT_EQ(all.back().offset, end);
  EXPECT_EQ(*all.back().value, "after");
}

}  // namespace
}  // namespace vimur::local
