// MySqlConnection: a thin RAII wrapper over one libmariadb (Connector/C) connection to a
// MySQL or MariaDB server, for queries and as the carrier of a replica (binlog) stream.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

// Forward declaration of the Connector/C handle, so users need not include <mysql.h>.
struct st_mysql;

namespace vimur::mysql {

// How the connection uses TLS (names as in MySQL's --ssl-mode).
enum class SslMode {
  kDisabled,        // plain TCP
  kPreferred,       // TLS when the server offers it, else plain
  kRequired,        // TLS or fail; the certificate is verified only when ssl_ca is given.
                    // Connector/C 3.3 checks this after the handshake (a native-password
                    // login sends only a scrambled hash, never the password)
  kVerifyCa,        // TLS, certificate must chain to ssl_ca (Connector/C 3.3 also checks the
                    // host name, so this acts as verify_identity)
  kVerifyIdentity,  // TLS, certificate must chain to ssl_ca and name the host
};

const char* SslModeName(SslMode mode);
// Accepts "disabled", "preferred", "required", "verify_ca", "verify_identity" (any case,
// '-' or '_').
Result<SslMode> ParseSslMode(std::string_view text);

struct MySqlConnectOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string user;
  std::string password;  // never logged, never put into a Status
  SslMode ssl_mode = SslMode::kPreferred;
  std::string ssl_ca;    // PEM file of the CA (verify_ca / verify_identity)
  std::string ssl_cert;  // PEM client certificate (optional)
  std::string ssl_key;   // PEM client key (optional)
  uint32_t connect_timeout_s = 10;
  // Socket read/write timeouts; 0 means none. A binlog stream must use a read timeout
  // larger than its heartbeat period.
  uint32_t read_timeout_s = 60;
  uint32_t write_timeout_s = 60;

  // "host:port", for messages.
  std::string Endpoint() const;
};

enum class ServerFlavor { kMySql, kMariaDb };

using SqlRow = std::vector<std::optional<std::string>>;  // nullopt = SQL NULL

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<SqlRow> rows;
  // Index of the column named `name` (case-insensitive), or -1.
  int ColumnIndex(std::string_view name) const;
};

// Maps a Connector/C or server error number to a status code: network trouble and
// transient server states are retriable (kUnavailable), access errors kPermissionDenied,
// 1236 (binlog position) kFailedPrecondition, and so on.
StatusCode StatusCodeForMySqlError(unsigned int error_number);

// Move-only owner of one connection; closing happens in the destructor. Not thread-safe,
// except Interrupt(), which may be called from any thread.
class MySqlConnection {
 public:
  static Result<MySqlConnection> Connect(const MySqlConnectOptions& options);

  MySqlConnection(MySqlConnection&& other) noexcept;
  MySqlConnection& operator=(MySqlConnection&& other) noexcept;
  MySqlConnection(const MySqlConnection&) = delete;
  MySqlConnection& operator=(const MySqlConnection&) = delete;
  ~MySqlConnection();

  // Runs a statement that returns no rows (a result set, if any, is discarded).
  Status Execute(std::string_view sql);
  // Runs a statement and returns all its rows (empty when it produces no result set).
  Result<std::vector<SqlRow>> Query(std::string_view sql);
  // Same, with column names.
  Result<QueryResult> QueryWithColumns(std::string_view sql);
  // Runs a query and hands its rows to `row` one at a time as they arrive (mysql_use_result:
  // nothing is buffered beyond one row). `cells[i]` is null for SQL NULL and views bytes valid
  // only during the call. A false return from `row` stops reading (the rest is discarded)
  // and the call returns Aborted.
  using RowCallback =
      std::function<bool(const char* const* cells, const unsigned long* lengths, size_t count)>;
  Status StreamQuery(std::string_view sql, const RowCallback& row);
  // First column of the first row; nullopt for SQL NULL; NotFound when there is no row.
  Result<std::optional<std::string>> QueryValue(std::string_view sql);

  // Version string as the server reports it ("10.11.6-MariaDB-log", "8.0.36").
  const std::string& server_version() const { return server_version_; }
  // Major*10000 + minor*100 + patch (MariaDB's "5.5.5-" prefix removed).
  unsigned long server_version_number() const { return server_version_number_; }
  ServerFlavor flavor() const { return flavor_; }
  bool is_mariadb() const { return flavor_ == ServerFlavor::kMariaDb; }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& user() const { return user_; }
  // The server's id of this connection (CONNECTION_ID(), the Id of SHOW PROCESSLIST).
  unsigned long thread_id() const;
  // The negotiated TLS cipher, empty when the connection is not encrypted.
  std::string tls_cipher() const;

  // Escapes `text` for use inside a quoted SQL string literal.
  std::string Escape(std::string_view text) const;

  // A status for the connection's last error: "host:port: what: server message [errno]".
  Status LastError(std::string_view what) const;
  unsigned int last_error_number() const;

  // Shuts the socket down so that a blocked read in another thread returns with an error.
  void Interrupt();

  // The underlying handle, for protocol work (BinlogClient). Owned by this object.
  st_mysql* raw() { return mysql_; }

 private:
  MySqlConnection(st_mysql* mysql, std::string endpoint, std::string user);
  void Close();

  st_mysql* mysql_ = nullptr;
  std::string endpoint_;
  std::string user_;
  std::string server_version_;
  unsigned long server_version_number_ = 0;
  ServerFlavor flavor_ = ServerFlavor::kMySql;
};

}  // namespace vimur::mysql
