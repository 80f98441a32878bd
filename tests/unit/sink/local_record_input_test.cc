// A sink's input over the local log: only committed records are delivered, topics by regex,
// offsets acknowledged survive a restart, and dead letters land in the log.
#include "sink/local_record_input.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace vimur::sink {
namespace {

namespace fs = std::filesystem;

class LocalRecordInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vimur-local-input-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.log.dir = (dir_ / "log").string();
    options_.log.partitions = 2;
    options_.log.topic_partitions["dlq"] = 1;
    options_.consumers_dir = (dir_ / "consumers").string();
    options_.group_id = "g";
    options_.topic_regexes = {"shop\\..*"};
    options_.dead_letter_topic = "dlq";
    options_.sink_name = "s";
  }
  void TearDown() override { fs::remove_all(dir_); }

  Status Send(local::LocalLog& log, const std::string& topic, const std::string& key,
              const std::string& value, bool commit = true) {
    OutgoingRecord r;
    r.topic = topic;
    r.key = key;
    r.value = value;
    if (!commit) return log.Append({r}, 1, std::nullopt, false, nullptr);
    return log.AppendAndWait({r}, 1, std::make_pair("src", "{}"));
  }

  fs::path dir_;
  LocalInputOptions options_;
};

TEST_F(LocalRecordInputTest, DeliversCommittedRecordsOfMatchingTopicsAndResumesAfterAck) {
  auto log = local::LocalLog::Open(options_.log).value();
  ASSERT_TRUE(Send(*log, "shop.a", "k1", "v1").ok());
  ASSERT_TRUE(Send(*log, "other.b", "k1", "no").ok());
  ASSERT_TRUE(Send(*log, "shop.a", "k2", "v2").ok());
  ASSERT_TRUE(Send(*log, "shop.a", "k3", "uncommitted", false).ok());
  {
    LocalRecordInput input(options_);
    ASSERT_TRUE(input.Start().ok());
    auto batch = input.Poll(100, std::chrono::milliseconds(200));
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    ASSERT_EQ(batch->size(), 2u);
    for (const InputRecord& r : *batch) {
      EXPECT_EQ(r.topic, "shop.a");
      EXPECT_NE(*r.value, "uncommitted");
    }
    ASSERT_TRUE(input.Acknowledge({(*batch)[0]}).ok());
    // Nothing new: an empty batch after the wait.
    auto empty = input.Poll(100, std::chrono::milliseconds(50));
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
    // A commit wakes a waiting poll.
    ASSERT_TRUE(Send(*log, "shop.a", "k4", "v4").ok());
    auto more = input.Poll(100, std::chrono::milliseconds(2000));
    ASSERT_TRUE(more.ok());
    ASSERT_EQ(more->size(), 2u);  // k3 (committed with k4's commit) and k4
  }
  // After a restart: what was not acknowledged comes again, what was does not.
  LocalRecordInput again(options_);
  ASSERT_TRUE(again.Start().ok());
  auto batch = again.Poll(100, std::chrono::milliseconds(200));
  ASSERT_TRUE(batch.ok());
  std::vector<std::string> values;
  for (const auto& r : *batch) values.push_back(*r.value);
  EXPECT_EQ(values.size(), 3u);
  EXPECT_EQ(std::count(values.begin(), values.end(), "v1"), 0);
  EXPECT_TRUE(fs::exists(again.OffsetsPath()));
}

TEST_F(LocalRecordInputTest, DeadLettersAreAppendedToTheLog) {
  auto log = local::LocalLog::Open(options_.log).value();
  ASSERT_TRUE(Send(*log, "shop.a", "k1", "v1").ok());
  LocalRecordInput input(options_);
  ASSERT_TRUE(input.Start().ok());
  auto batch = input.Poll(10, std::chrono::milliseconds(200));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 1u);
  ASSERT_TRUE(input.DeadLetter((*batch)[0], "column x does not exist").ok());
  auto state = log->Committed();
  ASSERT_EQ(state.topics.count("dlq"), 1u);
  EXPECT_EQ(state.topics.at("dlq"), std::vector<int64_t>{1});
}

// A rebuild (ReadFromBeginning) reads everything again despite stored offsets, and its
// acknowledgements move the stored offsets back to what it applied.
TEST_F(LocalRecordInputTest, ReadFromBeginningIgnoresAndThenReplacesStoredOffsets) {
  auto log = local::LocalLog::Open(options_.log).value();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Send(*log, "shop.a", "k", "v" + std::to_string(i)).ok());
  {
    LocalRecordInput input(options_);
    ASSERT_TRUE(input.Start().ok());
    auto batch = input.Poll(100, std::chrono::milliseconds(200));
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->size(), 4u);
    ASSERT_TRUE(input.Acknowledge(*batch).ok());
  }
  {
    LocalRecordInput rebuild(options_);
    rebuild.ReadFromBeginning();
    ASSERT_TRUE(rebuild.Start().ok());
    auto batch = rebuild.Poll(1, std::chrono::milliseconds(200));
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->size(), 1u);
    EXPECT_EQ(*(*batch)[0].value, "v0");
    ASSERT_TRUE(rebuild.Acknowledge(*batch).ok());
  }
  // A normal start now resumes after the rebuild's acknowledgement, not the old offsets.
  LocalRecordInput again(options_);
  ASSERT_TRUE(again.Start().ok());
  auto batch = again.Poll(100, std::chrono::milliseconds(200));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ(*(*batch)[0].value, "v1");
}

}  // namespace
}  // namespace vimur::sink
