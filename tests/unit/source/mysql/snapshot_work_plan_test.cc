// The parallel snapshot's progress (stored form round trip, the single reader's form read) and
// the split of an integer key into ranges.
#include "source/mysql/snapshot_work_plan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace vimur::mysql {
namespace {

TEST(SnapshotWorkPlanTest, RoundTripsDoneTablesAndRanges) {
  SnapshotWorkPlan plan;
  plan.Start("db.a", {SnapshotRange{}});
  EXPECT_TRUE(plan.Finish("db.a", 0));
  plan.Start("db.big",
             {SnapshotRange{{}, "100"}, SnapshotRange{{"100"}, "200"}, SnapshotRange{{"200"}, ""}});
  plan.Advance("db.big", 0, {"42"});
  EXPECT_FALSE(plan.Finish("db.big", 1));
  plan.Start("db.pair", {SnapshotRange{}});
  plan.Advance("db.pair", 0, {std::string("x\0y", 3), "\xff"});

  const std::string json = plan.ToJson();
  auto back = SnapshotWorkPlan::FromJson(json, {"db.a", "db.big", "db.pair", "db.z"});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(SnapshotWorkPlan::IsWorkPlanJson(json));
  EXPECT_TRUE(back->Done("db.a"));
  EXPECT_FALSE(back->Done("db.big"));
  EXPECT_FALSE(back->Done("db.z"));
  EXPECT_EQ(back->Left("db.z"), nullptr);
  ASSERT_NE(back->Left("db.big"), nullptr);
  std::vector<SnapshotRange> big;
  for (const auto& [id, r] : *back->Left("db.big")) big.push_back(r);
  ASSERT_EQ(big.size(), 2u);  // range 1 was finished
  EXPECT_EQ(big[0], (SnapshotRange{{"42"}, "100"}));
  EXPECT_EQ(big[1], (SnapshotRange{{"200"}, ""}));
  ASSERT_NE(back->Left("db.pair"), nullptr);
  EXPECT_EQ(back->Left("db.pair")->at(0).after,
            (std::vector<std::string>{std::string("x\0y", 3), "\xff"}));
  EXPECT_EQ(back->ToJson(), json);
}

TEST(SnapshotWorkPlanTest, LastRangeFinishedMakesTheTableDone) {
  SnapshotWorkPlan plan;
  plan.Start("db.t", {SnapshotRange{{}, "5"}, SnapshotRange{{"5"}, ""}});
  EXPECT_FALSE(plan.Finish("db.t", 1));
  EXPECT_FALSE(plan.Done("db.t"));
  EXPECT_TRUE(plan.Finish("db.t", 0));
  EXPECT_TRUE(plan.Done("db.t"));
  EXPECT_EQ(plan.Left("db.t"), nullptr);
  auto json = nlohmann::json::parse(plan.ToJson());
  EXPECT_EQ(json["done"], nlohmann::json::array({"db.t"}));
  EXPECT_FALSE(json.contains("ranges"));
}

TEST(SnapshotWorkPlanTest, ReadsTheSingleReadersForm) {
  const std::vector<std::string> tables = {"db.a", "db.b", "db.c", "db.d"};
  // db.c: rows after the key 0x07 0x00 are left; db.a and db.b are done; db.d is not started.
  const std::string old = R"({"table":"db.c","after":["0700"]})";
  EXPECT_FALSE(SnapshotWorkPlan::IsWorkPlanJson(old));
  auto plan = SnapshotWorkPlan::FromJson(old, tables);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->Done("db.a"));
  EXPECT_TRUE(plan->Done("db.b"));
  EXPECT_FALSE(plan->Done("db.c"));
  EXPECT_FALSE(plan->Done("db.d"));
  ASSERT_NE(plan->Left("db.c"), nullptr);
  ASSERT_EQ(plan->Left("db.c")->size(), 1u);
  EXPECT_EQ(plan->Left("db.c")->at(0), (SnapshotRange{{std::string("\x07\0", 2)}, ""}));
  EXPECT_EQ(plan->Left("db.d"), nullptr);

  // A table read from its start (no key yet), as the single reader writes it.
  auto fresh = SnapshotWorkPlan::FromJson(R"({"table":"db.a"})", tables);
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->Done("db.a"));
  ASSERT_NE(fresh->Left("db.a"), nullptr);
  EXPECT_TRUE(fresh->Left("db.a")->at(0).after.empty());
}

TEST(SnapshotWorkPlanTest, RefusesWhatItDoesNotUnderstand) {
  for (const std::string bad : {"", "[]", "{}", R"({"done":"db.a"})", R"({"done":[1]})",
                                R"({"done":[],"ranges":{"db.t":[]}})",
                                R"({"done":[],"ranges":{"db.t":[{"after":["zz"]}]}})",
                                R"({"done":[],"ranges":{"db.t":[{"to":"1; DROP TABLE x"}]}})",
                                R"({"table":"db.t","after":["0g"]})"}) {
    auto plan = SnapshotWorkPlan::FromJson(bad, {"db.t"});
    EXPECT_FALSE(plan.ok()) << bad;
    if (!plan.ok()) EXPECT_EQ(plan.status().code(), StatusCode::kCorruption) << bad;
  }
}

// Every key in [lo, hi] falls in exactly one range; the ranges are in order, open at both ends.
void ExpectCovers(const std::vector<SnapshotRange>& ranges, int64_t lo, int64_t hi) {
  ASSERT_FALSE(ranges.empty());
  EXPECT_TRUE(ranges.front().after.empty());
  EXPECT_TRUE(ranges.back().to.empty());
  for (size_t i = 1; i < ranges.size(); ++i) {
    ASSERT_EQ(ranges[i].after.size(), 1u);
    EXPECT_EQ(ranges[i].after[0], ranges[i - 1].to);  // (b_i, b_{i+1}] chained
    if (i + 1 < ranges.size()) EXPECT_LT(std::stoll(ranges[i].after[0]), std::stoll(ranges[i].to));
  }
  for (int64_t k = lo; k <= hi; ++k) {
    int holders = 0;
    for (const SnapshotRange& r : ranges) {
      const bool above = r.after.empty() || k > std::stoll(r.after[0]);
      const bool below = r.to.empty() || k <= std::stoll(r.to);
      holders += above && below;
    }
    EXPECT_EQ(holders, 1) << k;
  }
}

TEST(SnapshotWorkPlanTest, SplitsAnIntegerKeyIntoEqualRanges) {
  auto r = SplitIntegerKeyRange("1", "1000", false, 4);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].to, "250");
  EXPECT_EQ((*r)[1].to, "500");
  EXPECT_EQ((*r)[2].to, "750");
  ExpectCovers(*r, -5, 1005);

  auto negative = SplitIntegerKeyRange("-50", "49", false, 3);
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(negative->size(), 3u);
  ExpectCovers(*negative, -60, 60);
}

TEST(SnapshotWorkPlanTest, SplitOfASmallSpanGivesFewerRanges) {
  auto r = SplitIntegerKeyRange("10", "12", false, 16);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 3u);
  ExpectCovers(*r, 0, 20);
  auto one = SplitIntegerKeyRange("7", "7", false, 8);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0], SnapshotRange{});
  auto whole = SplitIntegerKeyRange("1", "1000000", false, 1);
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->size(), 1u);
}

TEST(SnapshotWorkPlanTest, SplitsTheWholeSignedAndUnsignedKeySpace) {
  const std::string min64 = std::to_string(std::numeric_limits<int64_t>::min());
  const std::string max64 = std::to_string(std::numeric_limits<int64_t>::max());
  auto s = SplitIntegerKeyRange(min64, max64, false, 4);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ((*s)[1].to, "-1");  // the middle of the signed space
  auto u = SplitIntegerKeyRange("0", std::to_string(std::numeric_limits<uint64_t>::max()), true, 2);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->size(), 2u);
  EXPECT_EQ((*u)[0].to, "9223372036854775807");
  EXPECT_FALSE(SplitIntegerKeyRange("1.5", "9", false, 2).ok());
  EXPECT_FALSE(SplitIntegerKeyRange("-1", "9", true, 2).ok());
}

}  // namespace
}  // namespace vimur::mysql
