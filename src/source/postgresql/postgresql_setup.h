// The server-side objects a PostgreSQL source needs (its publication and replication slot):
// what exists, the exact statement that creates what is missing, and the checks of
// `vimur check` (wal_level, REPLICATION attribute, publication and its tables, slot).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "source/postgresql/pg_connection.h"
#include "source/source.h"

namespace vimur::postgresql {

struct SlotState {
  std::string plugin;
  std::string database;
  uint64_t confirmed_flush = 0;
  bool active = false;
};

// The slot named `slot`, or nullopt when it does not exist.
Result<std::optional<SlotState>> FindSlot(PgConnection& conn, const std::string& slot);

// The statement that creates the source's publication: FOR TABLE the existing tables
// include_tables/exclude_tables select, or FOR ALL TABLES without include_tables.
Result<std::string> PublicationStatement(PgConnection& conn, const SourceConfig& config);

// Creates the publication when missing (logging the statement). Fails naming the statement
// and the privilege when the user may not.
Status EnsurePublication(PgConnection& conn, const SourceConfig& config);

// Creates the slot when missing; returns its confirmed position (where a first start streams
// from). A slot of another plugin or database is refused.
Result<uint64_t> EnsureSlot(PgConnection& conn, const SourceConfig& config);

// The checks of `vimur check` for a postgresql source.
std::vector<CheckResult> CheckPostgresql(const SourceConfig& config);

}  // namespace vimur::postgresql
