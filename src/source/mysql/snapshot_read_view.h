// SnapshotReadView: several MariaDB connections that see one consistent read view, taken
// without a lock (each session's consistent snapshot names the same binlog position).
#pragma once

#include <string>
#include <vector>

#include "core/position.h"
#include "core/status.h"
#include "source/mysql/mysql_connection.h"

namespace vimur::mysql {

struct SnapshotReadView {
  std::vector<MySqlConnection> connections;  // each inside its read-only transaction
  Position position;                         // binlog file, pos and GTID position of the view
};

// Opens up to `workers` connections, each in `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ
// ONLY` (REPEATABLE READ, session settings for snapshot reads). MariaDB takes the snapshot in
// step with the binlog commit, so sessions whose Binlog_snapshot_file/_position are equal see
// the same committed transactions. When a commit lands between two of them the positions
// differ: all roll back and try again (`attempts` times, pausing `pause_ms`); if they never
// agree, the sessions that agree with the first are kept (at least one) and a warning says why.
Result<SnapshotReadView> OpenSnapshotReadView(const MySqlConnectOptions& options, size_t workers,
                                              const std::string& source_name, int attempts = 40,
                                              int pause_ms = 25);

}  // namespace vimur::mysql
