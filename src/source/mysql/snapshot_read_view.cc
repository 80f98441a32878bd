#include "source/mysql/snapshot_read_view.h"

#include <chrono>
#include <thread>

#include "core/logging.h"

namespace vimur::mysql {
namespace {

// The rows are read slowly when the pipeline applies backpressure: the server must not give up
// writing them. Cells arrive unconverted, in the column's own character set, as the binlog
// carries them; TIMESTAMP keys compare in UTC.
Status PrepareSession(MySqlConnection& conn) {
  VIMUR_RETURN_IF_ERROR(
      conn.Execute("SET SESSION net_write_timeout = 86400, SESSION net_read_timeout = 86400, "
                   "SESSION time_zone = '+00:00', SESSION character_set_results = NULL"));
  return conn.Execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
}

// Starts the read-only consistent snapshot and returns the binlog position it matches.
Result<Position> StartView(MySqlConnection& conn) {
  VIMUR_RETURN_IF_ERROR(conn.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"));
  VIMUR_ASSIGN_OR_RETURN(std::vector<SqlRow> status,
                         conn.Query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'"));
  Position view;
  for (const SqlRow& row : status) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    if (*row[0] == "Binlog_snapshot_file") view.file = *row[1];
    if (*row[0] == "Binlog_snapshot_position") view.pos = std::stoull(*row[1]);
  }
  return view;
}

}  // namespace

Result<SnapshotReadView> OpenSnapshotReadView(const MySqlConnectOptions& options, size_t workers,
                                              const std::string& source_name, int attempts,
                                              int pause_ms) {
  if (workers < 1) workers = 1;
  SnapshotReadView view;
  for (size_t i = 0; i < workers; ++i) {
    VIMUR_ASSIGN_OR_RETURN(MySqlConnection conn, MySqlConnection::Connect(options));
    if (!conn.is_mariadb()) {
      return Status::Unsupported(
          "source " + source_name + ": snapshots of MySQL servers are not supported yet (" +
          conn.server_version() +
          "): MySQL reports no binlog position for a consistent read view without a brief "
          "global lock (LOCK INSTANCE FOR BACKUP / FLUSH TABLES WITH READ LOCK), which Vimur "
          "does not take yet. Set snapshot: never (see "
          "docs/snapshots.md)");
    }
    VIMUR_RETURN_IF_ERROR(PrepareSession(conn));
    view.connections.push_back(std::move(conn));
  }
  std::vector<Position> seen(workers);
  for (int attempt = 1;; ++attempt) {
    for (size_t i = 0; i < workers; ++i) {
      VIMUR_ASSIGN_OR_RETURN(seen[i], StartView(view.connections[i]));
    }
    if (seen[0].file.empty()) {
      return Status::FailedPrecondition(
          "source " + source_name + ": the server at " + options.Endpoint() +
          " reports no binlog_snapshot_file for the read view; binary logging must be on "
          "(log_bin, binlog_format=ROW; see vimur check)");
    }
    size_t agree = 0;
    for (const Position& p : seen) agree += (p.file == seen[0].file && p.pos == seen[0].pos);
    if (agree == workers) {
      if (workers > 1) {
        LOG_INFO << "source " << source_name << ": " << workers
                 << " workers share the read view at " << seen[0].file << ":" << seen[0].pos
                 << " (attempt " << attempt << ")";
      }
      break;
    }
    if (attempt >= attempts) {
      // Keep the sessions that see what the first sees; the others roll back and close.
      std::vector<MySqlConnection> kept;
      for (size_t i = 0; i < workers; ++i) {
        if (seen[i].file == seen[0].file && seen[i].pos == seen[0].pos) {
          kept.push_back(std::move(view.connections[i]));
        } else {
          (void)view.connections[i].Execute("ROLLBACK");
        }
      }
      LOG_WARN << "source " << source_name << ": the snapshot's " << workers
               << " connections did not get one read view in " << attempts
               << " attempts (commits kept landing between their START TRANSACTION WITH "
                  "CONSISTENT SNAPSHOT); continuing with the "
               << kept.size() << " that share the view at " << seen[0].file << ":" << seen[0].pos;
      view.connections = std::move(kept);
      break;
    }
    for (MySqlConnection& conn : view.connections) {
      VIMUR_RETURN_IF_ERROR(conn.Execute("ROLLBACK"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  view.position = seen[0];
  VIMUR_ASSIGN_OR_RETURN(
      std::optional<std::string> gtid,
      view.connections[0].QueryValue("SELECT BINLOG_GTID_POS('" +
                                     view.connections[0].Escape(view.position.file) + "', " +
                                     std::to_string(view.position.pos) + ")"));
  view.position.gtid_set = gtid.value_or("");
  return view;
}

}  // namespace vimur::mysql
