#include "source/mysql/mysql_connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vimur::mysql {
namespace {

TEST(SslModeTest, ParsesEveryNameAndRejectsOthers) {
  for (SslMode mode : {SslMode::kDisabled, SslMode::kPreferred, SslMode::kRequired,
                       SslMode::kVerifyCa, SslMode::kVerifyIdentity}) {
    auto parsed = ParseSslMode(SslModeName(mode));
    ASSERT_TRUE(parsed.ok()) << SslModeName(mode);
    EXPECT_EQ(*parsed, mode);
  }
  auto dashed = ParseSslMode("VERIFY-IDENTITY");
  ASSERT_TRUE(dashed.ok());
  EXPECT_EQ(*dashed, SslMode::kVerifyIdentity);
  auto bad = ParseSslMode("sometimes");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("sometimes"), std::string::npos);
}

TEST(MySqlErrorTest, ClassifiesRetriableAndFatalErrors) {
  EXPECT_EQ(StatusCodeForMySqlError(2013), StatusCode::kUnavailable);  // lost connection
  EXPECT_EQ(StatusCodeForMySqlError(2006), StatusCode::kUnavailable);  // gone away
  EXPECT_EQ(StatusCodeForMySqlError(1053), StatusCode::kUnavailable);  // server shutdown
  EXPECT_EQ(StatusCodeForMySqlError(1045), StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeForMySqlError(1227), StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeForMySqlError(1236), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForMySqlError(1146), StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeForMySqlError(1064), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForMySqlError(2099), StatusCode::kIoError);
}

TEST(MySqlConnectOptionsTest, EndpointBracketsIpv6) {
  MySqlConnectOptions options;
  options.host = "db.example";
  options.port = 3307;
  EXPECT_EQ(options.Endpoint(), "db.example:3307");
  options.host = "::1";
  EXPECT_EQ(options.Endpoint(), "[::1]:3307");
}

// A loopback port with nothing listening: bind, read the port, close.
uint16_t ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(MySqlConnectionTest, RefusedConnectionIsRetriableAndNamesEndpointNotPassword) {
  MySqlConnectOptions options;
  options.host = "127.0.0.1";
  options.port = ClosedPort();
  options.user = "vimur";
  options.password = "s3cret-Pa55word";
  options.ssl_mode = SslMode::kDisabled;
  options.connect_timeout_s = 2;
  auto conn = MySqlConnection::Connect(options);
  ASSERT_FALSE(conn.ok());
  EXPECT_TRUE(conn.status().retriable()) << conn.status().ToString();
  EXPECT_NE(conn.status().message().find(options.Endpoint()), std::string::npos)
      << conn.status().ToString();
  EXPECT_EQ(conn.status().message().find(options.password), std::string::npos);
}

TEST(MySqlConnectionTest, MissingUserAndMissingCaAreConfigurationErrors) {
  MySqlConnectOptions options;
  options.user = "";
  auto no_user = MySqlConnection::Connect(options);
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.status().code(), StatusCode::kInvalidArgument);
  options.user = "vimur";
  options.ssl_mode = SslMode::kVerifyCa;
  auto no_ca = MySqlConnection::Connect(options);
  ASSERT_FALSE(no_ca.ok());
  EXPECT_EQ(no_ca.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_ca.status().message().find("ssl_ca"), std::string::npos);
}

}  // namespace
}  // namespace vimur::mysql
