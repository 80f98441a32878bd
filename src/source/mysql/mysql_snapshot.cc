#include "source/mysql/mysql_snapshot.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/arena.h"
#include "core/logging.h"
#include "core/metrics_probes.h"
#include "source/mysql/mysql_parallel_snapshot.h"
#include "source/mysql/mysql_source.h"
#include "source/mysql/snapshot_read_view.h"
#include "source/mysql/snapshot_row_decoder.h"
#include "source/mysql/snapshot_table_plan.h"
#include "source/mysql/snapshot_work_plan.h"

namespace vimur::mysql {
namespace {

// The bytes a batch's values view (copies of the cells) and the schemas they came from.
struct SnapshotStorage {
  ByteArena bytes{16 * 1024};
  std::vector<TableSchemaPtr> schemas;
};

// Where a snapshot stands: tables sorting before `table` are done; of `table`, the rows up to
// the key `after` (raw cell bytes of the key columns; empty: none yet).
struct Progress {
  std::string table;
  std::vector<std::string> after;

  std::string ToJson() const {
    nlohmann::json j;
    j["table"] = table;
    if (!after.empty()) {
      nlohmann::json keys = nlohmann::json::array();
      for (const std::string& k : after) keys.push_back(KeyCellToHex(k));
      j["after"] = keys;
    }
    return j.dump();
  }
  static Result<Progress> FromJson(const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    Progress p;
    if (j.is_discarded() || !j.is_object() || !j.contains("table") || !j["table"].is_string()) {
      return Status::Corruption(
          "stored snapshot progress is not understood: " + text.substr(0, 200) +
          "; remove the stored offset to take the snapshot again");
    }
    p.table = j["table"].get<std::string>();
    if (j.contains("after") && j["after"].is_array()) {
      for (const auto& hex : j["after"]) {
        if (!hex.is_string()) return Status::Corruption("bad snapshot progress key: " + text);
        VIMUR_ASSIGN_OR_RETURN(std::string bytes, KeyCellFromHex(hex.get<std::string>()));
        p.after.push_back(std::move(bytes));
      }
    }
    return p;
  }
};

// ER_TABLE_DEF_CHANGED: "Table definition has changed, please retry transaction".
constexpr unsigned int kTableDefinitionChanged = 1412;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MySqlSnapshot::MySqlSnapshot(const SourceConfig& config, MySqlConnectOptions options,
                             ColumnDefaultsSource* defaults)
    : config_(config), options_(std::move(options)), defaults_(defaults) {}

Result<Position> MySqlSnapshot::Run(const Position& resume, const TransactionConsumer& consumer,
                                    const std::atomic<bool>& stop) {
  // Several workers, or progress stored by them (a resume with snapshot_workers: 1 continues
  // their ranges): the parallel reader.
  if (config_.snapshot_workers > 1 || SnapshotWorkPlan::IsWorkPlanJson(resume.snapshot_progress)) {
    return MySqlParallelSnapshot(config_, options_, defaults_).Run(resume, consumer, stop);
  }
  const std::string& name = config_.name;
  VIMUR_ASSIGN_OR_RETURN(SnapshotReadView opened, OpenSnapshotReadView(options_, 1, name));
  MySqlConnection& conn = opened.connections.front();
  const Position& view = opened.position;

  std::optional<Progress> progress;
  Position start = view;  // where streaming continues after the snapshot
  if (!resume.snapshot_progress.empty()) {
    VIMUR_ASSIGN_OR_RETURN(Progress p, Progress::FromJson(resume.snapshot_progress));
    progress = std::move(p);
    start = resume;
    start.snapshot_progress.clear();
    LOG_INFO << "source " << name << ": resuming the snapshot at table " << progress->table
             << (progress->after.empty() ? " (from its start)" : " (after the last key read)")
             << " with a new read view at " << view.Describe() << "; streaming will start at "
             << start.Describe();
  } else {
    LOG_INFO << "source " << name << ": snapshot read view at " << view.Describe();
  }

  // The tables to read, in name order (the order progress is recorded in).
  VIMUR_ASSIGN_OR_RETURN(
      std::vector<SqlRow> table_rows,
      conn.Query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE "
                 "TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', "
                 "'information_schema', 'performance_schema', 'sys')"));
  CaptureFilter filter(config_);
  std::vector<std::pair<std::string, std::string>> tables;
  for (const SqlRow& row : table_rows) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    if (filter.IncludesTable(*row[0], *row[1])) tables.emplace_back(*row[0], *row[1]);
  }
  std::sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    return a.first + "." + a.second < b.first + "." + b.second;
  });

  auto info = [&](SnapshotMarker marker) {
    auto s = std::make_shared<SourceInfo>();
    s->connector = "mariadb";
    s->name = config_.topic_prefix;
    s->ts_ms = WallMs();
    s->snapshot = marker;
    s->file = view.file;
    s->pos = view.pos;
    return std::shared_ptr<const SourceInfo>(std::move(s));
  };
  const auto info_first = info(SnapshotMarker::kFirst);
  const auto info_true = info(SnapshotMarker::kTrue);
  const auto info_last = info(SnapshotMarker::kLast);
  bool first_pending = !progress.has_value();

  // Batches are handed on one behind, so the final event can still be marked `last`.
  std::optional<Transaction> held;
  Transaction batch;
  std::shared_ptr<SnapshotStorage> storage;
  size_t batch_bytes = 0;
  Progress at;  // progress after the last row put into `batch`
  bool refused = false;
  auto hand_on = [&](Transaction&& txn) {
    if (refused) return false;
    if (!consumer(std::move(txn))) refused = true;
    return !refused;
  };
  auto close_batch = [&]() {
    if (batch.events.empty()) return true;
    batch.end = start;
    batch.end.snapshot_progress = at.ToJson();
    batch.source = info_true;
    batch.approx_bytes = batch_bytes;
    std::optional<Transaction> previous = std::move(held);
    held = std::move(batch);
    batch = Transaction();
    storage.reset();
    batch_bytes = 0;
    return !previous || hand_on(std::move(*previous));
  };

  uint64_t rows_total = 0;
  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  uint64_t rows_at_last_progress = 0;
  for (const auto& [db, tbl] : tables) {
    const std::string qualified = db + "." + tbl;
    if (progress && qualified < progress->table) continue;
    auto planned = PlanSnapshotTable(conn, filter, defaults_, db, tbl);
    if (planned.status().code() == StatusCode::kNotFound) continue;  // dropped meanwhile
    if (!planned.ok()) {
      return planned.status().WithContext("source " + name + ": snapshot of " + qualified);
    }
    const SnapshotTablePlan plan = std::move(planned).value();
    const TableSchema& full = *plan.full;
    if (!full.has_key()) {
      LOG_WARN << "source " << name << ": table " << qualified
               << " has no primary key: it is read in one scan, and a restart reads it again "
                  "from its start";
    }

    at.table = qualified;
    at.after.clear();
    if (progress && qualified == progress->table && plan.keyset &&
        progress->after.size() == full.key_columns.size()) {
      at.after = progress->after;  // (a key changed since: the table is read from its start)
    }
    auto estimate_text =
        conn.QueryValue("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" +
                        conn.Escape(db) + "' AND TABLE_NAME = '" + conn.Escape(tbl) + "'");
    const uint64_t estimate = estimate_text.ok() && *estimate_text
                                  ? std::strtoull((*estimate_text)->c_str(), nullptr, 10)
                                  : 0;
    LOG_INFO << "source " << name << ": snapshot of " << qualified << " starts (~" << estimate
             << " rows)";
    metrics::SnapshotProbe& probe = metrics::SnapshotProbe::For(name, qualified);
    probe.Started(estimate);
    struct ProbeFinish {
      metrics::SnapshotProbe& probe;
      ~ProbeFinish() { probe.Finished(); }
    } probe_finish{probe};
    uint64_t table_rows = 0;
    while (true) {
      VIMUR_ASSIGN_OR_RETURN(
          std::string sql,
          plan.ChunkQuery(at.after, "", static_cast<uint64_t>(config_.snapshot_chunk_rows)));
      uint64_t chunk_rows = 0;
      Status row_error;
      Status read = conn.StreamQuery(
          sql, [&](const char* const* cells, const unsigned long* lengths, size_t count) {
            if (stop.load() || count != full.columns.size()) {
              if (count != full.columns.size()) {
                row_error = Status::Corruption("snapshot of " + qualified + " read " +
                                               std::to_string(count) + " columns, expected " +
                                               std::to_string(full.columns.size()) +
                                               " (did the table change?)");
              }
              return false;
            }
            if (!storage) {
              storage = std::make_shared<SnapshotStorage>();
              storage->schemas = {plan.full, plan.projected};
            }
            const size_t arena_before = storage->bytes.capacity();
            ChangeEvent& ev = batch.events.emplace_back();
            ev.op = Op::kRead;
            ev.table = plan.projected;
            ev.storage = storage;
            ev.source = first_pending ? info_first : info_true;
            first_pending = false;
            ev.after.resize(plan.kept.size());
            for (size_t i = 0; i < plan.kept.size(); ++i) {
              const size_t c = plan.kept[i];
              Status s = DecodeSnapshotCell(full.columns[c], cells[c], lengths[c], &storage->bytes,
                                            &ev.after[i]);
              if (!s.ok()) {
                row_error = s.WithContext("table " + qualified);
                return false;
              }
            }
            if (plan.keyset) at.after = plan.KeyCells(cells, lengths);
            ev.total_order = 1;
            ev.data_collection_order = 1;
            batch_bytes += storage->bytes.capacity() - arena_before + sizeof(ChangeEvent) +
                           ev.after.size() * sizeof(Value) + 64;
            ++chunk_rows;
            if (batch.events.size() >= kBatchRows || batch_bytes >= kBatchBytes) {
              return close_batch();
            }
            return true;
          });
      if (!row_error.ok()) return row_error;
      if (refused || stop.load()) {
        return Status::Aborted("source " + name + ": snapshot stopped at table " + qualified);
      }
      if (!read.ok()) {
        if (conn.last_error_number() == kTableDefinitionChanged) {
          // A DDL on the table after the read view: retriable, the pipeline restarts the
          // snapshot from the last key published, with a new view that sees the new shape.
          return Status::Unavailable("source " + name + ": table " + qualified +
                                     " changed (DDL) after the snapshot's read view; the "
                                     "snapshot continues with a new read view: " +
                                     read.message());
        }
        return read.WithContext("source " + name + ": snapshot of " + qualified);
      }
      table_rows += chunk_rows;
      rows_total += chunk_rows;
      probe.Read(chunk_rows);
      // A line every 10 s: how far the table is, its rate and what is left at that rate.
      const auto now = std::chrono::steady_clock::now();
      if (now - last_progress >= std::chrono::seconds(10)) {
        const double seconds = std::chrono::duration<double>(now - last_progress).count();
        const double rate = static_cast<double>(rows_total - rows_at_last_progress) / seconds;
        last_progress = now;
        rows_at_last_progress = rows_total;
        std::string left;
        if (rate > 0 && estimate > table_rows) {
          left = ", about " +
                 std::to_string(
                     static_cast<uint64_t>(static_cast<double>(estimate - table_rows) / rate)) +
                 " s left of this table";
        }
        LOG_INFO << "source " << name << ": snapshot of " << qualified << ": " << table_rows
                 << " of ~" << estimate << " rows (" << static_cast<uint64_t>(rate) << " rows/s"
                 << left << ")";
      }
      if (!plan.keyset || chunk_rows < static_cast<uint64_t>(config_.snapshot_chunk_rows)) break;
    }
    LOG_INFO << "source " << name << ": snapshot of " << qualified << " done: " << table_rows
             << " rows";
  }
  if (!close_batch()) {
    return Status::Aborted("source " + name + ": snapshot stopped");
  }
  Transaction last = held ? std::move(*held) : Transaction();
  if (!last.events.empty()) last.events.back().source = info_last;
  last.end = start;  // no progress: the snapshot is complete
  if (!hand_on(std::move(last))) return Status::Aborted("source " + name + ": snapshot stopped");
  (void)conn.Execute("COMMIT");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LOG_INFO << "source " << name << ": snapshot done: " << rows_total << " rows of " << tables.size()
           << " tables in " << seconds << " s; streaming continues from " << start.Describe();
  return start;
}

}  // namespace vimur::mysql
