// BinlogClient against a real MariaDB server started by scripts/mariadb.
#include "source/mysql/binlog_client.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../support/mariadb_server.h"

namespace vimur::mysql {
namespace {

using testing::MariaDbServer;

constexpr uint8_t kQuery = 2;
constexpr uint8_t kRotate = 4;
constexpr uint8_t kFormatDescription = 15;
constexpr uint8_t kXid = 16;
constexpr uint8_t kTableMap = 19;
constexpr uint8_t kHeartbeat = 27;
constexpr uint8_t kMariaBinlogCheckpoint = 161;
constexpr uint8_t kMariaGtid = 162;
constexpr uint8_t kMariaGtidList = 163;

uint32_t Le32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}
uint64_t Le64(std::string_view b, size_t at) {
  return Le32(b, at) | (static_cast<uint64_t>(Le32(b, at + 4)) << 32);
}

struct Event {
  uint8_t type = 0;
  uint16_t flags = 0;
  std::string bytes;
};

bool IsRowsEvent(uint8_t type) { return (type >= 23 && type <= 25) || (type >= 30 && type <= 32); }

// Events that frame the stream rather than carry transactions.
bool IsFraming(uint8_t type) {
  return type == kRotate || type == kFormatDescription || type == kHeartbeat ||
         type == kMariaBinlogCheckpoint || type == kMariaGtidList;
}

class BinlogClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Room for events larger than one 16 MiB protocol packet.
    auto server = MariaDbServer::Start({"--max-allowed-packet=64M"});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value().release();
    ASSERT_TRUE(server_->Exec("CREATE DATABASE IF NOT EXISTS shop").ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static BinlogClient NewClient(uint32_t server_id, bool non_blocking = false) {
    auto conn = MySqlConnection::Connect(server_->VimurOptions());
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    BinlogClientOptions options;
    options.server_id = server_id;
    options.heartbeat_period_ms = 1000;
    options.non_blocking = non_blocking;
    return BinlogClient(std::move(conn).value(), options);
  }

  // Reads events until `stop` returns true for one of them (inclusive) or 20 s pass.
  template <typename Stop>
  static std::vector<Event> ReadUntil(BinlogClient& client, Stop stop) {
    std::vector<Event> events;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto event = client.NextEvent();
      if (!event.ok()) {
        ADD_FAILURE() << event.status().ToString();
        break;
      }
      Event e{static_cast<uint8_t>((*event)[4]),
              static_cast<uint16_t>(static_cast<uint8_t>((*event)[17]) |
                                    (static_cast<uint8_t>((*event)[18]) << 8)),
              std::string(*event)};
      events.push_back(e);
      if (stop(e)) return events;
    }
    ADD_FAILURE() << "stop condition not reached; read " << events.size() << " events";
    return events;
  }

  // Reads a non-blocking stream to its EOF.
  static std::vector<Event> ReadToEof(BinlogClient& client) {
    std::vector<Event> events;
    for (int i = 0; i < 100000; ++i) {
      auto event = client.NextEvent();
      if (!event.ok()) {
        EXPECT_EQ(event.status().code(), StatusCode::kUnavailable) << event.status().ToString();
        EXPECT_NE(event.status().message().find("EOF"), std::string::npos)
            << event.status().ToString();
        return events;
      }
      events.push_back({static_cast<uint8_t>((*event)[4]), 0, std::string(*event)});
    }
    ADD_FAILURE() << "no EOF";
    return events;
  }

  static std::vector<uint8_t> TransactionTypes(const std::vector<Event>& events) {
    std::vector<uint8_t> types;
    for (const auto& e : events) {
      if (!IsFraming(e.type)) types.push_back(e.type);
    }
    return types;
  }

  static bool Contains(const std::vector<Event>& events, const std::string& needle) {
    for (const auto& e : events) {
      if (e.bytes.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  static std::string GtidPos() {
    auto pos = server_->QueryValue("SELECT @@GLOBAL.gtid_binlog_pos");
    EXPECT_TRUE(pos.ok()) << pos.status().ToString();
    return pos.ok() ? *pos : "";
  }

  static inline MariaDbServer* server_ = nullptr;
};

TEST_F(BinlogClientTest, ConnectsAndReadsServerCoordinates) {
  auto conn = MySqlConnection::Connect(server_->VimurOptions());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_TRUE(conn->is_mariadb());
  EXPECT_GE(conn->server_version_number(), 100500u) << conn->server_version();
  EXPECT_EQ(conn->endpoint(), "127.0.0.1:" + std::to_string(server_->port()));

  BinlogClient client(std::move(conn).value(), BinlogClientOptions{.server_id = 5400});
  auto status = client.CurrentPosition();
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->file.rfind("mysql-bin.", 0), 0u) << status->file;
  EXPECT_GE(status->pos, 4u);
  EXPECT_EQ(status->gtid_set, GtidPos());
  EXPECT_FALSE(status->gtid_set.empty());

  auto checksum = client.BinlogChecksum();
  ASSERT_TRUE(checksum.ok()) << checksum.status().ToString();
  EXPECT_EQ(*checksum, "CRC32");

  auto logs = client.AvailableBinlogs();
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  ASSERT_FALSE(logs->empty());
  EXPECT_EQ(logs->back(), status->file);
}

TEST_F(BinlogClientTest, StreamsDdlAndTransactionEventsInOrder) {
  BinlogClient client = NewClient(5401);
  ASSERT_TRUE(client.Start(StartPosition::CurrentEnd()).ok());
  EXPECT_EQ(client.start_position().kind, StartPosition::Kind::kFilePos);

  ASSERT_TRUE(server_
                  ->Exec("CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(64)) "
                         "ENGINE=InnoDB")
                  .ok());
  ASSERT_TRUE(server_->Exec("BEGIN").ok());
  ASSERT_TRUE(server_->Exec("INSERT INTO shop.orders VALUES (1, 'hello-vimur')").ok());
  ASSERT_TRUE(server_->Exec("UPDATE shop.orders SET note = 'updated-vimur' WHERE id = 1").ok());
  ASSERT_TRUE(server_->Exec("DELETE FROM shop.orders WHERE id = 1").ok());
  ASSERT_TRUE(server_->Exec("COMMIT").ok());

  std::vector<Event> events = ReadUntil(client, [](const Event& e) { return e.type == kXid; });
  ASSERT_GE(events.size(), 2u);
  // The stream opens with a fake ROTATE naming the file, then the format description.
  EXPECT_EQ(events[0].type, kRotate);
  EXPECT_EQ(events[1].type, kFormatDescription);

  std::vector<uint8_t> types = TransactionTypes(events);
  ASSERT_EQ(types.size(), 10u) << "got " << events.size() << " events";
  EXPECT_EQ(types[0], kMariaGtid);  // CREATE TABLE: standalone GTID + QUERY
  EXPECT_EQ(types[1], kQuery);
  EXPECT_EQ(types[2], kMariaGtid);  // BEGIN of the transaction
  EXPECT_EQ(types[3], kTableMap);
  EXPECT_TRUE(types[4] == 23 || types[4] == 30) << int{types[4]};  // WRITE_ROWS v1/v2
  EXPECT_EQ(types[5], kTableMap);
  EXPECT_TRUE(types[6] == 24 || types[6] == 31) << int{types[6]};  // UPDATE_ROWS
  EXPECT_EQ(types[7], kTableMap);
  EXPECT_TRUE(types[8] == 25 || types[8] == 32) << int{types[8]};  // DELETE_ROWS
  EXPECT_EQ(types[9], kXid);

  // Whole events: header size field matches, and the CRC32 trailer checks out.
  for (const Event& e : events) {
    ASSERT_GE(e.bytes.size(), 23u);
    EXPECT_EQ(Le32(e.bytes, 9), e.bytes.size());
    uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(e.bytes.data()),
                      static_cast<uInt>(e.bytes.size() - 4));
    EXPECT_EQ(static_cast<uint32_t>(crc), Le32(e.bytes, e.bytes.size() - 4))
        << "event type " << int{e.type};
  }
  // The row images carry the values.
  bool write_has_value = false;
  for (const Event& e : events) {
    if (IsRowsEvent(e.type) && e.bytes.find("hello-vimur") != std::string::npos) {
      write_has_value = true;
    }
  }
  EXPECT_TRUE(write_has_value);
  EXPECT_TRUE(Contains(events, "updated-vimur"));
  EXPECT_TRUE(Contains(events, "CREATE TABLE shop.orders"));
}

TEST_F(BinlogClientTest, ResumeFromGtidReadsOnlyLaterTransactions) {
  ASSERT_TRUE(server_
                  ->Exec("CREATE TABLE IF NOT EXISTS shop.resume (id INT PRIMARY KEY, "
                         "v VARCHAR(32))")
                  .ok());
  ASSERT_TRUE(server_->Exec("INSERT INTO shop.resume VALUES (1, 'before-mark')").ok());
  const std::string mark = GtidPos();
  ASSERT_FALSE(mark.empty());
  ASSERT_TRUE(server_->Exec("INSERT INTO shop.resume VALUES (2, 'after-mark-1')").ok());
  ASSERT_TRUE(server_->Exec("INSERT INTO shop.resume VALUES (3, 'after-mark-2')").ok());

  BinlogClient client = NewClient(5402, /*non_blocking=*/true);
  Status started = client.Start(StartPosition::Gtid(mark));
  ASSERT_TRUE(started.ok()) << started.ToString();
  std::vector<Event> events = ReadToEof(client);

  EXPECT_FALSE(Contains(events, "before-mark"));
  EXPECT_TRUE(Contains(events, "after-mark-1"));
  EXPECT_TRUE(Contains(events, "after-mark-2"));
  // The first GTID event is the one right after the mark (same domain and server).
  uint64_t mark_seq = std::stoull(mark.substr(mark.rfind('-') + 1));
  std::vector<uint64_t> seqs;
  for (const Event& e : events) {
    if (e.type == kMariaGtid) seqs.push_back(Le64(e.bytes, 19));
  }
  ASSERT_EQ(seqs.size(), 2u);
  EXPECT_EQ(seqs[0], mark_seq + 1);
  EXPECT_EQ(seqs[1], mark_seq + 2);
  // Reading after EOF keeps failing cleanly.
  auto again = client.NextEvent();
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().retriable());
}

TEST_F(BinlogClientTest, ResumeFromFilePosReadsOnlyLaterTransactions) {
  ASSERT_TRUE(server_
                  ->Exec("CREATE TABLE IF NOT EXISTS shop.filepos (id INT PRIMARY KEY, "
                         "v VARCHAR(32))")
                  .ok());
  ASSERT_TRUE(server_->Exec("INSERT INTO shop.filepos VALUES (1, 'fp-before')").ok());
  auto coords = server_->Query("SHOW MASTER STATUS");
  ASSERT_TRUE(coords.ok()) << coords.status().ToString();
  ASSERT_EQ(coords->size(), 1u);
  const std::string file = *(*coords)[0][0];
  const uint64_t pos = std::stoull(*(*coords)[0][1]);
  ASSERT_TRUE(server_->Exec("INSERT INTO shop.filepos VALUES (2, 'fp-after')").ok());

  BinlogClient client = NewClient(5403, /*non_blocking=*/true);
  Status started = client.Start(StartPosition::FilePos(file, pos));
  ASSERT_TRUE(started.ok()) << started.ToString();
  std::vector<Event> events = ReadToEof(client);
  EXPECT_FALSE(Contains(events, "fp-before"));
  EXPECT_TRUE(Contains(events, "fp-after"));
  // The first real event starts exactly at `pos`: its next_pos is pos + size.
  for (const Event& e : events) {
    if (IsFraming(e.type)) continue;
    EXPECT_EQ(e.type, kMariaGtid);
    EXPECT_EQ(Le32(e.bytes, 13), pos + e.bytes.size());
    break;
  }
}

TEST_F(BinlogClientTest, UnknownOrPurgedPositionsFailWithFailedPrecondition) {
  {
    BinlogClient client = NewClient(5404);
    Status s = client.Start(StartPosition::FilePos("mysql-bin.999999", 4));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.message().find("mysql-bin.999999:4"), std::string::npos) << s.ToString();
  }
  {
    // A GTID the server never wrote (strict mode): error 1236 from the server.
    BinlogClient client = NewClient(5405);
    Status s = client.Start(StartPosition::Gtid("0-1-99999999"));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.message().find("0-1-99999999"), std::string::npos) << s.ToString();
    EXPECT_EQ(client.last_error_number(), 1236u);
  }
  {
    // Past the end of an existing file.
    auto coords = server_->Query("SHOW MASTER STATUS");
    ASSERT_TRUE(coords.ok());
    const std::string file = *(*coords)[0][0];
    const uint64_t pos = std::stoull(*(*coords)[0][1]) + 100000;
    BinlogClient client = NewClient(5406);
    Status s = client.Start(StartPosition::FilePos(file, pos));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.message().find(file + ":" + std::to_string(pos)), std::string::npos)
        << s.ToString();
  }
  {
    // A GTID whose binlog was purged.
    const std::string old_gtid = "0-1-1";
    ASSERT_TRUE(server_->Exec("FLUSH BINARY LOGS").ok());
    auto file = server_->Query("SHOW MASTER STATUS");
    ASSERT_TRUE(file.ok());
    // Dump threads of earlier tests may still hold the old file open, which blocks PURGE.
    auto dumps = server_->Query(
        "SELECT id FROM information_schema.processlist WHERE command = 'Binlog Dump'");
    ASSERT_TRUE(dumps.ok());
    for (const auto& row : *dumps) (void)server_->Exec("KILL " + *row[0]);
    BinlogClient client = NewClient(5407);
    std::vector<std::string> logs;
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(server_->Exec("PURGE BINARY LOGS TO '" + *(*file)[0][0] + "'").ok());
      auto available = client.AvailableBinlogs();
      ASSERT_TRUE(available.ok());
      logs = *available;
      if (logs.size() == 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(logs.size(), 1u);
    Status s = client.Start(StartPosition::Gtid(old_gtid));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.message().find(old_gtid), std::string::npos) << s.ToString();
    EXPECT_EQ(client.last_error_number(), 1236u);
  }
}

TEST_F(BinlogClientTest, IdleStreamDeliversHeartbeats) {
  BinlogClient client = NewClient(5410);
  ASSERT_TRUE(client.Start(StartPosition::CurrentEnd()).ok());
  auto begin = std::chrono::steady_clock::now();
  std::vector<Event> events =
      ReadUntil(client, [](const Event& e) { return e.type == kHeartbeat; });
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, kHeartbeat);
  // Asked for one per second; allow generous slack on a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(10));
  // A heartbeat names the binlog file it stands in.
  const auto& coords = client.start_position();
  EXPECT_NE(events.back().bytes.find(coords.file), std::string::npos);
}

TEST_F(BinlogClientTest, EventsLargerThanOnePacketArriveWhole) {
  ASSERT_TRUE(server_
                  ->Exec("CREATE TABLE IF NOT EXISTS shop.big (id INT PRIMARY KEY, "
                         "payload LONGBLOB)")
                  .ok());
  BinlogClient client = NewClient(5411);
  ASSERT_TRUE(client.Start(StartPosition::CurrentEnd()).ok());
  constexpr size_t kSize = 20 * 1024 * 1024;  // > 16 MiB - 1, the largest single packet
  ASSERT_TRUE(
      server_->Exec("INSERT INTO shop.big VALUES (1, REPEAT('z', " + std::to_string(kSize) + "))")
          .ok());
  std::vector<Event> events = ReadUntil(client, [](const Event& e) { return e.type == kXid; });
  const Event* rows = nullptr;
  for (const Event& e : events) {
    if (IsRowsEvent(e.type)) rows = &e;
  }
  ASSERT_NE(rows, nullptr);
  EXPECT_GT(rows->bytes.size(), kSize);
  EXPECT_EQ(Le32(rows->bytes, 9), rows->bytes.size());
  EXPECT_NE(rows->bytes.find(std::string(1000, 'z')), std::string::npos);
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(rows->bytes.data()),
                    static_cast<uInt>(rows->bytes.size() - 4));
  EXPECT_EQ(static_cast<uint32_t>(crc), Le32(rows->bytes, rows->bytes.size() - 4));
}

TEST_F(BinlogClientTest, InterruptUnblocksAWaitingRead) {
  BinlogClient client = NewClient(5408);
  ASSERT_TRUE(client.Start(StartPosition::CurrentEnd()).ok());
  // Drain the fake rotate and format description.
  ReadUntil(client, [](const Event& e) { return e.type == kFormatDescription; });
  std::atomic<bool> done{false};
  Status result;
  std::thread reader([&] {
    while (true) {
      auto event = client.NextEvent();
      if (!event.ok()) {
        result = event.status();
        break;
      }
    }
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done.load());
  client.Interrupt();
  reader.join();
  EXPECT_TRUE(done.load());
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.retriable()) << result.ToString();
}

TEST_F(BinlogClientTest, RejectsZeroServerIdAndDoubleStart) {
  BinlogClient zero = NewClient(0);
  Status s = zero.Start(StartPosition::CurrentEnd());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();

  BinlogClient client = NewClient(5409);
  auto before = client.NextEvent();
  EXPECT_EQ(before.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(client.Start(StartPosition::CurrentEnd()).ok());
  EXPECT_EQ(client.Start(StartPosition::CurrentEnd()).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.CurrentPosition().status().code(), StatusCode::kFailedPrecondition);
}

// Crash of the server under a live stream: its own server, as it is killed.
TEST(BinlogClientCrash, ServerKillIsRetriableAndResumeAfterRestartWorks) {
  auto started = MariaDbServer::Start();
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<MariaDbServer> server = std::move(started).value();
  ASSERT_TRUE(server->Exec("CREATE DATABASE crash").ok());
  ASSERT_TRUE(server->Exec("CREATE TABLE crash.t (id INT PRIMARY KEY, v VARCHAR(32))").ok());
  auto mark = server->QueryValue("SELECT @@GLOBAL.gtid_binlog_pos");
  ASSERT_TRUE(mark.ok());

  auto conn = MySqlConnection::Connect(server->VimurOptions());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  BinlogClient client(std::move(conn).value(),
                      BinlogClientOptions{.server_id = 5500, .heartbeat_period_ms = 1000});
  ASSERT_TRUE(client.Start(StartPosition::Gtid(*mark)).ok());
  for (int i = 0; i < 3; ++i) {  // rotate, format description, gtid list
    ASSERT_TRUE(client.NextEvent().ok());
  }
  ASSERT_TRUE(server->Kill().ok());
  Status failure;
  for (int i = 0; i < 10; ++i) {  // a heartbeat may still be buffered
    auto event = client.NextEvent();
    if (!event.ok()) {
      failure = event.status();
      break;
    }
  }
  ASSERT_FALSE(failure.ok());
  EXPECT_TRUE(failure.retriable()) << failure.ToString();
  EXPECT_NE(failure.message().find("127.0.0.1:" + std::to_string(server->port())),
            std::string::npos)
      << failure.ToString();

  // Reconnecting while down is retriable too.
  auto down = MySqlConnection::Connect(server->VimurOptions());
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(down.status().retriable()) << down.status().ToString();

  ASSERT_TRUE(server->Restart().ok());
  ASSERT_TRUE(server->Exec("INSERT INTO crash.t VALUES (1, 'after-restart')").ok());
  auto again = MySqlConnection::Connect(server->VimurOptions());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  BinlogClient resumed(std::move(again).value(),
                       BinlogClientOptions{.server_id = 5500, .non_blocking = true});
  ASSERT_TRUE(resumed.Start(StartPosition::Gtid(*mark)).ok());
  bool found = false;
  while (true) {
    auto event = resumed.NextEvent();
    if (!event.ok()) break;
    if (event->find("after-restart") != std::string_view::npos) found = true;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace vimur::mysql
