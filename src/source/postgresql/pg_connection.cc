#include "source/postgresql/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>

#include "source/postgresql/pgoutput_message.h"

namespace vimur::postgresql {
namespace {

std::string Trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void PutU64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

int64_t PostgresNowUs() {
  const int64_t unix_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  return unix_us - kPostgresEpochOffsetUs;
}

}  // namespace

PgConnectOptions PgConnectOptions::FromConfig(const SourceConfig& config) {
  PgConnectOptions o;
  o.host = config.host;
  o.port = config.port;
  o.user = config.user;
  o.password = config.password;
  o.database = config.database;
  o.connect_timeout_s = config.connect_timeout_s;
  const std::string& mode = config.tls.mode;
  if (mode == "disabled") {
    o.sslmode = "disable";
  } else if (mode == "required") {
    o.sslmode = "require";
  } else if (mode == "verify_ca") {
    o.sslmode = "verify-ca";
  } else if (mode == "verify_identity") {
    o.sslmode = "verify-full";
  } else {
    o.sslmode = "prefer";
  }
  o.ssl_ca = config.tls.ca;
  o.ssl_cert = config.tls.cert;
  o.ssl_key = config.tls.key;
  return o;
}

std::string PgConnectOptions::Endpoint() const {
  return host + ":" + std::to_string(port) + "/" + (database.empty() ? user : database);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectOptions& o,
                                                            bool replication) {
  const std::string port = std::to_string(o.port);
  const std::string timeout = std::to_string(o.connect_timeout_s);
  std::vector<const char*> keys = {"host",
                                   "port",
                                   "user",
                                   "password",
                                   "connect_timeout",
                                   "options",
                                   "client_encoding",
                                   "sslmode",
                                   "application_name",
                                   "keepalives_idle",
                                   "keepalives_interval"};
  std::vector<const char*> values = {
      o.host.c_str(),
      port.c_str(),
      o.user.c_str(),
      o.password.c_str(),
      timeout.c_str(),
      "-c DateStyle=ISO -c TimeZone=UTC -c bytea_output=hex -c extra_float_digits=3 "
      "-c IntervalStyle=postgres -c lc_monetary=C",
      "UTF8",
      o.sslmode.c_str(),
      "vimur",
      "30",
      "10"};
  if (!o.database.empty()) {
    keys.push_back("dbname");
    values.push_back(o.database.c_str());
  }
  if (replication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  if (!o.ssl_ca.empty()) {
    keys.push_back("sslrootcert");
    values.push_back(o.ssl_ca.c_str());
  }
  if (!o.ssl_cert.empty()) {
    keys.push_back("sslcert");
    values.push_back(o.ssl_cert.c_str());
  }
  if (!o.ssl_key.empty()) {
    keys.push_back("sslkey");
    values.push_back(o.ssl_key.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (conn == nullptr) return Status::Unavailable(o.Endpoint() + ": out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = o.Endpoint() + ": connect as " + o.user +
                          (replication ? " (replication)" : "") + ": " +
                          Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    const bool denied = message.find("authentication failed") != std::string::npos ||
                        message.find("does not exist") != std::string::npos ||
                        message.find("no pg_hba.conf entry") != std::string::npos ||
                        message.find("must be superuser or replication") != std::string::npos ||
                        message.find("permission denied") != std::string::npos;
    return denied ? Status::FailedPrecondition(message) : Status::Unavailable(message);
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn, o.Endpoint()));
}

PgConnection::~PgConnection() {
  FreeBuffer();
  if (conn_ != nullptr) PQfinish(conn_);
}

void PgConnection::FreeBuffer() {
  if (buffer_ != nullptr) {
    PQfreemem(buffer_);
    buffer_ = nullptr;
  }
}

int PgConnection::server_version() const { return PQserverVersion(conn_); }

Result<std::vector<PgRow>> PgConnection::Query(const std::string& sql,
                                               const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  PGresult* res = params.empty() ? PQexec(conn_, sql.c_str())
                                 : PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()),
                                                nullptr, values.data(), nullptr, nullptr, 0);
  const ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    Status error = StatementError(res, sql);
    PQclear(res);
    return error;
  }
  std::vector<PgRow> rows;
  const int n = PQntuples(res), m = PQnfields(res);
  rows.reserve(static_cast<size_t>(n));
  for (int r = 0; r < n; ++r) {
    PgRow row;
    for (int c = 0; c < m; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
    rows.push_back(std::move(row));
  }
  PQclear(res);
  return rows;
}

Status PgConnection::StatementError(const PGresult* res, const std::string& sql) const {
  std::string message =
      endpoint_ + ": " +
      Trimmed(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_)) +
      " (in: " + sql.substr(0, 300) + ")";
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const bool lost = PQstatus(conn_) != CONNECTION_OK;
  const bool denied = state != nullptr && std::string_view(state) == "42501";
  if (lost) return Status::Unavailable(message);
  return denied ? Status::PermissionDenied(message) : Status::FailedPrecondition(message);
}

Status PgConnection::StreamQuery(const std::string& sql, const std::vector<std::string>& params,
                                 const std::function<bool(const PgCells&)>& row) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0) == 0) {
    return StatementError(nullptr, sql);
  }
  PQsetSingleRowMode(conn_);
  Status status;
  bool stopped = false;
  PgCells cells;
  // Every result is read, also after a stop or an error, so the connection is idle after.
  while (PGresult* res = PQgetResult(conn_)) {
    const ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_SINGLE_TUPLE) {
      if (!stopped && status.ok()) {
        const int m = PQnfields(res);
        cells.assign(static_cast<size_t>(m), std::nullopt);
        for (int c = 0; c < m; ++c) {
          if (!PQgetisnull(res, 0, c)) {
            cells[static_cast<size_t>(c)] = std::string_view(
                PQgetvalue(res, 0, c), static_cast<size_t>(PQgetlength(res, 0, c)));
          }
        }
        if (!row(cells)) {
          stopped = true;
          if (PGcancel* cancel = PQgetCancel(conn_)) {
            char error[256];
            (void)PQcancel(cancel, error, sizeof error);
            PQfreeCancel(cancel);
          }
        }
      }
    } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !stopped && status.ok()) {
      status = StatementError(res, sql);
    }
    PQclear(res);
  }
  if (status.ok() && !stopped && PQstatus(conn_) != CONNECTION_OK) {
    return StatementError(nullptr, sql);
  }
  return status;
}

Status PgConnection::StartReplication(const std::string& slot, uint64_t lsn,
                                      const std::string& publication,
                                      const PgOutputOptions& options) {
  const std::string sql =
      "START_REPLICATION SLOT " + QuoteIdent(slot) + " LOGICAL " + LsnText(lsn) +
      " (proto_version '" + std::to_string(options.proto_version) + "', publication_names " +
      QuoteLiteral(QuoteIdent(publication)) + (options.messages ? ", messages 'true'" : "") +
      (options.streaming ? ", streaming 'true'" : "") + ")";
  PGresult* res = PQexec(conn_, sql.c_str());
  const ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COPY_BOTH) {
    std::string message = endpoint_ + ": " + sql + ": " + Trimmed(PQresultErrorMessage(res));
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    // 55006 object_in_use: the slot is still held by the server process of a connection that
    // just died (a restart after kill -9); it is released within moments.
    const bool in_use = state != nullptr && std::string_view(state) == "55006";
    PQclear(res);
    if (PQstatus(conn_) != CONNECTION_OK || in_use) return Status::Unavailable(message);
    return Status::FailedPrecondition(message);
  }
  PQclear(res);
  return Status::Ok();
}

Result<bool> PgConnection::ReadCopyData(int timeout_ms, std::string_view* out) {
  FreeBuffer();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const int n = PQgetCopyData(conn_, &buffer_, 1);
    if (n > 0) {
      *out = std::string_view(buffer_, static_cast<size_t>(n));
      return true;
    }
    if (n == -1) {
      PGresult* res = PQgetResult(conn_);
      std::string message = Trimmed(PQresultErrorMessage(res));
      PQclear(res);
      return Status::Unavailable(endpoint_ + ": the server ended the replication stream" +
                                 (message.empty() ? "" : ": " + message));
    }
    if (n == -2) {
      return Status::Unavailable(endpoint_ +
                                 ": replication stream lost: " + Trimmed(PQerrorMessage(conn_)));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    pollfd p{PQsocket(conn_), POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) {
      return Status::Unavailable(endpoint_ + ": waiting for the replication stream failed");
    }
    if (PQconsumeInput(conn_) == 0) {
      return Status::Unavailable(endpoint_ +
                                 ": replication stream lost: " + Trimmed(PQerrorMessage(conn_)));
    }
  }
}

Status PgConnection::SendStandbyStatus(uint64_t written, uint64_t flushed, uint64_t applied,
                                       bool reply_requested) {
  char msg[34];
  msg[0] = 'r';
  PutU64(written, msg + 1);
  PutU64(flushed, msg + 9);
  PutU64(applied, msg + 17);
  PutU64(static_cast<uint64_t>(PostgresNowUs()), msg + 25);
  msg[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(conn_, msg, sizeof msg) <= 0 || PQflush(conn_) != 0) {
    return Status::Unavailable(
        endpoint_ + ": sending a standby status update failed: " + Trimmed(PQerrorMessage(conn_)));
  }
  return Status::Ok();
}

std::string PgConnection::QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string PgConnection::QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace vimur::postgresql
