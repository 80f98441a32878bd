// PgConnection: a thin RAII wrapper over one libpq connection to a PostgreSQL server, for
// catalog queries and, opened with replication=database, as the carrier of a pgoutput stream.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"

struct pg_conn;
struct pg_result;

namespace vimur::postgresql {

struct PgConnectOptions {
  std::string host = "127.0.0.1";
  int port = 5432;
  std::string user;
  std::string password;  // never logged, never put into a Status
  std::string database;  // empty: libpq's default (the user name)
  std::string sslmode = "prefer";
  std::string ssl_ca, ssl_cert, ssl_key;
  int connect_timeout_s = 10;

  static PgConnectOptions FromConfig(const SourceConfig& config);
  std::string Endpoint() const;  // "host:port/database", for messages
};

using PgRow = std::vector<std::optional<std::string>>;  // nullopt = SQL NULL
// One row of a streamed result, valid during the callback only.
using PgCells = std::vector<std::optional<std::string_view>>;

class PgConnection {
 public:
  // Connects; `replication`: a logical replication (walsender) connection. Sessions use
  // DateStyle ISO, TimeZone UTC, bytea_output hex, extra_float_digits 3 and lc_monetary C
  // (money as "$1,234.50"), the text forms the value decoder reads. Authentication and missing
  // databases fail with kFailedPrecondition, unreachable servers with kUnavailable.
  static Result<std::unique_ptr<PgConnection>> Connect(const PgConnectOptions& options,
                                                       bool replication);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` with text parameters $1..$n and returns its rows.
  Result<std::vector<PgRow>> Query(const std::string& sql,
                                   const std::vector<std::string>& params = {});
  // Runs `sql` like Query but hands its rows to `row` one at a time as they arrive
  // (single-row mode: memory stays at one row whatever the result's size). `row` returning
  // false stops the query (cancelled; an open transaction is then aborted).
  Status StreamQuery(const std::string& sql, const std::vector<std::string>& params,
                     const std::function<bool(const PgCells&)>& row);
  int server_version() const;  // e.g. 150004

  // pgoutput's options (PostgreSQL documentation, "Logical Streaming Replication Parameters").
  struct PgOutputOptions {
    int proto_version = 1;
    bool messages = false;   // logical decoding messages (14+)
    bool streaming = false;  // in-progress transactions in Stream Start..Stop blocks (2+)
  };
  // START_REPLICATION of `slot` from `lsn` with pgoutput's options; the connection is then in
  // COPY BOTH mode.
  Status StartReplication(const std::string& slot, uint64_t lsn, const std::string& publication,
                          const PgOutputOptions& options);
  // Waits up to `timeout_ms` for one CopyData message; true with `*out` set (valid until the
  // next call), false on timeout. Fails with kUnavailable when the connection is lost.
  Result<bool> ReadCopyData(int timeout_ms, std::string_view* out);
  // A Standby Status Update ('r').
  Status SendStandbyStatus(uint64_t written, uint64_t flushed, uint64_t applied,
                           bool reply_requested);

  // SQL identifier and literal quoting, for statements shown to users and run.
  static std::string QuoteIdent(std::string_view name);
  static std::string QuoteLiteral(std::string_view text);

 private:
  explicit PgConnection(pg_conn* conn, std::string endpoint)
      : conn_(conn), endpoint_(std::move(endpoint)) {}
  void FreeBuffer();
  // The Status of a failed statement `sql` whose result is `res` (not freed).
  Status StatementError(const pg_result* res, const std::string& sql) const;

  pg_conn* conn_;
  std::string endpoint_;
  char* buffer_ = nullptr;
};

}  // namespace vimur::postgresql
