// SqlConnection for PostgreSQL, over libpq.
#include <libpq-fe.h>

#include <utility>
#include <vector>

#include "sink/sql/sql_connection.h"
#include "sink/sql/sql_connections.h"

namespace vimur::sink {
namespace {

constexpr Oid kByteaOid = 17;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(DatabaseUrl url) : SqlConnection(std::move(url)) {}
  ~PostgresConnection() override { Disconnect(); }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Status Connect() override {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
    Disconnect();
    const std::string port = std::to_string(url_.port);
    const std::string sslmode = url_.tls == "disabled"          ? "disable"
                                : url_.tls == "required"        ? "require"
                                : url_.tls == "verify_ca"       ? "verify-ca"
                                : url_.tls == "verify_identity" ? "verify-full"
                                                                : "prefer";
    std::vector<const char*> keys = {"host",    "port",
                                     "user",    "password",
                                     "dbname",  "connect_timeout",
                                     "options", "client_encoding",
                                     "sslmode"};
    std::vector<const char*> values = {url_.host.c_str(),
                                       port.c_str(),
                                       url_.user.c_str(),
                                       url_.password.c_str(),
                                       url_.database.c_str(),
                                       "10",
                                       "-c TimeZone=UTC -c extra_float_digits=1",
                                       "UTF8",
                                       sslmode.c_str()};
    for (const auto& [key, file] :
         {std::pair{"sslrootcert", &url_.tls_ca}, std::pair{"sslcert", &url_.tls_cert},
          std::pair{"sslkey", &url_.tls_key}}) {
      if (file->empty()) continue;
      keys.push_back(key);
      values.push_back(file->c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
    // Notices (e.g. "table ... does not exist, skipping") are not for the logs of a sink.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = url_.Redacted() + ": connect: " + PQerrorMessage(conn_);
      bool denied = message.find("password authentication failed") != std::string::npos ||
                    (message.find("database") != std::string::npos &&
                     message.find("does not exist") != std::string::npos);
      Disconnect();
      return denied ? Status::FailedPrecondition(message) : Status::Unavailable(message);
    }
    return Status::Ok();
  }

  void Disconnect() override {
    if (conn_ != nullptr) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
  }

  Status Execute(const std::string& sql) override {
    VIMUR_RETURN_IF_ERROR(Connect());
    PGresult* res = PQexec(conn_, sql.c_str());
    Status s = Check(res, sql);
    PQclear(res);
    return s;
  }

  Result<std::vector<TextRow>> Query(const std::string& sql) override {
    VIMUR_RETURN_IF_ERROR(Connect());
    PGresult* res = PQexec(conn_, sql.c_str());
    Status s = Check(res, sql);
    if (!s.ok()) {
      PQclear(res);
      return s;
    }
    std::vector<TextRow> rows;
    int n = PQntuples(res), m = PQnfields(res);
    rows.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      TextRow r(static_cast<size_t>(m));
      for (int j = 0; j < m; ++j) {
        if (PQgetisnull(res, i, j)) continue;
        const char* v = PQgetvalue(res, i, j);
        int len = PQgetlength(res, i, j);
        if (PQftype(res, j) == kByteaOid && len >= 2 && v[0] == '\\' && v[1] == 'x') {
          std::string raw;
          for (int k = 2; k + 1 < len; k += 2) {
            raw += static_cast<char>(HexDigit(v[k]) * 16 + HexDigit(v[k + 1]));
          }
          r[static_cast<size_t>(j)] = std::move(raw);
        } else {
          r[static_cast<size_t>(j)].emplace(v, static_cast<size_t>(len));
        }
      }
      rows.push_back(std::move(r));
    }
    PQclear(res);
    return rows;
  }

  std::string Literal(const SqlValue& v) override {
    switch (v.kind) {
      case SqlKind::kNull: return "NULL";
      case SqlKind::kNumber: return v.text;
      case SqlKind::kBool: return v.text == "1" ? "true" : "false";
      case SqlKind::kBytes: {
        static const char* kHex = "0123456789abcdef";
        std::string out = "'\\x";
        for (unsigned char c : v.text) {
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
        return out + "'::bytea";
      }
      case SqlKind::kText: return Quoted(v.text);
      case SqlKind::kArray: return Quoted(ArrayText(v));
    }
    return "NULL";
  }

  // standard_conforming_strings (on since 9.1): only quotes are doubled.
  static std::string Quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }

  // An array's input form, `{1,NULL,"a \"b\""}`: every element quoted (backslash-escaped),
  // bytes as `\x` hex, which the column's element type reads.
  static std::string ArrayText(const SqlValue& v) {
    static const char* kHex = "0123456789abcdef";
    std::string out = "{";
    for (size_t i = 0; i < v.items.size(); ++i) {
      const SqlValue& item = v.items[i];
      if (i > 0) out += ',';
      if (item.is_null()) {
        out += "NULL";
        continue;
      }
      std::string text = item.text;
      if (item.kind == SqlKind::kBool) text = item.text == "1" ? "t" : "f";
      if (item.kind == SqlKind::kBytes) {
        text = "\\x";
        for (unsigned char c : item.text) {
          text += kHex[c >> 4];
          text += kHex[c & 15];
        }
      }
      out += '"';
      for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
    return out + "}";
  }

  bool can_copy() const override { return true; }

  Status CopyIn(const std::string& statement, const std::string& data) override {
    VIMUR_RETURN_IF_ERROR(Connect());
    PGresult* res = PQexec(conn_, statement.c_str());
    if (PQresultStatus(res) != PGRES_COPY_IN) {
      Status s = Check(res, statement);
      PQclear(res);
      return s.ok() ? Status::Internal("not a COPY FROM STDIN: " + statement.substr(0, 60)) : s;
    }
    PQclear(res);
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(conn_, nullptr) != 1) {
      std::string text = url_.Redacted() + ": sending COPY data: " + PQerrorMessage(conn_);
      Disconnect();
      return Status::Unavailable(text);
    }
    res = PQgetResult(conn_);
    Status s = Check(res, statement);
    PQclear(res);
    while ((res = PQgetResult(conn_)) != nullptr) PQclear(res);
    return s;
  }

  // COPY's text format: \N for NULL; backslash, tab, newline and carriage return escaped.
  void AppendCopyField(const SqlValue& v, std::string* out) override {
    auto escaped = [out](const std::string& text) {
      for (char c : text) {
        switch (c) {
          case '\\': *out += "\\\\"; break;
          case '\t': *out += "\\t"; break;
          case '\n': *out += "\\n"; break;
          case '\r': *out += "\\r"; break;
          default: *out += c;
        }
      }
    };
    switch (v.kind) {
      case SqlKind::kNull: *out += "\\N"; return;
      case SqlKind::kNumber: *out += v.text; return;
      case SqlKind::kBool: *out += v.text == "1" ? 't' : 'f'; return;
      case SqlKind::kBytes: {
        static const char* kHex = "0123456789abcdef";
        *out += "\\\\x";
        for (unsigned char c : v.text) {
          *out += kHex[c >> 4];
          *out += kHex[c & 15];
        }
        return;
      }
      case SqlKind::kText: escaped(v.text); return;
      case SqlKind::kArray: escaped(ArrayText(v)); return;
    }
  }

  std::string Name(const std::string& id) const override {
    std::string out = "\"";
    for (char c : id) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }

  Result<std::vector<ColumnInfo>> Columns(const std::string& table) override {
    VIMUR_ASSIGN_OR_RETURN(
        auto rows, Query("SELECT column_name, lower(data_type), lower(data_type) FROM "
                         "information_schema.columns WHERE table_schema = current_schema() AND "
                         "table_name = " +
                         Literal(SqlValue::Text(table)) + " ORDER BY ordinal_position"));
    std::vector<ColumnInfo> out;
    for (auto& r : rows) out.push_back({r[0].value_or(""), r[1].value_or(""), r[2].value_or("")});
    return out;
  }

  Result<std::vector<std::string>> PrimaryKey(const std::string& table) override {
    VIMUR_ASSIGN_OR_RETURN(
        auto rows,
        Query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
              "AND a.attnum = ANY(i.indkey) WHERE i.indisprimary AND i.indrelid = "
              "to_regclass(" +
              Literal(SqlValue::Text(Name(table))) +
              ") ORDER BY array_position(i.indkey::int2[], a.attnum)"));
    std::vector<std::string> out;
    for (auto& r : rows) out.push_back(r[0].value_or(""));
    return out;
  }

 private:
  Status Check(PGresult* res, const std::string& sql) {
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
      return Status::Ok();
    }
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string code = state ? state : "";
    std::string text = url_.Redacted() + ": " + PQerrorMessage(conn_) + " (SQLSTATE " + code +
                       ") in: " + sql.substr(0, 300);
    // Connection exceptions (08), serialization failures and deadlocks (40001, 40P01),
    // shutdowns (57P*) and too many connections (53300) pass; the rest does not.
    bool lost = PQstatus(conn_) != CONNECTION_OK || code.empty();
    bool retriable = lost || code.rfind("08", 0) == 0 || code == "40001" || code == "40P01" ||
                     code.rfind("57P", 0) == 0 || code == "53300";
    if (retriable) {
      Disconnect();
      return Status::Unavailable(text);
    }
    return Status::FailedPrecondition(text);
  }

  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlConnection> MakePostgresConnection(const DatabaseUrl& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace vimur::sink
