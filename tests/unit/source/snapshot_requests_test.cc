// SnapshotRequestDir: requests are handed over once, in submission order; a file that is not
// understood is rejected with a status; statuses round-trip.
#include "source/snapshot_requests.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace vimur {
namespace {

namespace fs = std::filesystem;

class SnapshotRequestDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vimur-requests-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SnapshotRequestDirTest, RequestsAreTakenOnceInSubmissionOrder) {
  SnapshotRequestDir dir((dir_ / "src").string());
  EXPECT_TRUE(dir.TakeSubmitted().value().empty());  // (no directory yet)
  SnapshotRequest first;
  first.id = "zz-first";
  first.tables = {"shop.orders", "shop.users"};
  first.where = "id > 10";
  ASSERT_TRUE(dir.Submit(first).ok());
  SnapshotRequest second;
  second.tables = {"shop.items"};
  second.cancel = true;
  auto second_id = dir.Submit(second);
  ASSERT_TRUE(second_id.ok());
  EXPECT_FALSE(second_id->empty());

  auto taken = dir.TakeSubmitted();
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  ASSERT_EQ(taken->size(), 2u);
  EXPECT_EQ((*taken)[0].id, "zz-first");  // submitted first, although its id sorts last
  EXPECT_EQ((*taken)[0].tables, first.tables);
  EXPECT_EQ((*taken)[0].where, "id > 10");
  EXPECT_FALSE((*taken)[0].cancel);
  EXPECT_EQ((*taken)[1].id, *second_id);
  EXPECT_TRUE((*taken)[1].cancel);
  EXPECT_TRUE(dir.TakeSubmitted().value().empty());
  EXPECT_TRUE(fs::exists(dir_ / "src" / "zz-first.taken.json"));
}

TEST_F(SnapshotRequestDirTest, IdsThatCouldLeaveTheDirectoryAreRefused) {
  SnapshotRequestDir dir(dir_.string());
  SnapshotRequest r;
  r.id = "../escape";
  r.tables = {"a.b"};
  EXPECT_EQ(dir.Submit(r).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SnapshotRequestDirTest, AFileNotUnderstoodIsRejectedWithAStatus) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "bad.request.json") << "{\"tables\": \"shop.orders\"}";
  SnapshotRequestDir dir(dir_.string());
  auto taken = dir.TakeSubmitted();
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(taken->empty());
  auto status = dir.ReadStatus("bad");
  ASSERT_TRUE(status.ok());
  ASSERT_TRUE(status->has_value());
  EXPECT_EQ((*status)->state, "rejected");
  EXPECT_TRUE((*status)->finished());
}

TEST_F(SnapshotRequestDirTest, StatusRoundTrips) {
  SnapshotRequestDir dir(dir_.string());
  EXPECT_FALSE(dir.ReadStatus("none").value().has_value());
  SnapshotRequestStatus s;
  s.id = "r1";
  s.state = "running";
  s.table = "shop.orders";
  s.tables_total = 3;
  s.tables_done = 1;
  s.rows = 12345;
  s.estimate = 50000;
  s.rows_per_s = 812.5;
  s.updated_ms = 1700000000000;
  ASSERT_TRUE(dir.WriteStatus(s).ok());
  auto back = dir.ReadStatus("r1").value();
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->ToJson(), s.ToJson());
  EXPECT_FALSE(back->finished());
}

}  // namespace
}  // namespace vimur
