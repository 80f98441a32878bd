// BinlogTransactionAssembler on binlogs written by a real MariaDB 10.11 server
// (tests/data/binlog/mariadb_10_11): the memory each transaction reports for the capture
// queue's byte bound; XA transactions, restarts between XA PREPARE and XA COMMIT, and what the
// schema-change topic is given.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "source/mysql/binlog_file_reader.h"
#include "source/mysql/mysql_source.h"

namespace vimur::mysql {
namespace {

std::vector<Transaction> AssembleFile(const std::string& name) {
  SourceConfig config;
  config.name = "golden";
  config.type = "mysql";
  config.topic_prefix = "golden";
  BinlogTransactionAssembler assembler(config, ChecksumAlgorithm::kUndefined);
  Position start;
  start.file = name;
  start.pos = 4;
  EXPECT_TRUE(assembler.Reset(start).ok());
  std::vector<Transaction> out;
  TransactionConsumer consume = [&](Transaction&& txn) {
    out.push_back(std::move(txn));
    return true;
  };
  auto reader =
      BinlogFileReader::Open(std::string(VIMUR_TEST_DATA_DIR) + "/binlog/mariadb_10_11/" + name);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return out;
  bool stopped = false;
  while (true) {
    auto next = (*reader)->Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) break;
    Status s = assembler.Process(**next, consume, &stopped);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) break;
  }
  return out;
}

// The queue bounds captured-but-unpublished memory by these counts, so they must not fall
// short of what a transaction's events, values and the row bytes they view occupy.
TEST(BinlogTransactionAssemblerTest, TransactionBytesCoverEventsAndValues) {
  for (const char* file : {"mysql-bin.000002", "mysql-bin.000003"}) {
    const std::vector<Transaction> txns = AssembleFile(file);
    size_t with_rows = 0;
    for (const Transaction& txn : txns) {
      if (txn.events.empty()) continue;
      ++with_rows;
      size_t held = txn.events.size() * sizeof(ChangeEvent);
      for (const ChangeEvent& e : txn.events) {
        held += (e.before.size() + e.after.size()) * sizeof(Value);
        // Strings and bytes view the row images the transaction keeps.
        for (const std::vector<Value>* image : {&e.before, &e.after}) {
          for (size_t i = 0; i < image->size(); ++i) {
            const LogicalType type = e.table->columns[i].type;
            if (type == LogicalType::kString || type == LogicalType::kBytes) {
              held += (*image)[i].s.size();
            }
          }
        }
      }
      EXPECT_GE(txn.approx_bytes, held)
          << file << " transaction " << txn.id << " with " << txn.events.size() << " events";
    }
    EXPECT_GT(with_rows, 0u) << file;
  }
}

// Replays mysql-bin.000004 (workload_000004.sql) from `start` with include_tables x\.t, until
// its end or an error.
struct XaRun {
  std::vector<Transaction> txns;
  Status status;
  Position resume;
  std::set<std::string> reread;
};

XaRun RunXaFile(const Position& start, size_t max_pending_xa_bytes = size_t{64} << 20,
                const std::set<std::string>& reread = {}) {
  SourceConfig config;
  config.name = "golden";
  config.type = "mysql";
  config.topic_prefix = "golden";
  config.include_tables = {"x\\.t"};
  BinlogTransactionAssembler assembler(config, ChecksumAlgorithm::kUndefined);
  assembler.set_max_pending_xa_bytes(max_pending_xa_bytes);
  assembler.set_reread_xids(reread);
  XaRun run;
  EXPECT_TRUE(assembler.Reset(start).ok());
  TransactionConsumer consume = [&](Transaction&& txn) {
    run.txns.push_back(std::move(txn));
    return true;
  };
  auto reader = BinlogFileReader::Open(std::string(VIMUR_TEST_DATA_DIR) +
                                       "/binlog/mariadb_10_11/mysql-bin.000004");
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return run;
  bool stopped = false;
  while (true) {
    auto next = (*reader)->Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) break;
    // As a server does when a replica starts mid-file: the format description, then the events
    // from the position asked for.
    const bool fde = static_cast<uint8_t>((**next)[4]) == 15;
    if (!fde && (*reader)->position() < start.pos) continue;
    run.status = assembler.Process(**next, consume, &stopped);
    if (!run.status.ok()) break;
  }
  run.resume = assembler.delivered();
  run.reread = assembler.reread_xids();
  return run;
}

std::vector<Transaction> AssembleXaFile(const Position& start) {
  XaRun run = RunXaFile(start);
  EXPECT_TRUE(run.status.ok()) << run.status.ToString();
  return std::move(run.txns);
}

std::vector<int64_t> Ids(const std::vector<Transaction>& txns) {
  std::vector<int64_t> ids;
  for (const Transaction& txn : txns) {
    for (const ChangeEvent& e : txn.events) ids.push_back(e.after.at(0).i);
  }
  return ids;
}

Position FileStart() {
  Position start;
  start.file = "mysql-bin.000004";
  start.pos = 4;
  return start;
}

// Regression (issue 9): the rows of an XA transaction ended by XA PREPARE and XA COMMIT were
// dropped by the next GTID; now they are published at XA COMMIT, a rolled-back one never.
TEST(BinlogTransactionAssemblerTest, XaRowsArePublishedAtCommitOnly) {
  const std::vector<Transaction> txns = AssembleXaFile(FileStart());
  // 100 commits while xa-a is prepared; xa-a (1) at its XA COMMIT; xa-b (2) rolled back;
  // xa-c (3) in one phase; 101 after the DDL.
  EXPECT_EQ(Ids(txns), (std::vector<int64_t>{100, 1, 3, 101}));
  for (const Transaction& txn : txns) {
    if (!txn.events.empty() && txn.events[0].after.at(0).i == 1) {
      EXPECT_EQ(txn.id, "0-1-29");  // the XA COMMIT's group
      EXPECT_TRUE(txn.complete);
      // xa-b is still prepared: the resume point is held at its prepare (0-1-28, at 1004).
      EXPECT_EQ(txn.end.gtid_set, "0-1-27");
      EXPECT_EQ(txn.end.pos, 1004u);
      EXPECT_NE(txn.end.source_state.find("0-1-29"), std::string::npos) << txn.end.Describe();
    }
    if (!txn.events.empty() && txn.events[0].after.at(0).i == 3) {
      EXPECT_TRUE(txn.end.source_state.empty()) << txn.end.Describe();  // nothing prepared
    }
    if (!txn.events.empty() && txn.events[0].after.at(0).i == 100) {
      // xa-a is prepared: the resume point stays at its prepare, with what was published.
      EXPECT_EQ(txn.end.gtid_set, "");
      EXPECT_EQ(txn.end.pos, 4u);  // the file start (the state before xa-a's group)
      EXPECT_NE(txn.end.source_state.find("0-1-27"), std::string::npos) << txn.end.Describe();
    }
  }
}

// Regression (issue 9): account statements (with a password) and DDL of databases and tables
// that are not captured reached the schema-change topic.
TEST(BinlogTransactionAssemblerTest, SchemaChangesOnlyOfCapturedTablesNeverAccounts) {
  std::vector<std::string> ddl;
  for (const Transaction& txn : AssembleXaFile(FileStart())) {
    for (const SchemaChange& change : txn.schema_changes) ddl.push_back(change.ddl);
  }
  ASSERT_EQ(ddl.size(), 1u);
  EXPECT_EQ(ddl[0], "ALTER TABLE x.t ADD COLUMN w INT NULL");
}

// A restart at any position handed over publishes every committed row, the XA ones exactly at
// their commit, and repeats nothing that the position says was published.
TEST(BinlogTransactionAssemblerTest, RestartAtEveryHandedOverPositionLosesNoXaRow) {
  const std::vector<Transaction> all = AssembleXaFile(FileStart());
  size_t restarts = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!all[i].complete) continue;
    const Position& resume = all[i].end;
    // Round-trip through the stored form, as the offset store does.
    auto stored = Position::FromJson(resume.ToJson());
    ASSERT_TRUE(stored.ok());
    std::vector<Transaction> before(all.begin(), all.begin() + static_cast<long>(i) + 1);
    std::vector<int64_t> ids = Ids(before);
    std::vector<int64_t> after = Ids(AssembleXaFile(*stored));
    ids.insert(ids.end(), after.begin(), after.end());
    EXPECT_EQ(ids, (std::vector<int64_t>{100, 1, 3, 101}))
        << "restart after transaction " << i << " at " << resume.Describe();
    ++restarts;
  }
  EXPECT_GE(restarts, 4u);
}

// An XA transaction over the bound of held prepared rows is not held; at its XA COMMIT the
// stream is read again from its prepare (where the resume position stayed) and its rows are
// published there. Nothing is lost or published twice.
TEST(BinlogTransactionAssemblerTest, XaOverTheBoundIsReadAgainAtItsCommit) {
  XaRun first = RunXaFile(FileStart(), /*max_pending_xa_bytes=*/1);
  EXPECT_EQ(first.status.code(), StatusCode::kUnavailable) << first.status.ToString();
  EXPECT_EQ(Ids(first.txns), (std::vector<int64_t>{100}));
  ASSERT_EQ(first.reread.size(), 1u);
  EXPECT_EQ(*first.reread.begin(), "X'78612D61',X'',1");  // 'xa-a'
  XaRun second = RunXaFile(first.resume, 1, first.reread);
  EXPECT_TRUE(second.status.ok()) << second.status.ToString();
  std::vector<int64_t> ids = Ids(first.txns);
  for (int64_t id : Ids(second.txns)) ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<int64_t>{100, 1, 3, 101}));
  EXPECT_TRUE(second.reread.empty());  // passed its commit
}

}  // namespace
}  // namespace vimur::mysql
