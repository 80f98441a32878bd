#include "core/position.h"

#include <gtest/gtest.h>

namespace vimur {
namespace {

TEST(PositionTest, SnapshotProgressRoundTrips) {
  Position p;
  p.gtid_set = "0-1-100";
  p.file = "mysql-bin.000003";
  p.pos = 1234;
  p.snapshot_progress = R"({"table":"shop.orders","after":["3132"]})";
  auto back = Position::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
  EXPECT_NE(p.Describe().find("snapshot in progress"), std::string::npos);
}

TEST(PositionTest, PositionsStoredBeforeSnapshotsHaveNoProgress) {
  // Offsets written before snapshots existed resume streaming, never a snapshot.
  auto old = Position::FromJson(R"({"gtid_set":"0-1-5","file":"mysql-bin.000001","pos":4})");
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->snapshot_progress.empty());
  EXPECT_FALSE(old->empty());
}

TEST(PositionTest, IncrementalSnapshotStateRoundTripsAndStaysOutOfLogs) {
  Position p;
  p.file = "mysql-bin.000003";
  p.pos = 99;
  p.incremental_snapshot = R"({"requests":[{"id":"a","tables":["d.t"],"table":0}]})";
  auto back = Position::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
  EXPECT_EQ(p.Describe(), "mysql-bin.000003:99 (incremental snapshot in progress)");
}

}  // namespace
}  // namespace vimur
