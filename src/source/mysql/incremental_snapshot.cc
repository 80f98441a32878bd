#include "source/mysql/incremental_snapshot.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_set>

#include "core/arena.h"
#include "core/logging.h"
#include "core/metrics_probes.h"
#include "source/key_change.h"
#include "source/mysql/snapshot_row_decoder.h"

namespace vimur::mysql {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The bytes a chunk's values view and the schemas they came from.
struct ChunkStorage {
  ByteArena bytes{64 * 1024};
  std::vector<TableSchemaPtr> schemas;
};

bool SplitTable(const std::string& qualified, std::string* db, std::string* table) {
  const size_t dot = qualified.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == qualified.size()) return false;
  *db = qualified.substr(0, dot);
  *table = qualified.substr(dot + 1);
  return true;
}

}  // namespace

std::optional<BinlogCoord> BinlogCoord::Of(const std::string& file, uint64_t pos) {
  // Binlog files of one server are BASENAME.NNNNNN, numbered in the order they were written.
  const size_t dot = file.rfind('.');
  if (dot == std::string::npos || dot + 1 == file.size()) return std::nullopt;
  uint64_t number = 0;
  for (size_t i = dot + 1; i < file.size(); ++i) {
    if (file[i] < '0' || file[i] > '9') return std::nullopt;
    number = number * 10 + static_cast<uint64_t>(file[i] - '0');
  }
  return BinlogCoord{number, pos};
}

// A chunk read from one read view, waiting for the stream to reach the view.
struct IncrementalSnapshot::Chunk {
  BinlogCoord view;
  std::string view_text;  // for logs
  std::vector<ChangeEvent> events;
  std::vector<std::string> keys;      // KeyFingerprint of each event's row
  std::vector<std::string> last_key;  // raw key cells of the last row read
  size_t bytes = 0;
  bool table_done = false;  // fewer rows than asked: the table ends with this chunk
};

IncrementalSnapshot::IncrementalSnapshot(const SourceConfig& config, MySqlConnectOptions options,
                                         ColumnDefaultsSource* defaults)
    : config_(config),
      options_(std::move(options)),
      defaults_(defaults),
      filter_(config),
      queue_(config.name, config.snapshot_requests_dir, "after their chunk's read view",
             {KeyCellToHex, KeyCellFromHex}) {}

IncrementalSnapshot::~IncrementalSnapshot() = default;

Status IncrementalSnapshot::Restore(const std::string& state) {
  VIMUR_RETURN_IF_ERROR(queue_.Restore(state));
  if (queue_.active()) {
    const IncrementalSnapshotQueue::Request& r = queue_.front();
    LOG_INFO << "source " << config_.name << ": incremental snapshot " << r.id
             << " continues at table " << (r.table < r.tables.size() ? r.tables[r.table] : "-")
             << (r.after.empty() ? " (from its start)" : " (after the last chunk handed on)")
             << "; " << queue_.size() << " request(s) queued";
  }
  return Status::Ok();
}

void IncrementalSnapshot::Observe(Transaction& txn) {
  if (!queue_.active()) return;
  if (!txn.end.empty()) txn.end.incremental_snapshot = queue_.state();
  // The table being read, "db.table" split at its first dot (as SplitTable does).
  const std::string& qualified = queue_.current_table();
  const size_t dot = qualified.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == qualified.size()) return;
  const std::string_view current_db = std::string_view(qualified).substr(0, dot);
  const std::string_view current_table = std::string_view(qualified).substr(dot + 1);
  for (const SchemaChange& change : txn.schema_changes) {
    bool names_it = change.tables.empty() && change.database == current_db;
    for (const std::string& t : change.tables) names_it |= t == qualified;
    if (names_it) {
      // The table's shape may have changed: read the chunk in flight again with the new one.
      held_.reset();
      plan_.reset();
    }
  }
  if (!remembered_from_) return;
  // Where this transaction ends; a leading chunk of a large transaction, or a position held
  // at a prepared XA transaction, ends later than anything known: after every view.
  std::optional<BinlogCoord> ends;
  if (txn.complete && txn.end.source_state.empty())
    ends = BinlogCoord::Of(txn.end.file, txn.end.pos);
  const BinlogCoord at = ends.value_or(BinlogCoord::Max());
  for (const ChangeEvent& ev : txn.events) {
    if (!ev.table || ev.table->table != current_table || ev.table->database != current_db) {
      continue;
    }
    if (!ev.before.empty()) changed_.emplace_back(at, KeyFingerprint(*ev.table, ev.before));
    if (!ev.after.empty()) changed_.emplace_back(at, KeyFingerprint(*ev.table, ev.after));
  }
  if (changed_.size() > kMaxRememberedKeys) {
    LOG_WARN << "source " << config_.name << ": incremental snapshot: more than "
             << kMaxRememberedKeys << " changes to " << qualified
             << " while a chunk was in flight; reading the chunk again";
    changed_.clear();
    remembered_from_.reset();
    held_.reset();
  }
}

Status IncrementalSnapshot::EnsureConnection() {
  if (conn_) return Status::Ok();
  VIMUR_ASSIGN_OR_RETURN(MySqlConnection conn, MySqlConnection::Connect(options_));
  VIMUR_RETURN_IF_ERROR(
      conn.Execute("SET SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600, "
                   "SESSION time_zone = '+00:00', SESSION character_set_results = NULL"));
  VIMUR_RETURN_IF_ERROR(conn.Execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  conn_.emplace(std::move(conn));
  return Status::Ok();
}

void IncrementalSnapshot::DropCurrent() {
  held_.reset();
  plan_.reset();
  changed_.clear();
  remembered_from_.reset();
}

Status IncrementalSnapshot::Check(const SnapshotRequest& request) {
  if (request.tables.empty()) {
    return Status::InvalidArgument("the request names no table (--table db.table)");
  }
  VIMUR_RETURN_IF_ERROR(EnsureConnection());
  for (const std::string& qualified : request.tables) {
    std::string db, table;
    if (!SplitTable(qualified, &db, &table)) {
      return Status::InvalidArgument("table '" + qualified + "': name it as database.table");
    }
    if (!filter_.IncludesTable(db, table)) {
      return Status::InvalidArgument("table " + qualified + " is not captured by source " +
                                     config_.name + " (include_tables / exclude_tables)");
    }
    auto plan = PlanSnapshotTable(*conn_, filter_, defaults_, db, table);
    if (!plan.ok()) {
      if (plan.status().code() != StatusCode::kNotFound) conn_.reset();
      return plan.status().WithContext("table " + qualified);
    }
    if (!plan->keyset) {
      return Status::InvalidArgument(
          "table " + qualified +
          " has no primary key, or one with a column type that cannot be paged (FLOAT, DOUBLE, "
          "BIT, ENUM, SET, JSON, geometry): an incremental snapshot merges chunks with the "
          "stream by primary key");
    }
    if (plan->projected->key_columns.size() != plan->full->key_columns.size()) {
      return Status::InvalidArgument("table " + qualified +
                                     ": exclude_columns removes a primary-key column, so "
                                     "chunks cannot be matched with the stream's changes");
    }
    if (!request.where.empty()) {
      Status probe = conn_->Execute(plan->select + " WHERE (" + request.where + ") LIMIT 0");
      if (!probe.ok()) {
        return Status::InvalidArgument("--where '" + request.where + "' on " + qualified + ": " +
                                       probe.message());
      }
    }
  }
  return Status::Ok();
}

void IncrementalSnapshot::NextTable(const std::optional<BinlogCoord>& now) {
  plan_.reset();
  held_.reset();
  changed_.clear();
  remembered_from_ = now;
  queue_.NextTable();
}

Status IncrementalSnapshot::ReadChunk() {
  VIMUR_RETURN_IF_ERROR(EnsureConnection());
  IncrementalSnapshotQueue::Request& r = queue_.front();
  const std::string qualified = r.tables[r.table];
  if (!plan_) {
    std::string db, table;
    SplitTable(qualified, &db, &table);
    auto plan = PlanSnapshotTable(*conn_, filter_, defaults_, db, table);
    if (plan.status().code() == StatusCode::kNotFound) {
      LOG_WARN << "source " << config_.name << ": incremental snapshot " << r.id << ": table "
               << qualified << " no longer exists; skipped";
      NextTable(remembered_from_);
      return Status::Ok();
    }
    if (!plan.ok()) return plan.status().WithContext("table " + qualified);
    if (!plan->keyset || plan->projected->key_columns.size() != plan->full->key_columns.size()) {
      LOG_WARN << "source " << config_.name << ": incremental snapshot " << r.id << ": table "
               << qualified << " no longer has a primary key it can be read by; skipped";
      NextTable(remembered_from_);
      return Status::Ok();
    }
    if (!r.after.empty() && r.after.size() != plan->full->key_columns.size()) r.after.clear();
    plan_ = std::move(plan).value();
    auto estimate = conn_->QueryValue(
        "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" +
        conn_->Escape(plan_->database) + "' AND TABLE_NAME = '" + conn_->Escape(plan_->table) +
        "'");
    r.estimate =
        estimate.ok() && *estimate ? std::strtoull(estimate->value().c_str(), nullptr, 10) : 0;
    LOG_INFO << "source " << config_.name << ": incremental snapshot " << r.id << ": " << qualified
             << (r.after.empty() ? " starts" : " continues after the last chunk handed on") << " (~"
             << r.estimate << " rows)";
    metrics::SnapshotProbe::For(config_.name, qualified)
        .Started(r.estimate > r.rows ? r.estimate - r.rows : 0);
  }
  const SnapshotTablePlan& plan = *plan_;
  const TableSchema& full = *plan.full;
  VIMUR_ASSIGN_OR_RETURN(
      std::string sql,
      plan.ChunkQuery(r.after, r.where, static_cast<uint64_t>(config_.snapshot_chunk_rows)));

  auto chunk = std::make_unique<Chunk>();
  VIMUR_RETURN_IF_ERROR(conn_->Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"));
  VIMUR_ASSIGN_OR_RETURN(std::vector<SqlRow> status,
                         conn_->Query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'"));
  std::string file;
  uint64_t pos = 0;
  for (const SqlRow& row : status) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    if (*row[0] == "Binlog_snapshot_file") file = *row[1];
    if (*row[0] == "Binlog_snapshot_position") pos = std::strtoull(row[1]->c_str(), nullptr, 10);
  }
  auto view = BinlogCoord::Of(file, pos);
  if (!view) {
    (void)conn_->Execute("ROLLBACK");
    return Status::FailedPrecondition("the server reports no binlog position for a read view ('" +
                                      file + "'); binary logging must be on");
  }
  chunk->view = *view;
  chunk->view_text = file + ":" + std::to_string(pos);
  auto storage = std::make_shared<ChunkStorage>();
  storage->schemas = {plan.full, plan.projected};
  auto source = std::make_shared<SourceInfo>();
  source->connector = "mariadb";
  source->name = config_.topic_prefix;
  source->ts_ms = WallMs();
  source->snapshot = SnapshotMarker::kIncremental;
  source->file = file;
  source->pos = pos;
  uint64_t rows = 0;
  bool full_of_bytes = false;
  Status row_error;
  Status read = conn_->StreamQuery(sql, [&](const char* const* cells, const unsigned long* lengths,
                                            size_t count) {
    if (count != full.columns.size()) {
      row_error = Status::Unavailable("read " + std::to_string(count) + " columns of " + qualified +
                                      ", expected " + std::to_string(full.columns.size()) +
                                      " (the table changed; it is read again)");
      return false;
    }
    const size_t arena_before = storage->bytes.capacity();
    ChangeEvent& ev = chunk->events.emplace_back();
    ev.op = Op::kRead;
    ev.table = plan.projected;
    ev.storage = storage;
    ev.source = source;
    ev.total_order = 1;
    ev.data_collection_order = 1;
    ev.after.resize(plan.kept.size());
    for (size_t i = 0; i < plan.kept.size(); ++i) {
      const size_t c = plan.kept[i];
      Status s =
          DecodeSnapshotCell(full.columns[c], cells[c], lengths[c], &storage->bytes, &ev.after[i]);
      if (!s.ok()) {
        row_error = s.WithContext("table " + qualified);
        return false;
      }
    }
    chunk->keys.push_back(KeyFingerprint(*plan.projected, ev.after));
    chunk->last_key = plan.KeyCells(cells, lengths);
    chunk->bytes += storage->bytes.capacity() - arena_before + sizeof(ChangeEvent) +
                    ev.after.size() * sizeof(Value) + 64;
    ++rows;
    // Rows are in key order: a chunk cut short by its bytes ends at its last row.
    if (chunk->bytes >= kMaxChunkBytes) {
      full_of_bytes = true;
      return false;
    }
    return true;
  });
  (void)conn_->Execute("COMMIT");
  if (!row_error.ok()) {
    if (row_error.code() == StatusCode::kUnavailable) plan_.reset();
    return row_error;
  }
  if (!read.ok() && !full_of_bytes) {
    plan_.reset();  // (a DDL after the view: read the table's shape again)
    return read.WithContext("reading " + qualified);
  }
  chunk->table_done = !full_of_bytes && rows < static_cast<uint64_t>(config_.snapshot_chunk_rows);
  held_ = std::move(chunk);
  return Status::Ok();
}

bool IncrementalSnapshot::HandOn(const Position& delivered, const TransactionConsumer& consumer,
                                 const std::optional<BinlogCoord>& now) {
  std::unique_ptr<Chunk> chunk = std::move(held_);
  std::unordered_set<std::string> newer;
  for (const auto& [at, key] : changed_) {
    if (at > chunk->view) newer.insert(key);
  }
  // Later chunks are read from later views: what this view already holds never matters again.
  std::erase_if(changed_, [&](const auto& entry) { return !(entry.first > chunk->view); });

  Transaction txn;
  txn.id = "incremental-snapshot:" + queue_.front().id;
  txn.complete = true;
  const size_t read = chunk->events.size();
  for (size_t i = 0; i < read; ++i) {
    if (newer.count(chunk->keys[i]) != 0) continue;
    txn.events.push_back(std::move(chunk->events[i]));
  }
  if (!txn.events.empty()) txn.source = txn.events.front().source;
  txn.approx_bytes = chunk->bytes;
  const size_t dropped = read - txn.events.size();

  IncrementalSnapshotQueue::Request& r = queue_.front();
  r.rows += read;
  metrics::SnapshotProbe::For(config_.name, r.tables[r.table]).Read(read);
  r.handed_on += txn.events.size();
  r.left_out += dropped;
  if (!chunk->last_key.empty()) r.after = chunk->last_key;
  if (dropped > 0) {
    LOG_DEBUG << "source " << config_.name << ": incremental snapshot " << r.id << ": " << dropped
              << " row(s) of a chunk read at " << chunk->view_text
              << " left out: the stream changed them since";
  }
  if (chunk->table_done) {
    NextTable(now);
  } else {
    queue_.UpdateState();
  }
  txn.end = delivered;
  txn.end.incremental_snapshot = queue_.state();
  if (!consumer(std::move(txn))) return false;
  queue_.ReportStatus(false);
  return true;
}

Status IncrementalSnapshot::AtBoundary(const Position& stream, const Position& delivered,
                                       const TransactionConsumer& consumer,
                                       const std::atomic<bool>& stop, bool* stopped) {
  int64_t now = WallMs();
  if (now - last_poll_ms_ >= 1000) {
    last_poll_ms_ = now;
    Status taken =
        queue_.TakeRequests({[this](const SnapshotRequest& request) { return Check(request); },
                             [this] { DropCurrent(); }});
    if (!taken.ok()) {
      LOG_WARN << "source " << config_.name << ": reading snapshot requests from "
               << queue_.requests_dir() << ": " << taken.message();
    }
  }
  if (!queue_.active()) return Status::Ok();
  const std::optional<BinlogCoord> stream_at = BinlogCoord::Of(stream.file, stream.pos);
  if (!stream_at) return Status::Ok();
  if (!remembered_from_) remembered_from_ = *stream_at;
  while (!stop.load() && queue_.active()) {
    if (held_) {
      if (held_->view > *stream_at) return Status::Ok();  // the stream has not reached it yet
      if (!HandOn(delivered, consumer, stream_at)) {
        *stopped = true;
        return Status::Ok();
      }
      continue;
    }
    now = WallMs();
    if (now < retry_after_ms_) return Status::Ok();
    Status read = ReadChunk();
    if (!read.ok()) {
      const IncrementalSnapshotQueue::Request& r = queue_.front();
      LOG_WARN << "source " << config_.name << ": incremental snapshot " << r.id << ": "
               << read.message() << "; trying again in 5 s";
      conn_.reset();
      held_.reset();
      retry_after_ms_ = now + 5000;
      return Status::Ok();
    }
    if (held_ && held_->view < *remembered_from_) {
      // The view is older than the changes remembered (a commit was still in flight when the
      // view was taken): what changed in between is not known, so the chunk is read again.
      held_.reset();
      retry_after_ms_ = now + 20;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace vimur::mysql
