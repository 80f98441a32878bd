// BinlogClient: reads a MySQL/MariaDB server's binlog as a replica does (COM_REGISTER_SLAVE,
// COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID) and hands out the raw bytes of each event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "source/mysql/mysql_connection.h"

namespace vimur::mysql {

// Where a stream starts.
struct StartPosition {
  enum class Kind {
    kCurrentEnd,  // the server's current end of binlog (SHOW MASTER STATUS / gtid position)
    kFilePos,     // `file` at byte offset `pos`
    kGtid,        // after the transactions in `gtid_set`
  };
  Kind kind = Kind::kCurrentEnd;
  std::string file;
  uint64_t pos = 4;  // 4 = the first event after the binlog magic
  // MariaDB: "0-1-100,1-2-7"; MySQL: "uuid:1-10:12,...".
  std::string gtid_set;
  // MySQL only: the SID block of COM_BINLOG_DUMP_GTID for `gtid_set`, as produced by
  // MySqlGtidSet::EncodeForDump(). When empty, Start() encodes `gtid_set` itself.
  std::string mysql_gtid_encoded;

  static StartPosition CurrentEnd() { return {}; }
  static StartPosition FilePos(std::string file, uint64_t pos);
  static StartPosition Gtid(std::string gtid_set, std::string mysql_gtid_encoded = "");
  // "current end", "mysql-bin.000003:1234", "gtid 0-1-100".
  std::string Describe() const;
};

// The server's binlog coordinates now.
struct ServerBinlogStatus {
  std::string file;
  uint64_t pos = 0;
  std::string gtid_set;  // MariaDB @@gtid_binlog_pos, MySQL @@gtid_executed ("" when off)
};

struct BinlogClientOptions {
  // This replica's id; must differ from the server's and every other replica's.
  uint32_t server_id = 0;
  // Heartbeat period asked of the server; 0 disables heartbeats. Heartbeat events (type 27,
  // MySQL 8.0.26+ also 41) are returned by NextEvent like any other event.
  uint32_t heartbeat_period_ms = 5000;
  // End the stream with an EOF (NextEvent: Unavailable) at the end of the binlog instead of
  // waiting for new events.
  bool non_blocking = false;
  // MariaDB: also send ANNOTATE_ROWS events (the SQL text of row events).
  bool send_annotate_rows = false;
  // Host name reported in COM_REGISTER_SLAVE (shown by SHOW SLAVE HOSTS).
  std::string report_host = "vimur";
};

// One replica stream over a connection it owns. Use CurrentPosition(), BinlogChecksum() and
// AvailableBinlogs() before Start(); after Start() the connection only carries the stream.
// Not thread-safe, except Interrupt().
class BinlogClient {
 public:
  BinlogClient(MySqlConnection connection, BinlogClientOptions options);

  BinlogClient(BinlogClient&&) noexcept = default;
  BinlogClient& operator=(BinlogClient&&) noexcept = default;

  Result<ServerBinlogStatus> CurrentPosition();
  // @@global.binlog_checksum: "CRC32" or "NONE".
  Result<std::string> BinlogChecksum();
  // SHOW BINARY LOGS, oldest first.
  Result<std::vector<std::string>> AvailableBinlogs();

  // Prepares the session, registers as a replica and requests the dump. Reads the first
  // packet before returning, so an unknown or purged start position is reported here as
  // kFailedPrecondition naming the position.
  Status Start(const StartPosition& start);

  // The next event: header + body + checksum (when the server sends checksums), without the
  // packet's 0x00 marker. The view is valid until the next call. Errors: kUnavailable at EOF
  // (non-blocking mode) or on a lost connection (retriable: reconnect and resume from the
  // last committed position); kFailedPrecondition for error 1236 (position gone);
  // other server errors carry "[errno]" in the message.
  Result<std::string_view> NextEvent();

  // Unblocks a NextEvent() waiting in another thread; that call then fails.
  void Interrupt() { connection_.Interrupt(); }

  // The server error number of the last failure (0 when none or not from the server).
  unsigned int last_error_number() const { return last_error_number_; }
  bool started() const { return started_; }
  const StartPosition& start_position() const { return start_; }
  MySqlConnection& connection() { return connection_; }

 private:
  Status PrepareSession(const StartPosition& start);
  Status RegisterReplica();
  Status SendDump(const StartPosition& start);
  // Reads one packet into the connection's buffer; returns its bytes.
  Result<std::string_view> ReadPacket();
  Status PacketError(std::string_view what);
  Result<std::string_view> ToEvent(std::string_view packet);

  MySqlConnection connection_;
  BinlogClientOptions options_;
  StartPosition start_;
  bool started_ = false;
  bool failed_ = false;
  bool has_pending_ = false;
  std::string pending_;  // first packet read by Start(), returned by the first NextEvent()
  unsigned int last_error_number_ = 0;
};

// The same queries as BinlogClient's, on any connection.
Result<ServerBinlogStatus> QueryBinlogStatus(MySqlConnection& connection);
Result<std::string> QueryBinlogChecksum(MySqlConnection& connection);
Result<std::vector<std::string>> QueryAvailableBinlogs(MySqlConnection& connection);

}  // namespace vimur::mysql
