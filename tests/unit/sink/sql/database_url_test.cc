#include <gtest/gtest.h>

#include "sink/sql/sql_connection.h"

namespace vimur::sink {
namespace {

TEST(DatabaseUrlTest, ReadsTlsParameters) {
  auto url = ParseDatabaseUrl(
      "postgresql://app:p%40ss@db.example:6432/orders?tls=verify_identity&tls_ca=/etc/ca.pem"
      "&tls_cert=/etc/c.pem&tls_key=/etc/k%20ey.pem");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->dialect, Dialect::kPostgres);
  EXPECT_EQ(url->password, "p@ss");
  EXPECT_EQ(url->database, "orders");
  EXPECT_EQ(url->tls, "verify_identity");
  EXPECT_EQ(url->tls_ca, "/etc/ca.pem");
  EXPECT_EQ(url->tls_cert, "/etc/c.pem");
  EXPECT_EQ(url->tls_key, "/etc/k ey.pem");
  EXPECT_EQ(url->Redacted(), "postgresql://app@db.example:6432/orders?tls=verify_identity");

  auto plain = ParseDatabaseUrl("mariadb://app:pw@127.0.0.1/orders");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->tls, "preferred");
  EXPECT_EQ(plain->port, 3306);
  EXPECT_EQ(plain->Redacted(), "mariadb://app@127.0.0.1:3306/orders");
}

TEST(DatabaseUrlTest, RefusesUnknownParametersAndModesWithoutTheirPassword) {
  auto unknown = ParseDatabaseUrl("mariadb://app:secret@h/d?sslmode=require");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown parameter 'sslmode'"), std::string::npos)
      << unknown.status().message();
  EXPECT_EQ(unknown.status().message().find("secret"), std::string::npos);
  auto mode = ParseDatabaseUrl("mariadb://app:secret@h/d?tls=always");
  ASSERT_FALSE(mode.ok());
  EXPECT_NE(mode.status().message().find("tls=always"), std::string::npos);
  auto no_ca = ParseDatabaseUrl("postgresql://app@h/d?tls=verify_ca");
  ASSERT_FALSE(no_ca.ok());
  EXPECT_NE(no_ca.status().message().find("tls_ca"), std::string::npos);
}

}  // namespace
}  // namespace vimur::sink
