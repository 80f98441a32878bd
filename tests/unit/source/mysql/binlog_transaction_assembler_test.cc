// BinlogTransactionAssembler on binlogs written by a real MariaDB 10.11 server
// (tests/data/binlog/mariadb_10_11): the memory each transaction reports for the capture
// queue's byte bound.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace vimur::mysql
