#include "source/postgresql/pgoutput_message.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>

#include "pgoutput_builder.h"

namespace vimur::postgresql {
namespace {

using namespace fixtures;

// Parses a copy of `bytes` that lives until the end of the test program, so that the views in
// the result stay valid.
Result<PgOutputMessage> Parse(std::string bytes, bool in_stream = false) {
  static std::deque<std::string> kept;
  kept.push_back(std::move(bytes));
  return ParsePgOutputMessage(kept.back(), in_stream);
}

TEST(PgOutputMessageTest, ParsesBeginAndCommit) {
  auto begin = Parse(Begin(0x16B374D848, 123456789, 771));
  ASSERT_TRUE(begin.ok()) << begin.status().ToString();
  const auto& b = std::get<BeginMessage>(*begin);
  EXPECT_EQ(b.final_lsn, 0x16B374D848u);
  EXPECT_EQ(b.commit_time_us, 123456789);
  EXPECT_EQ(b.xid, 771u);
  auto commit = Parse(Commit(0x100, 0x180, 5));
  ASSERT_TRUE(commit.ok());
  const auto& c = std::get<CommitMessage>(*commit);
  EXPECT_EQ(c.commit_lsn, 0x100u);
  EXPECT_EQ(c.end_lsn, 0x180u);
  EXPECT_EQ(c.commit_time_us, 5);
}

TEST(PgOutputMessageTest, ParsesRelationAndRows) {
  auto rel = Parse(
      Relation(16384, "public", "orders", 'd', {{"id", 23, -1, true}, {"note", 1043, 54, false}}));
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  const auto& r = std::get<RelationMessage>(*rel);
  EXPECT_EQ(r.relation_id, 16384u);
  EXPECT_EQ(r.nspname, "public");
  EXPECT_EQ(r.relname, "orders");
  EXPECT_EQ(r.replica_identity, 'd');
  ASSERT_EQ(r.columns.size(), 2u);
  EXPECT_TRUE(r.columns[0].key);
  EXPECT_EQ(r.columns[1].name, "note");
  EXPECT_EQ(r.columns[1].type_oid, 1043u);
  EXPECT_EQ(r.columns[1].type_modifier, 54);

  auto ins = Parse(Insert(16384, {"1", std::nullopt, Msg::kUnchanged}));
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  const auto& i = std::get<InsertMessage>(*ins);
  ASSERT_EQ(i.new_tuple.size(), 3u);
  EXPECT_EQ(i.new_tuple[0].kind, TupleValue::Kind::kText);
  EXPECT_EQ(i.new_tuple[0].data, "1");
  EXPECT_EQ(i.new_tuple[1].kind, TupleValue::Kind::kNull);
  EXPECT_EQ(i.new_tuple[2].kind, TupleValue::Kind::kUnchangedToast);

  auto upd = Parse(Update(16384, 'O', {"1", "a"}, {"1", "b"}));
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  const auto& u = std::get<UpdateMessage>(*upd);
  EXPECT_EQ(u.old_kind, 'O');
  EXPECT_EQ(u.old_tuple[1].data, "a");
  EXPECT_EQ(u.new_tuple[1].data, "b");
  auto plain = Parse(Update(16384, 0, {}, {"2", "c"}));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(std::get<UpdateMessage>(*plain).old_kind, 0);

  auto del = Parse(Delete(16384, 'K', {"1", std::nullopt}));
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(std::get<DeleteMessage>(*del).old_kind, 'K');

  auto trunc = Parse(Truncate({1, 2, 3}, 2));
  ASSERT_TRUE(trunc.ok());
  const auto& t = std::get<TruncateMessage>(*trunc);
  EXPECT_EQ(t.options, 2);
  EXPECT_EQ(t.relation_ids, (std::vector<uint32_t>{1, 2, 3}));
}

TEST(PgOutputMessageTest, ParsesLogicalMessageAndStreamControl) {
  std::string m = Msg('M').U8(1).U64(0x42).Str("outbox").U32(5).bytes() + "hello";
  auto parsed = Parse(m);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const auto& lm = std::get<LogicalMessage>(*parsed);
  EXPECT_TRUE(lm.transactional);
  EXPECT_EQ(lm.prefix, "outbox");
  EXPECT_EQ(lm.content, "hello");
  auto stream = Parse(Msg('S').U32(7).U8(1).bytes());
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(std::get<StreamStartMessage>(*stream).xid, 7u);
  EXPECT_TRUE(std::get<StreamStartMessage>(*stream).first_segment);
  auto commit = Parse(Msg('c').U32(7).U8(0).U64(0x100).U64(0x180).U64(99).bytes());
  ASSERT_TRUE(commit.ok());
  EXPECT_EQ(std::get<StreamCommitMessage>(*commit).xid, 7u);
  EXPECT_EQ(std::get<StreamCommitMessage>(*commit).commit_lsn, 0x100u);
  EXPECT_EQ(std::get<StreamCommitMessage>(*commit).end_lsn, 0x180u);
  EXPECT_EQ(std::get<StreamCommitMessage>(*commit).commit_time_us, 99);
  auto abort = Parse(Msg('A').U32(7).U32(8).bytes());
  ASSERT_TRUE(abort.ok());
  EXPECT_EQ(std::get<StreamAbortMessage>(*abort).subxid, 8u);
  EXPECT_TRUE(std::holds_alternative<StreamStopMessage>(*Parse(Msg('E').bytes())));
  uint32_t xid = 0;
  EXPECT_TRUE(StreamedMessageXid(Msg('I').U32(900).U32(1).bytes(), &xid));
  EXPECT_EQ(xid, 900u);
  EXPECT_FALSE(StreamedMessageXid(Msg('B').U64(1).bytes(), &xid));
}

// In a streamed transaction (protocol 2), change messages start with the transaction id.
TEST(PgOutputMessageTest, StreamedMessagesCarryTheXid) {
  std::string m = Msg('I').U32(900).U32(16384).U8('N').Tuple({"5"}).bytes();
  auto parsed = Parse(m, /*in_stream=*/true);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(std::get<InsertMessage>(*parsed).xid, 900u);
  EXPECT_EQ(std::get<InsertMessage>(*parsed).relation_id, 16384u);
}

// Every truncated prefix of every message kind fails cleanly (ASan sees any overread: the
// prefix is an exact-size heap copy).
TEST(PgOutputMessageTest, EveryTruncatedPrefixIsRejected) {
  const std::vector<std::string> messages = {
      Begin(1, 2, 3),
      Commit(1, 2, 3),
      Relation(1, "s", "t", 'f', {{"a", 23}, {"b", 25}}),
      Insert(1, {"1", std::nullopt, "xyz"}),
      Update(1, 'O', {"1", "a"}, {"1", "b"}),
      Delete(1, 'K', {"1"}),
      Truncate({1, 2}, 0),
      Msg('M').U8(0).U64(1).Str("p").U32(3).bytes() + "abc",
      Msg('S').U32(7).U8(1).bytes(),
      Msg('c').U32(7).U8(0).U64(1).U64(2).U64(3).bytes(),
      Msg('A').U32(7).U32(8).bytes(),
  };
  for (const std::string& m : messages) {
    ASSERT_TRUE(Parse(m).ok()) << m[0];
    for (size_t n = 0; n < m.size(); ++n) {
      std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
      std::copy(m.begin(), m.begin() + static_cast<long>(n), copy.get());
      auto parsed = ParsePgOutputMessage(std::string_view(copy.get(), n));
      EXPECT_FALSE(parsed.ok()) << "type " << m[0] << " prefix " << n;
    }
  }
}

TEST(PgOutputMessageTest, RejectsUnknownTypesAndCounts) {
  EXPECT_FALSE(Parse("Z").ok());
  // A tuple claiming more columns than bytes left.
  std::string m = Msg('I').U32(1).U8('N').U16(60000).bytes();
  auto parsed = Parse(m);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(Parse(Msg('I').U32(1).U8('X').U16(0).bytes()).ok());
}

TEST(PgOutputMessageTest, LsnTextRoundTrips) {
  EXPECT_EQ(LsnText(0x16B374D848), "16/B374D848");
  EXPECT_EQ(LsnText(0), "0/0");
  uint64_t lsn = 0;
  ASSERT_TRUE(ParseLsn("16/B374D848", &lsn));
  EXPECT_EQ(lsn, 0x16B374D848u);
  EXPECT_FALSE(ParseLsn("16B374D848", &lsn));
  EXPECT_FALSE(ParseLsn("/1", &lsn));
  EXPECT_FALSE(ParseLsn("1/G", &lsn));
}

}  // namespace
}  // namespace vimur::postgresql
