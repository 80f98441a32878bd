// CheckMySqlSource against a real MariaDB server: passes on a well configured one, and
// names each broken setting or missing privilege with its fix.
#include "source/mysql/mysql_checks.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "../support/mariadb_server.h"
#include "source/mysql/binlog_client.h"

namespace vimur::mysql {
namespace {

using testing::MariaDbServer;

const CheckResult* Find(const std::vector<CheckResult>& results, const std::string& name) {
  for (const auto& r : results) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::string Describe(const std::vector<CheckResult>& results) {
  std::string out;
  for (const auto& r : results) {
    out += (r.ok ? "  ok   " : "  FAIL ") + r.name + ": " + r.detail +
           (r.fix.empty() ? "" : " -> " + r.fix) + "\n";
  }
  return out;
}

class MySqlChecksTest : public ::testing::Test {
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
  static std::vector<CheckResult> RunAs(const std::string& user, const std::string& password,
                                        uint32_t server_id) {
    auto conn = server_->Connect(user, password);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return {};
    return CheckMySqlSource(*conn, server_id);
  }
  static inline MariaDbServer* server_ = nullptr;
};

TEST_F(MySqlChecksTest, PassesOnTheHarnessServer) {
  std::vector<CheckResult> results = RunAs("vimur", "vimur", 5600);
  EXPECT_TRUE(AllChecksOk(results)) << Describe(results);
  for (const char* name : {"server version", "log_bin", "binlog_format", "binlog_row_image",
                           "binlog_row_metadata", "privilege REPLICATION SLAVE",
                           "privilege BINLOG MONITOR", "privilege SELECT", "server_id"}) {
    const CheckResult* r = Find(results, name);
    ASSERT_NE(r, nullptr) << name << " missing:\n" << Describe(results);
    EXPECT_TRUE(r->ok) << Describe(results);
    EXPECT_TRUE(r->fix.empty()) << name;
  }
  EXPECT_EQ(Find(results, "binlog_row_value_options"), nullptr);  // MySQL only
}

TEST_F(MySqlChecksTest, ReportsEachChangedSettingWithItsFix) {
  ASSERT_TRUE(server_->Exec("SET GLOBAL binlog_row_metadata = MINIMAL").ok());
  ASSERT_TRUE(server_->Exec("SET GLOBAL binlog_format = STATEMENT").ok());
  ASSERT_TRUE(server_->Exec("SET GLOBAL binlog_row_image = MINIMAL").ok());
  std::vector<CheckResult> results = RunAs("vimur", "vimur", 5600);
  ASSERT_TRUE(server_->Exec("SET GLOBAL binlog_row_metadata = FULL").ok());
  ASSERT_TRUE(server_->Exec("SET GLOBAL binlog_format = ROW").ok());
  ASSERT_TRUE(server_->Exec("SET GLOBAL binlog_row_image = FULL").ok());

  EXPECT_FALSE(AllChecksOk(results));
  const CheckResult* metadata = Find(results, "binlog_row_metadata");
  ASSERT_NE(metadata, nullptr);
  EXPECT_FALSE(metadata->ok);
  EXPECT_NE(metadata->detail.find("MINIMAL"), std::string::npos) << metadata->detail;
  EXPECT_EQ(metadata->fix,
            "SET GLOBAL binlog_row_metadata = FULL; and add binlog_row_metadata=FULL under "
            "[mysqld] in my.cnf");
  const CheckResult* format = Find(results, "binlog_format");
  ASSERT_NE(format, nullptr);
  EXPECT_FALSE(format->ok);
  EXPECT_NE(format->detail.find("STATEMENT"), std::string::npos) << format->detail;
  EXPECT_EQ(format->fix,
            "SET GLOBAL binlog_format = ROW; and add binlog_format=ROW under [mysqld] in my.cnf");
  const CheckResult* image = Find(results, "binlog_row_image");
  ASSERT_NE(image, nullptr);
  EXPECT_FALSE(image->ok);
  EXPECT_EQ(image->fix,
            "SET GLOBAL binlog_row_image = FULL; and add binlog_row_image=FULL under [mysqld] in "
            "my.cnf");
  // The rest is unaffected.
  for (const char* name : {"log_bin", "privilege REPLICATION SLAVE", "privilege SELECT"}) {
    const CheckResult* r = Find(results, name);
    ASSERT_NE(r, nullptr) << name;
    EXPECT_TRUE(r->ok) << Describe(results);
  }
  // And after restoring the settings all is well again.
  EXPECT_TRUE(AllChecksOk(RunAs("vimur", "vimur", 5600)));
}

TEST_F(MySqlChecksTest, AUserWithoutPrivilegesGetsTheGrantsToRun) {
  ASSERT_TRUE(server_->Exec("CREATE OR REPLACE USER 'nopriv'@'%' IDENTIFIED BY 'nopriv'").ok());
  std::vector<CheckResult> results = RunAs("nopriv", "nopriv", 5600);
  EXPECT_FALSE(AllChecksOk(results));
  const CheckResult* slave = Find(results, "privilege REPLICATION SLAVE");
  ASSERT_NE(slave, nullptr) << Describe(results);
  EXPECT_FALSE(slave->ok);
  EXPECT_EQ(slave->fix, "GRANT REPLICATION SLAVE ON *.* TO 'nopriv'@'%';");
  const CheckResult* monitor = Find(results, "privilege BINLOG MONITOR");
  ASSERT_NE(monitor, nullptr) << Describe(results);
  EXPECT_FALSE(monitor->ok);
  EXPECT_EQ(monitor->fix, "GRANT BINLOG MONITOR ON *.* TO 'nopriv'@'%';");
  const CheckResult* select = Find(results, "privilege SELECT");
  ASSERT_NE(select, nullptr);
  EXPECT_FALSE(select->ok);
  EXPECT_NE(select->fix.find("GRANT SELECT ON *.* TO 'nopriv'@'%';"), std::string::npos);
  // Server settings are readable without privileges and still pass.
  EXPECT_TRUE(Find(results, "binlog_format")->ok) << Describe(results);
  EXPECT_TRUE(Find(results, "log_bin")->ok) << Describe(results);

  // Granting what the fixes say makes the privilege checks pass.
  ASSERT_TRUE(server_->Exec(slave->fix).ok());
  ASSERT_TRUE(server_->Exec(monitor->fix).ok());
  ASSERT_TRUE(server_->Exec("GRANT SELECT ON shop_only.* TO 'nopriv'@'%'").ok());
  std::vector<CheckResult> after = RunAs("nopriv", "nopriv", 5600);
  EXPECT_TRUE(Find(after, "privilege REPLICATION SLAVE")->ok) << Describe(after);
  EXPECT_TRUE(Find(after, "privilege BINLOG MONITOR")->ok) << Describe(after);
  const CheckResult* db_select = Find(after, "privilege SELECT");
  EXPECT_TRUE(db_select->ok) << Describe(after);
  EXPECT_NE(db_select->detail.find("shop_only"), std::string::npos) << db_select->detail;
}

TEST_F(MySqlChecksTest, ServerIdOfTheSourceOrOfAConnectedReplicaIsRejected) {
  std::vector<CheckResult> own = RunAs("vimur", "vimur", 1);  // the harness runs server_id 1
  const CheckResult* own_id = Find(own, "server_id");
  ASSERT_NE(own_id, nullptr);
  EXPECT_FALSE(own_id->ok);
  EXPECT_NE(own_id->detail.find("source server's own id"), std::string::npos) << own_id->detail;

  auto conn = MySqlConnection::Connect(server_->VimurOptions());
  ASSERT_TRUE(conn.ok());
  BinlogClient replica(std::move(conn).value(), BinlogClientOptions{.server_id = 5601});
  ASSERT_TRUE(replica.Start(StartPosition::CurrentEnd()).ok());
  std::vector<CheckResult> taken = RunAs("vimur", "vimur", 5601);
  const CheckResult* taken_id = Find(taken, "server_id");
  ASSERT_NE(taken_id, nullptr);
  EXPECT_FALSE(taken_id->ok) << Describe(taken);
  EXPECT_NE(taken_id->detail.find("used by a connected replica"), std::string::npos)
      << taken_id->detail;
  EXPECT_FALSE(taken_id->fix.empty());
  // Another id is free.
  std::vector<CheckResult> free_id = RunAs("vimur", "vimur", 5602);
  EXPECT_TRUE(Find(free_id, "server_id")->ok) << Describe(free_id);
  std::vector<CheckResult> zero = RunAs("vimur", "vimur", 0);
  EXPECT_FALSE(Find(zero, "server_id")->ok);
}

}  // namespace
}  // namespace vimur::mysql
