// `vimur snapshot`: asks the running pipeline for an incremental snapshot of tables (or to
// cancel one) and, with --wait, follows it to its end.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "core/config.h"
#include "core/logging.h"
#include "source/capture_filter.h"
#include "source/snapshot_requests.h"

namespace vimur::cli {
namespace {

constexpr const char* kSnapshotUsage =
    R"(Usage: vimur snapshot --config FILE --table DB.TABLE [--table ...] [--where SQL]
                      [--source NAME] [--wait] [--timeout SECONDS]
       vimur snapshot --config FILE --cancel [--table DB.TABLE ...] [--source NAME]

Asks the running `vimur run` of FILE for an incremental snapshot: each table is read again in
primary-key chunks while streaming goes on, and its rows are published as op `r` events
(source.snapshot "incremental") merged with the stream so that no row is ever older after
newer. No lock is taken and nothing is written to the source database. Progress is stored
with the offsets: after a restart the snapshot continues from its last chunk.

The request is left in STATE_DIR/NAME/snapshot-requests/SOURCE/ and taken by the pipeline
within a heartbeat interval; the command exits 0 once it is accepted.

  --table DB.TABLE  a table to read (repeatable; read in the order given)
  --where SQL       read only the rows matching this condition (e.g. "id > 1000")
  --source NAME     the source the tables belong to (needed when several capture them)
  --wait            follow the snapshot to its end, showing progress on stderr; exit 0 when
                    it is done, 1 when it failed or was cancelled
  --timeout S       how long to wait for the pipeline to accept the request (default 60)
  --cancel          stop the snapshots of the tables named (all, without --table)

Exit codes: 0 accepted (with --wait: done), 1 rejected, not accepted in time, failed or
cancelled, 2 bad usage or configuration.
)";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ProgressLine(const SnapshotRequestStatus& s, bool bar) {
  std::string line = s.table.empty() ? std::string("(starting)") : s.table;
  if (bar) {
    const int width = 24;
    const double done =
        s.estimate > 0
            ? std::min(1.0, static_cast<double>(s.rows) / static_cast<double>(s.estimate))
            : 0.0;
    const int filled = static_cast<int>(done * width);
    line += " [" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(width - filled), '.') + "]";
  }
  line += " " + std::to_string(s.rows) + " of ~" + std::to_string(s.estimate) + " rows";
  if (s.rows_per_s > 0) {
    line += ", " + std::to_string(static_cast<uint64_t>(s.rows_per_s)) + " rows/s";
    if (s.estimate > s.rows) {
      line += ", ETA " +
              std::to_string(
                  static_cast<uint64_t>(static_cast<double>(s.estimate - s.rows) / s.rows_per_s)) +
              " s";
    }
  }
  line += " (table " + std::to_string(std::min(s.tables_done + 1, s.tables_total)) + " of " +
          std::to_string(s.tables_total) + ")";
  return line;
}

}  // namespace

int SnapshotCommand(const std::vector<std::string>& args) {
  std::string config_path, source_name, where;
  std::vector<std::string> tables;
  bool wait = false, cancel = false;
  long timeout_s = 60;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "vimur snapshot: %s needs %s\n\n%s", a.c_str(), what, kSnapshotUsage);
        return std::nullopt;
      }
      return args[++i];
    };
    std::optional<std::string> v;
    if (a == "--help" || a == "-h") {
      std::fputs(kSnapshotUsage, stdout);
      return 0;
    } else if (a == "--config" || a == "-c") {
      if (!(v = value("a file path"))) return 2;
      config_path = *v;
    } else if (a == "--table") {
      if (!(v = value("a table as database.table"))) return 2;
      tables.push_back(*v);
    } else if (a == "--where") {
      if (!(v = value("an SQL condition"))) return 2;
      where = *v;
    } else if (a == "--source") {
      if (!(v = value("a source name"))) return 2;
      source_name = *v;
    } else if (a == "--timeout") {
      if (!(v = value("a number of seconds"))) return 2;
      char* end = nullptr;
      timeout_s = std::strtol(v->c_str(), &end, 10);
      if (*end != '\0' || timeout_s < 1) {
        std::fprintf(stderr, "vimur snapshot: --timeout takes a positive number, not '%s'\n",
                     v->c_str());
        return 2;
      }
    } else if (a == "--wait") {
      wait = true;
    } else if (a == "--cancel") {
      cancel = true;
    } else {
      std::fprintf(stderr, "vimur snapshot: unknown argument '%s'\n\n%s", a.c_str(),
                   kSnapshotUsage);
      return 2;
    }
  }
  if (config_path.empty() || (tables.empty() && !cancel)) {
    std::fprintf(stderr, "vimur snapshot: --config FILE and --table DB.TABLE are required\n\n%s",
                 kSnapshotUsage);
    return 2;
  }
  if (cancel && !where.empty()) {
    std::fprintf(stderr, "vimur snapshot: --where does not go with --cancel\n");
    return 2;
  }
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "vimur snapshot: %s\n", config.status().message().c_str());
    return 2;
  }
  LogLevel level;
  if (ParseLogLevel(config->log_level, &level)) SetLogLevel(level);

  // The source: the one named, or the only one that captures every table named.
  const SourceConfig* source = nullptr;
  std::vector<std::string> candidates;
  for (const SourceConfig& s : config->sources) {
    if (!source_name.empty()) {
      if (s.name == source_name) source = &s;
      continue;
    }
    CaptureFilter filter(s);
    bool all = true;
    for (const std::string& t : tables) {
      const size_t dot = t.find('.');
      all = all && dot != std::string::npos &&
            filter.IncludesTable(t.substr(0, dot), t.substr(dot + 1));
    }
    if (all) candidates.push_back(s.name);
    if (all && !source) source = &s;
  }
  if (!source_name.empty() && source == nullptr) {
    std::fprintf(stderr, "vimur snapshot: %s has no source named '%s'\n", config_path.c_str(),
                 source_name.c_str());
    return 2;
  }
  if (source_name.empty() && (candidates.size() != 1 || (cancel && config->sources.size() > 1))) {
    std::string names;
    for (const SourceConfig& s : config->sources) names += (names.empty() ? "" : ", ") + s.name;
    std::fprintf(stderr,
                 candidates.empty()
                     ? "vimur snapshot: no source of %s captures every table named (sources: %s); "
                       "check the names (database.table) and include_tables\n"
                     : "vimur snapshot: several sources of %s could read these tables (%s): name "
                       "one with --source\n",
                 config_path.c_str(), names.c_str());
    return 2;
  }
  if (source->type != "mysql" && source->type != "postgresql") {
    std::fprintf(stderr,
                 "vimur snapshot: source %s is of type %s; incremental snapshots are built for "
                 "MariaDB and PostgreSQL sources\n",
                 source->name.c_str(), source->type.c_str());
    return 2;
  }

  SnapshotRequestDir dir(source->snapshot_requests_dir);
  SnapshotRequest request;
  request.tables = tables;
  request.where = where;
  request.cancel = cancel;
  auto id = dir.Submit(request);
  if (!id.ok()) {
    std::fprintf(stderr, "vimur snapshot: %s\n", id.status().message().c_str());
    return 1;
  }
  const int64_t deadline = WallMs() + timeout_s * 1000;
  std::optional<SnapshotRequestStatus> status;
  while (true) {
    auto read = dir.ReadStatus(*id);
    if (read.ok() && *read) {
      status = **read;
      break;
    }
    if (WallMs() > deadline) {
      std::fprintf(stderr,
                   "vimur snapshot: the pipeline did not take request %s within %ld s; is `vimur "
                   "run --config %s` running? The request stays in %s and is taken when it "
                   "runs; remove %s.request.json there to withdraw it\n",
                   id->c_str(), timeout_s, config_path.c_str(), dir.dir().c_str(), id->c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (status->state == "rejected") {
    std::fprintf(stderr, "vimur snapshot: request %s rejected: %s\n", id->c_str(),
                 status->message.c_str());
    return 1;
  }
  if (cancel) {
    std::printf("cancel %s: %s\n", id->c_str(), status->message.c_str());
    return 0;
  }
  std::printf("snapshot %s accepted by source %s: %zu table(s)\n", id->c_str(),
              source->name.c_str(), tables.size());
  std::fflush(stdout);
  if (!wait) return 0;

  const bool tty = ::isatty(STDERR_FILENO) != 0;
  int64_t last_line_ms = 0;
  while (!status->finished()) {
    const int64_t now = WallMs();
    if (tty) {
      std::fprintf(stderr, "\r\033[K%s", ProgressLine(*status, true).c_str());
      std::fflush(stderr);
    } else if (now - last_line_ms >= 5000 && status->state == "running") {
      last_line_ms = now;
      std::fprintf(stderr, "%s\n", ProgressLine(*status, false).c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 250 : 500));
    auto read = dir.ReadStatus(*id);
    if (read.ok() && *read) status = **read;
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (status->state != "done") {
    std::fprintf(stderr, "vimur snapshot: %s %s%s%s\n", id->c_str(), status->state.c_str(),
                 status->message.empty() ? "" : ": ", status->message.c_str());
    return 1;
  }
  std::printf("snapshot %s done: %llu table(s), %.0f rows/s\n", id->c_str(),
              static_cast<unsigned long long>(status->tables_total), status->rows_per_s);
  return 0;
}

}  // namespace vimur::cli
