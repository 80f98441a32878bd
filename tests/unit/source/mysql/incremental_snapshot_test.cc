// BinlogCoord orders binlog positions as the server wrote them (file number, then offset), and
// the assembler's stream position follows events between groups, rotations included.
#include "source/mysql/incremental_snapshot.h"

#include <gtest/gtest.h>

#include "source/mysql/binlog_file_reader.h"
#include "source/mysql/mysql_source.h"

namespace vimur::mysql {
namespace {

TEST(BinlogCoordTest, OrdersByFileNumberThenOffset) {
  auto a = BinlogCoord::Of("mysql-bin.000009", 5000);
  auto b = BinlogCoord::Of("mysql-bin.000010", 4);
  auto c = BinlogCoord::Of("mysql-bin.1000000", 4);  // past six digits the name grows
  ASSERT_TRUE(a && b && c);
  EXPECT_LT(*a, *b);
  EXPECT_LT(*b, *c);
  EXPECT_LT(*c, BinlogCoord::Max());
  EXPECT_EQ(*BinlogCoord::Of("x.000002", 7), (BinlogCoord{2, 7}));
}

TEST(BinlogCoordTest, NamesWithoutANumberAreNotPositions) {
  EXPECT_FALSE(BinlogCoord::Of("", 4));
  EXPECT_FALSE(BinlogCoord::Of("mysql-bin", 4));
  EXPECT_FALSE(BinlogCoord::Of("mysql-bin.", 4));
  EXPECT_FALSE(BinlogCoord::Of("mysql-bin.00a1", 4));
}

// A chunk is handed on when the stream position reaches the chunk's view, which MariaDB reports
// as a group's end or, after a rotation, past the new file's leading events: the position must
// move with both, and equal each handed-on transaction's end between groups.
TEST(BinlogCoordTest, StreamPositionFollowsGroupsAndLeadingEvents) {
  const std::string name = "mysql-bin.000002";
  const std::string path = std::string(VIMUR_TEST_DATA_DIR) + "/binlog/mariadb_10_11/" + name;
  SourceConfig config;
  config.name = "golden";
  config.topic_prefix = "golden";
  BinlogTransactionAssembler assembler(config, ChecksumAlgorithm::kUndefined);
  Position start;
  start.file = name;
  start.pos = 4;
  ASSERT_TRUE(assembler.Reset(start).ok());
  std::optional<Position> last_end;
  TransactionConsumer consume = [&](Transaction&& txn) {
    last_end = txn.end;
    return true;
  };
  auto reader = BinlogFileReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  bool stopped = false;
  int transactions = 0;
  while (true) {
    auto next = (*reader)->Next();
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    if (!next->has_value()) break;
    ASSERT_TRUE(assembler.Process(**next, consume, &stopped).ok());
    if (transactions == 0 && !assembler.in_transaction()) {
      // The file's leading events (format description, GTID list, checkpoint) move it too.
      EXPECT_GT(assembler.stream_position().pos, 4u);
    }
    if (last_end && !assembler.in_transaction()) {
      EXPECT_EQ(assembler.stream_position().file, last_end->file);
      EXPECT_EQ(assembler.stream_position().pos, last_end->pos);
      last_end.reset();
      ++transactions;
    }
  }
  EXPECT_GT(transactions, 0);
  // The file ends with the server's rotation to the next one (its offset is in this file).
  EXPECT_EQ(assembler.stream_position().file, "mysql-bin.000003");
  EXPECT_EQ(assembler.stream_position().pos, 4u);
}

}  // namespace
}  // namespace vimur::mysql
