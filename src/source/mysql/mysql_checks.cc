#include "source/mysql/mysql_checks.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace vimur::mysql {
namespace {

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

// Collapses runs of whitespace into one space.
std::string CollapseSpaces(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// Finds `keyword` (upper case, surrounded by spaces) at parenthesis depth 0 and outside
// quotes, starting at `from`; npos when absent.
size_t FindKeyword(std::string_view line, std::string_view keyword, size_t from) {
  int depth = 0;
  char quote = 0;
  for (size_t i = from; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '`' || c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (depth == 0 && i + keyword.size() <= line.size() &&
               Upper(line.substr(i, keyword.size())) == keyword) {
      return i;
    }
  }
  return std::string_view::npos;
}

// Splits "SELECT (a, b), RELOAD" at depth-0 commas.
std::vector<std::string> SplitPrivileges(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      std::string item = Trim(text.substr(start, i - start));
      if (!item.empty()) out.push_back(item);
      start = i + 1;
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      --depth;
    }
  }
  return out;
}

bool IsGlobalScope(std::string_view scope) {
  std::string s;
  for (char c : scope) {
    if (c != '`' && c != ' ') s.push_back(c);
  }
  return s == "*.*";
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) { return Upper(a) == Upper(b); }

std::string FixSetting(const std::string& variable, const std::string& value) {
  return "SET GLOBAL " + variable + " = " + value + "; and add " + variable + "=" + value +
         " under [mysqld] in my.cnf";
}

CheckResult QueryFailed(std::string name, const Status& status, std::string fix) {
  return CheckResult{std::move(name), false, "could not check: " + status.message(),
                     std::move(fix)};
}

// Reads one global variable; nullopt-like empty Result status when it does not exist.
Result<std::string> GlobalVariable(MySqlConnection& connection, const std::string& name) {
  VIMUR_ASSIGN_OR_RETURN(auto value, connection.QueryValue("SELECT @@GLOBAL." + name));
  return value.value_or("");
}

CheckResult CheckVariable(MySqlConnection& connection, const std::string& variable,
                          const std::string& wanted, const std::string& missing_fix) {
  Result<std::string> value = GlobalVariable(connection, variable);
  if (!value.ok()) {
    if (value.status().code() == StatusCode::kNotFound) {
      return CheckResult{
          variable, false,
          "the server has no " + variable + " variable (" + connection.server_version() + ")",
          missing_fix};
    }
    return QueryFailed(variable, value.status(), FixSetting(variable, wanted));
  }
  if (EqualsIgnoreCase(*value, wanted)) {
    return CheckResult{variable, true, variable + " = " + *value, ""};
  }
  return CheckResult{variable, false, variable + " is " + *value + "; Vimur needs " + wanted,
                     FixSetting(variable, wanted)};
}

CheckResult CheckLogBin(MySqlConnection& connection) {
  const std::string fix =
      "add log_bin=mysql-bin under [mysqld] in my.cnf and restart the server (log_bin cannot "
      "be changed at runtime)";
  Result<std::string> value = GlobalVariable(connection, "log_bin");
  if (!value.ok()) return QueryFailed("log_bin", value.status(), fix);
  if (*value == "1" || EqualsIgnoreCase(*value, "ON")) {
    return CheckResult{"log_bin", true, "binary log is on", ""};
  }
  return CheckResult{"log_bin", false, "the binary log is off (log_bin = " + *value + ")", fix};
}

CheckResult CheckVersion(MySqlConnection& connection) {
  const unsigned long v = connection.server_version_number();
  const bool maria = connection.is_mariadb();
  const unsigned long minimum = maria ? 100500 : 80000;
  const std::string flavour = maria ? "MariaDB" : "MySQL";
  const std::string need = maria ? "10.5" : "8.0";
  if (v >= minimum) {
    return CheckResult{"server version", true, flavour + " " + connection.server_version(), ""};
  }
  return CheckResult{"server version", false,
                     flavour + " " + connection.server_version() + " is older than " + need,
                     "upgrade the server to " + flavour + " " + need + " or newer"};
}

}  // namespace

std::string QuoteAccount(const std::string& current_user) {
  size_t at = current_user.rfind('@');
  std::string user = at == std::string::npos ? current_user : current_user.substr(0, at);
  std::string host = at == std::string::npos ? "%" : current_user.substr(at + 1);
  return "'" + user + "'@'" + host + "'";
}

GrantSummary ParseGrants(const std::vector<std::string>& grant_lines) {
  GrantSummary summary;
  for (const std::string& raw : grant_lines) {
    std::string line = CollapseSpaces(raw);
    if (Upper(line.substr(0, 6)) != "GRANT ") continue;
    size_t on = FindKeyword(line, " ON ", 6);
    if (on == std::string::npos) continue;  // a role grant: "GRANT `role` TO `user`"
    size_t to = FindKeyword(line, " TO ", on + 4);
    std::string scope =
        Trim(line.substr(on + 4, to == std::string::npos ? std::string::npos : to - on - 4));
    // "ON PROCEDURE x", "ON FUNCTION x" and PROXY grants do not matter here.
    std::string upper_scope = Upper(scope);
    if (upper_scope.rfind("PROCEDURE ", 0) == 0 || upper_scope.rfind("FUNCTION ", 0) == 0 ||
        upper_scope.rfind("PACKAGE ", 0) == 0) {
      continue;
    }
    if (upper_scope.rfind("TABLE ", 0) == 0) scope = Trim(scope.substr(6));
    const bool global = IsGlobalScope(scope);
    for (const std::string& item : SplitPrivileges(std::string_view(line).substr(6, on - 6))) {
      std::string privilege = Upper(item);
      std::string columns;
      size_t paren = privilege.find('(');
      if (paren != std::string::npos) {
        columns = item.substr(paren);
        privilege = Trim(privilege.substr(0, paren));
      }
      const bool all = privilege == "ALL" || privilege == "ALL PRIVILEGES";
      if (global) {
        if (all) summary.global_all = true;
        summary.global.insert(privilege);
      }
      if (all || privilege == "SELECT") {
        summary.select_scopes.push_back(columns.empty() ? scope : scope + " " + columns);
      }
    }
  }
  return summary;
}

bool AllChecksOk(const std::vector<CheckResult>& results) {
  return std::all_of(results.begin(), results.end(), [](const CheckResult& r) { return r.ok; });
}

std::vector<CheckResult> CheckMySqlSource(MySqlConnection& connection, uint32_t server_id) {
  std::vector<CheckResult> results;
  const bool maria = connection.is_mariadb();
  results.push_back(CheckVersion(connection));
  results.push_back(CheckLogBin(connection));
  results.push_back(CheckVariable(connection, "binlog_format", "ROW", ""));
  results.push_back(CheckVariable(connection, "binlog_row_image", "FULL", ""));
  results.push_back(CheckVariable(
      connection, "binlog_row_metadata", "FULL",
      maria ? "upgrade to MariaDB 10.5 or newer (binlog_row_metadata appeared in 10.5)"
            : "upgrade to MySQL 8.0 or newer (binlog_row_metadata appeared in 8.0.1)"));
  if (!maria) {
    // PARTIAL_JSON makes updates carry JSON diffs instead of whole documents.
    Result<std::string> value = GlobalVariable(connection, "binlog_row_value_options");
    if (value.ok() && !value->empty()) {
      results.push_back(CheckResult{
          "binlog_row_value_options", false,
          "binlog_row_value_options is " + *value + "; Vimur needs full JSON images",
          "SET GLOBAL binlog_row_value_options = ''; and remove binlog_row_value_options from "
          "my.cnf"});
    } else if (value.ok()) {
      results.push_back(CheckResult{"binlog_row_value_options", true, "full JSON images", ""});
    }
  }

  // Privileges of the account as the server sees it.
  std::string account = "'vimur'@'%'";
  Result<std::optional<std::string>> current = connection.QueryValue("SELECT CURRENT_USER()");
  if (current.ok() && current->has_value()) account = QuoteAccount(**current);
  Result<std::vector<SqlRow>> grants = connection.Query("SHOW GRANTS");
  GrantSummary summary;
  if (grants.ok()) {
    std::vector<std::string> lines;
    for (const SqlRow& row : *grants) {
      if (!row.empty() && row[0]) lines.push_back(*row[0]);
    }
    summary = ParseGrants(lines);
  }
  auto privilege_check = [&](const std::string& shown, const std::vector<std::string>& accepted,
                             const std::string& why) {
    const std::string name = "privilege " + shown;
    const std::string fix = "GRANT " + shown + " ON *.* TO " + account + ";";
    if (!grants.ok()) return QueryFailed(name, grants.status(), fix);
    for (const std::string& privilege : accepted) {
      if (summary.HasGlobal(privilege)) {
        return CheckResult{name, true, account + " has " + privilege + " ON *.*", ""};
      }
    }
    return CheckResult{name, false, account + " lacks " + shown + " ON *.* (" + why + ")", fix};
  };
  results.push_back(
      privilege_check("REPLICATION SLAVE", {"REPLICATION SLAVE"}, "needed to read the binlog"));
  if (maria && connection.server_version_number() >= 100502) {
    // MariaDB 10.5.2 split REPLICATION CLIENT; the old name is now an alias of BINLOG MONITOR.
    results.push_back(privilege_check("BINLOG MONITOR", {"BINLOG MONITOR", "REPLICATION CLIENT"},
                                      "needed for SHOW MASTER STATUS and SHOW BINARY LOGS"));
  } else {
    results.push_back(privilege_check("REPLICATION CLIENT", {"REPLICATION CLIENT"},
                                      "needed for SHOW MASTER STATUS and SHOW BINARY LOGS"));
  }
  {
    const std::string fix =
        "GRANT SELECT ON *.* TO " + account + "; (or GRANT SELECT ON each captured database)";
    if (!grants.ok()) {
      results.push_back(QueryFailed("privilege SELECT", grants.status(), fix));
    } else if (summary.HasGlobal("SELECT")) {
      results.push_back(CheckResult{"privilege SELECT", true, account + " has SELECT ON *.*", ""});
    } else if (!summary.select_scopes.empty()) {
      std::string scopes;
      for (const auto& s : summary.select_scopes) scopes += (scopes.empty() ? "" : ", ") + s;
      results.push_back(CheckResult{
          "privilege SELECT", true,
          account + " has SELECT on " + scopes + " only; tables elsewhere cannot be snapshotted",
          ""});
    } else {
      results.push_back(CheckResult{"privilege SELECT", false,
                                    account + " has no SELECT privilege (needed for snapshots "
                                              "and table metadata)",
                                    fix});
    }
  }

  // server_id: not the server's own, not another replica's.
  {
    CheckResult check{"server_id", true, "", ""};
    Result<std::string> own = GlobalVariable(connection, "server_id");
    if (server_id == 0) {
      check = {"server_id", false, "server_id 0 cannot be used by a replica",
               "set server_id in the source's configuration to a number no other server or "
               "replica uses (1..4294967295)"};
    } else if (own.ok() && *own == std::to_string(server_id)) {
      check = {"server_id", false,
               "server_id " + std::to_string(server_id) + " is the source server's own id",
               "set server_id in the source's configuration to a number no other server or "
               "replica uses"};
    } else {
      const bool new_syntax = !maria && connection.server_version_number() >= 80022;
      Result<QueryResult> hosts =
          connection.QueryWithColumns(new_syntax ? "SHOW REPLICAS" : "SHOW SLAVE HOSTS");
      if (!hosts.ok()) {
        check.detail = "server_id " + std::to_string(server_id) +
                       " is not the server's own; other replicas could not be listed (" +
                       hosts.status().message() + ")";
        check.fix =
            maria ? "GRANT REPLICATION MASTER ADMIN ON *.* TO " + account +
                        "; lets Vimur list replicas"
                  : "GRANT REPLICATION SLAVE ON *.* TO " + account + "; lets Vimur list replicas";
      } else {
        int id_col = hosts->ColumnIndex("Server_id");
        int host_col = hosts->ColumnIndex("Host");
        check.detail = "server_id " + std::to_string(server_id) + " is free (" +
                       std::to_string(hosts->rows.size()) + " replicas connected)";
        for (const SqlRow& row : hosts->rows) {
          if (id_col < 0 || static_cast<size_t>(id_col) >= row.size()) break;
          if (row[static_cast<size_t>(id_col)].value_or("") == std::to_string(server_id)) {
            std::string host = host_col >= 0 && static_cast<size_t>(host_col) < row.size()
                                   ? row[static_cast<size_t>(host_col)].value_or("")
                                   : "";
            check = {"server_id", false,
                     "server_id " + std::to_string(server_id) + " is used by a connected replica" +
                         (host.empty() ? "" : " (host " + host + ")"),
                     "set server_id in the source's configuration to a number no other server "
                     "or replica uses"};
            break;
          }
        }
      }
    }
    results.push_back(std::move(check));
  }
  return results;
}

}  // namespace vimur::mysql
