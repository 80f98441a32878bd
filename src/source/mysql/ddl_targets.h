// DdlTargets: which database and tables a DDL statement names, read from its leading clause
// (ALTER/CREATE/DROP/TRUNCATE/RENAME TABLE, CREATE/DROP DATABASE). Not a SQL parser: table
// shapes come from TABLE_MAP metadata; this only labels schema-change events.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vimur::mysql {

struct DdlTargets {
  std::string database;             // the database the statement acts on ("" when unknown)
  std::vector<std::string> tables;  // "db.table" for each table named, in order
};

// `default_database` is the session database the statement ran in (QUERY_EVENT db).
DdlTargets ExtractDdlTargets(std::string_view sql, std::string_view default_database);

// True for statements that manage accounts, roles, privileges or stored credentials
// (CREATE/ALTER/DROP/RENAME USER, GRANT, REVOKE, SET PASSWORD, CREATE/DROP ROLE, SET [DEFAULT]
// ROLE, CREATE/ALTER/DROP SERVER): they may carry passwords, so they are never published nor
// logged. Leading comments and executable comments are read through like the server does.
bool IsAccountStatement(std::string_view sql);

}  // namespace vimur::mysql
