// LocalTransport: batches are acknowledged in send order once durable, its OffsetStore reads
// the positions back from the commit records (also after a reopen), and a leading chunk whose
// transaction never ends is abandoned by Flush and never becomes visible.
#include "transport/local/local_transport.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace vimur::local {
namespace {

namespace fs = std::filesystem;

class LocalTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vimur-local-transport-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.dir = dir_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static OutgoingBatch Batch(int n, bool with_end) {
    OutgoingBatch b;
    b.source_name = "src";
    for (int i = 0; i < 3; ++i) {
      b.Add("p.db.t", "{\"id\":" + std::to_string(n * 10 + i) + "}",
            "{\"n\":" + std::to_string(n) + "}");
    }
    if (with_end) {
      Position p;
      p.file = "bin.000001";
      p.pos = static_cast<uint64_t>(n);
      b.end = p;
    }
    return b;
  }

  fs::path dir_;
  LocalLogOptions options_;
};

TEST_F(LocalTransportTest, AcksInSendOrderAndPositionsComeBackFromTheLog) {
  {
    LocalTransport t(options_);
    ASSERT_TRUE(t.Start().ok());
    EXPECT_TRUE(t.offsets().WrittenWithBatches());
    EXPECT_FALSE(t.offsets().Load("src").value().has_value());
    std::mutex mu;
    std::vector<int> acked;
    for (int n = 1; n <= 50; ++n) {
      ASSERT_TRUE(t.Send(Batch(n, true), [&, n](const Status& s) {
                     EXPECT_TRUE(s.ok()) << s.message();
                     std::lock_guard<std::mutex> l(mu);
                     acked.push_back(n);
                   }).ok());
    }
    ASSERT_TRUE(t.Flush(std::chrono::seconds(30)).ok());
    ASSERT_EQ(acked.size(), 50u);
    for (int n = 1; n <= 50; ++n) EXPECT_EQ(acked[n - 1], n);
    EXPECT_EQ(t.offsets().Load("src").value()->pos, 50u);
    Position p;
    p.file = "bin.000002";
    p.pos = 4;
    ASSERT_TRUE(t.offsets().Commit("other", p).ok());
  }
  LocalTransport again(options_);
  ASSERT_TRUE(again.Start().ok());
  EXPECT_EQ(again.offsets().Load("src").value()->pos, 50u);
  EXPECT_EQ(again.offsets().Load("other").value()->file, "bin.000002");
}

TEST_F(LocalTransportTest, ALeadingChunkWithoutItsEndIsAbandonedAndNeverCommitted) {
  LocalTransport t(options_);
  ASSERT_TRUE(t.Start().ok());
  Status first, chunk;
  ASSERT_TRUE(t.Send(Batch(1, true), [&](const Status& s) { first = s; }).ok());
  ASSERT_TRUE(t.Send(Batch(2, false), [&](const Status& s) { chunk = s; }).ok());
  ASSERT_TRUE(t.Flush(std::chrono::seconds(30)).ok());
  EXPECT_TRUE(first.ok());
  EXPECT_EQ(chunk.code(), StatusCode::kAborted);
  CommitState s = t.log()->Committed();
  int64_t total = 0;
  for (int64_t next : s.topics.at("p.db.t")) total += next;
  EXPECT_EQ(total, 3);  // the chunk's 3 records are past the commit
}

}  // namespace
}  // namespace vimur::local
