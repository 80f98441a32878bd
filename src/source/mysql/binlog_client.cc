// Replication protocol, as the MySQL Client/Server Protocol documentation
// ("Replication Protocol": COM_REGISTER_SLAVE, COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID,
// "Binlog Network Stream") and MariaDB's KB ("COM_BINLOG_DUMP", "MariaDB GTID") describe it.
#include "source/mysql/binlog_client.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <utility>

#include "core/logging.h"
#include "source/mysql/connector_wire.h"
#include "source/mysql/gtid_set.h"

namespace vimur::mysql {
namespace {

constexpr uint8_t kComBinlogDumpGtid = 30;  // MySQL; not in Connector/C's enum
constexpr uint16_t kBinlogDumpNonBlock = 0x01;
constexpr uint16_t kBinlogSendAnnotateRows = 0x02;  // MariaDB
constexpr uint16_t kBinlogThroughGtid = 0x04;       // MySQL COM_BINLOG_DUMP_GTID
constexpr uint32_t kMariaSlaveCapabilityGtid = 4;   // MARIA_SLAVE_CAPABILITY_GTID
constexpr size_t kEventHeaderLength = 19;

void PutLe(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint32_t GetLe32(std::string_view bytes, size_t offset) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return v;
}

// The value of `column` in the single row of `result`, or "" when absent.
std::string Cell(const QueryResult& result, std::string_view column) {
  int index = result.ColumnIndex(column);
  if (index < 0 || result.rows.empty()) return "";
  const auto& cell = result.rows[0][static_cast<size_t>(index)];
  return cell.value_or("");
}

std::string SqlQuote(MySqlConnection& connection, std::string_view text) {
  return "'" + connection.Escape(text) + "'";
}

}  // namespace

StartPosition StartPosition::FilePos(std::string file, uint64_t pos) {
  StartPosition p;
  p.kind = Kind::kFilePos;
  p.file = std::move(file);
  p.pos = pos;
  return p;
}

StartPosition StartPosition::Gtid(std::string gtid_set, std::string mysql_gtid_encoded) {
  StartPosition p;
  p.kind = Kind::kGtid;
  p.gtid_set = std::move(gtid_set);
  p.mysql_gtid_encoded = std::move(mysql_gtid_encoded);
  return p;
}

std::string StartPosition::Describe() const {
  switch (kind) {
    case Kind::kCurrentEnd: return "current end of binlog";
    case Kind::kFilePos: return file + ":" + std::to_string(pos);
    case Kind::kGtid: return "gtid '" + gtid_set + "'";
  }
  return "unknown position";
}

Result<ServerBinlogStatus> QueryBinlogStatus(MySqlConnection& connection) {
  // MySQL 8.2 renamed SHOW MASTER STATUS (removed in 8.4); MariaDB keeps both names.
  const bool mysql_new_syntax =
      !connection.is_mariadb() && connection.server_version_number() >= 80200;
  const char* sql = mysql_new_syntax ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
  VIMUR_ASSIGN_OR_RETURN(QueryResult status, connection.QueryWithColumns(sql));
  if (status.rows.empty()) {
    return Status::FailedPrecondition(connection.endpoint() +
                                      ": the binary log is off (SHOW MASTER STATUS is empty); "
                                      "add log_bin under [mysqld] in my.cnf and restart");
  }
  ServerBinlogStatus out;
  out.file = Cell(status, "File");
  std::string pos = Cell(status, "Position");
  try {
    out.pos = std::stoull(pos);
  } catch (...) {
    return Status::Corruption(connection.endpoint() + ": " + sql + " returned position '" + pos +
                              "'");
  }
  if (connection.is_mariadb()) {
    VIMUR_ASSIGN_OR_RETURN(auto gtid, connection.QueryValue("SELECT @@GLOBAL.gtid_binlog_pos"));
    out.gtid_set = gtid.value_or("");
  } else {
    out.gtid_set = Cell(status, "Executed_Gtid_Set");
  }
  // MySQL prints long GTID sets with newlines.
  out.gtid_set.erase(std::remove(out.gtid_set.begin(), out.gtid_set.end(), '\n'),
                     out.gtid_set.end());
  return out;
}

Result<std::string> QueryBinlogChecksum(MySqlConnection& connection) {
  VIMUR_ASSIGN_OR_RETURN(auto value, connection.QueryValue("SELECT @@GLOBAL.binlog_checksum"));
  return value.value_or("NONE");
}

Result<std::vector<std::string>> QueryAvailableBinlogs(MySqlConnection& connection) {
  VIMUR_ASSIGN_OR_RETURN(QueryResult logs, connection.QueryWithColumns("SHOW BINARY LOGS"));
  std::vector<std::string> names;
  int index = logs.ColumnIndex("Log_name");
  if (index < 0) index = 0;
  for (const auto& row : logs.rows) {
    if (static_cast<size_t>(index) < row.size() && row[static_cast<size_t>(index)]) {
      names.push_back(*row[static_cast<size_t>(index)]);
    }
  }
  return names;
}

BinlogClient::BinlogClient(MySqlConnection connection, BinlogClientOptions options)
    : connection_(std::move(connection)), options_(std::move(options)) {}

Result<ServerBinlogStatus> BinlogClient::CurrentPosition() {
  if (started_) return Status::FailedPrecondition("CurrentPosition() after Start()");
  return QueryBinlogStatus(connection_);
}

Result<std::string> BinlogClient::BinlogChecksum() {
  if (started_) return Status::FailedPrecondition("BinlogChecksum() after Start()");
  return QueryBinlogChecksum(connection_);
}

Result<std::vector<std::string>> BinlogClient::AvailableBinlogs() {
  if (started_) return Status::FailedPrecondition("AvailableBinlogs() after Start()");
  return QueryAvailableBinlogs(connection_);
}

Status BinlogClient::Start(const StartPosition& start) {
  const std::string& endpoint = connection_.endpoint();
  if (started_) return Status::FailedPrecondition(endpoint + ": binlog stream already started");
  if (options_.server_id == 0) {
    return Status::InvalidArgument(endpoint + ": server_id 0 cannot be used by a replica");
  }
  StartPosition resolved = start;
  if (start.kind == StartPosition::Kind::kCurrentEnd) {
    VIMUR_ASSIGN_OR_RETURN(ServerBinlogStatus now, QueryBinlogStatus(connection_));
    resolved = StartPosition::FilePos(now.file, now.pos);
  }
  if (resolved.kind == StartPosition::Kind::kFilePos) {
    if (resolved.file.empty() || resolved.pos < 4 || resolved.pos > UINT32_MAX) {
      return Status::InvalidArgument(endpoint + ": invalid binlog start position " +
                                     resolved.Describe());
    }
    // A purged file is reported before asking for the dump, with what is still there.
    VIMUR_ASSIGN_OR_RETURN(std::vector<std::string> logs, QueryAvailableBinlogs(connection_));
    if (std::find(logs.begin(), logs.end(), resolved.file) == logs.end()) {
      std::string available = logs.empty() ? "none" : logs.front() + " .. " + logs.back();
      return Status::FailedPrecondition(
          endpoint + ": binlog position " + resolved.Describe() +
          " is not available on the server (purged or never existed; binlogs on the server: " +
          available + "); start from a newer position or take a new snapshot");
    }
  } else if (resolved.kind == StartPosition::Kind::kGtid) {
    if (!connection_.is_mariadb() && resolved.mysql_gtid_encoded.empty()) {
      // COM_BINLOG_DUMP_GTID carries the set in its binary form.
      Result<MySqlGtidSet> set = MySqlGtidSet::Parse(resolved.gtid_set);
      if (!set.ok()) {
        return set.status().WithContext(endpoint + ": MySQL GTID start " + resolved.Describe());
      }
      resolved.mysql_gtid_encoded = set->EncodeForDump();
    }
  }
  start_ = resolved;
  VIMUR_RETURN_IF_ERROR(PrepareSession(resolved));
  VIMUR_RETURN_IF_ERROR(RegisterReplica());
  VIMUR_RETURN_IF_ERROR(SendDump(resolved));
  started_ = true;
  // The server answers at once with a fake ROTATE event or an error (e.g. 1236).
  Result<std::string_view> first = ReadPacket();
  if (!first.ok()) return first.status();
  pending_.assign(first->data(), first->size());
  has_pending_ = true;
  LOG_INFO << endpoint << ": binlog stream started at " << resolved.Describe()
           << " as replica server_id " << options_.server_id << " (connection "
           << connection_.thread_id() << ")";
  return Status::Ok();
}

Status BinlogClient::PrepareSession(const StartPosition& start) {
  auto exec = [this](const std::string& sql) {
    return connection_.Execute(sql).WithContext("preparing the replica session");
  };
  // Events carry the checksum the server writes; a replica that does not announce it gets
  // an error from checksum-enabled servers.
  VIMUR_RETURN_IF_ERROR(exec("SET @master_binlog_checksum = @@global.binlog_checksum"));
  if (!connection_.is_mariadb()) {
    VIMUR_RETURN_IF_ERROR(exec("SET @source_binlog_checksum = @@global.binlog_checksum"));
  }
  if (options_.heartbeat_period_ms > 0) {
    const std::string ns = std::to_string(uint64_t{options_.heartbeat_period_ms} * 1000000ULL);
    VIMUR_RETURN_IF_ERROR(exec("SET @master_heartbeat_period = " + ns));
    if (!connection_.is_mariadb()) {
      VIMUR_RETURN_IF_ERROR(exec("SET @source_heartbeat_period = " + ns));
    }
  }
  if (connection_.is_mariadb()) {
    VIMUR_RETURN_IF_ERROR(
        exec("SET @mariadb_slave_capability = " + std::to_string(kMariaSlaveCapabilityGtid)));
    if (start.kind == StartPosition::Kind::kGtid) {
      VIMUR_RETURN_IF_ERROR(
          exec("SET @slave_connect_state = " + SqlQuote(connection_, start.gtid_set)));
      VIMUR_RETURN_IF_ERROR(exec("SET @slave_gtid_strict_mode = 1"));
      VIMUR_RETURN_IF_ERROR(exec("SET @slave_gtid_ignore_duplicates = 0"));
    }
  }
  return Status::Ok();
}

Status BinlogClient::RegisterReplica() {
  // COM_REGISTER_SLAVE: server_id, hostname, user, password (length-prefixed, 1 byte each),
  // port (2), replication rank (4), master id (4).
  std::string host = options_.report_host.substr(0, 60);
  std::string payload;
  PutLe(&payload, options_.server_id, 4);
  payload.push_back(static_cast<char>(host.size()));
  payload += host;
  payload.push_back(0);  // user
  payload.push_back(0);  // password
  PutLe(&payload, 0, 2);
  PutLe(&payload, 0, 4);
  PutLe(&payload, 0, 4);
  MYSQL* mysql = connection_.raw();
  if (!wire::SendCommand(mysql, COM_REGISTER_SLAVE, payload, /*expect_stream=*/false)) {
    return PacketError("registering as replica (COM_REGISTER_SLAVE, server_id " +
                       std::to_string(options_.server_id) + ")");
  }
  return Status::Ok();
}

Status BinlogClient::SendDump(const StartPosition& start) {
  MYSQL* mysql = connection_.raw();
  uint16_t flags = 0;
  if (options_.non_blocking) flags |= kBinlogDumpNonBlock;
  std::string payload;
  if (start.kind == StartPosition::Kind::kGtid && !connection_.is_mariadb()) {
    // COM_BINLOG_DUMP_GTID: flags, server_id, name size + name, pos (8), data size + data.
    flags |= kBinlogThroughGtid;
    PutLe(&payload, flags, 2);
    PutLe(&payload, options_.server_id, 4);
    PutLe(&payload, 0, 4);  // empty file name: the server locates the GTID set itself
    PutLe(&payload, 4, 8);
    PutLe(&payload, start.mysql_gtid_encoded.size(), 4);
    payload += start.mysql_gtid_encoded;
    if (!wire::SendCommand(mysql, kComBinlogDumpGtid, payload, /*expect_stream=*/true)) {
      return PacketError("requesting the binlog from " + start.Describe() +
                         " (COM_BINLOG_DUMP_GTID)");
    }
    return Status::Ok();
  }
  // COM_BINLOG_DUMP: pos (4), flags (2), server_id (4), file name (rest). A MariaDB GTID
  // start sends an empty name; the server uses @slave_connect_state.
  if (connection_.is_mariadb() && options_.send_annotate_rows) flags |= kBinlogSendAnnotateRows;
  const bool by_gtid = start.kind == StartPosition::Kind::kGtid;
  PutLe(&payload, by_gtid ? 4 : start.pos, 4);
  PutLe(&payload, flags, 2);
  PutLe(&payload, options_.server_id, 4);
  if (!by_gtid) payload += start.file;
  if (!wire::SendCommand(mysql, COM_BINLOG_DUMP, payload, /*expect_stream=*/true)) {
    return PacketError("requesting the binlog from " + start.Describe() + " (COM_BINLOG_DUMP)");
  }
  return Status::Ok();
}

Status BinlogClient::PacketError(std::string_view what) {
  MYSQL* mysql = connection_.raw();
  unsigned int err = mysql_errno(mysql);
  last_error_number_ = err;
  std::string message = err != 0 ? mysql_error(mysql) : "connection closed";
  const std::string& endpoint = connection_.endpoint();
  std::string text =
      endpoint + ": " + std::string(what) + ": " + message + " [" + std::to_string(err) + "]";
  if (err == ER_MASTER_FATAL_ERROR_READING_BINLOG || err == 1789 /* MySQL purged GTIDs */) {
    return Status::FailedPrecondition(
        endpoint + ": the server cannot send the binlog from " + start_.Describe() + ": " +
        message + " [" + std::to_string(err) + "]; the position was purged or never existed: " +
        "start from a newer position or take a new snapshot");
  }
  if (err == 0) return Status::Unavailable(text);
  return Status(StatusCodeForMySqlError(err), text);
}

Result<std::string_view> BinlogClient::ReadPacket() {
  std::optional<std::string_view> read = wire::ReadPacket(connection_.raw());
  if (!read) {
    failed_ = true;
    return PacketError("reading the binlog stream");
  }
  std::string_view packet = *read;
  const uint8_t marker = static_cast<uint8_t>(packet[0]);
  if (marker == 0xfe && packet.size() < 9) {
    failed_ = true;
    last_error_number_ = 0;
    return Status::Unavailable(connection_.endpoint() + ": end of binlog stream (EOF packet)");
  }
  if (marker == 0xff) {
    // Normally turned into a client error by the library; parse it here if it was not.
    failed_ = true;
    unsigned int err = packet.size() >= 3 ? static_cast<uint8_t>(packet[1]) |
                                                (static_cast<uint8_t>(packet[2]) << 8)
                                          : 0;
    std::string_view message = packet.size() > 3 ? packet.substr(3) : std::string_view();
    if (!message.empty() && message[0] == '#' && message.size() >= 6) message.remove_prefix(6);
    last_error_number_ = err;
    if (err == ER_MASTER_FATAL_ERROR_READING_BINLOG || err == 1789) {
      return Status::FailedPrecondition(
          connection_.endpoint() + ": the server cannot send the binlog from " + start_.Describe() +
          ": " + std::string(message) + " [" + std::to_string(err) + "]");
    }
    return Status(StatusCodeForMySqlError(err),
                  connection_.endpoint() + ": binlog stream error: " + std::string(message) + " [" +
                      std::to_string(err) + "]");
  }
  if (marker != 0x00) {
    failed_ = true;
    return Status::Corruption(connection_.endpoint() + ": binlog stream packet starts with byte " +
                              std::to_string(marker) + " (expected 0x00, 0xfe or 0xff)");
  }
  return packet;
}

Result<std::string_view> BinlogClient::ToEvent(std::string_view packet) {
  std::string_view event = packet.substr(1);
  if (event.size() < kEventHeaderLength) {
    failed_ = true;
    return Status::Corruption(connection_.endpoint() + ": binlog event of " +
                              std::to_string(event.size()) +
                              " bytes is shorter than the 19-byte event header");
  }
  const uint32_t event_size = GetLe32(event, 9);
  if (event_size != event.size()) {
    failed_ = true;
    return Status::Corruption(connection_.endpoint() + ": binlog event header says " +
                              std::to_string(event_size) + " bytes but the packet carries " +
                              std::to_string(event.size()));
  }
  return event;
}

Result<std::string_view> BinlogClient::NextEvent() {
  if (!started_) {
    return Status::FailedPrecondition(connection_.endpoint() +
                                      ": NextEvent() before Start() on the binlog stream");
  }
  if (has_pending_) {
    has_pending_ = false;
    return ToEvent(pending_);
  }
  if (failed_) {
    return Status::Unavailable(connection_.endpoint() +
                               ": the binlog stream has ended; reconnect to resume");
  }
  VIMUR_ASSIGN_OR_RETURN(std::string_view packet, ReadPacket());
  return ToEvent(packet);
}

}  // namespace vimur::mysql
