// The concrete SqlConnections, one file each; MakeConnection (sql_connection.h) picks one.
#pragma once

#include <memory>

#include "sink/sql/sql_connection.h"

namespace vimur::sink {

std::unique_ptr<SqlConnection> MakeMariaDbConnection(const DatabaseUrl& url);
std::unique_ptr<SqlConnection> MakePostgresConnection(const DatabaseUrl& url);

}  // namespace vimur::sink
