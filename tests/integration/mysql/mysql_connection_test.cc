// MySqlConnection against real MariaDB servers: queries, errors, and every TLS mode.
#include "source/mysql/mysql_connection.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "../support/mariadb_server.h"
#include "../support/test_certificates.h"

namespace vimur::mysql {
namespace {

using testing::MariaDbServer;

class MySqlConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = MariaDbServer::Start();
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static inline MariaDbServer* server_ = nullptr;
};

TEST_F(MySqlConnectionTest, QueriesReturnRowsNullsBinaryAndColumnNames) {
  auto conn = MySqlConnection::Connect(server_->RootOptions());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_TRUE(conn->is_mariadb());
  EXPECT_EQ(conn->flavor(), ServerFlavor::kMariaDb);
  EXPECT_NE(conn->server_version().find("MariaDB"), std::string::npos);
  EXPECT_EQ(conn->server_version_number() / 10000, 10u);
  EXPECT_TRUE(conn->tls_cipher().empty());  // the harness server has no TLS

  auto result = conn->QueryWithColumns(
      "SELECT 1 AS one, NULL AS nothing, X'00FF0041' AS bin, 'h\xC3\xA9' AS text "
      "UNION ALL SELECT 2, 'x', X'', ''");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->columns.size(), 4u);
  EXPECT_EQ(result->columns[0], "one");
  EXPECT_EQ(result->ColumnIndex("NOTHING"), 1);
  EXPECT_EQ(result->ColumnIndex("missing"), -1);
  ASSERT_EQ(result->rows.size(), 2u);
  EXPECT_EQ(result->rows[0][0], "1");
  EXPECT_FALSE(result->rows[0][1].has_value());
  EXPECT_EQ(*result->rows[0][2], std::string("\x00\xff\x00\x41", 4));
  EXPECT_EQ(*result->rows[0][3], "h\xC3\xA9");
  EXPECT_EQ(result->rows[1][1], "x");
  EXPECT_EQ(result->rows[1][2], "");

  auto value = conn->QueryValue("SELECT @@character_set_client");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "utf8mb4");
  auto none = conn->QueryValue("SELECT 1 FROM DUAL WHERE 1 = 0");
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);

  // Statements without a result set, and Escape round trips awkward text.
  ASSERT_TRUE(conn->Execute("CREATE DATABASE IF NOT EXISTS conn_test").ok());
  ASSERT_TRUE(conn->Execute("CREATE TABLE conn_test.t (v VARBINARY(64))").ok());
  constexpr char kAwkward[] = "it's \"q\" \\ \n\r\x1a\0end";
  const std::string awkward(kAwkward, sizeof(kAwkward) - 1);
  ASSERT_TRUE(
      conn->Execute("INSERT INTO conn_test.t VALUES ('" + conn->Escape(awkward) + "')").ok());
  auto back = conn->QueryValue("SELECT v FROM conn_test.t");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, awkward);
  auto rows = conn->Query("DROP TABLE conn_test.t");
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TEST_F(MySqlConnectionTest, ErrorsNameTheEndpointAndTheServerMessage) {
  auto conn = MySqlConnection::Connect(server_->VimurOptions());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  const std::string endpoint = "127.0.0.1:" + std::to_string(server_->port());

  Status syntax = conn->Execute("SELEKT 1");
  EXPECT_EQ(syntax.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(syntax.message().find(endpoint), std::string::npos) << syntax.ToString();
  EXPECT_NE(syntax.message().find("SELEKT"), std::string::npos) << syntax.ToString();
  EXPECT_NE(syntax.message().find("[1064]"), std::string::npos) << syntax.ToString();

  auto missing = conn->Query("SELECT * FROM mysql.no_such_table");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();

  Status denied = conn->Execute("CREATE DATABASE vimur_may_not");
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied) << denied.ToString();
  EXPECT_NE(denied.message().find("vimur"), std::string::npos);
  // The connection stays usable after errors.
  EXPECT_TRUE(conn->QueryValue("SELECT 1").ok());
}

TEST_F(MySqlConnectionTest, WrongPasswordIsPermissionDeniedAndNeverEchoed) {
  MySqlConnectOptions options = server_->VimurOptions();
  options.password = "Wr0ng-Secret-Value";
  auto conn = MySqlConnection::Connect(options);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kPermissionDenied) << conn.status().ToString();
  EXPECT_EQ(conn.status().message().find(options.password), std::string::npos);
  EXPECT_NE(conn.status().message().find("'vimur'"), std::string::npos);
  EXPECT_NE(conn.status().message().find("[1045]"), std::string::npos);
}

TEST_F(MySqlConnectionTest, RequiredTlsAgainstAPlainServerFails) {
  MySqlConnectOptions options = server_->VimurOptions();
  options.ssl_mode = SslMode::kPreferred;
  auto preferred = MySqlConnection::Connect(options);
  ASSERT_TRUE(preferred.ok()) << preferred.status().ToString();
  EXPECT_TRUE(preferred->tls_cipher().empty());
  options.ssl_mode = SslMode::kRequired;
  auto required = MySqlConnection::Connect(options);
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(required.status().message().find("does not offer TLS"), std::string::npos)
      << required.status().ToString();
}

TEST_F(MySqlConnectionTest, InterruptMakesABlockedQueryFail) {
  auto conn = MySqlConnection::Connect(server_->RootOptions());
  ASSERT_TRUE(conn.ok());
  MySqlConnection* raw = &*conn;
  std::thread stopper([raw] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    raw->Interrupt();
  });
  auto start = std::chrono::steady_clock::now();
  auto slept = conn->Query("SELECT SLEEP(20)");
  stopper.join();
  EXPECT_FALSE(slept.ok());
  EXPECT_TRUE(slept.status().retriable()) << slept.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// A server with TLS from a throw-away CA.
class MySqlTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto certs = testing::MakeTestCertificates();
    ASSERT_TRUE(certs.ok()) << certs.status().ToString();
    certs_ = new std::string(*certs);
    auto server = MariaDbServer::Start(testing::MariaDbTlsOptions(*certs_));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (certs_ != nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(*certs_, ec);
      delete certs_;
      certs_ = nullptr;
    }
  }
  static MySqlConnectOptions Options(SslMode mode, const std::string& ca_file) {
    MySqlConnectOptions options = server_->VimurOptions();
    options.ssl_mode = mode;
    if (!ca_file.empty()) options.ssl_ca = *certs_ + "/" + ca_file;
    return options;
  }
  static inline MariaDbServer* server_ = nullptr;
  static inline std::string* certs_ = nullptr;
};

TEST_F(MySqlTlsTest, EachModeEncryptsOrNotAsConfigured) {
  auto disabled = MySqlConnection::Connect(Options(SslMode::kDisabled, ""));
  ASSERT_TRUE(disabled.ok()) << disabled.status().ToString();
  EXPECT_TRUE(disabled->tls_cipher().empty());

  for (SslMode mode : {SslMode::kPreferred, SslMode::kRequired}) {
    auto conn = MySqlConnection::Connect(Options(mode, ""));
    ASSERT_TRUE(conn.ok()) << SslModeName(mode) << ": " << conn.status().ToString();
    EXPECT_FALSE(conn->tls_cipher().empty()) << SslModeName(mode);
    // The server agrees that the session is encrypted.
    auto cipher = conn->Query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    ASSERT_TRUE(cipher.ok());
    ASSERT_EQ(cipher->size(), 1u);
    EXPECT_EQ((*cipher)[0][1].value_or(""), conn->tls_cipher());
  }
  for (SslMode mode : {SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    auto conn = MySqlConnection::Connect(Options(mode, "ca.pem"));
    ASSERT_TRUE(conn.ok()) << SslModeName(mode) << ": " << conn.status().ToString();
    EXPECT_FALSE(conn->tls_cipher().empty());
  }
}

TEST_F(MySqlTlsTest, VerificationRejectsAnUnknownCaAndAWrongHostName) {
  for (SslMode mode : {SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    auto conn = MySqlConnection::Connect(Options(mode, "other-ca.pem"));
    ASSERT_FALSE(conn.ok()) << SslModeName(mode);
    EXPECT_EQ(conn.status().code(), StatusCode::kFailedPrecondition) << conn.status().ToString();
    EXPECT_NE(conn.status().message().find("127.0.0.1:" + std::to_string(server_->port())),
              std::string::npos);
  }
  // The certificate names 127.0.0.1, not localhost.
  MySqlConnectOptions options = Options(SslMode::kVerifyIdentity, "ca.pem");
  options.host = "localhost";
  auto wrong_name = MySqlConnection::Connect(options);
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_EQ(wrong_name.status().code(), StatusCode::kFailedPrecondition)
      << wrong_name.status().ToString();
  // "localhost" is still TCP to the configured port, not the default Unix socket.
  options.ssl_mode = SslMode::kRequired;
  options.ssl_ca.clear();
  auto by_name = MySqlConnection::Connect(options);
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_FALSE(by_name->tls_cipher().empty());
}

}  // namespace
}  // namespace vimur::mysql
