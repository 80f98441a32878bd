#include "source/mysql/binlog_event_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>

#include "binlog_event_builder.h"
#include "source/mysql/gtid_set.h"

namespace vimur::mysql {
namespace {

using fixtures::BuildEvent;
using fixtures::Bytes;
using fixtures::HeaderFields;
using fixtures::LenencSize;

constexpr uint64_t kTableId = 0x123456789AULL;  // needs all 6 bytes of the table id field
const char* const kUuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

enum class Flavour { kMySql, kMariaDb };

// Frames a copy of `event` that lives until the end of the test program, so that the views in
// the result stay valid in the test.
Result<FramedEvent> FrameKept(const BinlogEventParser& parser, std::string event) {
  static std::deque<std::string> kept;
  kept.push_back(std::move(event));
  return parser.Frame(kept.back());
}

// An exact-size heap copy, so that AddressSanitizer catches a read one byte past the end.
class ExactCopy {
 public:
  explicit ExactCopy(std::string_view s) : data_(new char[s.size()]), size_(s.size()) {
    std::copy(s.begin(), s.end(), data_.get());
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_;
};

// A parser that has applied a CRC32-enabled FDE of the given flavour.
BinlogEventParser MakeParser(Flavour flavour) {
  BinlogEventParser parser;
  std::string fde = flavour == Flavour::kMySql ? fixtures::MySql8Fde() : fixtures::MariaDbFde();
  auto framed = parser.Frame(fde);
  EXPECT_TRUE(framed.ok()) << framed.status().ToString();
  auto parsed = parser.ParseFormatDescription(*framed);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  parser.Apply(*parsed);
  return parser;
}

std::string Sid16(const char* uuid) {
  auto sid = Sid::Parse(uuid);
  return std::string(reinterpret_cast<const char*>(sid->bytes.data()), 16);
}

// ---- event bodies, built from the documented layouts ----

std::string RotateBody() { return Bytes().u64(4).raw("binlog.000043"); }

std::string QueryBody(std::string_view query) {
  std::string status_vars = Bytes().u8(0).u32(0).u8(1).u64(0x40000000);  // Q_FLAGS2, Q_SQL_MODE
  return Bytes()
      .u32(77)  // thread id
      .u32(2)   // exec time
      .u8(4)    // database name length
      .u16(0)   // error code
      .u16(status_vars.size())
      .raw(status_vars)
      .raw("shop")
      .u8(0)
      .raw(query);
}

std::string QueryCompressedBody(std::string_view query) {
  std::string head = QueryBody("");
  return head + fixtures::MariaCompress(query);
}

std::string XidBody() { return Bytes().u64(0x0102030405060708ULL); }

// MySQL 8.0.14+ GTID: logical clock, both commit timestamps, length and both server versions.
std::string MySqlGtidFullBody() {
  return Bytes()
      .u8(1)
      .raw(Sid16(kUuidA))
      .u64(42)
      .u8(2)  // LOGICAL_TIMESTAMP_TYPECODE
      .u64(7)
      .u64(8)
      .le(7, 1700000000123456ULL | (uint64_t{1} << 55))
      .le(7, 1700000000000001ULL)
      .lenenc(300)
      .u32(80036 | 0x80000000u)
      .u32(80023);
}

std::string PreviousGtidsBody() {
  auto set = MySqlGtidSet::Parse(std::string(kUuidA) + ":1-5:11-18");
  return set->EncodeForDump();
}

std::string MariaGtidBody() {
  return Bytes().u64(1234).u32(3).u8(2 /* FL_GROUP_COMMIT_ID */).u64(99);
}

std::string MariaGtidListBody() {
  return Bytes().u32((1u << 28) | 2).u32(0).u32(1).u64(100).u32(1).u32(2).u64(7);
}

std::string HeartbeatV2Body() {
  std::string name = "binlog.000042";
  return Bytes()
      .lenenc(1)
      .lenenc(name.size())
      .raw(name)
      .lenenc(2)
      .lenenc(LenencSize(123456))
      .lenenc(123456)
      .lenenc(0);
}

// A 13-column table covering every kind of column metadata.
//   0 id INT UNSIGNED        1 name VARCHAR(64)     2 price DECIMAL(10,2)   3 flags BIT(10)
//   4 status ENUM('a','b')   5 tags SET('x','y','z') 6 note TEXT            7 loc POINT
//   8 code BINARY(16)        9 ts TIMESTAMP(3)      10 amount DOUBLE       11 doc JSON
//  12 secret INT (invisible)
const std::vector<uint8_t> kWideTypes = {3, 15, 246, 16, 254, 254, 252, 255, 254, 17, 5, 245, 3};
const std::vector<uint16_t> kWideMeta = {0,
                                         256,
                                         (10 << 8) | 2,
                                         (1 << 8) | 2,
                                         (247 << 8) | 1,
                                         (248 << 8) | 1,
                                         2,
                                         4,
                                         (254 << 8) | 16,
                                         3,
                                         8,
                                         4,
                                         0};
const std::vector<std::string> kWideNames = {"id",     "name", "price", "flags", "status",
                                             "tags",   "note", "loc",   "code",  "ts",
                                             "amount", "doc",  "secret"};

// Everything up to and including the null bitmap.
std::string WideTableMapFixedPart() {
  Bytes b;
  b.u48(kTableId).u16(1).u8(4).raw("shop").u8(0).u8(6).raw("orders").u8(0);
  b.lenenc(kWideTypes.size());
  for (uint8_t t : kWideTypes) b.u8(t);
  std::string meta = Bytes()
                         .u16(256)  // VARCHAR: 2 bytes little-endian
                         .u8(10)
                         .u8(2)  // NEWDECIMAL: precision, scale
                         .u8(2)
                         .u8(1)  // BIT(10): 10 % 8 bits, 10 / 8 bytes
                         .u8(247)
                         .u8(1)  // ENUM as STRING: real type, pack length
                         .u8(248)
                         .u8(1)  // SET as STRING
                         .u8(2)  // BLOB pack length
                         .u8(4)  // GEOMETRY pack length
                         .u8(254)
                         .u8(16)  // STRING: real type, length
                         .u8(3)   // TIMESTAMP2 fsp
                         .u8(8)   // DOUBLE size
                         .u8(4);  // JSON pack length
  b.lenenc(meta.size()).raw(meta);
  b.u8(0xC2).u8(0x00);  // columns 1, 6, 7 nullable
  return b;
}

std::string Tlv(uint8_t type, std::string_view value) {
  return Bytes().u8(type).lenenc(value.size()).raw(value);
}

std::string ColumnNames() {
  Bytes b;
  for (const auto& n : kWideNames) b.lenenc_str(n);
  return b;
}

// MySQL flavour: fields 1, 2, 4, 5, 6, 7, 8, 11, 12.
std::string WideTableMapMySqlBody() {
  return WideTableMapFixedPart() +
         Tlv(1, Bytes().u8(0x80)) +  // numeric columns 0, 2, 10, 12: only id is unsigned
         Tlv(2, Bytes().lenenc(255).lenenc(1).lenenc(8).lenenc(2).lenenc(63)) +
         Tlv(4, ColumnNames()) +
         Tlv(5, Bytes().lenenc(3).lenenc_str("x").lenenc_str("y").lenenc_str("z")) +
         Tlv(6, Bytes().lenenc(2).lenenc_str("a").lenenc_str("b")) +
         Tlv(7, Bytes().lenenc(1)) +  // POINT
         Tlv(8, Bytes().lenenc(0)) + Tlv(11, Bytes().lenenc(45).lenenc(46)) +
         Tlv(12, Bytes().u8(0xFF).u8(0xF0));  // all visible but column 12
}

// MariaDB flavour (GEOMETRY counts as a character column): fields 3, 9, 10 and an unknown one.
std::string WideTableMapMariaBody() {
  return WideTableMapFixedPart() + Tlv(3, Bytes().lenenc(45).lenenc(8).lenenc(63).lenenc(63)) +
         Tlv(9, Bytes().lenenc(1).lenenc(10).lenenc(0).lenenc(0)) +
         Tlv(10, Bytes().lenenc(45).lenenc(1).lenenc(33)) + Tlv(200, "??");
}

// A 2-column table (INT, VARCHAR(20)) without optional metadata.
std::string SmallTableMapBody(uint64_t table_id) {
  return Bytes()
      .u48(table_id)
      .u16(1)
      .u8(4)
      .raw("shop")
      .u8(0)
      .u8(5)
      .raw("items")
      .u8(0)
      .lenenc(2)
      .u8(3)
      .u8(15)
      .lenenc(2)
      .u16(20)
      .u8(0x02);
}

std::string WriteRowsV2Body(std::string_view rows) {
  return Bytes().u48(kTableId).u16(1).u16(2).lenenc(3).u8(0x07).raw(rows);
}

std::string UpdateRowsV2Body(EventType type = EventType::kUpdateRowsV2) {
  (void)type;
  return Bytes()
      .u48(kTableId)
      .u16(0)
      .u16(6)                                        // extra data length, counting itself
      .raw(std::string_view("\x00\x04\x01\x02", 4))  // extra row info
      .lenenc(9)
      .u8(0xFF)
      .u8(0x01)  // before image: all 9 columns
      .u8(0x0F)
      .u8(0x00)  // after image: columns 0-3
      .raw("BEFOREAFTER");
}

std::string DeleteRowsV1Body() {
  return Bytes().u48(kTableId).u16(1).lenenc(2).u8(0x03).raw("OLDROW");
}

std::string CompressedWriteV1Body(std::string_view rows) {
  return Bytes().u48(kTableId).u16(1).lenenc(2).u8(0x03).raw(fixtures::MariaCompress(rows));
}

std::string CompressedUpdateBody(std::string_view rows) {
  return Bytes().u48(kTableId).u16(1).u16(2).lenenc(2).u8(0x03).u8(0x01).raw(
      fixtures::MariaCompress(rows));
}

// The inner events of a transaction payload: they never carry checksums.
std::string PayloadInnerEvents() {
  return BuildEvent(EventType::kQuery, QueryBody("BEGIN"), false) +
         BuildEvent(EventType::kTableMap, SmallTableMapBody(kTableId), false) +
         BuildEvent(EventType::kWriteRowsV2, WriteRowsV2Body("ROW1ROW2"), false) +
         BuildEvent(EventType::kXid, XidBody(), false);
}

std::string TransactionPayloadBody(std::string_view inner, uint64_t compression) {
  std::string payload = compression == 0 ? fixtures::ZstdCompress(inner) : std::string(inner);
  Bytes b;
  b.lenenc(2).lenenc(LenencSize(compression)).lenenc(compression);
  if (compression == 0) b.lenenc(3).lenenc(LenencSize(inner.size())).lenenc(inner.size());
  b.lenenc(1).lenenc(LenencSize(payload.size())).lenenc(payload.size());
  b.lenenc(0).raw(payload);
  return b;
}

// ---- framing ----

TEST(BinlogEventParserTest, EventTypeNames) {
  EXPECT_STREQ(EventTypeName(15), "FORMAT_DESCRIPTION_EVENT");
  EXPECT_STREQ(EventTypeName(30), "WRITE_ROWS_EVENT");
  EXPECT_STREQ(EventTypeName(162), "GTID_EVENT");
  EXPECT_STREQ(EventTypeName(171), "DELETE_ROWS_COMPRESSED_EVENT");
  EXPECT_STREQ(EventTypeName(99), "UNKNOWN_EVENT_TYPE");
}

TEST(BinlogEventParserTest, FrameReadsHeaderAndStripsChecksum) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  HeaderFields h;
  h.timestamp = 1712345678;
  h.server_id = 5400;
  h.next_pos = 1234;
  h.flags = 0x0008;
  std::string ev = BuildEvent(EventType::kXid, XidBody(), true, h);
  auto framed = parser.Frame(ev);
  ASSERT_TRUE(framed.ok()) << framed.status().ToString();
  EXPECT_EQ(framed->header.timestamp, 1712345678u);
  EXPECT_EQ(framed->header.type, 16);
  EXPECT_EQ(framed->header.server_id, 5400u);
  EXPECT_EQ(framed->header.event_size, ev.size());
  EXPECT_EQ(framed->header.next_pos, 1234u);
  EXPECT_EQ(framed->header.flags, 0x0008);
  EXPECT_EQ(framed->body, XidBody());
}

TEST(BinlogEventParserTest, CorruptedChecksumIsRejected) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  std::string ev = BuildEvent(EventType::kXid, XidBody(), true);
  for (size_t i = 0; i < ev.size(); ++i) {
    if (i >= 9 && i < 13) continue;  // event_size: a different error
    std::string bad = ev;
    bad[i] ^= 0x01;
    auto framed = parser.Frame(bad);
    ASSERT_FALSE(framed.ok()) << "byte " << i;
    EXPECT_EQ(framed.status().code(), StatusCode::kCorruption) << "byte " << i;
    EXPECT_NE(framed.status().message().find("CRC32"), std::string::npos);
  }
}

TEST(BinlogEventParserTest, ChecksumOffKeepsWholeBody) {
  BinlogEventParser parser(ChecksumAlgorithm::kOff);
  std::string ev = BuildEvent(EventType::kXid, XidBody(), false);
  auto framed = parser.Frame(ev);
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(framed->body, XidBody());
  auto xid = parser.ParseXid(*framed);
  ASSERT_TRUE(xid.ok());
  EXPECT_EQ(xid->xid, 0x0102030405060708ULL);
}

TEST(BinlogEventParserTest, SizeMismatchesAreRejected) {
  BinlogEventParser parser(ChecksumAlgorithm::kOff);
  std::string ev = BuildEvent(EventType::kXid, XidBody(), false);
  EXPECT_EQ(parser.Frame(ev + "x").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(parser.Frame(ev.substr(0, ev.size() - 1)).status().code(), StatusCode::kUnderflow);
  std::string tiny = ev;
  tiny[9] = 5;  // event_size 5 < 19
  tiny[10] = tiny[11] = tiny[12] = 0;
  EXPECT_EQ(parser.Frame(tiny).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(parser.Frame("").status().code(), StatusCode::kUnderflow);
}

TEST(BinlogEventParserTest, UnknownEventTypesFrame) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  std::string ev = BuildEvent(uint8_t{120}, "opaque", true);
  auto framed = parser.Frame(ev);
  ASSERT_TRUE(framed.ok()) << framed.status().ToString();
  EXPECT_EQ(framed->header.type, 120);
  EXPECT_EQ(framed->body, "opaque");
}

// ---- FORMAT_DESCRIPTION_EVENT ----

TEST(BinlogEventParserTest, MySqlFormatDescriptionWithCrc32) {
  BinlogEventParser parser;
  EXPECT_EQ(parser.checksum(), ChecksumAlgorithm::kUndefined);
  auto framed = FrameKept(parser, fixtures::MySql8Fde());
  ASSERT_TRUE(framed.ok()) << framed.status().ToString();
  auto fde = parser.ParseFormatDescription(*framed);
  ASSERT_TRUE(fde.ok()) << fde.status().ToString();
  EXPECT_EQ(fde->binlog_version, 4);
  EXPECT_EQ(fde->server_version, "8.0.36");
  EXPECT_EQ(fde->create_timestamp, 1700000000u);
  EXPECT_EQ(fde->header_length, 19);
  EXPECT_EQ(fde->post_header_lengths, fixtures::MySql8PostHeaderLengths());
  EXPECT_EQ(fde->checksum, ChecksumAlgorithm::kCrc32);
  EXPECT_FALSE(fde->is_mariadb());
  parser.Apply(*fde);
  EXPECT_EQ(parser.checksum(), ChecksumAlgorithm::kCrc32);
  EXPECT_TRUE(parser.has_format_description());
  EXPECT_FALSE(parser.is_mariadb());
  // What follows is checksummed: an event without a CRC no longer frames.
  EXPECT_FALSE(FrameKept(parser, BuildEvent(EventType::kXid, XidBody(), false)).ok());
}

TEST(BinlogEventParserTest, FormatDescriptionChecksumOffStillHasTrailer) {
  // A checksum-aware server writes the algorithm byte and 4 checksum bytes even when off.
  BinlogEventParser parser(ChecksumAlgorithm::kCrc32);
  std::string ev = fixtures::MariaDbFde(ChecksumAlgorithm::kOff);
  ev[ev.size() - 1] ^= 0x55;  // the trailer is not verified when the algorithm is off
  auto framed = parser.Frame(ev);
  ASSERT_TRUE(framed.ok()) << framed.status().ToString();
  auto fde = parser.ParseFormatDescription(*framed);
  ASSERT_TRUE(fde.ok());
  EXPECT_EQ(fde->checksum, ChecksumAlgorithm::kOff);
  EXPECT_TRUE(fde->is_mariadb());
  EXPECT_EQ(fde->post_header_lengths, fixtures::MariaDbPostHeaderLengths());
  parser.Apply(*fde);
  EXPECT_EQ(parser.checksum(), ChecksumAlgorithm::kOff);
  EXPECT_TRUE(parser.is_mariadb());
  auto xid = FrameKept(parser, BuildEvent(EventType::kXid, XidBody(), false));
  EXPECT_TRUE(xid.ok());
}

TEST(BinlogEventParserTest, FormatDescriptionCorruptedCrcIsRejected) {
  BinlogEventParser parser;
  std::string ev = fixtures::MySql8Fde();
  ev[30] ^= 0x01;  // inside the server version
  EXPECT_EQ(parser.Frame(ev).status().code(), StatusCode::kCorruption);
}

TEST(BinlogEventParserTest, PreChecksumServerFormatDescription) {
  // MySQL 5.5 wrote no algorithm byte and no checksum.
  std::vector<uint8_t> post(27, 0);
  post[19 - 1] = 8;
  std::string ev =
      BuildEvent(EventType::kFormatDescription, fixtures::FdeBody("5.5.62-log", post, {}), false);
  BinlogEventParser parser;
  auto framed = parser.Frame(ev);
  ASSERT_TRUE(framed.ok()) << framed.status().ToString();
  auto fde = parser.ParseFormatDescription(*framed);
  ASSERT_TRUE(fde.ok());
  EXPECT_EQ(fde->checksum, ChecksumAlgorithm::kOff);
  EXPECT_EQ(fde->post_header_lengths, post);
}

TEST(BinlogEventParserTest, FormatDescriptionUnknownAlgorithmIsRejected) {
  BinlogEventParser parser;
  std::string ev = BuildEvent(
      EventType::kFormatDescription,
      fixtures::FdeBody("8.0.36", fixtures::MySql8PostHeaderLengths(), ChecksumAlgorithm{7}), true);
  EXPECT_EQ(parser.Frame(ev).status().code(), StatusCode::kCorruption);
}

// ---- ROTATE, including the fake one sent before any FDE ----

TEST(BinlogEventParserTest, FakeRotateBeforeFdeWithAndWithoutChecksum) {
  HeaderFields h;
  h.flags = kLogEventArtificialFlag;
  h.timestamp = 0;
  for (bool crc : {true, false}) {
    BinlogEventParser parser;  // kUndefined
    auto framed = FrameKept(parser, BuildEvent(EventType::kRotate, RotateBody(), crc, h));
    ASSERT_TRUE(framed.ok()) << framed.status().ToString();
    auto rotate = parser.ParseRotate(*framed);
    ASSERT_TRUE(rotate.ok()) << rotate.status().ToString();
    EXPECT_EQ(rotate->position, 4u);
    EXPECT_EQ(rotate->next_file, "binlog.000043") << "crc " << crc;
    EXPECT_TRUE(framed->header.flags & kLogEventArtificialFlag);
  }
  BinlogEventParser parser;
  auto framed = FrameKept(parser, BuildEvent(EventType::kRotate, Bytes().u64(4), false));
  ASSERT_TRUE(framed.ok());
  EXPECT_FALSE(parser.ParseRotate(*framed).ok());  // no file name
}

// ---- statement and transaction events ----

TEST(BinlogEventParserTest, Query) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  auto framed =
      FrameKept(parser, BuildEvent(EventType::kQuery, QueryBody("CREATE TABLE t (a INT)"), true));
  ASSERT_TRUE(framed.ok());
  auto q = parser.ParseQuery(*framed);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->thread_id, 77u);
  EXPECT_EQ(q->exec_time, 2u);
  EXPECT_EQ(q->error_code, 0);
  EXPECT_EQ(q->database, "shop");
  EXPECT_EQ(q->query, "CREATE TABLE t (a INT)");
}

TEST(BinlogEventParserTest, MariaQueryCompressed) {
  BinlogEventParser parser = MakeParser(Flavour::kMariaDb);
  std::string query = "INSERT INTO t VALUES " + std::string(300, '7');
  auto framed = FrameKept(
      parser, BuildEvent(EventType::kMariaQueryCompressed, QueryCompressedBody(query), true));
  ASSERT_TRUE(framed.ok());
  auto q = parser.ParseQuery(*framed);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->database, "shop");
  EXPECT_EQ(q->query, query);
  // A length header that promises more than zlib could ever produce is refused up front.
  std::string body = QueryBody("") + Bytes().u8(0x84).be(4, 0xF0000000u).raw("xx").str();
  auto bad = FrameKept(parser, BuildEvent(EventType::kMariaQueryCompressed, body, true));
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(parser.ParseQuery(*bad).ok());
}

TEST(BinlogEventParserTest, Xid) {
  BinlogEventParser parser = MakeParser(Flavour::kMariaDb);
  auto framed = FrameKept(parser, BuildEvent(EventType::kXid, XidBody(), true));
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(parser.ParseXid(*framed)->xid, 0x0102030405060708ULL);
}

TEST(BinlogEventParserTest, MySqlGtidWithCommitTimestampsAndVersions) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  auto framed = FrameKept(parser, BuildEvent(EventType::kGtid, MySqlGtidFullBody(), true));
  ASSERT_TRUE(framed.ok());
  auto g = parser.ParseMySqlGtid(*framed);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_FALSE(g->anonymous);
  EXPECT_EQ(g->flags, 1);
  EXPECT_EQ(Sid::FromBytes(g->sid).ToString(), kUuidA);
  EXPECT_EQ(g->gno, 42);
  EXPECT_EQ(g->last_committed, 7);
  EXPECT_EQ(g->sequence_number, 8);
  EXPECT_EQ(g->immediate_commit_timestamp, 1700000000123456ULL);
  EXPECT_EQ(g->original_commit_timestamp, 1700000000000001ULL);
  EXPECT_EQ(g->transaction_length, 300u);
  EXPECT_EQ(g->immediate_server_version, 80036u);
  EXPECT_EQ(g->original_server_version, 80023u);
}

TEST(BinlogEventParserTest, MySqlGtidOlderLayoutsAndAnonymous) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  // 8.0.1 to 8.0.13: the immediate commit timestamp only.
  std::string body =
      Bytes().u8(0).raw(Sid16(kUuidA)).u64(9).u8(2).u64(3).u64(4).le(7, 1650000000000000ULL);
  auto framed = FrameKept(parser, BuildEvent(EventType::kGtid, body, true));
  ASSERT_TRUE(framed.ok());
  auto g = parser.ParseMySqlGtid(*framed);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->immediate_commit_timestamp, 1650000000000000ULL);
  EXPECT_EQ(g->original_commit_timestamp, 1650000000000000ULL);
  EXPECT_EQ(g->transaction_length, 0u);
  // 5.7: logical clock only; anonymous.
  std::string anon = Bytes().u8(1).zeros(16).u64(0).u8(2).u64(11).u64(12);
  framed = FrameKept(parser, BuildEvent(EventType::kAnonymousGtid, anon, true));
  ASSERT_TRUE(framed.ok());
  g = parser.ParseMySqlGtid(*framed);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->anonymous);
  EXPECT_EQ(g->gno, 0);
  EXPECT_EQ(g->sequence_number, 12);
  EXPECT_EQ(g->immediate_commit_timestamp, 0u);
}

TEST(BinlogEventParserTest, PreviousGtids) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  auto framed = FrameKept(parser, BuildEvent(EventType::kPreviousGtids, PreviousGtidsBody(), true));
  ASSERT_TRUE(framed.ok());
  auto set = parser.ParsePreviousGtids(*framed);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->ToString(), std::string(kUuidA) + ":1-5:11-18");
}

TEST(BinlogEventParserTest, MariaGtidAndGtidList) {
  BinlogEventParser parser = MakeParser(Flavour::kMariaDb);
  HeaderFields h;
  h.server_id = 17;
  auto framed = FrameKept(parser, BuildEvent(EventType::kMariaGtid, MariaGtidBody(), true, h));
  ASSERT_TRUE(framed.ok());
  auto g = parser.ParseMariaGtid(*framed);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->sequence, 1234u);
  EXPECT_EQ(g->domain_id, 3u);
  EXPECT_EQ(g->server_id, 17u);
  EXPECT_EQ(g->commit_id, 99u);
  EXPECT_FALSE(g->standalone());

  // A standalone DDL GTID: flags 1, padding instead of a commit id.
  std::string ddl = Bytes().u64(5).u32(0).u8(1).zeros(6);
  framed = FrameKept(parser, BuildEvent(EventType::kMariaGtid, ddl, true));
  ASSERT_TRUE(framed.ok());
  g = parser.ParseMariaGtid(*framed);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->standalone());
  EXPECT_EQ(g->commit_id, 0u);

  framed = FrameKept(parser, BuildEvent(EventType::kMariaGtidList, MariaGtidListBody(), true));
  ASSERT_TRUE(framed.ok());
  auto list = parser.ParseMariaGtidList(*framed);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->gtids.size(), 2u);  // the flag bits are not part of the count
  EXPECT_EQ(list->gtids[0].domain_id, 0u);
  EXPECT_EQ(list->gtids[0].server_id, 1u);
  EXPECT_EQ(list->gtids[0].sequence, 100u);
  EXPECT_EQ(list->gtids[1].domain_id, 1u);
  EXPECT_EQ(list->gtids[1].sequence, 7u);
  MariaGtidState state;
  for (const auto& gtid : list->gtids) state.Update(gtid);
  EXPECT_EQ(state.ToString(), "0-1-100,1-2-7");
}

TEST(BinlogEventParserTest, AnnotateRowsAndRowsQuery) {
  BinlogEventParser maria = MakeParser(Flavour::kMariaDb);
  auto framed =
      FrameKept(maria, BuildEvent(EventType::kMariaAnnotateRows, "UPDATE t SET a=1", true));
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(maria.ParseAnnotateRows(*framed)->query, "UPDATE t SET a=1");

  BinlogEventParser mysql = MakeParser(Flavour::kMySql);
  std::string q(300, 'q');  // longer than the 1-byte length can say: the body decides
  framed = FrameKept(mysql, BuildEvent(EventType::kRowsQuery, Bytes().u8(255).raw(q), true));
  ASSERT_TRUE(framed.ok());
  auto rq = mysql.ParseRowsQuery(*framed);
  ASSERT_TRUE(rq.ok());
  EXPECT_EQ(rq->query, q);
}

TEST(BinlogEventParserTest, HeartbeatV1AndV2) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  HeaderFields h;
  h.next_pos = 98765;
  h.flags = kLogEventArtificialFlag;
  auto framed = FrameKept(parser, BuildEvent(EventType::kHeartbeat, "binlog.000042", true, h));
  ASSERT_TRUE(framed.ok());
  auto hb = parser.ParseHeartbeat(*framed);
  ASSERT_TRUE(hb.ok());
  EXPECT_EQ(hb->log_file, "binlog.000042");
  EXPECT_EQ(hb->position, 98765u);

  framed = FrameKept(parser, BuildEvent(EventType::kHeartbeatV2, HeartbeatV2Body(), true));
  ASSERT_TRUE(framed.ok());
  hb = parser.ParseHeartbeat(*framed);
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  EXPECT_EQ(hb->log_file, "binlog.000042");
  EXPECT_EQ(hb->position, 123456u);
}

// ---- TABLE_MAP_EVENT ----

TEST(BinlogEventParserTest, TableMapWithMySqlOptionalMetadata) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  auto framed = FrameKept(parser, BuildEvent(EventType::kTableMap, WideTableMapMySqlBody(), true));
  ASSERT_TRUE(framed.ok());
  auto tm = parser.ParseTableMap(*framed);
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();
  EXPECT_EQ(tm->table_id, kTableId);
  EXPECT_EQ(tm->flags, 1);
  EXPECT_EQ(tm->database, "shop");
  EXPECT_EQ(tm->table, "orders");
  EXPECT_EQ(tm->column_types, kWideTypes);
  EXPECT_EQ(tm->column_meta, kWideMeta);
  std::vector<bool> nullable(13, false);
  nullable[1] = nullable[6] = nullable[7] = true;
  EXPECT_EQ(tm->nullable, nullable);
  std::vector<bool> is_unsigned(13, false);
  is_unsigned[0] = true;
  EXPECT_EQ(tm->is_unsigned, is_unsigned);
  std::vector<uint32_t> charset(13, 0);
  charset[1] = 255;  // default
  charset[6] = 8;    // character column #1 overridden
  charset[8] = 63;   // character column #2 overridden
  charset[4] = 45;   // ENUM
  charset[5] = 46;   // SET
  EXPECT_EQ(tm->column_charset, charset);
  EXPECT_EQ(tm->column_names, kWideNames);
  ASSERT_EQ(tm->set_values.size(), 13u);
  EXPECT_EQ(tm->set_values[5], (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_TRUE(tm->set_values[4].empty());
  ASSERT_EQ(tm->enum_values.size(), 13u);
  EXPECT_EQ(tm->enum_values[4], (std::vector<std::string>{"a", "b"}));
  std::vector<uint32_t> geometry(13, 0);
  geometry[7] = 1;
  EXPECT_EQ(tm->geometry_types, geometry);
  EXPECT_EQ(tm->primary_key, std::vector<uint32_t>{0});
  EXPECT_EQ(tm->primary_key_prefix, std::vector<uint32_t>{0});
  std::vector<bool> visible(13, true);
  visible[12] = false;
  EXPECT_EQ(tm->visibility, visible);
}

TEST(BinlogEventParserTest, TableMapWithMariaDbOptionalMetadata) {
  BinlogEventParser parser = MakeParser(Flavour::kMariaDb);
  auto framed = FrameKept(parser, BuildEvent(EventType::kTableMap, WideTableMapMariaBody(), true));
  ASSERT_TRUE(framed.ok());
  auto tm = parser.ParseTableMap(*framed);
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();
  std::vector<uint32_t> charset(13, 0);
  charset[1] = 45;
  charset[6] = 8;
  charset[7] = 63;  // MariaDB gives GEOMETRY a charset
  charset[8] = 63;
  charset[4] = 45;  // ENUM: default
  charset[5] = 33;  // SET: enum/set column #1 overridden
  EXPECT_EQ(tm->column_charset, charset);
  EXPECT_EQ(tm->primary_key, (std::vector<uint32_t>{1, 0}));
  EXPECT_EQ(tm->primary_key_prefix, (std::vector<uint32_t>{10, 0}));
  EXPECT_TRUE(tm->is_unsigned.empty());
  EXPECT_TRUE(tm->column_names.empty());
  EXPECT_TRUE(tm->visibility.empty());

  // The same COLUMN_CHARSET list is one entry too long for MySQL (no charset for GEOMETRY).
  BinlogEventParser mysql = MakeParser(Flavour::kMySql);
  framed = FrameKept(mysql, BuildEvent(EventType::kTableMap, WideTableMapMariaBody(), true));
  ASSERT_TRUE(framed.ok());
  auto wrong = mysql.ParseTableMap(*framed);
  EXPECT_EQ(wrong.status().code(), StatusCode::kCorruption);
  EXPECT_NE(wrong.status().message().find("shop.orders"), std::string::npos);
}

// MariaDB gives YEAR (a TINYINT underneath) a SIGNEDNESS bit, MySQL does not: a FLOAT after a
// YEAR must not inherit the YEAR's unsigned bit.
TEST(BinlogEventParserTest, MariaDbSignednessCountsYear) {
  const std::string body = Bytes()
                               .u48(kTableId)
                               .u16(1)
                               .u8(4)
                               .raw("shop")
                               .u8(0)
                               .u8(1)
                               .raw("t")
                               .u8(0)
                               .lenenc(2)
                               .u8(13)  // YEAR
                               .u8(4)   // FLOAT
                               .lenenc(1)
                               .u8(4)  // FLOAT size
                               .u8(0x03)
                               .raw(Tlv(1, Bytes().u8(0x80)));  // first numeric bit: unsigned
  BinlogEventParser maria = MakeParser(Flavour::kMariaDb);
  auto framed = FrameKept(maria, BuildEvent(EventType::kTableMap, body, true));
  ASSERT_TRUE(framed.ok());
  auto tm = maria.ParseTableMap(*framed);
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();
  EXPECT_EQ(tm->is_unsigned, (std::vector<bool>{true, false}));

  BinlogEventParser mysql = MakeParser(Flavour::kMySql);
  framed = FrameKept(mysql, BuildEvent(EventType::kTableMap, body, true));
  ASSERT_TRUE(framed.ok());
  tm = mysql.ParseTableMap(*framed);
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();
  EXPECT_EQ(tm->is_unsigned, (std::vector<bool>{false, true}));
}

TEST(BinlogEventParserTest, TableMapRejectsBadMetadata) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  auto parse = [&](const std::string& body) {
    auto framed = FrameKept(parser, BuildEvent(EventType::kTableMap, body, true));
    EXPECT_TRUE(framed.ok());
    return parser.ParseTableMap(*framed).status();
  };
  Bytes prefix;
  prefix.u48(1).u16(0).u8(1).raw("d").u8(0).u8(1).raw("t").u8(0);
  // Unknown column type 243.
  Status s = parse(Bytes().raw(prefix).lenenc(1).u8(243).lenenc(0).u8(0));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("d.t"), std::string::npos);
  // A metadata block longer than the columns need.
  s = parse(Bytes().raw(prefix).lenenc(1).u8(3).lenenc(1).u8(9).u8(0));
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  // A primary key naming a column that does not exist.
  s = parse(Bytes().raw(prefix).lenenc(1).u8(3).lenenc(0).u8(0).raw(Tlv(8, Bytes().lenenc(4))));
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  // An optional field longer than the event.
  s = parse(Bytes().raw(prefix).lenenc(1).u8(3).lenenc(0).u8(0).u8(4).lenenc(50).raw("ab"));
  EXPECT_EQ(s.code(), StatusCode::kUnderflow);
}

// ---- rows events ----

TEST(BinlogEventParserTest, WriteRowsV2) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  auto framed =
      FrameKept(parser, BuildEvent(EventType::kWriteRowsV2, WriteRowsV2Body("ROWS"), true));
  ASSERT_TRUE(framed.ok());
  auto rows = parser.ParseRows(*framed, nullptr);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->kind, RowsKind::kWrite);
  EXPECT_EQ(rows->version, 2);
  EXPECT_EQ(rows->table_id, kTableId);
  EXPECT_TRUE(rows->statement_end());
  EXPECT_EQ(rows->column_count, 3u);
  EXPECT_TRUE(rows->columns_present_before.empty());
  EXPECT_EQ(rows->columns_present_after, std::vector<bool>(3, true));
  EXPECT_TRUE(rows->extra_data.empty());
  EXPECT_EQ(rows->rows, "ROWS");
  // `rows` views the event bytes: no copy.
  EXPECT_EQ(rows->rows.data(), framed->body.data() + framed->body.size() - 4);
}

TEST(BinlogEventParserTest, UpdateRowsV2WithExtraDataAndPartialUpdate) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  for (EventType type : {EventType::kUpdateRowsV2, EventType::kPartialUpdateRows}) {
    auto framed = FrameKept(parser, BuildEvent(type, UpdateRowsV2Body(), true));
    ASSERT_TRUE(framed.ok());
    auto rows = parser.ParseRows(*framed, nullptr);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->kind,
              type == EventType::kUpdateRowsV2 ? RowsKind::kUpdate : RowsKind::kPartialUpdate);
    EXPECT_FALSE(rows->statement_end());
    EXPECT_EQ(rows->extra_data, std::string_view("\x00\x04\x01\x02", 4));
    EXPECT_EQ(rows->column_count, 9u);
    EXPECT_EQ(rows->columns_present_before, std::vector<bool>(9, true));
    std::vector<bool> after(9, false);
    after[0] = after[1] = after[2] = after[3] = true;
    EXPECT_EQ(rows->columns_present_after, after);
    EXPECT_EQ(rows->rows, "BEFOREAFTER");
  }
}

TEST(BinlogEventParserTest, ParseRowsIntoReusesTheEvent) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  RowsEvent ev;
  auto update = FrameKept(parser, BuildEvent(EventType::kUpdateRowsV2, UpdateRowsV2Body(), true));
  ASSERT_TRUE(update.ok());
  ASSERT_TRUE(parser.ParseRowsInto(*update, nullptr, &ev).ok());
  EXPECT_EQ(ev.columns_present_before.size(), 9u);
  EXPECT_FALSE(ev.extra_data.empty());
  auto write = FrameKept(parser, BuildEvent(EventType::kWriteRowsV2, WriteRowsV2Body("W"), true));
  ASSERT_TRUE(write.ok());
  ASSERT_TRUE(parser.ParseRowsInto(*write, nullptr, &ev).ok());
  EXPECT_EQ(ev.kind, RowsKind::kWrite);
  EXPECT_TRUE(ev.columns_present_before.empty());  // nothing left over from the update
  EXPECT_TRUE(ev.extra_data.empty());
  EXPECT_EQ(ev.columns_present_after.size(), 3u);
  EXPECT_EQ(ev.rows, "W");
  // Not a rows event.
  auto xid = FrameKept(parser, BuildEvent(EventType::kXid, XidBody(), true));
  ASSERT_TRUE(xid.ok());
  EXPECT_EQ(parser.ParseRowsInto(*xid, nullptr, &ev).code(), StatusCode::kInvalidArgument);
}

TEST(BinlogEventParserTest, DeleteRowsV1) {
  BinlogEventParser parser = MakeParser(Flavour::kMariaDb);
  auto framed = FrameKept(parser, BuildEvent(EventType::kDeleteRowsV1, DeleteRowsV1Body(), true));
  ASSERT_TRUE(framed.ok());
  auto rows = parser.ParseRows(*framed, nullptr);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->kind, RowsKind::kDelete);
  EXPECT_EQ(rows->version, 1);
  EXPECT_EQ(rows->columns_present_before, std::vector<bool>(2, true));
  EXPECT_TRUE(rows->columns_present_after.empty());
  EXPECT_EQ(rows->rows, "OLDROW");
}

TEST(BinlogEventParserTest, RowsWithoutFdeUseUsualPostHeaders) {
  BinlogEventParser parser(ChecksumAlgorithm::kOff);
  auto framed = FrameKept(parser, BuildEvent(EventType::kWriteRowsV2, WriteRowsV2Body("R"), false));
  ASSERT_TRUE(framed.ok());
  auto rows = parser.ParseRows(*framed, nullptr);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->table_id, kTableId);
  EXPECT_EQ(rows->rows, "R");
}

TEST(BinlogEventParserTest, MariaCompressedRows) {
  BinlogEventParser parser = MakeParser(Flavour::kMariaDb);
  std::string images = std::string(500, 'a') + "row images";
  std::string buffer;
  auto framed = FrameKept(parser, BuildEvent(EventType::kMariaWriteRowsCompressedV1,
                                             CompressedWriteV1Body(images), true));
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(parser.ParseRows(*framed, nullptr).status().code(), StatusCode::kInvalidArgument);
  auto rows = parser.ParseRows(*framed, &buffer);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->kind, RowsKind::kWrite);
  EXPECT_EQ(rows->version, 1);
  EXPECT_EQ(rows->rows, images);
  EXPECT_EQ(rows->rows.data(), buffer.data());

  framed = FrameKept(
      parser, BuildEvent(EventType::kMariaUpdateRowsCompressed, CompressedUpdateBody("BA"), true));
  ASSERT_TRUE(framed.ok());
  rows = parser.ParseRows(*framed, &buffer);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->kind, RowsKind::kUpdate);
  EXPECT_EQ(rows->version, 2);
  EXPECT_EQ(rows->columns_present_before, std::vector<bool>(2, true));
  EXPECT_EQ(rows->columns_present_after, (std::vector<bool>{true, false}));
  EXPECT_EQ(rows->rows, "BA");

  // Over the configured limit.
  parser.set_max_decompressed_size(100);
  framed = FrameKept(parser, BuildEvent(EventType::kMariaWriteRowsCompressedV1,
                                        CompressedWriteV1Body(images), true));
  ASSERT_TRUE(framed.ok());
  EXPECT_FALSE(parser.ParseRows(*framed, &buffer).ok());
}

// ---- TRANSACTION_PAYLOAD_EVENT ----

TEST(BinlogEventParserTest, TransactionPayloadZstdAndInnerEvents) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  std::string inner = PayloadInnerEvents();
  auto framed = FrameKept(
      parser, BuildEvent(EventType::kTransactionPayload, TransactionPayloadBody(inner, 0), true));
  ASSERT_TRUE(framed.ok());
  auto payload = parser.ParseTransactionPayload(*framed, 1 << 20);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ(payload->compression_type, 0u);
  EXPECT_EQ(payload->uncompressed_size, inner.size());
  EXPECT_EQ(payload->payload, inner);

  PayloadEventIterator it(payload->payload);
  std::vector<uint8_t> types;
  while (true) {
    auto next = it.Next();
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    if (!next->has_value()) break;
    const FramedEvent& ev = **next;
    types.push_back(ev.header.type);
    if (ev.type() == EventType::kTableMap) {
      auto tm = parser.ParseTableMap(ev);
      ASSERT_TRUE(tm.ok()) << tm.status().ToString();
      EXPECT_EQ(tm->table, "items");
      EXPECT_EQ(tm->column_meta, (std::vector<uint16_t>{0, 20}));
    } else if (ev.type() == EventType::kWriteRowsV2) {
      auto rows = parser.ParseRows(ev, nullptr);
      ASSERT_TRUE(rows.ok());
      EXPECT_EQ(rows->rows, "ROW1ROW2");
    } else if (ev.type() == EventType::kQuery) {
      EXPECT_EQ(parser.ParseQuery(ev)->query, "BEGIN");
    } else if (ev.type() == EventType::kXid) {
      EXPECT_EQ(parser.ParseXid(ev)->xid, 0x0102030405060708ULL);
    }
  }
  EXPECT_EQ(types, (std::vector<uint8_t>{2, 19, 30, 16}));

  // The limit is enforced.
  EXPECT_FALSE(parser.ParseTransactionPayload(*framed, inner.size() - 1).ok());
}

// Regression (issue 9): a compressed transaction was inflated whole (up to 1 GiB) before its
// first event was read; the stream holds one event and a chunk of output at a time.
TEST(BinlogEventParserTest, TransactionPayloadStreamsInBoundedMemory) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  std::string inner = BuildEvent(EventType::kQuery, QueryBody("BEGIN"), false);
  const std::string row_event =
      BuildEvent(EventType::kWriteRowsV2, WriteRowsV2Body(std::string(2000, 'r')), false);
  for (int i = 0; i < 4000; ++i) inner += row_event;  // 8 MB of rows events
  inner += BuildEvent(EventType::kXid, XidBody(), false);
  for (uint64_t compression : {uint64_t{0}, uint64_t{255}}) {
    auto framed = FrameKept(parser, BuildEvent(EventType::kTransactionPayload,
                                               TransactionPayloadBody(inner, compression), true));
    ASSERT_TRUE(framed.ok());
    auto header = parser.ParseTransactionPayloadHeader(*framed);
    ASSERT_TRUE(header.ok()) << header.status().ToString();
    EXPECT_TRUE(header->payload.empty());
    PayloadEventStream stream(*header, size_t{1} << 30);
    size_t events = 0;
    size_t rows = 0;
    size_t most = 0;
    while (true) {
      auto next = stream.Next();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      if (!next->has_value()) break;
      ++events;
      if ((*next)->type() == EventType::kWriteRowsV2) {
        auto parsed = parser.ParseRows(**next, nullptr);
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(parsed->rows.size(), 2000u);
        ++rows;
      }
      most = std::max(most, stream.buffer_capacity());
    }
    EXPECT_EQ(events, 4002u);
    EXPECT_EQ(rows, 4000u);
    EXPECT_LE(most, 4 * PayloadEventStream::kChunkSize) << "compression " << compression;
  }
  // A payload cut short is an error, not a silent end.
  auto framed = FrameKept(
      parser, BuildEvent(EventType::kTransactionPayload, TransactionPayloadBody(inner, 255), true));
  auto header = parser.ParseTransactionPayloadHeader(*framed);
  ASSERT_TRUE(header.ok());
  header->compressed = header->compressed.substr(0, header->compressed.size() - 10);
  PayloadEventStream cut(*header, size_t{1} << 30);
  Status last;
  while (true) {
    auto next = cut.Next();
    if (!next.ok()) {
      last = next.status();
      break;
    }
    if (!next->has_value()) break;
  }
  EXPECT_FALSE(last.ok());
}

TEST(BinlogEventParserTest, XaPrepareEvent) {
  BinlogEventParser parser = MakeParser(Flavour::kMariaDb);
  std::string body = Bytes().u8(0).u32(1).u32(4).u32(2).raw("xa-a").raw("b1");
  auto framed = FrameKept(parser, BuildEvent(EventType::kXaPrepare, body, true));
  ASSERT_TRUE(framed.ok());
  auto xa = parser.ParseXaPrepare(*framed);
  ASSERT_TRUE(xa.ok()) << xa.status().ToString();
  EXPECT_FALSE(xa->one_phase);
  EXPECT_EQ(xa->gtrid, "xa-a");
  EXPECT_EQ(xa->bqual, "b1");
  EXPECT_EQ(xa->ToSql(), "X'78612D61',X'6231',1");
  for (size_t n = 0; n < body.size(); ++n) {
    FramedEvent cut = *framed;
    cut.body = std::string_view(body).substr(0, n);
    EXPECT_FALSE(parser.ParseXaPrepare(cut).ok()) << n;
  }
  std::string huge = Bytes().u8(1).u32(1).u32(65).u32(0).raw(std::string(65, 'x'));
  framed = FrameKept(parser, BuildEvent(EventType::kXaPrepare, huge, true));
  EXPECT_EQ(parser.ParseXaPrepare(*framed).status().code(), StatusCode::kCorruption);
}

TEST(BinlogEventParserTest, TransactionPayloadUncompressedAndBroken) {
  BinlogEventParser parser = MakeParser(Flavour::kMySql);
  std::string inner = PayloadInnerEvents();
  auto framed = FrameKept(
      parser, BuildEvent(EventType::kTransactionPayload, TransactionPayloadBody(inner, 255), true));
  ASSERT_TRUE(framed.ok());
  auto payload = parser.ParseTransactionPayload(*framed, 1 << 20);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ(payload->payload, inner);

  // Garbage instead of a zstd frame.
  std::string garbage(40, 'z');
  std::string body =
      Bytes().lenenc(2).lenenc(1).lenenc(0).lenenc(1).lenenc(1).lenenc(40).lenenc(0).raw(garbage);
  framed = FrameKept(parser, BuildEvent(EventType::kTransactionPayload, body, true));
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(parser.ParseTransactionPayload(*framed, 1 << 20).status().code(),
            StatusCode::kCorruption);

  // An unknown compression type.
  body = Bytes().lenenc(2).lenenc(1).lenenc(7).lenenc(0).raw("x");
  framed = FrameKept(parser, BuildEvent(EventType::kTransactionPayload, body, true));
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(parser.ParseTransactionPayload(*framed, 1 << 20).status().code(),
            StatusCode::kUnsupported);

  // Inner events cut short.
  PayloadEventIterator it(std::string_view(inner).substr(0, inner.size() - 3));
  Status last;
  for (int i = 0; i < 10; ++i) {
    auto next = it.Next();
    if (!next.ok()) {
      last = next.status();
      break;
    }
    ASSERT_TRUE(next->has_value());
  }
  EXPECT_EQ(last.code(), StatusCode::kUnderflow);
}

// ---- every fixture: truncation and corruption are rejected cleanly ----

struct Fixture {
  std::string name;
  Flavour flavour;
  EventType type;
  std::string body;
  // Body prefixes shorter than this must fail to parse; longer ones may legitimately parse
  // (free text at the end, optional trailing fields).
  size_t must_fail_below;
  std::function<Status(const BinlogEventParser&, const FramedEvent&)> parse;
};

std::vector<Fixture> AllFixtures() {
  auto st = [](auto result) { return result.status(); };
  auto rotate = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseRotate(e));
  };
  auto query = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseQuery(e));
  };
  auto xid = [st](const BinlogEventParser& p, const FramedEvent& e) { return st(p.ParseXid(e)); };
  auto gtid = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseMySqlGtid(e));
  };
  auto prev = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParsePreviousGtids(e));
  };
  auto mgtid = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseMariaGtid(e));
  };
  auto mlist = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseMariaGtidList(e));
  };
  auto annotate = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseAnnotateRows(e));
  };
  auto rows_query = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseRowsQuery(e));
  };
  auto heartbeat = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseHeartbeat(e));
  };
  auto table_map = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseTableMap(e));
  };
  auto rows = [st](const BinlogEventParser& p, const FramedEvent& e) {
    std::string buffer;
    return st(p.ParseRows(e, &buffer));
  };
  auto payload = [st](const BinlogEventParser& p, const FramedEvent& e) {
    return st(p.ParseTransactionPayload(e, 1 << 20));
  };
  const size_t table_map_fixed = WideTableMapFixedPart().size();
  std::string query_head = QueryBody("");
  std::string compressed_query = QueryCompressedBody(std::string(200, 's'));
  std::string payload_body = TransactionPayloadBody(PayloadInnerEvents(), 0);
  std::string compressed_rows = CompressedWriteV1Body(std::string(100, 'r'));
  std::string compressed_update = CompressedUpdateBody("BA");
  return {
      {"rotate", Flavour::kMySql, EventType::kRotate, RotateBody(), 9, rotate},
      {"query", Flavour::kMySql, EventType::kQuery, QueryBody("COMMIT"), query_head.size(), query},
      {"query_compressed", Flavour::kMariaDb, EventType::kMariaQueryCompressed, compressed_query,
       compressed_query.size(), query},
      {"xid", Flavour::kMySql, EventType::kXid, XidBody(), 8, xid},
      {"mysql_gtid", Flavour::kMySql, EventType::kGtid, MySqlGtidFullBody(), 25, gtid},
      {"previous_gtids", Flavour::kMySql, EventType::kPreviousGtids, PreviousGtidsBody(),
       PreviousGtidsBody().size(), prev},
      {"maria_gtid", Flavour::kMariaDb, EventType::kMariaGtid, MariaGtidBody(),
       MariaGtidBody().size(), mgtid},
      {"maria_gtid_list", Flavour::kMariaDb, EventType::kMariaGtidList, MariaGtidListBody(),
       MariaGtidListBody().size(), mlist},
      {"annotate_rows", Flavour::kMariaDb, EventType::kMariaAnnotateRows, "DELETE FROM t", 0,
       annotate},
      {"rows_query", Flavour::kMySql, EventType::kRowsQuery, Bytes().u8(3).raw("abc"), 1,
       rows_query},
      {"heartbeat", Flavour::kMariaDb, EventType::kHeartbeat, "mariadb-bin.000001", 0, heartbeat},
      {"heartbeat_v2", Flavour::kMySql, EventType::kHeartbeatV2, HeartbeatV2Body(),
       HeartbeatV2Body().size(), heartbeat},
      {"table_map_mysql", Flavour::kMySql, EventType::kTableMap, WideTableMapMySqlBody(),
       table_map_fixed, table_map},
      {"table_map_mariadb", Flavour::kMariaDb, EventType::kTableMap, WideTableMapMariaBody(),
       table_map_fixed, table_map},
      {"write_rows_v2", Flavour::kMySql, EventType::kWriteRowsV2, WriteRowsV2Body("ROWS"), 12,
       rows},
      {"update_rows_v2", Flavour::kMySql, EventType::kUpdateRowsV2, UpdateRowsV2Body(), 19, rows},
      {"partial_update_rows", Flavour::kMySql, EventType::kPartialUpdateRows, UpdateRowsV2Body(),
       19, rows},
      {"delete_rows_v1", Flavour::kMariaDb, EventType::kDeleteRowsV1, DeleteRowsV1Body(), 10, rows},
      {"write_rows_compressed_v1", Flavour::kMariaDb, EventType::kMariaWriteRowsCompressedV1,
       compressed_rows, compressed_rows.size(), rows},
      {"update_rows_compressed", Flavour::kMariaDb, EventType::kMariaUpdateRowsCompressed,
       compressed_update, compressed_update.size(), rows},
      {"transaction_payload", Flavour::kMySql, EventType::kTransactionPayload, payload_body,
       payload_body.size(), payload},
  };
}

TEST(BinlogEventParserFixtures, EveryFixtureParses) {
  for (const Fixture& f : AllFixtures()) {
    BinlogEventParser parser = MakeParser(f.flavour);
    auto framed = FrameKept(parser, BuildEvent(f.type, f.body, true));
    ASSERT_TRUE(framed.ok()) << f.name << ": " << framed.status().ToString();
    Status s = f.parse(parser, *framed);
    EXPECT_TRUE(s.ok()) << f.name << ": " << s.ToString();
  }
}

TEST(BinlogEventParserFixtures, EveryTruncatedEventIsRejected) {
  for (const Fixture& f : AllFixtures()) {
    BinlogEventParser parser = MakeParser(f.flavour);
    std::string ev = BuildEvent(f.type, f.body, true);
    for (size_t n = 0; n < ev.size(); ++n) {
      ExactCopy prefix(std::string_view(ev).substr(0, n));
      auto framed = parser.Frame(prefix.view());
      EXPECT_FALSE(framed.ok()) << f.name << " prefix " << n;
    }
  }
}

TEST(BinlogEventParserFixtures, EveryTruncatedBodyIsRejectedCleanly) {
  for (const Fixture& f : AllFixtures()) {
    BinlogEventParser parser = MakeParser(f.flavour);
    for (size_t n = 0; n < f.body.size(); ++n) {
      std::string ev = BuildEvent(f.type, f.body.substr(0, n), true);
      auto framed = parser.Frame(ev);
      ASSERT_TRUE(framed.ok()) << f.name << " body prefix " << n;
      ExactCopy body(framed->body);
      FramedEvent exact{framed->header, body.view()};
      Status s = f.parse(parser, exact);
      if (n < f.must_fail_below) {
        EXPECT_FALSE(s.ok()) << f.name << " body prefix " << n << " parsed";
        EXPECT_FALSE(s.message().empty()) << f.name;
      }
    }
  }
}

TEST(BinlogEventParserFixtures, EveryCorruptedByteFailsTheChecksum) {
  for (const Fixture& f : AllFixtures()) {
    BinlogEventParser parser = MakeParser(f.flavour);
    std::string ev = BuildEvent(f.type, f.body, true);
    for (size_t i = kEventHeaderSize; i < ev.size(); ++i) {
      std::string bad = ev;
      bad[i] ^= 0x20;
      EXPECT_EQ(parser.Frame(bad).status().code(), StatusCode::kCorruption)
          << f.name << " byte " << i;
    }
  }
}

TEST(BinlogEventParserFixtures, TruncatedFormatDescriptionBodies) {
  for (Flavour flavour : {Flavour::kMySql, Flavour::kMariaDb}) {
    std::string full =
        flavour == Flavour::kMySql
            ? fixtures::FdeBody("8.0.36", fixtures::MySql8PostHeaderLengths(),
                                ChecksumAlgorithm::kCrc32)
            : fixtures::FdeBody("10.11.6-MariaDB", fixtures::MariaDbPostHeaderLengths(),
                                ChecksumAlgorithm::kCrc32);
    for (size_t n = 0; n < full.size(); ++n) {
      BinlogEventParser parser;
      std::string ev = BuildEvent(EventType::kFormatDescription, full.substr(0, n), true);
      auto framed = parser.Frame(ev);
      if (n < 2 + 50 + 4 + 1 + 1) {
        EXPECT_FALSE(framed.ok()) << n;
        continue;
      }
      if (framed.ok()) {
        ExactCopy body(framed->body);
        (void)parser.ParseFormatDescription(FramedEvent{framed->header, body.view()});
      }
    }
  }
}

}  // namespace
}  // namespace vimur::mysql
