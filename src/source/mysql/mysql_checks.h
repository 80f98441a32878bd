// Checks that a MySQL/MariaDB server and account can feed Vimur (binlog settings,
// privileges, a free replica server_id), each with the exact statement that fixes it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "source/mysql/mysql_connection.h"

namespace vimur::mysql {

struct CheckResult {
  std::string name;  // "binlog_format", "privilege REPLICATION SLAVE", "server_id", ...
  bool ok = false;
  std::string detail;  // what was found
  std::string fix;     // what to run or change; empty when ok (except advice on an
                       // unverifiable check)
};

// Runs every check over `connection` (the capture account). `server_id` is the replica id
// Vimur will register with. Never fails as a whole: a query that cannot run becomes a
// failed check naming the error.
std::vector<CheckResult> CheckMySqlSource(MySqlConnection& connection, uint32_t server_id);

bool AllChecksOk(const std::vector<CheckResult>& results);

// Privileges found in SHOW GRANTS output.
struct GrantSummary {
  // Upper-case privilege names granted ON *.* ("REPLICATION SLAVE", "BINLOG MONITOR").
  std::set<std::string> global;
  bool global_all = false;  // ALL [PRIVILEGES] ON *.*
  // Scopes ("`shop`.*", "`shop`.`orders`") on which SELECT (or ALL) is granted.
  std::vector<std::string> select_scopes;
  bool HasGlobal(const std::string& privilege) const {
    return global_all || global.count(privilege) > 0;
  }
};

// Parses "GRANT priv[, priv (cols)...] ON scope TO ..." lines; other lines (roles, PROXY)
// are ignored.
GrantSummary ParseGrants(const std::vector<std::string>& grant_lines);

// "vimur@127.0.0.1" (CURRENT_USER()) -> "'vimur'@'127.0.0.1'".
std::string QuoteAccount(const std::string& current_user);

}  // namespace vimur::mysql
