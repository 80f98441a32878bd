// SqlConnection for MariaDB and MySQL, over libmariadb.
#include <mysql.h>

#include "core/logging.h"
#include "sink/row_json.h"
#include "sink/sql/sql_connection.h"
#include "sink/sql/sql_connections.h"

namespace vimur::sink {
namespace {

class MariaDbConnection final : public SqlConnection {
 public:
  explicit MariaDbConnection(DatabaseUrl url) : SqlConnection(std::move(url)) {}
  ~MariaDbConnection() override { Disconnect(); }

  Dialect dialect() const override { return Dialect::kMariaDb; }

  Status Connect() override {
    if (mysql_ != nullptr) return Status::Ok();
    mysql_ = mysql_init(nullptr);
    unsigned timeout = 10;
    mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    unsigned rw_timeout = 300;
    mysql_optionsv(mysql_, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
    mysql_optionsv(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
    mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    ApplyTls();
    if (mysql_real_connect(mysql_, url_.host.c_str(), url_.user.c_str(), url_.password.c_str(),
                           url_.database.c_str(), static_cast<unsigned>(url_.port), nullptr,
                           0) == nullptr) {
      unsigned err = mysql_errno(mysql_);
      Status s = Failure("connect");
      Disconnect();
      // A missing database or a refused login does not pass by retrying.
      if (err == 1049 || err == 1045 || err == 1044) {
        return Status::FailedPrecondition(s.message());
      }
      return Status::Unavailable(s.message());
    }
    Status s = Execute("SET time_zone = '+00:00'");
    if (!s.ok()) {
      Disconnect();
      return s;
    }
    return Status::Ok();
  }

  // Connector/C 3.3 asks for TLS only when told to: `preferred` and `disabled` leave it off
  // unless certificate files are given; `required` and the verify modes insist on it.
  void ApplyTls() {
    const bool verify = url_.tls == "verify_ca" || url_.tls == "verify_identity";
    const bool files = !url_.tls_ca.empty() || !url_.tls_cert.empty() || !url_.tls_key.empty();
    if (url_.tls == "disabled" || (url_.tls == "preferred" && !files)) return;
    my_bool enforce = url_.tls != "preferred" ? 1 : 0;
    mysql_optionsv(mysql_, MYSQL_OPT_SSL_ENFORCE, &enforce);
    if (!url_.tls_ca.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_CA, url_.tls_ca.c_str());
    if (!url_.tls_cert.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_CERT, url_.tls_cert.c_str());
    if (!url_.tls_key.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_KEY, url_.tls_key.c_str());
    my_bool check = verify ? 1 : 0;
    mysql_optionsv(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &check);
  }

  void Disconnect() override {
    if (mysql_ != nullptr) {
      mysql_close(mysql_);
      mysql_ = nullptr;
    }
  }

  Status Execute(const std::string& sql) override {
    VIMUR_RETURN_IF_ERROR(Connect());
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return Fail(sql);
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (res != nullptr) mysql_free_result(res);
    return Status::Ok();
  }

  Result<std::vector<TextRow>> Query(const std::string& sql) override {
    VIMUR_RETURN_IF_ERROR(Connect());
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return Fail(sql);
    MYSQL_RES* res = mysql_store_result(mysql_);
    std::vector<TextRow> rows;
    if (res == nullptr) {
      if (mysql_field_count(mysql_) != 0) return Fail(sql);
      return rows;
    }
    unsigned n = mysql_num_fields(res);
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      unsigned long* lengths = mysql_fetch_lengths(res);
      TextRow r(n);
      for (unsigned i = 0; i < n; ++i) {
        if (row[i] != nullptr) r[i].emplace(row[i], lengths[i]);
      }
      rows.push_back(std::move(r));
    }
    mysql_free_result(res);
    return rows;
  }

  std::string Literal(const SqlValue& v) override {
    switch (v.kind) {
      case SqlKind::kNull: return "NULL";
      case SqlKind::kNumber: return v.text;
      case SqlKind::kBool: return v.text == "1" ? "1" : "0";
      case SqlKind::kBytes: {
        static const char* kHex = "0123456789abcdef";
        std::string out = "X'";
        for (unsigned char c : v.text) {
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
        return out + "'";
      }
      case SqlKind::kArray: return Literal(SqlValue::Text(ValueToJson(v, nullptr).dump()));
      case SqlKind::kText: {
        std::string out = "'";
        for (char c : v.text) {
          switch (c) {
            case '\\': out += "\\\\"; break;
            case '\'': out += "\\'"; break;
            case '\0': out += "\\0"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\x1a': out += "\\Z"; break;
            default: out += c;
          }
        }
        return out + "'";
      }
    }
    return "NULL";
  }

  std::string Name(const std::string& id) const override {
    std::string out = "`";
    for (char c : id) {
      if (c == '`') out += '`';
      out += c;
    }
    return out + "`";
  }

  Result<std::vector<ColumnInfo>> Columns(const std::string& table) override {
    VIMUR_ASSIGN_OR_RETURN(auto rows,
                           Query("SELECT COLUMN_NAME, LOWER(DATA_TYPE), LOWER(COLUMN_TYPE) FROM "
                                 "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                                 "TABLE_NAME = " +
                                 Literal(SqlValue::Text(table)) + " ORDER BY ORDINAL_POSITION"));
    std::vector<ColumnInfo> out;
    for (auto& r : rows) out.push_back({r[0].value_or(""), r[1].value_or(""), r[2].value_or("")});
    return out;
  }

  Result<std::vector<std::string>> PrimaryKey(const std::string& table) override {
    VIMUR_ASSIGN_OR_RETURN(
        auto rows, Query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
                         "TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' AND "
                         "TABLE_NAME = " +
                         Literal(SqlValue::Text(table)) + " ORDER BY ORDINAL_POSITION"));
    std::vector<std::string> out;
    for (auto& r : rows) out.push_back(r[0].value_or(""));
    return out;
  }

 private:
  Status Failure(const std::string& what) const {
    return Status::Unavailable(url_.Redacted() + ": " + what + ": " + mysql_error(mysql_) +
                               " (error " + std::to_string(mysql_errno(mysql_)) + ")");
  }

  Status Fail(const std::string& sql) {
    unsigned err = mysql_errno(mysql_);
    std::string text = url_.Redacted() + ": " + mysql_error(mysql_) + " (error " +
                       std::to_string(err) + ") in: " + sql.substr(0, 300);
    // Client-side errors (2000-2999: connection lost, server gone), deadlocks, lock waits,
    // shutdowns and killed connections pass; the rest is about the statement or its data.
    bool retriable = (err >= 2000 && err < 3000) || err == 1205 || err == 1213 || err == 1040 ||
                     err == 1053 || err == 1927 || err == 1317 || err == 1158 || err == 1159 ||
                     err == 1160 || err == 1161;
    if (retriable) {
      Disconnect();
      return Status::Unavailable(text);
    }
    return Status::FailedPrecondition(text);
  }

  MYSQL* mysql_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlConnection> MakeMariaDbConnection(const DatabaseUrl& url) {
  return std::make_unique<MariaDbConnection>(url);
}

}  // namespace vimur::sink
