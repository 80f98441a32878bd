#include "source/mysql/binlog_retention.h"

#include <gtest/gtest.h>

namespace vimur::mysql {
namespace {

TEST(BinlogRetentionTest, CountsFromThePositionToTheNewestFile) {
  const std::vector<std::pair<std::string, uint64_t>> logs = {
      {"bin.000001", 1000}, {"bin.000002", 500}, {"bin.000003", 300}};
  BinlogRetention r = RetainedFrom(logs, "bin.000002", 200);
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.bytes, 300u + 300u);
  r = RetainedFrom(logs, "bin.000003", 300);  // at the end: nothing left to read
  EXPECT_EQ(r.files, 1u);
  EXPECT_EQ(r.bytes, 0u);
  r = RetainedFrom(logs, "bin.000001", 4);
  EXPECT_EQ(r.files, 3u);
  EXPECT_EQ(r.bytes, 996u + 500u + 300u);
}

TEST(BinlogRetentionTest, APurgedFileCountsAllTheServerHas) {
  const std::vector<std::pair<std::string, uint64_t>> logs = {{"bin.000007", 10},
                                                              {"bin.000008", 20}};
  BinlogRetention r = RetainedFrom(logs, "bin.000002", 99);
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.bytes, 30u);
  EXPECT_EQ(RetainedFrom({}, "bin.000001", 4).files, 0u);
}

}  // namespace
}  // namespace vimur::mysql
