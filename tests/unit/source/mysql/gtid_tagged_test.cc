// MySQL 8.4 tagged GTIDs: the serialization varints, GTID_TAGGED_LOG_EVENT, tagged GTID sets
// in text and binary form, and the assembler adding tagged transactions to the executed set.
// Events are built from the documented layout (MySQL libs/mysql/serialization and
// Gtid_event::define_fields); no MySQL 8.4 server runs here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "binlog_event_builder.h"
#include "core/config.h"
#include "source/mysql/binlog_event_parser.h"
#include "source/mysql/gtid_set.h"
#include "source/mysql/mysql_source.h"
#include "source/mysql/serialization_varint.h"

namespace vimur::mysql {
namespace {

using fixtures::BuildEvent;
using fixtures::Bytes;

constexpr const char* kUuid = "77d1902c-01da-11f1-9a41-908d6e5f6e8d";

std::string Var(uint64_t v) {
  std::string out;
  PutVarUInt(&out, v);
  return out;
}
std::string VarSigned(int64_t v) {
  return Var(v >= 0 ? static_cast<uint64_t>(v) << 1 : (static_cast<uint64_t>(-(v + 1)) << 1) | 1);
}

TEST(SerializationVarintTest, EncodingsOfTheFormat) {
  EXPECT_EQ(Var(0), std::string(1, '\0'));
  EXPECT_EQ(Var(1), "\x02");
  EXPECT_EQ(Var(62), "\x7c");
  EXPECT_EQ(Var(0x77), "\xee");
  EXPECT_EQ(Var(337), "\x45\x05");          // 2 bytes: low bits 01
  EXPECT_EQ(Var(80411), "\xdb\xd0\x09");    // 3 bytes: low bits 011
  EXPECT_EQ(Var(~uint64_t{0}).size(), 9u);  // 0xff then 8 bytes
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{16383}, uint64_t{16384},
                     uint64_t{1} << 40, (uint64_t{1} << 56) - 1, uint64_t{1} << 56, ~uint64_t{0}}) {
    std::string bytes = Var(v);
    ByteReader r(bytes);
    uint64_t back = 0;
    ASSERT_TRUE(ReadVarUInt(r, &back).ok()) << v;
    EXPECT_EQ(back, v);
    EXPECT_TRUE(r.empty());
    ByteReader cut(std::string_view(bytes).substr(0, bytes.size() - 1));
    EXPECT_FALSE(ReadVarUInt(cut, &back).ok()) << "truncated " << v;
  }
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1} << 50, -(int64_t{1} << 50)}) {
    std::string bytes = VarSigned(v);
    ByteReader r(bytes);
    int64_t back = 0;
    ASSERT_TRUE(ReadVarInt(r, &back).ok());
    EXPECT_EQ(back, v);
  }
}

// A GTID_TAGGED_LOG_EVENT body as MySQL 8.4 writes it.
std::string TaggedGtidBody(std::string_view tag, int64_t gno) {
  auto sid = Sid::Parse(kUuid);
  std::string fields;
  fields += Var(0) + Var(1);  // flags: may have been committed
  fields += Var(1);
  for (uint8_t b : sid->bytes) fields += Var(b);
  fields += Var(2) + VarSigned(gno);
  fields += Var(3) + Var(tag.size()) + std::string(tag);
  fields += Var(4) + VarSigned(0);
  fields += Var(5) + VarSigned(1);
  fields += Var(6) + Var(1790000000000000ULL);
  fields += Var(8) + Var(337);  // transaction length
  fields += Var(9) + Var(80411);
  // Size of the whole message: version, size and last-non-ignorable-field varints included.
  std::string head = Var(1);
  size_t size = head.size() + 1 + 1 + fields.size();
  return head + Var(size) + Var(0) + fields;
}

TEST(GtidTaggedLogEventTest, ParsesTheSerializedFields) {
  BinlogEventParser parser;
  parser.Apply(*parser.ParseFormatDescription(*parser.Frame(fixtures::MySql8Fde())));
  std::string event = BuildEvent(EventType::kGtidTaggedLog, TaggedGtidBody("Test_Tag", 1), true);
  auto framed = parser.Frame(event);
  ASSERT_TRUE(framed.ok()) << framed.status().ToString();
  auto gtid = parser.ParseMySqlGtidTagged(*framed);
  ASSERT_TRUE(gtid.ok()) << gtid.status().ToString();
  EXPECT_EQ(Sid::FromBytes(gtid->sid).ToString(), kUuid);
  EXPECT_EQ(gtid->gno, 1);
  EXPECT_EQ(gtid->tag, "test_tag");
  EXPECT_EQ(gtid->flags, 1);
  EXPECT_EQ(gtid->sequence_number, 1);
  EXPECT_EQ(gtid->transaction_length, 337u);
  EXPECT_EQ(gtid->immediate_server_version, 80411u);
  EXPECT_EQ(gtid->original_server_version, 80411u);
  EXPECT_EQ(gtid->immediate_commit_timestamp, 1790000000000000ULL);
  EXPECT_EQ(gtid->original_commit_timestamp, 1790000000000000ULL);
  // Every truncated prefix is refused cleanly.
  const std::string body = TaggedGtidBody("t", 9);
  for (size_t n = 0; n < body.size(); ++n) {
    FramedEvent cut = *framed;
    cut.body = std::string_view(body).substr(0, n);
    EXPECT_FALSE(parser.ParseMySqlGtidTagged(cut).ok()) << n << " bytes";
  }
}

TEST(MySqlGtidSetTest, TaggedTextAndBinaryForms) {
  const std::string text = std::string(kUuid) + ":1-5:Alpha:1-3:7:beta:2";
  auto set = MySqlGtidSet::Parse(text);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->ToString(), std::string(kUuid) + ":1-5:alpha:1-3:7:beta:2");
  EXPECT_TRUE(set->has_tags());
  const Sid sid = *Sid::Parse(kUuid);
  EXPECT_TRUE(set->Contains(Tsid{sid, "alpha"}, 7));
  EXPECT_FALSE(set->Contains(Tsid{sid, "alpha"}, 5));
  EXPECT_TRUE(set->Contains(sid, 5));
  EXPECT_FALSE(set->Contains(Tsid{sid, "beta"}, 1));
  // Binary (COM_BINLOG_DUMP_GTID): the tagged format marker and a varint-prefixed tag.
  std::string binary = set->EncodeForDump();
  EXPECT_EQ(static_cast<uint8_t>(binary[0]), 1);
  EXPECT_EQ(static_cast<uint8_t>(binary[7]), 1);
  EXPECT_EQ(static_cast<uint8_t>(binary[1]), 3);  // three tsids
  auto back = MySqlGtidSet::DecodeBinary(binary);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToString(), set->ToString());
  // Untagged sets keep the classic format.
  auto plain = MySqlGtidSet::Parse(std::string(kUuid) + ":1-5");
  EXPECT_EQ(plain->EncodeForDump().substr(0, 8), std::string("\x01\0\0\0\0\0\0\0", 8));
  for (std::string bad : {std::string(kUuid) + ":tag", std::string(kUuid) + ":tag:x:1",
                          std::string(kUuid) + ":1tag:1", std::string(kUuid) + ":a:b:1"}) {
    EXPECT_FALSE(MySqlGtidSet::Parse(bad).ok()) << bad;
  }
}

// Regression (issue 9): GTID_TAGGED_LOG_EVENT was skipped as unknown, so tagged transactions
// never entered the executed set a restart resumes from.
TEST(GtidTaggedLogEventTest, TaggedTransactionsEnterTheExecutedSet) {
  SourceConfig config;
  config.name = "tagged";
  config.type = "mysql";
  config.topic_prefix = "tagged";
  BinlogTransactionAssembler assembler(config, ChecksumAlgorithm::kUndefined);
  Position start;
  start.gtid_set = std::string(kUuid) + ":1-10";
  start.file = "binlog.000001";
  start.pos = 4;
  ASSERT_TRUE(assembler.Reset(start).ok());
  std::vector<Transaction> out;
  TransactionConsumer consume = [&](Transaction&& txn) {
    out.push_back(std::move(txn));
    return true;
  };
  auto query = [](std::string_view sql) {
    return Bytes().u32(1).u32(0).u8(0).u16(0).u16(0).u8(0).raw(sql).str();
  };
  bool stopped = false;
  fixtures::HeaderFields h;
  h.next_pos = 200;
  ASSERT_TRUE(assembler.Process(fixtures::MySql8Fde(), consume, &stopped).ok());
  for (int gno : {1, 2}) {
    ASSERT_TRUE(
        assembler
            .Process(BuildEvent(EventType::kGtidTaggedLog, TaggedGtidBody("batch", gno), true, h),
                     consume, &stopped)
            .ok());
    h.next_pos += 50;
    ASSERT_TRUE(
        assembler.Process(BuildEvent(EventType::kQuery, query("BEGIN"), true, h), consume, &stopped)
            .ok());
    h.next_pos += 50;
    ASSERT_TRUE(
        assembler
            .Process(BuildEvent(EventType::kXid, Bytes().u64(9).str(), true, h), consume, &stopped)
            .ok());
    h.next_pos += 50;
  }
  EXPECT_EQ(assembler.delivered().gtid_set, std::string(kUuid) + ":1-10:batch:1-2");
}

// MySQL's BEGIN names the client's thread: Debezium's source.thread.
TEST(GtidTaggedLogEventTest, BeginGivesTheTransactionsThread) {
  SourceConfig config;
  config.name = "thread";
  config.type = "mysql";
  config.topic_prefix = "thread";
  BinlogTransactionAssembler assembler(config, ChecksumAlgorithm::kUndefined);
  Position start;
  start.gtid_set = std::string(kUuid) + ":1-10";
  start.file = "binlog.000001";
  start.pos = 4;
  ASSERT_TRUE(assembler.Reset(start).ok());
  std::vector<Transaction> out;
  TransactionConsumer consume = [&](Transaction&& txn) {
    out.push_back(std::move(txn));
    return true;
  };
  bool stopped = false;
  fixtures::HeaderFields h;
  h.next_pos = 200;
  auto process = [&](EventType type, const std::string& body) {
    Status s = assembler.Process(BuildEvent(type, body, true, h), consume, &stopped);
    h.next_pos += 50;
    return s;
  };
  ASSERT_TRUE(assembler.Process(fixtures::MySql8Fde(), consume, &stopped).ok());
  ASSERT_TRUE(process(EventType::kGtidTaggedLog, TaggedGtidBody("t", 1)).ok());
  const std::string begin = Bytes().u32(4242).u32(0).u8(0).u16(0).u16(0).u8(0).raw("BEGIN");
  ASSERT_TRUE(process(EventType::kQuery, begin).ok());
  // shop.t (id INT NOT NULL), one row id = 7.
  const std::string map = Bytes()
                              .u48(77)
                              .u16(1)
                              .u8(4)
                              .raw("shop")
                              .u8(0)
                              .u8(1)
                              .raw("t")
                              .u8(0)
                              .lenenc(1)
                              .u8(3)
                              .lenenc(0)
                              .u8(0)
                              .u8(1)
                              .lenenc(1)
                              .u8(0)  // SIGNEDNESS: signed
                              .u8(4)
                              .lenenc(3)
                              .lenenc_str("id")  // COLUMN_NAME
                              .u8(8)
                              .lenenc(1)
                              .lenenc(0)  // SIMPLE_PRIMARY_KEY: column 0
                              .str();
  Status mapped = process(EventType::kTableMap, map);
  ASSERT_TRUE(mapped.ok()) << mapped.ToString();
  const std::string rows = Bytes().u48(77).u16(1).u16(2).lenenc(1).u8(0x01).u8(0x00).u32(7);
  ASSERT_TRUE(process(EventType::kWriteRowsV2, rows).ok());
  ASSERT_TRUE(process(EventType::kXid, Bytes().u64(9).str()).ok());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_NE(out[0].source, nullptr);
  EXPECT_EQ(out[0].source->thread, 4242);
}

}  // namespace
}  // namespace vimur::mysql
