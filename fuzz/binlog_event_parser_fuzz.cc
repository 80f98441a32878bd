// libFuzzer target: frames arbitrary bytes as a binlog event and runs every BinlogEventParser
// parse function on them, with MySQL and MariaDB format descriptions and with the fuzzer's own.
// Regression inputs live in tests/unit/source/mysql/ (BinlogEventParserFuzzRegression).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "source/mysql/binlog_event_parser.h"
#include "source/mysql/gtid_set.h"

namespace {

using vimur::mysql::BinlogEventParser;
using vimur::mysql::ChecksumAlgorithm;
using vimur::mysql::EventType;
using vimur::mysql::FramedEvent;
using vimur::mysql::PayloadEventIterator;

constexpr size_t kLimit = size_t{1} << 20;

void PutLE(std::string* s, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}

// A CRC32-enabled FDE of `version` with the usual post-header lengths.
BinlogEventParser ParserFor(const char* version, bool mariadb) {
  std::string body;
  PutLE(&body, 4, 2);
  std::string v(version);
  v.resize(50, '\0');
  body += v;
  PutLE(&body, 0, 4);
  body.push_back(19);
  const uint8_t mysql[] = {56, 13, 0, 8, 0, 0, 0, 0, 4,  0,  4,  0,  0,  0, 98, 0,  4, 26, 8,  0, 0,
                           0,  8,  8, 8, 2, 0, 0, 0, 10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0};
  std::string post(reinterpret_cast<const char*>(mysql), sizeof(mysql));
  if (mariadb) {
    post.resize(171, '\0');
    post[160] = 4;
    post[161] = 19;
    post[162] = 4;
    post[164] = 13;
    for (int t = 166; t <= 171; ++t) post[t - 1] = t <= 168 ? 8 : 10;
  }
  body += post;
  body.push_back(1);  // CRC32
  std::string ev;
  PutLE(&ev, 0, 4);
  ev.push_back(15);
  PutLE(&ev, 1, 4);
  PutLE(&ev, 19 + body.size() + 4, 4);
  PutLE(&ev, 0, 4);
  PutLE(&ev, 0, 2);
  ev += body;
  PutLE(&ev, crc32(0, reinterpret_cast<const Bytef*>(ev.data()), ev.size()), 4);
  BinlogEventParser parser;
  auto framed = parser.Frame(ev);
  if (framed.ok()) {
    auto fde = parser.ParseFormatDescription(*framed);
    if (fde.ok()) parser.Apply(*fde);
  }
  parser.set_max_decompressed_size(kLimit);
  return parser;
}

void ParseAs(const BinlogEventParser& parser, FramedEvent ev, uint8_t type) {
  ev.header.type = type;
  std::string buffer;
  switch (static_cast<EventType>(type)) {
    case EventType::kFormatDescription: (void)parser.ParseFormatDescription(ev); break;
    case EventType::kRotate: (void)parser.ParseRotate(ev); break;
    case EventType::kQuery:
    case EventType::kMariaQueryCompressed: (void)parser.ParseQuery(ev); break;
    case EventType::kXid: (void)parser.ParseXid(ev); break;
    case EventType::kXaPrepare: (void)parser.ParseXaPrepare(ev); break;
    case EventType::kGtidTaggedLog: (void)parser.ParseMySqlGtidTagged(ev); break;
    case EventType::kGtid:
    case EventType::kAnonymousGtid: (void)parser.ParseMySqlGtid(ev); break;
    case EventType::kMariaGtid: (void)parser.ParseMariaGtid(ev); break;
    case EventType::kPreviousGtids: (void)parser.ParsePreviousGtids(ev); break;
    case EventType::kMariaGtidList: (void)parser.ParseMariaGtidList(ev); break;
    case EventType::kMariaAnnotateRows: (void)parser.ParseAnnotateRows(ev); break;
    case EventType::kRowsQuery: (void)parser.ParseRowsQuery(ev); break;
    case EventType::kHeartbeat:
    case EventType::kHeartbeatV2: (void)parser.ParseHeartbeat(ev); break;
    case EventType::kTableMap: (void)parser.ParseTableMap(ev); break;
    case EventType::kTransactionPayload: {
      auto payload = parser.ParseTransactionPayload(ev, kLimit);
      if (!payload.ok()) break;
      PayloadEventIterator it(payload->payload);
      for (int i = 0; i < 64; ++i) {
        auto inner = it.Next();
        if (!inner.ok() || !inner->has_value()) break;
        ParseAs(parser, **inner, (*inner)->header.type);
      }
      // The streaming form the source uses must read the same events.
      auto header = parser.ParseTransactionPayloadHeader(ev);
      if (!header.ok()) break;
      vimur::mysql::PayloadEventStream stream(*header, kLimit);
      for (int i = 0; i < 64; ++i) {
        auto inner = stream.Next();
        if (!inner.ok() || !inner->has_value()) break;
        ParseAs(parser, **inner, (*inner)->header.type);
      }
      break;
    }
    default:
      if (BinlogEventParser::IsRowsEvent(type)) (void)parser.ParseRows(ev, &buffer);
      break;
  }
}

const uint8_t kAllTypes[] = {2,   4,   15,  16,  19,  23,  24,  25,  27, 29, 30,
                             31,  32,  33,  34,  35,  38,  39,  40,  41, 42, 160,
                             162, 163, 165, 166, 167, 168, 169, 170, 171};

void RunAll(const BinlogEventParser& parser, const FramedEvent& ev) {
  for (uint8_t type : kAllTypes) ParseAs(parser, ev, type);
  if (ev.type() == EventType::kFormatDescription) {
    // Let the fuzzer drive the post-header lengths and flavour too.
    auto fde = parser.ParseFormatDescription(ev);
    if (fde.ok()) {
      BinlogEventParser own = parser;
      own.Apply(*fde);
      for (uint8_t type : kAllTypes) ParseAs(own, ev, type);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const BinlogEventParser kMySql = ParserFor("8.0.36", false);
  static const BinlogEventParser kMaria = ParserFor("10.11.6-MariaDB-log", true);
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const BinlogEventParser& base = (mode & 1) ? kMaria : kMySql;

  // 1. The bytes exactly as given, with every checksum state.
  for (ChecksumAlgorithm alg :
       {ChecksumAlgorithm::kUndefined, ChecksumAlgorithm::kOff, ChecksumAlgorithm::kCrc32}) {
    BinlogEventParser parser = base;
    parser.set_checksum(alg);
    auto framed = parser.Frame(input);
    if (framed.ok()) RunAll(parser, *framed);
  }

  // 2. With event_size and the CRC32 repaired, so the parsers see the body whatever it holds.
  if (input.size() >= 19) {
    std::string fixed(input);
    const bool crc = (mode & 2) != 0;
    if (crc) fixed.append(4, '\0');
    uint32_t total = static_cast<uint32_t>(fixed.size());
    for (int i = 0; i < 4; ++i) fixed[9 + i] = static_cast<char>(total >> (8 * i));
    if (crc) {
      uint32_t c = static_cast<uint32_t>(
          crc32(0, reinterpret_cast<const Bytef*>(fixed.data()), fixed.size() - 4));
      for (int i = 0; i < 4; ++i) fixed[fixed.size() - 4 + i] = static_cast<char>(c >> (8 * i));
    }
    BinlogEventParser parser = base;
    parser.set_checksum(crc ? ChecksumAlgorithm::kCrc32 : ChecksumAlgorithm::kOff);
    auto framed = parser.Frame(fixed);
    if (framed.ok()) RunAll(parser, *framed);
  }

  // 3. The GTID set decoders on the raw bytes.
  (void)vimur::mysql::MySqlGtidSet::DecodeBinary(input);
  (void)vimur::mysql::MySqlGtidSet::Parse(input);
  (void)vimur::mysql::MariaGtidState::Parse(input);
  return 0;
}
