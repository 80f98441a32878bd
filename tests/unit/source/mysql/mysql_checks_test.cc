#include "source/mysql/mysql_checks.h"

#include <gtest/gtest.h>

namespace vimur::mysql {
namespace {

TEST(ParseGrantsTest, ReadsGlobalPrivilegesOfMariaDbAndMySql) {
  GrantSummary maria = ParseGrants(
      {"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO "
       "`vimur`@`%` IDENTIFIED BY PASSWORD '*DCFD538788EEA34F1EA028E89105C39575EB6A4C'"});
  EXPECT_TRUE(maria.HasGlobal("REPLICATION SLAVE"));
  EXPECT_TRUE(maria.HasGlobal("BINLOG MONITOR"));
  EXPECT_TRUE(maria.HasGlobal("SELECT"));
  EXPECT_FALSE(maria.HasGlobal("REPLICATION CLIENT"));
  EXPECT_FALSE(maria.global_all);

  GrantSummary mysql8 =
      ParseGrants({"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`",
                   "GRANT BACKUP_ADMIN,REPLICATION_SLAVE_ADMIN ON *.* TO `cdc`@`%`",
                   "GRANT SELECT ON `shop`.* TO `cdc`@`%`"});
  EXPECT_TRUE(mysql8.HasGlobal("REPLICATION CLIENT"));
  EXPECT_TRUE(mysql8.HasGlobal("REPLICATION_SLAVE_ADMIN"));
  EXPECT_FALSE(mysql8.HasGlobal("SELECT"));
  ASSERT_EQ(mysql8.select_scopes.size(), 1u);
  EXPECT_EQ(mysql8.select_scopes[0], "`shop`.*");
}

TEST(ParseGrantsTest, AllPrivilegesColumnsRolesAndUsage) {
  GrantSummary all =
      ParseGrants({"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT "
                   "OPTION"});
  EXPECT_TRUE(all.global_all);
  EXPECT_TRUE(all.HasGlobal("REPLICATION SLAVE"));

  GrantSummary mixed = ParseGrants({"GRANT USAGE ON *.* TO `u`@`%`", "GRANT `cdc_role` TO `u`@`%`",
                                    "GRANT SELECT (`id`, `name`), INSERT ON `shop`.`users` TO "
                                    "`u`@`%`",
                                    "GRANT PROXY ON ''@'%' TO 'u'@'%'"});
  EXPECT_FALSE(mixed.global_all);
  EXPECT_FALSE(mixed.HasGlobal("SELECT"));
  EXPECT_TRUE(mixed.HasGlobal("USAGE"));
  ASSERT_EQ(mixed.select_scopes.size(), 1u);
  EXPECT_EQ(mixed.select_scopes[0], "`shop`.`users` (`id`, `name`)");
  // A column list containing " ON " must not be taken for the scope keyword.
  GrantSummary tricky = ParseGrants({"GRANT SELECT (`a on b`) ON `d`.`t` TO `u`@`%`"});
  ASSERT_EQ(tricky.select_scopes.size(), 1u);
  EXPECT_EQ(tricky.select_scopes[0], "`d`.`t` (`a on b`)");
}

TEST(ParseGrantsTest, GarbageIsIgnored) {
  GrantSummary none = ParseGrants({"", "GRANT", "GRANT ON", "REVOKE ALL ON *.* FROM x", "GRANT ("});
  EXPECT_FALSE(none.global_all);
  EXPECT_TRUE(none.global.empty());
  EXPECT_TRUE(none.select_scopes.empty());
}

TEST(QuoteAccountTest, SplitsAtLastAt) {
  EXPECT_EQ(QuoteAccount("vimur@127.0.0.1"), "'vimur'@'127.0.0.1'");
  EXPECT_EQ(QuoteAccount("we@ird@%"), "'we@ird'@'%'");
  EXPECT_EQ(QuoteAccount("plain"), "'plain'@'%'");
}

TEST(AllChecksOkTest, FalseWhenAnyFails) {
  std::vector<CheckResult> results = {{"a", true, "", ""}, {"b", true, "", ""}};
  EXPECT_TRUE(AllChecksOk(results));
  results.push_back({"c", false, "bad", "fix it"});
  EXPECT_FALSE(AllChecksOk(results));
}

}  // namespace
}  // namespace vimur::mysql
