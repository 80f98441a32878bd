// Names shared by the JSON and Avro forms of the envelope's `source` block: its schema name
// per connector and the members of its `snapshot` enum (Debezium's SnapshotRecord).
#pragma once

#include <string_view>

namespace vimur {

// `io.debezium.connector.{mysql|mariadb|postgresql}.Source`, as each Debezium connector names it.
inline const char* SourceSchemaName(std::string_view connector) {
  if (connector == "postgresql") return "io.debezium.connector.postgresql.Source";
  if (connector == "mariadb") return "io.debezium.connector.mariadb.Source";
  return "io.debezium.connector.mysql.Source";
}

inline constexpr const char* kSnapshotAllowed =
    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental";

}  // namespace vimur
