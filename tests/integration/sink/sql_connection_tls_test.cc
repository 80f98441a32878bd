// The sql sink's MariaDB connection against a real server with TLS: each `tls` mode of a target
// URL encrypts or not as asked, and verification refuses an unknown CA.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "../support/mariadb_server.h"
#include "../support/test_certificates.h"
#include "sink/sql/sql_connection.h"

namespace vimur::sink {
namespace {

using testing::MariaDbServer;

class SqlConnectionTlsTest : public ::testing::Test {
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
    std::error_code ec;
    if (certs_ != nullptr) std::filesystem::remove_all(*certs_, ec);
    delete certs_;
    certs_ = nullptr;
  }
  // The session's cipher ("" without TLS), or the connection error.
  static Result<std::string> Cipher(const std::string& query) {
    auto url = ParseDatabaseUrl("mariadb://root:root@127.0.0.1:" + std::to_string(server_->port()) +
                                "/mysql" + query);
    if (!url.ok()) return url.status();
    std::unique_ptr<SqlConnection> conn = MakeConnection(*url);
    VIMUR_RETURN_IF_ERROR(conn->Connect());
    VIMUR_ASSIGN_OR_RETURN(auto rows, conn->Query("SHOW SESSION STATUS LIKE 'Ssl_cipher'"));
    if (rows.size() != 1 || rows[0].size() != 2) return Status::Internal("unexpected answer");
    return rows[0][1].value_or("");
  }
  static inline MariaDbServer* server_ = nullptr;
  static inline std::string* certs_ = nullptr;
};

TEST_F(SqlConnectionTlsTest, EachModeEncryptsOrNotAsAsked) {
  auto plain = Cipher("");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, "");  // Connector/C 3.3 asks for TLS only when told to
  auto disabled = Cipher("?tls=disabled");
  ASSERT_TRUE(disabled.ok()) << disabled.status().ToString();
  EXPECT_EQ(*disabled, "");
  auto required = Cipher("?tls=required");
  ASSERT_TRUE(required.ok()) << required.status().ToString();
  EXPECT_NE(*required, "");
  for (const char* mode : {"verify_ca", "verify_identity"}) {
    auto verified = Cipher(std::string("?tls=") + mode + "&tls_ca=" + *certs_ + "/ca.pem");
    ASSERT_TRUE(verified.ok()) << mode << ": " << verified.status().ToString();
    EXPECT_NE(*verified, "") << mode;
  }
}

TEST_F(SqlConnectionTlsTest, VerificationRefusesAnUnknownCa) {
  for (const char* mode : {"verify_ca", "verify_identity"}) {
    auto refused = Cipher(std::string("?tls=") + mode + "&tls_ca=" + *certs_ + "/other-ca.pem");
    ASSERT_FALSE(refused.ok()) << mode;
    // The error names the target without its password.
    EXPECT_EQ(refused.status().message().find("root:root"), std::string::npos)
        << refused.status().message();
  }
}

}  // namespace
}  // namespace vimur::sink
