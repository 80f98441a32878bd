#include "source/postgresql/pgoutput_assembler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pgoutput_builder.h"
#include "source/postgresql/pg_types.h"

namespace vimur::postgresql {
namespace {

using namespace fixtures;

class FakeCatalog : public RelationCatalog {
 public:
  Result<RelationFacts> Describe(uint32_t) override { return facts; }
  RelationFacts facts;
};

struct Harness {
  SourceConfig config;
  std::unique_ptr<PgOutputAssembler> assembler;
  std::vector<Transaction> out;
  FakeCatalog catalog;

  Harness() {
    config.name = "pg";
    config.topic_prefix = "shop";
    config.heartbeat_interval_ms = 100;
  }
  void Make() {
    assembler = std::make_unique<PgOutputAssembler>(config, "shopdb");
    assembler->set_catalog(&catalog);
  }
  Status Feed(const std::string& m) {
    bool stopped = false;
    return assembler->Process(
        m,
        [&](Transaction&& t) {
          out.push_back(std::move(t));
          return true;
        },
        &stopped);
  }
};

constexpr int64_t kCommitUs = 1000000;  // 2000-01-01 00:00:01 UTC

TEST(PgOutputAssemblerTest, InsertUpdateDeleteTruncateInOneTransaction) {
  Harness h;
  h.catalog.facts.not_null = {"id"};
  h.catalog.facts.primary_key = {"id"};
  h.Make();
  ASSERT_TRUE(h.Feed(Begin(0x500, kCommitUs, 42)).ok());
  ASSERT_TRUE(h.Feed(Relation(7, "public", "orders", 'd',
                              {{"id", oid::kInt4, -1, true}, {"note", oid::kText}}))
                  .ok());
  ASSERT_TRUE(h.Feed(Insert(7, {"1", "a"})).ok());
  ASSERT_TRUE(h.Feed(Update(7, 0, {}, {"1", "b"})).ok());
  ASSERT_TRUE(h.Feed(Delete(7, 'K', {"1", std::nullopt})).ok());
  ASSERT_TRUE(h.Feed(Truncate({7}, 0)).ok());
  EXPECT_TRUE(h.out.empty());
  ASSERT_TRUE(h.Feed(Commit(0x500, 0x530, kCommitUs)).ok());
  ASSERT_EQ(h.out.size(), 1u);
  const Transaction& t = h.out[0];
  EXPECT_TRUE(t.complete);
  EXPECT_EQ(t.end.lsn, 0x530u);
  EXPECT_EQ(t.id, "42:1280");
  ASSERT_EQ(t.events.size(), 4u);
  const ChangeEvent& ins = t.events[0];
  EXPECT_EQ(ins.op, Op::kCreate);
  EXPECT_EQ(ins.table->database, "public");
  EXPECT_EQ(ins.table->table, "orders");
  ASSERT_EQ(ins.table->key_columns, std::vector<size_t>{0});
  EXPECT_FALSE(ins.table->columns[0].nullable);
  EXPECT_TRUE(ins.table->columns[1].nullable);
  EXPECT_EQ(ins.after[0].i, 1);
  EXPECT_EQ(ins.after[1].s, "a");
  EXPECT_EQ(ins.source->connector, "postgresql");
  EXPECT_EQ(ins.source->database, "shopdb");
  EXPECT_EQ(ins.source->schema, "public");
  EXPECT_EQ(ins.source->tx_id, 42);
  EXPECT_EQ(ins.source->lsn, 0x500u);
  EXPECT_EQ(ins.source->ts_ms, 946684801000);
  EXPECT_EQ(t.events[1].op, Op::kUpdate);
  EXPECT_TRUE(t.events[1].before.empty());
  EXPECT_EQ(t.events[1].after[1].s, "b");
  EXPECT_EQ(t.events[2].op, Op::kDelete);
  EXPECT_EQ(t.events[2].before[0].i, 1);
  EXPECT_TRUE(t.events[2].before[1].is_null());
  EXPECT_TRUE(t.events[2].after.empty());
  EXPECT_EQ(t.events[3].op, Op::kTruncate);
  EXPECT_TRUE(t.events[3].before.empty() && t.events[3].after.empty());
  EXPECT_EQ(t.events[3].total_order, 4u);
}

// REPLICA IDENTITY FULL: the before-image is the whole old row, the key still the primary
// key, and an unchanged TOASTed value is taken from the old row.
TEST(PgOutputAssemblerTest, FullIdentityGivesBeforeImagesAndToastedValues) {
  Harness h;
  h.catalog.facts.primary_key = {"id"};
  h.Make();
  ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
  ASSERT_TRUE(h.Feed(Relation(8, "s", "docs", 'f',
                              {{"id", oid::kInt8, -1, true}, {"body", oid::kText, -1, true}}))
                  .ok());
  ASSERT_TRUE(h.Feed(Update(8, 'O', {"5", "long text"}, {"5", Msg::kUnchanged})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x10, 0x20, kCommitUs)).ok());
  ASSERT_EQ(h.out.size(), 1u);
  const ChangeEvent& e = h.out[0].events[0];
  EXPECT_EQ(e.table->key_columns, std::vector<size_t>{0});
  ASSERT_EQ(e.before.size(), 2u);
  EXPECT_EQ(e.before[1].s, "long text");
  EXPECT_EQ(e.after[1].s, "long text");
}

// Without the old row, an unchanged TOASTed text is Debezium's placeholder, never data that
// looks real; a NOT NULL column missing from a key-only old row gets a fallback value.
TEST(PgOutputAssemblerTest, UnavailableToastAndKeyOnlyRows) {
  Harness h;
  h.catalog.facts.primary_key = {"id"};
  h.catalog.facts.not_null = {"id", "qty"};
  h.Make();
  ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
  ASSERT_TRUE(
      h.Feed(Relation(9, "s", "t", 'd',
                      {{"id", oid::kInt4, -1, true}, {"body", oid::kText}, {"qty", oid::kInt4}}))
          .ok());
  ASSERT_TRUE(h.Feed(Update(9, 0, {}, {"1", Msg::kUnchanged, "3"})).ok());
  ASSERT_TRUE(h.Feed(Delete(9, 'K', {"1", std::nullopt, std::nullopt})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x10, 0x20, kCommitUs)).ok());
  const auto& events = h.out.at(0).events;
  EXPECT_EQ(events[0].after[1].s, kUnavailableValue);
  EXPECT_EQ(events[1].before[2].kind, ValueKind::kInt);
  EXPECT_EQ(events[1].before[2].i, 0);
  EXPECT_TRUE(events[1].before[1].is_null());
}

// An update that changes the primary key (the server sends the old key, 'K') is, as in
// Debezium, a delete of the old key and a create of the new one, so nothing keeps the old key.
TEST(PgOutputAssemblerTest, ChangedPrimaryKeyIsADeleteAndACreate) {
  Harness h;
  h.catalog.facts.primary_key = {"id"};
  h.Make();
  ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
  ASSERT_TRUE(
      h.Feed(Relation(9, "s", "t", 'd', {{"id", oid::kInt4, -1, true}, {"body", oid::kText}}))
          .ok());
  ASSERT_TRUE(h.Feed(Update(9, 'K', {"1", std::nullopt}, {"2", "x"})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x10, 0x20, kCommitUs)).ok());
  const auto& events = h.out.at(0).events;
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].op, Op::kDelete);
  EXPECT_EQ(events[0].before[0].i, 1);
  EXPECT_TRUE(events[0].after.empty());
  EXPECT_EQ(events[1].op, Op::kCreate);
  EXPECT_EQ(events[1].after[0].i, 2);
  EXPECT_TRUE(events[1].before.empty());
  EXPECT_EQ(events[1].total_order, 2u);
}

TEST(PgOutputAssemblerTest, FiltersTablesAndColumns) {
  Harness h;
  h.config.include_tables = {"public\\.keep"};
  h.config.exclude_columns = {"public\\.keep\\.secret"};
  h.Make();
  ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
  ASSERT_TRUE(h.Feed(Relation(1, "public", "keep", 'd',
                              {{"id", oid::kInt4, -1, true}, {"secret", oid::kText}}))
                  .ok());
  ASSERT_TRUE(h.Feed(Relation(2, "public", "other", 'd', {{"id", oid::kInt4, -1, true}})).ok());
  ASSERT_TRUE(h.Feed(Insert(1, {"1", "pw"})).ok());
  ASSERT_TRUE(h.Feed(Insert(2, {"1"})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x10, 0x20, kCommitUs)).ok());
  ASSERT_EQ(h.out.at(0).events.size(), 1u);
  const ChangeEvent& e = h.out[0].events[0];
  ASSERT_EQ(e.table->columns.size(), 1u);
  EXPECT_EQ(e.after.size(), 1u);
}

// A relation message with a new shape gives a new schema version; the same shape again keeps
// the schema object (formats cache per schema).
TEST(PgOutputAssemblerTest, ChangedRelationIsANewSchemaVersion) {
  Harness h;
  h.Make();
  const auto v1 = Relation(3, "public", "t", 'd', {{"id", oid::kInt4, -1, true}});
  ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
  ASSERT_TRUE(h.Feed(v1).ok());
  ASSERT_TRUE(h.Feed(Insert(3, {"1"})).ok());
  ASSERT_TRUE(h.Feed(v1).ok());
  ASSERT_TRUE(h.Feed(Insert(3, {"2"})).ok());
  ASSERT_TRUE(h.Feed(Relation(3, "public", "t", 'd',
                              {{"id", oid::kInt4, -1, true}, {"n", oid::kNumeric, (10 << 16) + 6}}))
                  .ok());
  ASSERT_TRUE(h.Feed(Insert(3, {"3", "1.50"})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x10, 0x20, kCommitUs)).ok());
  const auto& ev = h.out.at(0).events;
  EXPECT_EQ(ev[0].table, ev[1].table);
  EXPECT_NE(ev[1].table, ev[2].table);
  EXPECT_EQ(ev[2].table->version, 1u);
  EXPECT_EQ(ev[2].table->columns[1].type, LogicalType::kDecimal);
  EXPECT_EQ(ev[2].table->columns[1].precision, 10);
  EXPECT_EQ(ev[2].table->columns[1].scale, 2);
}

TEST(PgOutputAssemblerTest, NumericNaNNeedsStringOrDoubleMode) {
  Harness h;
  h.Make();
  ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
  ASSERT_TRUE(h.Feed(Relation(3, "public", "t", 'd',
                              {{"id", oid::kInt4, -1, true}, {"n", oid::kNumeric, (10 << 16) + 6}}))
                  .ok());
  Status s = h.Feed(Insert(3, {"1", "NaN"}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("decimal_handling_mode: string"), std::string::npos) << s.message();
  Harness str;
  str.config.decimal_handling_mode = "string";
  str.Make();
  ASSERT_TRUE(str.Feed(Begin(0x10, kCommitUs, 1)).ok());
  ASSERT_TRUE(
      str.Feed(Relation(3, "public", "t", 'd',
                        {{"id", oid::kInt4, -1, true}, {"n", oid::kNumeric, (10 << 16) + 6}}))
          .ok());
  ASSERT_TRUE(str.Feed(Insert(3, {"1", "NaN"})).ok());
  ASSERT_TRUE(str.Feed(Commit(0x10, 0x20, kCommitUs)).ok());
  EXPECT_EQ(str.out.at(0).events[0].after[1].s, "NaN");
}

// numeric without precision: the exact text (a VariableScaleDecimal), refused past 80 digits
// under precise decimals; money at the source's money_fraction_digits.
TEST(PgOutputAssemblerTest, VariableNumericAndMoney) {
  const std::string wide = "-" + std::string(81, '9') + ".5";
  for (const char* mode : {"precise", "string"}) {
    Harness h;
    h.config.decimal_handling_mode = mode;
    h.config.money_fraction_digits = 4;
    h.Make();
    ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
    ASSERT_TRUE(h.Feed(Relation(3, "public", "t", 'd',
                                {{"id", oid::kInt4, -1, true},
                                 {"n", oid::kNumeric, -1},
                                 {"m", oid::kMoney, -1}}))
                    .ok());
    ASSERT_TRUE(h.Feed(Insert(3, {"1", "-0.000100", "-$1,234.56"})).ok());
    Status s = h.Feed(Insert(3, {"2", wide, "$0.00"}));
    EXPECT_EQ(s.ok(), std::string(mode) == "string") << s.ToString();
    if (!s.ok()) {
      EXPECT_NE(s.message().find("public.t.n"), std::string::npos) << s.message();
      EXPECT_NE(s.message().find("decimal_handling_mode: string"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(h.Feed(Commit(0x10, 0x20, kCommitUs)).ok());
    const auto& ev = h.out.at(0).events;
    EXPECT_EQ(ev[0].table->columns[1].scale, -1);
    EXPECT_EQ(ev[0].table->columns[2].scale, 4);
    EXPECT_EQ(ev[0].after[1].s, "-0.000100");
    EXPECT_EQ(ev[0].after[2].s, "-1234.5600");
    EXPECT_EQ(ev[1].after[1].s, wide);
  }
}

// Transactions at or before the start position were delivered: a reconnect skips them.
TEST(PgOutputAssemblerTest, SkipsTransactionsBeforeTheStart) {
  Harness h;
  h.Make();
  h.assembler->Reset(0x100);
  ASSERT_TRUE(h.Feed(Relation(3, "public", "t", 'd', {{"id", oid::kInt4, -1, true}})).ok());
  ASSERT_TRUE(h.Feed(Begin(0x80, kCommitUs, 1)).ok());
  ASSERT_TRUE(h.Feed(Insert(3, {"1"})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x80, 0x100, kCommitUs)).ok());
  EXPECT_TRUE(h.out.empty());
  ASSERT_TRUE(h.Feed(Begin(0x100, kCommitUs, 2)).ok());
  ASSERT_TRUE(h.Feed(Insert(3, {"2"})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x100, 0x140, kCommitUs)).ok());
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].end.lsn, 0x140u);
}

// A transaction over the chunk size goes out in chunks; only the last has a position.
TEST(PgOutputAssemblerTest, LargeTransactionsGoInChunks) {
  Harness h;
  h.Make();
  h.assembler->set_chunk_bytes(4096);
  ASSERT_TRUE(h.Feed(Relation(3, "public", "t", 'd', {{"id", oid::kInt4, -1, true}})).ok());
  ASSERT_TRUE(h.Feed(Begin(0x80, kCommitUs, 1)).ok());
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(h.Feed(Insert(3, {std::to_string(i)})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x80, 0x100, kCommitUs)).ok());
  ASSERT_GT(h.out.size(), 2u);
  size_t rows = 0;
  for (size_t i = 0; i < h.out.size(); ++i) {
    EXPECT_EQ(h.out[i].complete, i + 1 == h.out.size());
    rows += h.out[i].events.size();
  }
  EXPECT_EQ(rows, 200u);
  EXPECT_EQ(h.out.back().end.lsn, 0x100u);
  EXPECT_EQ(h.out.back().events.back().after[0].i, 199);
}

// Keepalives between transactions move the position on quiet databases, at most once per
// heartbeat interval, never while a transaction is open.
TEST(PgOutputAssemblerTest, IdleHandsOverPositionOnly) {
  Harness h;
  h.config.heartbeat_interval_ms = 100;
  h.Make();
  h.assembler->Reset(0x100);
  bool stopped = false;
  auto emit = [&](Transaction&& t) {
    h.out.push_back(std::move(t));
    return true;
  };
  h.assembler->Idle(0x200, emit, &stopped);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_TRUE(h.out[0].events.empty());
  EXPECT_EQ(h.out[0].end.lsn, 0x200u);
  h.assembler->Idle(0x300, emit, &stopped);  // within the interval
  EXPECT_EQ(h.out.size(), 1u);
  h.assembler->Idle(0x200, emit, &stopped);
  EXPECT_EQ(h.out.size(), 1u);
}

// An enum column: a Type message names the type; the value is its text.
TEST(PgOutputAssemblerTest, TypeMessagesNameColumnTypes) {
  Harness h;
  h.Make();
  ASSERT_TRUE(h.Feed(Msg('Y').U32(16500).Str("public").Str("mood").bytes()).ok());
  ASSERT_TRUE(
      h.Feed(Relation(3, "public", "t", 'd', {{"id", oid::kInt4, -1, true}, {"m", 16500}})).ok());
  ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
  ASSERT_TRUE(h.Feed(Insert(3, {"1", "happy"})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x10, 0x20, kCommitUs)).ok());
  const ChangeEvent& e = h.out.at(0).events.at(0);
  EXPECT_EQ(e.table->columns[1].type_name, "public.mood");
  EXPECT_EQ(e.table->columns[1].type, LogicalType::kString);
  EXPECT_EQ(e.after[1].s, "happy");
}

TEST(PgOutputAssemblerTest, RowOfUnknownRelationIsAnError) {
  Harness h;
  h.Make();
  ASSERT_TRUE(h.Feed(Begin(0x10, kCommitUs, 1)).ok());
  Status s = h.Feed(Insert(99, {"1"}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("relation 99"), std::string::npos);
}

// A message as it arrives inside a Stream Start..Stop block: the (sub)transaction id first.
std::string Streamed(const std::string& m, uint32_t xid) {
  return m.substr(0, 1) + Msg('x').U32(xid).bytes().substr(1) + m.substr(1);
}

std::string FreshSpoolDir(const std::string& name) {
  const std::string dir = testing::TempDir() + "/vimur-spool-" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

size_t SpoolFiles(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) n += entry.is_regular_file();
  return n;
}

// A transaction streamed while in progress (protocol 2): nothing is handed on before its
// Stream Commit, other transactions committed meanwhile go first, an aborted subtransaction's
// rows are dropped, and an aborted transaction leaves nothing, not even its spool file.
TEST(PgOutputAssemblerTest, TransactionsStreamedInProgressAreHandedOnAtCommit) {
  Harness h;
  h.catalog.facts.primary_key = {"id"};
  h.config.spool_dir = FreshSpoolDir("commit");
  h.Make();
  ASSERT_TRUE(h.Feed(Msg('S').U32(50).U8(1).bytes()).ok());
  ASSERT_TRUE(
      h.Feed(Streamed(Relation(3, "public", "t", 'd', {{"id", oid::kInt4, -1, true}}), 50)).ok());
  ASSERT_TRUE(h.Feed(Streamed(Insert(3, {"1"}), 50)).ok());
  ASSERT_TRUE(h.Feed(Streamed(Insert(3, {"2"}), 51)).ok());  // in subtransaction 51
  ASSERT_TRUE(
      h.Feed(Streamed(Msg('M').U8(1).U64(0x90).Str("outbox").U32(2).bytes() + "hi", 50)).ok());
  ASSERT_TRUE(h.Feed(Msg('E').bytes()).ok());
  EXPECT_TRUE(h.out.empty());
  EXPECT_EQ(SpoolFiles(h.config.spool_dir), 1u);
  // A small transaction commits while 50 is still open (the server describes the relation
  // again outside the stream: what it sent inside is the streamed transaction's).
  ASSERT_TRUE(h.Feed(Relation(3, "public", "t", 'd', {{"id", oid::kInt4, -1, true}})).ok());
  ASSERT_TRUE(h.Feed(Begin(0x200, kCommitUs, 60)).ok());
  ASSERT_TRUE(h.Feed(Insert(3, {"9"})).ok());
  ASSERT_TRUE(h.Feed(Commit(0x200, 0x220, kCommitUs)).ok());
  ASSERT_EQ(h.out.size(), 1u);
  ASSERT_TRUE(h.Feed(Msg('S').U32(50).U8(0).bytes()).ok());
  ASSERT_TRUE(h.Feed(Streamed(Insert(3, {"3"}), 50)).ok());
  ASSERT_TRUE(h.Feed(Msg('E').bytes()).ok());
  ASSERT_TRUE(h.Feed(Msg('A').U32(50).U32(51).bytes()).ok());  // ROLLBACK TO SAVEPOINT
  // Another streamed transaction that aborts as a whole.
  ASSERT_TRUE(h.Feed(Msg('S').U32(70).U8(1).bytes()).ok());
  ASSERT_TRUE(h.Feed(Streamed(Insert(3, {"7"}), 70)).ok());
  ASSERT_TRUE(h.Feed(Msg('E').bytes()).ok());
  EXPECT_EQ(SpoolFiles(h.config.spool_dir), 2u);
  ASSERT_TRUE(h.Feed(Msg('A').U32(70).U32(70).bytes()).ok());
  EXPECT_EQ(SpoolFiles(h.config.spool_dir), 1u);
  EXPECT_EQ(h.out.size(), 1u);
  ASSERT_TRUE(h.Feed(Msg('c').U32(50).U8(0).U64(0x300).U64(0x340).U64(kCommitUs).bytes()).ok());
  ASSERT_EQ(h.out.size(), 2u);
  const Transaction& t = h.out[1];
  EXPECT_TRUE(t.complete);
  EXPECT_EQ(t.end.lsn, 0x340u);
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].after[0].i, 1);
  EXPECT_EQ(t.events[1].after[0].i, 3);
  EXPECT_EQ(t.events[0].source->tx_id, 50);
  EXPECT_EQ(t.events[0].source->lsn, 0x300u);
  ASSERT_EQ(t.messages.size(), 1u);
  EXPECT_EQ(t.messages[0].prefix, "outbox");
  EXPECT_EQ(t.messages[0].content, "hi");
  EXPECT_EQ(h.assembler->stats().streamed_transactions, 1u);
  EXPECT_EQ(SpoolFiles(h.config.spool_dir), 0u);
  EXPECT_FALSE(h.assembler->in_transaction());
}

// A new stream (reconnect, restart) sends transactions in progress again from their start:
// whatever was spooled before is dropped, files a killed process left included.
TEST(PgOutputAssemblerTest, ResetDropsSpooledTransactions) {
  Harness h;
  h.config.spool_dir = FreshSpoolDir("reset");
  std::filesystem::create_directories(h.config.spool_dir);
  { std::ofstream(h.config.spool_dir + "/99.spool") << "left by a killed process"; }
  h.Make();
  ASSERT_TRUE(h.Feed(Relation(3, "public", "t", 'd', {{"id", oid::kInt4, -1, true}})).ok());
  ASSERT_TRUE(h.Feed(Msg('S').U32(50).U8(1).bytes()).ok());
  ASSERT_TRUE(h.Feed(Streamed(Insert(3, {"1"}), 50)).ok());
  h.assembler->Reset(0x10);
  EXPECT_EQ(SpoolFiles(h.config.spool_dir), 0u);
  EXPECT_FALSE(h.assembler->in_transaction());
  // Its Stream Commit after the reset finds nothing spooled: an empty transaction.
  ASSERT_TRUE(h.Feed(Msg('S').U32(50).U8(1).bytes()).ok());
  ASSERT_TRUE(h.Feed(Streamed(Insert(3, {"2"}), 50)).ok());
  ASSERT_TRUE(h.Feed(Msg('E').bytes()).ok());
  ASSERT_TRUE(h.Feed(Msg('c').U32(50).U8(0).U64(0x300).U64(0x340).U64(kCommitUs).bytes()).ok());
  ASSERT_EQ(h.out.size(), 1u);
  ASSERT_EQ(h.out[0].events.size(), 1u);
  EXPECT_EQ(h.out[0].events[0].after[0].i, 2);
}

// Logical decoding messages: a transactional one travels with its transaction, one that is
// not goes on at once; an observer can keep its own (watermarks) from consumers.
TEST(PgOutputAssemblerTest, LogicalDecodingMessages) {
  Harness h;
  h.Make();
  h.assembler->Reset(0x10);
  std::vector<std::string> observed;
  h.assembler->set_message_observer([&](const LogicalMessage& m) {
    observed.emplace_back(m.prefix);
    return m.prefix == "vimur-watermark";
  });
  ASSERT_TRUE(h.Feed(Msg('M').U8(0).U64(0x20).Str("audit").U32(1).bytes() + "x").ok());
  ASSERT_TRUE(h.Feed(Msg('M').U8(0).U64(0x21).Str("vimur-watermark").U32(1).bytes() + "w").ok());
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_TRUE(h.out[0].events.empty());
  ASSERT_EQ(h.out[0].messages.size(), 1u);
  EXPECT_EQ(h.out[0].messages[0].source->tx_id, -1);
  EXPECT_EQ(h.out[0].messages[0].source->lsn, 0x20u);
  EXPECT_EQ(h.out[0].end.lsn, 0x10u);  // the position stays where it was
  EXPECT_TRUE(h.out[0].id.empty());
  ASSERT_TRUE(h.Feed(Begin(0x30, kCommitUs, 5)).ok());
  ASSERT_TRUE(h.Feed(Msg('M').U8(1).U64(0x28).Str("outbox").U32(1).bytes() + "y").ok());
  ASSERT_TRUE(h.Feed(Commit(0x30, 0x40, kCommitUs)).ok());
  ASSERT_EQ(h.out.size(), 2u);
  ASSERT_EQ(h.out[1].messages.size(), 1u);
  EXPECT_EQ(h.out[1].messages[0].source->tx_id, 5);
  EXPECT_EQ(observed, (std::vector<std::string>{"audit", "vimur-watermark", "outbox"}));
  // Before the start position: delivered already.
  ASSERT_TRUE(h.Feed(Msg('M').U8(0).U64(0x5).Str("old").U32(1).bytes() + "z").ok());
  EXPECT_EQ(h.out.size(), 2u);
}

}  // namespace
}  // namespace vimur::postgresql
