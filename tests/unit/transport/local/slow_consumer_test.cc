// Retention and consumer groups of the local log: with slow_consumer: wait, segments a group
// has not read stay and appends wait while too much is unread, until the group commits; a
// group that committed nothing does not hold; with drop, the group logs the skipped offsets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "transport/local/consumer_offsets.h"
#include "transport/local/local_log.h"
#include "transport/local/partition_log.h"
#include "transport/local/partition_reader.h"

namespace vimur::local {
namespace {

namespace fs = std::filesystem;

class SlowConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vimur-slow-consumer-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.dir = (dir_ / "log").string();
    options_.consumers_dir = (dir_ / "consumers").string();
    options_.partitions = 1;
    options_.segment_bytes = 4096;
    options_.retention_ms = 0;
    options_.retention_bytes = 4096;
    options_.compaction = false;
    options_.slow_consumer_max_bytes = 8192;
    options_.fsync = FsyncPolicy::kNever;
    options_.retention_check_ms = int64_t{1} << 50;  // retention runs when the test says
    fs::create_directories(options_.consumers_dir);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `n` records with distinct keys, one committed batch each.
  void Fill(LocalLog& log, int n, int from = 0) {
    for (int i = from; i < from + n; ++i) {
      ASSERT_TRUE(Put(log, i).ok());
    }
  }
  Status Put(LocalLog& log, int i) {
    static const std::string value(60, 'v');
    OutgoingRecord r;
    r.topic = "t";
    const std::string key = "key-" + std::to_string(i);
    r.key = key;
    r.value = value;
    return log.AppendAndWait({r}, 1, std::make_pair("src", "{}"));
  }
  void Commit(const std::string& group, const std::string& json) {
    std::ofstream(options_.consumers_dir + "/" + group + ".json") << json;
  }
  size_t Segments() { return ListSegments(options_.dir + "/t/0").value().size(); }

  fs::path dir_;
  LocalLogOptions options_;
};

TEST_F(SlowConsumerTest, RetentionWaitsForAGroupAndReleasesWhenItCommits) {
  auto log = LocalLog::Open(options_).value();
  Commit("slow", R"({"t": {"0": 0}})");
  Commit("fast", R"({"t": {"0": 1000000}})");
  Commit("other", R"({"u": {"0": 0}})");  // holds nothing of t
  Fill(*log, 400);
  const size_t before = Segments();
  ASSERT_GT(before, 6u);
  ASSERT_TRUE(log->ApplyRetention(0).ok());
  EXPECT_EQ(Segments(), before);  // the slow group has read none of them
  EXPECT_EQ(log->HeldTopics(), std::set<std::string>{"t"});

  // An append to the held topic waits.
  std::atomic<bool> done{false};
  std::thread writer([&] {
    EXPECT_TRUE(Put(*log, 1000).ok());
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_FALSE(done.load());

  // The group catches up: retention deletes, the append goes through.
  const int64_t end = log->Committed().topics.at("t").at(0);
  Commit("slow", R"({"t": {"0": )" + std::to_string(end) + "}}");
  ASSERT_TRUE(log->ApplyRetention(0).ok());
  writer.join();
  EXPECT_TRUE(done.load());
  EXPECT_TRUE(log->HeldTopics().empty());
  EXPECT_LT(Segments(), before);
}

TEST_F(SlowConsumerTest, AGroupPartWayKeepsOnlyWhatItHasNotRead) {
  auto log = LocalLog::Open(options_).value();
  Fill(*log, 400);
  auto segments = ListSegments(options_.dir + "/t/0").value();
  ASSERT_GT(segments.size(), 6u);
  // Read up to the start of the fourth segment: the first three may go, no more.
  Commit("g", R"({"t": {"0": )" + std::to_string(segments[3].first) + "}}");
  ASSERT_TRUE(log->ApplyRetention(0).ok());
  auto left = ListSegments(options_.dir + "/t/0").value();
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.front().first, segments[3].first);
  // A group file that does not parse holds nothing (and says so); removing it releases too.
  Commit("g", "{not json");
  ASSERT_TRUE(log->ApplyRetention(0).ok());
  EXPECT_LE(Segments(), 2u);
}

TEST_F(SlowConsumerTest, DropModeDeletesAndTheGroupLogsTheSkippedOffsets) {
  options_.slow_consumer_wait = false;
  auto log = LocalLog::Open(options_).value();
  Commit("g", R"({"t": {"0": 0}})");
  Fill(*log, 400);
  const size_t before = Segments();
  ASSERT_TRUE(log->ApplyRetention(0).ok());
  EXPECT_LT(Segments(), before);
  EXPECT_TRUE(log->HeldTopics().empty());
  // Appends do not wait.
  ASSERT_TRUE(Put(*log, 1000).ok());
  const int64_t first_left = ListSegments(options_.dir + "/t/0").value().front().first;
  ASSERT_GT(first_left, 0);

  // The group's reader (it committed offset 0 here) logs an error naming the lost offsets.
  PartitionReader reader(options_.dir + "/t/0", "t[0]");
  reader.set_skips_are_errors(true);
  int64_t next = 0;
  std::vector<OwnedRecord> got;
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(reader.Read(&next, first_left + 1, 10, 1 << 20, &got).ok());
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logged.find("ERROR"), std::string::npos) << logged;
  EXPECT_NE(logged.find("t[0]: records 0 to " + std::to_string(first_left - 1) +
                        " were removed by retention before this consumer read them"),
            std::string::npos)
      << logged;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].offset, first_left);
}

TEST(ConsumerOffsetsTest, TheSlowestGroupPerPartition) {
  const fs::path dir = fs::temp_directory_path() / ("vimur-offsets-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "a.json") << R"({"t": {"0": 5, "1": 9}})";
  std::ofstream(dir / "b.json") << R"({"t": {"0": 7, "1": 2}, "u": {"0": 1}})";
  std::ofstream(dir / "c.json.tmp") << R"({"t": {"0": 0}})";  // not a group file
  auto slowest = SlowestReaders(dir.string());
  ASSERT_TRUE(slowest.ok());
  ASSERT_EQ(slowest->size(), 3u);
  EXPECT_EQ((slowest->at({"t", 0}).next), 5);
  EXPECT_EQ((slowest->at({"t", 0}).group), "a");
  EXPECT_EQ((slowest->at({"t", 1}).group), "b");
  EXPECT_EQ((slowest->at({"u", 0}).next), 1);
  auto none = SlowestReaders((dir / "absent").string());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace vimur::local
