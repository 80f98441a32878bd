// SqlConnection: one connection to a MariaDB/MySQL or PostgreSQL database, speaking each
// one's SQL dialect (quoting, upsert, types), for the sql sink and `vimur verify`.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "sink/sql/sql_value.h"

namespace vimur::sink {

enum class Dialect { kMariaDb, kPostgres };

struct DatabaseUrl {
  Dialect dialect = Dialect::kMariaDb;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string user;
  std::string password;  // never logged
  std::string database;
  // TLS, from the query: ?tls=disabled|preferred|required|verify_ca|verify_identity and the
  // PEM files tls_ca, tls_cert, tls_key (the source's `tls` keys under the same names).
  std::string tls = "preferred";
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  // The URL without its password, for logs and errors.
  std::string Redacted() const;
};

// mariadb://, mysql://, postgresql://, postgres:// URLs:
// USER[:PASSWORD]@HOST[:PORT]/DB[?tls=MODE&tls_ca=FILE&tls_cert=FILE&tls_key=FILE].
Result<DatabaseUrl> ParseDatabaseUrl(const std::string& url);

using TextRow = std::vector<std::optional<std::string>>;

// A column as the database describes it.
struct ColumnInfo {
  std::string name;
  std::string data_type;    // lower case: int, bigint, decimal, numeric, varchar, bytea, ...
  std::string column_type;  // MariaDB's full type (e.g. "bigint(20) unsigned"); else data_type
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual Dialect dialect() const = 0;
  // Connects (again) when not connected. Sessions run in UTC.
  virtual Status Connect() = 0;
  virtual void Disconnect() = 0;
  // Runs statements; errors are retriable (kUnavailable) when the connection or server
  // failed or a deadlock/lock timeout rolled back, else kFailedPrecondition.
  virtual Status Execute(const std::string& sql) = 0;
  // Rows as text (NULL as nullopt); binary values as their raw bytes.
  virtual Result<std::vector<TextRow>> Query(const std::string& sql) = 0;
  virtual std::string Literal(const SqlValue& v) = 0;
  virtual std::string Name(const std::string& identifier) const = 0;
  // Bulk load, where can_copy(): `statement` (PostgreSQL's `COPY ... FROM STDIN`, text format)
  // reads `data`: rows of fields written by AppendCopyField, separated by tabs, each row ended
  // by a newline.
  virtual bool can_copy() const { return false; }
  virtual Status CopyIn(const std::string& statement, const std::string& data) {
    (void)data;
    return Status::Unsupported("bulk load is not available for: " + statement.substr(0, 60));
  }
  virtual void AppendCopyField(const SqlValue& v, std::string* out) { *out += Literal(v); }
  // The table's columns in order; empty when it does not exist.
  virtual Result<std::vector<ColumnInfo>> Columns(const std::string& table) = 0;
  // The table's primary-key columns in order.
  virtual Result<std::vector<std::string>> PrimaryKey(const std::string& table) = 0;
  const DatabaseUrl& url() const { return url_; }

 protected:
  explicit SqlConnection(DatabaseUrl url) : url_(std::move(url)) {}
  DatabaseUrl url_;
};

std::unique_ptr<SqlConnection> MakeConnection(const DatabaseUrl& url);

}  // namespace vimur::sink
