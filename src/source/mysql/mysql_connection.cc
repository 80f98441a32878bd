#include "source/mysql/mysql_connection.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <utility>

namespace vimur::mysql {
namespace {

std::once_flag g_library_init;

void InitLibraryOnce() {
  std::call_once(g_library_init, [] { mysql_library_init(0, nullptr, nullptr); });
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// "10.11.6-MariaDB-log" -> 101106; MariaDB may prefix "5.5.5-" for old clients.
unsigned long ParseVersionNumber(std::string_view version) {
  constexpr std::string_view kMariaPrefix = "5.5.5-";
  if (version.substr(0, kMariaPrefix.size()) == kMariaPrefix &&
      version.find("MariaDB") != std::string_view::npos) {
    version.remove_prefix(kMariaPrefix.size());
  }
  unsigned long parts[3] = {0, 0, 0};
  size_t part = 0;
  for (char c : version) {
    if (c >= '0' && c <= '9') {
      parts[part] = parts[part] * 10 + static_cast<unsigned long>(c - '0');
    } else if (c == '.' && part < 2) {
      ++part;
    } else {
      break;
    }
  }
  return parts[0] * 10000 + parts[1] * 100 + parts[2];
}

// Sets one Connector/C option; a failure means the library does not know the option.
Status SetOption(MYSQL* mysql, mysql_option option, const void* value, const char* name) {
  if (mysql_options(mysql, option, value) != 0) {
    return Status::Unsupported(std::string("the MySQL client library rejected option ") + name);
  }
  return Status::Ok();
}

Status ApplyTlsOptions(MYSQL* mysql, const MySqlConnectOptions& options, bool use_tls) {
  my_bool enforce = use_tls ? 1 : 0;
  VIMUR_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce, "ssl enforce"));
  if (!use_tls) return Status::Ok();
  if (!options.ssl_ca.empty()) {
    VIMUR_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_CA, options.ssl_ca.c_str(), "ssl_ca"));
  }
  if (!options.ssl_cert.empty()) {
    VIMUR_RETURN_IF_ERROR(
        SetOption(mysql, MYSQL_OPT_SSL_CERT, options.ssl_cert.c_str(), "ssl_cert"));
  }
  if (!options.ssl_key.empty()) {
    VIMUR_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_SSL_KEY, options.ssl_key.c_str(), "ssl_key"));
  }
  my_bool verify =
      (options.ssl_mode == SslMode::kVerifyCa || options.ssl_mode == SslMode::kVerifyIdentity) ? 1
                                                                                               : 0;
  return SetOption(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify, "ssl verify server cert");
}

Status ApplyOptions(MYSQL* mysql, const MySqlConnectOptions& options, bool use_tls) {
  unsigned int connect_timeout = options.connect_timeout_s;
  unsigned int read_timeout = options.read_timeout_s;
  unsigned int write_timeout = options.write_timeout_s;
  if (connect_timeout > 0) {
    VIMUR_RETURN_IF_ERROR(
        SetOption(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout, "connect timeout"));
  }
  if (read_timeout > 0) {
    VIMUR_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_READ_TIMEOUT, &read_timeout, "read timeout"));
  }
  if (write_timeout > 0) {
    VIMUR_RETURN_IF_ERROR(
        SetOption(mysql, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout, "write timeout"));
  }
  // Always TCP: Connector/C would take "localhost" to mean the local Unix socket.
  unsigned int protocol = MYSQL_PROTOCOL_TCP;
  VIMUR_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_PROTOCOL, &protocol, "protocol"));
  VIMUR_RETURN_IF_ERROR(SetOption(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4", "charset"));
  unsigned long max_packet = 1024UL * 1024UL * 1024UL;  // the protocol's maximum
  VIMUR_RETURN_IF_ERROR(
      SetOption(mysql, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet, "max allowed packet"));
  unsigned int local_infile = 0;
  VIMUR_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_LOCAL_INFILE, &local_infile, "local infile"));
  my_bool reconnect = 0;  // a silent reconnect would lose session state and stream position
  VIMUR_RETURN_IF_ERROR(SetOption(mysql, MYSQL_OPT_RECONNECT, &reconnect, "reconnect"));
  return ApplyTlsOptions(mysql, options, use_tls);
}

struct MysqlCloser {
  void operator()(MYSQL* m) const {
    if (m != nullptr) mysql_close(m);
  }
};

}  // namespace

const char* SslModeName(SslMode mode) {
  switch (mode) {
    case SslMode::kDisabled: return "disabled";
    case SslMode::kPreferred: return "preferred";
    case SslMode::kRequired: return "required";
    case SslMode::kVerifyCa: return "verify_ca";
    case SslMode::kVerifyIdentity: return "verify_identity";
  }
  return "unknown";
}

Result<SslMode> ParseSslMode(std::string_view text) {
  std::string norm;
  for (char c : text) {
    norm.push_back(c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (SslMode mode : {SslMode::kDisabled, SslMode::kPreferred, SslMode::kRequired,
                       SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    if (norm == SslModeName(mode)) return mode;
  }
  return Status::InvalidArgument("unknown ssl_mode '" + std::string(text) +
                                 "'; expected disabled, preferred, required, verify_ca or "
                                 "verify_identity");
}

std::string MySqlConnectOptions::Endpoint() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

int QueryResult::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (EqualsIgnoreCase(columns[i], name)) return static_cast<int>(i);
  }
  return -1;
}

StatusCode StatusCodeForMySqlError(unsigned int error_number) {
  switch (error_number) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
    case CR_UNKNOWN_HOST:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_READ_ERROR_FROM_PIPE:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_QUERY_INTERRUPTED:
    case ER_HOST_IS_BLOCKED:
    case 1927:  // MariaDB ER_CONNECTION_KILLED
      return StatusCode::kUnavailable;
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_PROCACCESS_DENIED_ERROR:
    case ER_HOST_NOT_PRIVILEGED:
    case 1698:  // ER_ACCESS_DENIED_NO_PASSWORD_ERROR (both flavours)
      return StatusCode::kPermissionDenied;
    case ER_NO_SUCH_TABLE:
    case ER_BAD_DB_ERROR:
    case ER_UNKNOWN_SYSTEM_VARIABLE: return StatusCode::kNotFound;
    case ER_PARSE_ERROR: return StatusCode::kInvalidArgument;
    case ER_MASTER_FATAL_ERROR_READING_BINLOG:
    case CR_SSL_CONNECTION_ERROR:
    case ER_OPTION_PREVENTS_STATEMENT:
    case 1789:  // ER_MASTER_HAS_PURGED_REQUIRED_GTIDS (MySQL)
      return StatusCode::kFailedPrecondition;
    default: break;
  }
  if (error_number >= CR_MIN_ERROR && error_number <= CR_MAX_ERROR) return StatusCode::kIoError;
  return StatusCode::kInternal;
}

Result<MySqlConnection> MySqlConnection::Connect(const MySqlConnectOptions& options) {
  InitLibraryOnce();
  const std::string endpoint = options.Endpoint();
  if (options.user.empty()) {
    return Status::InvalidArgument(endpoint + ": no user given for the MySQL connection");
  }
  const bool use_tls = options.ssl_mode != SslMode::kDisabled;
  if ((options.ssl_mode == SslMode::kVerifyCa || options.ssl_mode == SslMode::kVerifyIdentity) &&
      options.ssl_ca.empty()) {
    return Status::InvalidArgument(endpoint + ": ssl_mode " + SslModeName(options.ssl_mode) +
                                   " needs ssl_ca (the CA certificate file)");
  }
  std::unique_ptr<MYSQL, MysqlCloser> mysql(mysql_init(nullptr));
  if (!mysql) return Status::Internal(endpoint + ": mysql_init failed (out of memory)");
  VIMUR_RETURN_IF_ERROR(ApplyOptions(mysql.get(), options, use_tls).WithContext(endpoint));
  const char* password = options.password.empty() ? nullptr : options.password.c_str();
  if (mysql_real_connect(mysql.get(), options.host.c_str(), options.user.c_str(), password, nullptr,
                         options.port, nullptr, 0) == nullptr) {
    unsigned int err = mysql_errno(mysql.get());
    return Status(StatusCodeForMySqlError(err),
                  endpoint + ": cannot connect as user '" + options.user +
                      "': " + mysql_error(mysql.get()) + " [" + std::to_string(err) + "]");
  }
  // Connector/C 3.3 lets a TLS request without verification fall back to plain TCP when
  // the server has no TLS; "required" refuses such a connection here.
  if (use_tls && options.ssl_mode != SslMode::kPreferred) {
    const char* cipher = mysql_get_ssl_cipher(mysql.get());
    if (cipher == nullptr || *cipher == '\0') {
      return Status::FailedPrecondition(
          endpoint + ": ssl_mode " + SslModeName(options.ssl_mode) +
          " but the server does not offer TLS; enable TLS on the server (ssl_cert, ssl_key "
          "under [mysqld]) or lower ssl_mode");
    }
  }
  MySqlConnection conn(mysql.release(), endpoint, options.user);
  return conn;
}

MySqlConnection::MySqlConnection(MYSQL* mysql, std::string endpoint, std::string user)
    : mysql_(mysql), endpoint_(std::move(endpoint)), user_(std::move(user)) {
  const char* version = mysql_get_server_info(mysql_);
  server_version_ = version != nullptr ? version : "";
  flavor_ = server_version_.find("MariaDB") != std::string::npos ? ServerFlavor::kMariaDb
                                                                 : ServerFlavor::kMySql;
  server_version_number_ = ParseVersionNumber(server_version_);
}

MySqlConnection::MySqlConnection(MySqlConnection&& other) noexcept
    : mysql_(std::exchange(other.mysql_, nullptr)),
      endpoint_(std::move(other.endpoint_)),
      user_(std::move(other.user_)),
      server_version_(std::move(other.server_version_)),
      server_version_number_(other.server_version_number_),
      flavor_(other.flavor_) {}

MySqlConnection& MySqlConnection::operator=(MySqlConnection&& other) noexcept {
  if (this != &other) {
    Close();
    mysql_ = std::exchange(other.mysql_, nullptr);
    endpoint_ = std::move(other.endpoint_);
    user_ = std::move(other.user_);
    server_version_ = std::move(other.server_version_);
    server_version_number_ = other.server_version_number_;
    flavor_ = other.flavor_;
  }
  return *this;
}

MySqlConnection::~MySqlConnection() { Close(); }

void MySqlConnection::Close() {
  if (mysql_ != nullptr) {
    mysql_close(mysql_);
    mysql_ = nullptr;
  }
}

unsigned long MySqlConnection::thread_id() const {
  return mysql_ != nullptr ? mysql_thread_id(mysql_) : 0;
}

unsigned int MySqlConnection::last_error_number() const {
  return mysql_ != nullptr ? mysql_errno(mysql_) : 0;
}

Status MySqlConnection::LastError(std::string_view what) const {
  if (mysql_ == nullptr) {
    return Status::FailedPrecondition(endpoint_ + ": " + std::string(what) +
                                      ": the connection is closed");
  }
  unsigned int err = mysql_errno(mysql_);
  std::string message = err != 0 ? mysql_error(mysql_) : "unknown error";
  return Status(
      err != 0 ? StatusCodeForMySqlError(err) : StatusCode::kInternal,
      endpoint_ + ": " + std::string(what) + ": " + message + " [" + std::to_string(err) + "]");
}

namespace {
// Statements are shown in errors up to this length.
std::string Abbreviate(std::string_view sql) {
  constexpr size_t kMax = 200;
  if (sql.size() <= kMax) return std::string(sql);
  return std::string(sql.substr(0, kMax)) + "...";
}
}  // namespace

Status MySqlConnection::Execute(std::string_view sql) {
  if (mysql_ == nullptr) return LastError("executing " + Abbreviate(sql));
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return LastError("executing " + Abbreviate(sql));
  }
  MYSQL_RES* result = mysql_store_result(mysql_);
  if (result != nullptr) {
    mysql_free_result(result);
  } else if (mysql_field_count(mysql_) != 0) {
    return LastError("reading the result of " + Abbreviate(sql));
  }
  return Status::Ok();
}

Result<QueryResult> MySqlConnection::QueryWithColumns(std::string_view sql) {
  if (mysql_ == nullptr) return LastError("querying " + Abbreviate(sql));
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return LastError("querying " + Abbreviate(sql));
  }
  QueryResult out;
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> result(mysql_store_result(mysql_),
                                                                  &mysql_free_result);
  if (!result) {
    if (mysql_field_count(mysql_) != 0)
      return LastError("reading the result of " + Abbreviate(sql));
    return out;  // a statement without a result set
  }
  unsigned int num_fields = mysql_num_fields(result.get());
  MYSQL_FIELD* fields = mysql_fetch_fields(result.get());
  out.columns.reserve(num_fields);
  for (unsigned int i = 0; i < num_fields; ++i) {
    out.columns.emplace_back(fields[i].name, fields[i].name_length);
  }
  out.rows.reserve(mysql_num_rows(result.get()));
  while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
    unsigned long* lengths = mysql_fetch_lengths(result.get());
    SqlRow values;
    values.reserve(num_fields);
    for (unsigned int i = 0; i < num_fields; ++i) {
      if (row[i] == nullptr) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(std::string(row[i], lengths[i]));
      }
    }
    out.rows.push_back(std::move(values));
  }
  return out;
}

Status MySqlConnection::StreamQuery(std::string_view sql, const RowCallback& row) {
  if (mysql_ == nullptr) return LastError("querying " + Abbreviate(sql));
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return LastError("querying " + Abbreviate(sql));
  }
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> result(mysql_use_result(mysql_),
                                                                  &mysql_free_result);
  if (!result) {
    if (mysql_field_count(mysql_) != 0)
      return LastError("reading the result of " + Abbreviate(sql));
    return Status::Ok();
  }
  const unsigned int num_fields = mysql_num_fields(result.get());
  while (MYSQL_ROW cells = mysql_fetch_row(result.get())) {
    const unsigned long* lengths = mysql_fetch_lengths(result.get());
    if (!row(cells, lengths, num_fields)) {
      // Freeing the result reads and drops the rest of the rows.
      return Status::Aborted("stopped reading the result of " + Abbreviate(sql));
    }
  }
  if (mysql_errno(mysql_) != 0) return LastError("reading the result of " + Abbreviate(sql));
  return Status::Ok();
}

Result<std::vector<SqlRow>> MySqlConnection::Query(std::string_view sql) {
  VIMUR_ASSIGN_OR_RETURN(QueryResult result, QueryWithColumns(sql));
  return std::move(result.rows);
}

Result<std::optional<std::string>> MySqlConnection::QueryValue(std::string_view sql) {
  VIMUR_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, Query(sql));
  if (rows.empty() || rows[0].empty()) {
    return Status::NotFound(endpoint_ + ": " + Abbreviate(sql) + " returned no rows");
  }
  return std::move(rows[0][0]);
}

std::string MySqlConnection::tls_cipher() const {
  if (mysql_ == nullptr) return "";
  const char* cipher = mysql_get_ssl_cipher(mysql_);
  return cipher != nullptr ? cipher : "";
}

std::string MySqlConnection::Escape(std::string_view text) const {
  std::string out(text.size() * 2 + 1, '\0');
  unsigned long n = 0;
  if (mysql_ != nullptr) {
    n = mysql_real_escape_string(mysql_, out.data(), text.data(), text.size());
  }
  if (mysql_ == nullptr || n == static_cast<unsigned long>(-1)) {
    // Fallback that is correct for utf8mb4 with the default SQL mode.
    out.clear();
    for (char c : text) {
      switch (c) {
        case '\0': out += "\\0"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\\': out += "\\\\"; break;
        case '\'': out += "\\'"; break;
        case '"': out += "\\\""; break;
        case '\x1a': out += "\\Z"; break;
        default: out.push_back(c);
      }
    }
    return out;
  }
  out.resize(n);
  return out;
}

void MySqlConnection::Interrupt() {
  if (mysql_ == nullptr) return;
  my_socket fd = mysql_get_socket(mysql_);
  if (fd != static_cast<my_socket>(-1)) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace vimur::mysql
