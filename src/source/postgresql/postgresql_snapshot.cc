#include "source/postgresql/postgresql_snapshot.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/arena.h"
#include "core/logging.h"
#include "core/metrics_probes.h"
#include "source/postgresql/pg_connection.h"
#include "source/postgresql/pgoutput_message.h"
#include "source/postgresql/postgresql_setup.h"
#include "source/postgresql/relation_schema.h"
#include "source/postgresql/snapshot_table.h"

namespace vimur::postgresql {
namespace {

using Q = PgConnection;

// The bytes a batch's values view.
struct SnapshotStorage {
  ByteArena bytes{16 * 1024};
};

std::string HexOf(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool FromHex(std::string_view hex, std::string* out) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// Where a snapshot stands: tables sorting before `table` ("schema.table") are done; of
// `table`, the rows up to the primary key `after` (the key columns' text forms; empty: none).
struct Progress {
  std::string table;
  std::vector<std::string> after;

  std::string ToJson() const {
    nlohmann::json j;
    j["table"] = HexOf(table);
    if (!after.empty()) {
      nlohmann::json keys = nlohmann::json::array();
      for (const std::string& k : after) keys.push_back(HexOf(k));
      j["after"] = keys;
    }
    return j.dump();
  }
  static Result<Progress> FromJson(const std::string& text) {
    const Status bad =
        Status::Corruption("stored snapshot progress is not understood: " + text.substr(0, 200) +
                           "; remove the stored offset to take the snapshot again");
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("table") || !j["table"].is_string()) {
      return bad;
    }
    Progress p;
    if (!FromHex(j["table"].get<std::string>(), &p.table)) return bad;
    if (j.contains("after") && j["after"].is_array()) {
      for (const auto& hex : j["after"]) {
        std::string key;
        if (!hex.is_string() || !FromHex(hex.get<std::string>(), &key)) return bad;
        p.after.push_back(std::move(key));
      }
    }
    return p;
  }
};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The first statement of a REPEATABLE READ transaction fixes its view.
Result<uint64_t> BeginView(PgConnection& conn) {
  VIMUR_RETURN_IF_ERROR(conn.Query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").status());
  VIMUR_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT pg_current_wal_lsn()::text"));
  uint64_t lsn = 0;
  if (rows.empty() || !rows[0][0] || !ParseLsn(*rows[0][0], &lsn)) {
    return Status::Internal("pg_current_wal_lsn() returned no LSN");
  }
  return lsn;
}

// Creates `config.slot` exporting its snapshot and has `conn` import it in a new REPEATABLE
// READ transaction: the view sees exactly the transactions committed before the slot's
// consistent point, which is returned. The exporting replication connection must stay idle
// until the import; once imported, the transaction holds the view by itself.
Result<uint64_t> CreateSlotWithView(PgConnection& conn, const SourceConfig& config) {
  VIMUR_ASSIGN_OR_RETURN(auto exporter,
                         PgConnection::Connect(PgConnectOptions::FromConfig(config), true));
  const std::string sql =
      "CREATE_REPLICATION_SLOT " + Q::QuoteIdent(config.slot) + " LOGICAL pgoutput " +
      (exporter->server_version() >= 150000 ? "(SNAPSHOT 'export')" : "EXPORT_SNAPSHOT");
  LOG_INFO << "source " << config.name << ": creating replication slot " << config.slot
           << " with an exported snapshot: " << sql;
  Result<std::vector<PgRow>> created = exporter->Query(sql);
  if (!created.ok()) {
    return Status(
        created.status().code() == StatusCode::kUnavailable ? StatusCode::kUnavailable
                                                            : StatusCode::kFailedPrecondition,
        "source " + config.name + ": creating replication slot " + config.slot + " failed (" +
            created.status().message() + "); the user needs the REPLICATION attribute");
  }
  // slot_name, consistent_point, snapshot_name, output_plugin
  uint64_t consistent_point = 0;
  if (created->empty() || created->at(0).size() < 3 || !created->at(0)[1] || !created->at(0)[2] ||
      !ParseLsn(*created->at(0)[1], &consistent_point)) {
    return Status::Internal("CREATE_REPLICATION_SLOT returned no consistent point or snapshot");
  }
  const std::string snapshot_name = *created->at(0)[2];
  VIMUR_RETURN_IF_ERROR(conn.Query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").status());
  VIMUR_RETURN_IF_ERROR(
      conn.Query("SET TRANSACTION SNAPSHOT " + Q::QuoteLiteral(snapshot_name)).status());
  LOG_INFO << "source " << config.name << ": snapshot read view " << snapshot_name
           << " imported; slot " << config.slot << " consistent at lsn "
           << LsnText(consistent_point);
  return consistent_point;
}

}  // namespace

PostgresqlSnapshot::PostgresqlSnapshot(const SourceConfig& config) : config_(config) {}

Result<Position> PostgresqlSnapshot::Run(const Position& resume,
                                         const TransactionConsumer& consumer,
                                         const std::atomic<bool>& stop) {
  const std::string& name = config_.name;
  const bool streams_after = config_.snapshot != "initial_only";
  VIMUR_ASSIGN_OR_RETURN(auto conn,
                         PgConnection::Connect(PgConnectOptions::FromConfig(config_), false));
  VIMUR_RETURN_IF_ERROR(EnsurePublication(*conn, config_));
  std::optional<SlotState> slot;
  if (streams_after) {
    VIMUR_ASSIGN_OR_RETURN(slot, FindSlot(*conn, config_.slot));
    if (slot && slot->plugin != "pgoutput") {
      return Status::FailedPrecondition(
          "source " + name + ": replication slot " + config_.slot + " uses plugin " + slot->plugin +
          ", not pgoutput: set another `slot` or drop it with SELECT " +
          "pg_drop_replication_slot(" + Q::QuoteLiteral(config_.slot) + ");");
    }
  }

  // The read view, and where streaming continues after the snapshot.
  std::optional<Progress> progress;
  Position start;
  if (!resume.snapshot_progress.empty()) {
    VIMUR_ASSIGN_OR_RETURN(Progress p, Progress::FromJson(resume.snapshot_progress));
    progress = std::move(p);
    if (streams_after && !slot) {
      return Status::FailedPrecondition(
          "source " + name + ": replication slot " + config_.slot +
          " does not exist any more, so the changes since the snapshot started (lsn " +
          LsnText(resume.lsn) + ") are gone; delete the stored offset of source " + name +
          " to take the snapshot again");
    }
    start = resume;
    start.snapshot_progress.clear();
    VIMUR_ASSIGN_OR_RETURN(uint64_t view_lsn, BeginView(*conn));
    LOG_INFO << "source " << name << ": resuming the snapshot at table " << progress->table
             << (progress->after.empty() ? " (from its start)" : " (after the last key read)")
             << " with a new read view at lsn " << LsnText(view_lsn)
             << "; streaming will start at lsn " << LsnText(start.lsn);
  } else if (!streams_after) {
    VIMUR_ASSIGN_OR_RETURN(start.lsn, BeginView(*conn));
    LOG_INFO << "source " << name << ": snapshot read view at lsn " << LsnText(start.lsn)
             << " (snapshot: initial_only, no replication slot)";
  } else if (!slot) {
    VIMUR_ASSIGN_OR_RETURN(start.lsn, CreateSlotWithView(*conn, config_));
  } else {
    // The slot is there already (created by an attempt that stopped before its first batch
    // was stored, or by the user): nothing is confirmed past what it holds, so the rows read
    // from a newer view plus everything the slot streams from its confirmed position end
    // equal to the source.
    start.lsn = slot->confirmed_flush;
    VIMUR_ASSIGN_OR_RETURN(uint64_t view_lsn, BeginView(*conn));
    LOG_WARN << "source " << name << ": replication slot " << config_.slot
             << " exists already (confirmed up to lsn " << LsnText(start.lsn)
             << "): the snapshot reads a new read view at lsn " << LsnText(view_lsn)
             << " and streaming starts from the slot's confirmed position, so changes between "
                "the two may arrive after the rows that already contain them";
  }

  VIMUR_ASSIGN_OR_RETURN(std::vector<PublishedTable> tables, PublishedTables(*conn, config_));
  const std::string database = config_.database.empty() ? config_.user : config_.database;
  const bool precise_decimals =
      config_.decimal_handling_mode == "precise" || config_.decimal_handling_mode.empty();
  CaptureFilter filter(config_);
  auto info = [&](const std::string& schema, SnapshotMarker marker) {
    auto s = std::make_shared<SourceInfo>();
    s->connector = "postgresql";
    s->name = config_.topic_prefix;
    s->ts_ms = WallMs();
    s->snapshot = marker;
    s->schema = schema;
    s->database = database;
    s->lsn = start.lsn;
    return std::shared_ptr<const SourceInfo>(std::move(s));
  };
  bool first_pending = !progress.has_value();

  // Batches are handed on one behind, so the final event can still be marked `last`.
  std::optional<Transaction> held;
  Transaction batch;
  std::shared_ptr<SnapshotStorage> storage;
  size_t batch_bytes = 0;
  Progress at;  // progress after the last row put into `batch`
  std::shared_ptr<const SourceInfo> info_true;
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
  for (const PublishedTable& published : tables) {
    const std::string qualified = published.qualified();
    if (progress && qualified < progress->table) continue;
    Result<SnapshotTable> described =
        DescribeSnapshotTable(*conn, filter, published, config_.money_fraction_digits);
    if (described.status().code() == StatusCode::kNotFound) continue;  // dropped meanwhile
    if (!described.ok()) {
      return described.status().WithContext("source " + name + ": snapshot of " + qualified);
    }
    const SnapshotTable& plan = *described;
    if (!plan.keyset()) {
      LOG_WARN << "source " << name << ": table " << qualified
               << " has no primary key: it is read in one scan, and a restart reads it again "
                  "from its start";
    }
    info_true = info(plan.schema_name, SnapshotMarker::kTrue);
    const auto info_first = info(plan.schema_name, SnapshotMarker::kFirst);
    at.table = qualified;
    at.after.clear();
    if (progress && qualified == progress->table && plan.keyset() &&
        progress->after.size() == plan.key_cells.size()) {
      at.after = progress->after;  // (a key changed since: the table is read from its start)
    }
    // The planner's estimate (-1 or 0 before the table was first analysed: shown as 0).
    auto estimate_rows = conn->Query(
        "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class "
        "WHERE oid = $1::oid",
        {std::to_string(published.relation_id)});
    const uint64_t estimate = estimate_rows.ok() && !estimate_rows->empty() &&
                                      !(*estimate_rows)[0].empty() && (*estimate_rows)[0][0]
                                  ? std::strtoull((*estimate_rows)[0][0]->c_str(), nullptr, 10)
                                  : 0;
    LOG_INFO << "source " << name << ": snapshot of " << qualified << " starts (~" << estimate
             << " rows)" << (at.after.empty() ? "" : " after the last key read");
    metrics::SnapshotProbe& probe = metrics::SnapshotProbe::For(name, qualified);
    probe.Started(estimate);
    struct ProbeFinish {
      metrics::SnapshotProbe& probe;
      ~ProbeFinish() { probe.Finished(); }
    } probe_finish{probe};
    uint64_t table_rows = 0;
    while (true) {
      std::string sql = plan.select;
      std::vector<std::string> params;
      if (plan.keyset() && !at.after.empty()) {
        sql += plan.key_after;
        params = at.after;
      }
      sql += plan.key_order;
      if (plan.keyset()) sql += " LIMIT " + std::to_string(config_.snapshot_chunk_rows);
      uint64_t chunk_rows = 0;
      Status row_error;
      Status read = conn->StreamQuery(sql, params, [&](const PgCells& cells) {
        if (stop.load()) return false;
        if (!storage) storage = std::make_shared<SnapshotStorage>();
        const size_t arena_before = storage->bytes.capacity();
        ChangeEvent& ev = batch.events.emplace_back();
        ev.op = Op::kRead;
        ev.table = plan.schema;
        ev.storage = storage;
        ev.source = first_pending ? info_first : info_true;
        first_pending = false;
        size_t text_bytes = 0;
        row_error = DecodeSnapshotRow(plan, cells, precise_decimals, name, &storage->bytes,
                                      &ev.after, &text_bytes);
        if (!row_error.ok()) return false;
        if (plan.keyset()) {
          at.after.clear();
          for (size_t k : plan.key_cells) at.after.emplace_back(cells[k].value_or(""));
        }
        ev.total_order = 1;
        ev.data_collection_order = 1;
        batch_bytes += std::max(storage->bytes.capacity() - arena_before, text_bytes) +
                       sizeof(ChangeEvent) + ev.after.size() * sizeof(Value) + 64;
        ++chunk_rows;
        if (batch.events.size() >= kBatchRows || batch_bytes >= kBatchBytes) {
          return close_batch();
        }
        return true;
      });
      if (!row_error.ok()) return row_error.WithContext("source " + name);
      if (refused || stop.load()) {
        return Status::Aborted("source " + name + ": snapshot stopped at table " + qualified);
      }
      if (!read.ok()) return read.WithContext("source " + name + ": snapshot of " + qualified);
      table_rows += chunk_rows;
      rows_total += chunk_rows;
      probe.Read(chunk_rows);
      if (!plan.keyset() || chunk_rows < static_cast<uint64_t>(config_.snapshot_chunk_rows)) {
        break;
      }
    }
    LOG_INFO << "source " << name << ": snapshot of " << qualified << " done: " << table_rows
             << " rows";
  }
  if (!close_batch()) return Status::Aborted("source " + name + ": snapshot stopped");
  Transaction last = held ? std::move(*held) : Transaction();
  if (!last.events.empty()) {
    auto marked = std::make_shared<SourceInfo>(*last.events.back().source);
    marked->snapshot = SnapshotMarker::kLast;
    last.events.back().source = std::move(marked);
  }
  last.end = start;  // no progress: the snapshot is complete
  if (!hand_on(std::move(last))) return Status::Aborted("source " + name + ": snapshot stopped");
  (void)conn->Query("COMMIT");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LOG_INFO << "source " << name << ": snapshot done: " << rows_total << " rows of " << tables.size()
           << " tables in " << seconds << " s"
           << (streams_after ? "; streaming continues from lsn " + LsnText(start.lsn) : "");
  return start;
}

}  // namespace vimur::postgresql
