// The column types the sql sink creates: an event schema's Kafka Connect type (and logical
// name) as a MariaDB/MySQL or PostgreSQL column type. docs/sinks.md lists the mapping.
#pragma once

#include <string>

#include "sink/sql/sql_connection.h"
#include "sink/sql/sql_value.h"

namespace vimur::sink {

// A type the settings give (`sql_type`) is used as written. `key` columns get types a primary key
// can hold (VARCHAR(255)/VARBINARY(255) instead of TEXT/BLOB in MariaDB).
std::string TargetType(Dialect dialect, const ColumnType& type, bool key);

}  // namespace vimur::sink
