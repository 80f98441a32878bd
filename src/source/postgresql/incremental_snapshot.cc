#include "source/postgresql/incremental_snapshot.h"

#include <algorithm>
#include <chrono>

#include "core/arena.h"
#include "core/logging.h"
#include "core/metrics_probes.h"
#include "source/key_change.h"
#include "source/postgresql/postgresql_setup.h"

namespace vimur::postgresql {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct ChunkStorage {
  ByteArena bytes{64 * 1024};
};

bool SplitTable(const std::string& qualified, std::string* schema, std::string* table) {
  const size_t dot = qualified.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == qualified.size()) return false;
  *schema = qualified.substr(0, dot);
  *table = qualified.substr(dot + 1);
  return true;
}

// The transactions a snapshot does not see: in progress (xip) or starting at xmax or later.
// Compared on 32-bit transaction ids, as the stream's Begin messages carry them.
struct SnapshotXids {
  uint32_t xmax = 0;
  std::unordered_set<uint32_t> xip;

  // `text`: pg_current_snapshot()'s "xmin:xmax:xip,...".
  static std::optional<SnapshotXids> Parse(const std::string& text) {
    const size_t a = text.find(':');
    const size_t b = a == std::string::npos ? a : text.find(':', a + 1);
    if (b == std::string::npos) return std::nullopt;
    SnapshotXids out;
    out.xmax = static_cast<uint32_t>(std::strtoull(text.c_str() + a + 1, nullptr, 10));
    size_t at = b + 1;
    while (at < text.size()) {
      out.xip.insert(static_cast<uint32_t>(std::strtoull(text.c_str() + at, nullptr, 10)));
      const size_t comma = text.find(',', at);
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    return out;
  }
  bool Sees(uint32_t xid) const {
    return static_cast<int32_t>(xid - xmax) < 0 && xip.count(xid) == 0;
  }
};

}  // namespace

// A chunk read between its watermarks, waiting for the stream to reach the high one.
struct PgIncrementalSnapshot::Chunk {
  std::string id;  // of its watermarks
  bool low_seen = false;
  bool high_seen = false;
  SnapshotXids view;
  std::vector<ChangeEvent> events;
  std::vector<std::string> keys;      // KeyFingerprint of each event's row
  std::vector<std::string> last_key;  // text of the key columns of the last row read
  size_t bytes = 0;
  bool table_done = false;  // fewer rows than asked: the table ends with this chunk
  // Keys the stream changed after the low watermark: newer than the chunk's rows.
  std::unordered_set<std::string> changed;
  // Keys changed by transactions streamed since the chunk started, before the low watermark,
  // with their transaction: left out too when the chunk's view did not see the transaction
  // (its commit was written to the WAL but not yet visible when the chunk was read).
  std::vector<std::pair<uint32_t, std::string>> before_low;
};

PgIncrementalSnapshot::PgIncrementalSnapshot(const SourceConfig& config)
    : config_(config),
      filter_(config),
      queue_(config.name, config.snapshot_requests_dir, "between their chunk's watermarks") {}

PgIncrementalSnapshot::~PgIncrementalSnapshot() = default;

Status PgIncrementalSnapshot::Restore(const std::string& state) {
  VIMUR_RETURN_IF_ERROR(queue_.Restore(state));
  if (queue_.active()) {
    const IncrementalSnapshotQueue::Request& r = queue_.front();
    std::string key;
    for (const std::string& k : r.after) key += (key.empty() ? "" : ", ") + k;
    LOG_INFO << "source " << config_.name << ": incremental snapshot " << r.id
             << " continues at table " << (r.table < r.tables.size() ? r.tables[r.table] : "-")
             << (r.after.empty() ? " from its start"
                                 : " after key (" + key + "), the last chunk handed on")
             << " (" << r.rows << " rows handed on before); " << queue_.size()
             << " request(s) queued";
  }
  return Status::Ok();
}

bool PgIncrementalSnapshot::OnMessage(const LogicalMessage& message, uint64_t lsn) {
  if (message.prefix != kWatermarkPrefix) return false;
  // Every watermark is ours, also those of chunks read before a restart: none is passed on.
  if (held_) {
    if (message.content == held_->id + ":low") {
      held_->low_seen = true;
      LOG_DEBUG << "source " << config_.name << ": low watermark " << held_->id << " at lsn "
                << LsnText(lsn);
    } else if (message.content == held_->id + ":high") {
      held_->high_seen = true;
      held_->low_seen = true;
    }
  }
  return true;
}

void PgIncrementalSnapshot::Observe(Transaction& txn) {
  if (!queue_.active()) return;
  if (!txn.end.empty()) txn.end.incremental_snapshot = queue_.state();
  const std::string& current_table = queue_.current_table();
  if (!held_ || held_->high_seen || current_table.empty()) return;
  Chunk& chunk = *held_;
  bool reread = false;
  for (const ChangeEvent& ev : txn.events) {
    if (!ev.table || ev.table->qualified_name() != current_table) continue;
    if (ev.op == Op::kTruncate) {
      reread = true;
      break;
    }
    const uint32_t xid =
        ev.source && ev.source->tx_id >= 0 ? static_cast<uint32_t>(ev.source->tx_id) : 0;
    for (const std::vector<Value>* row : {&ev.before, &ev.after}) {
      if (row->empty()) continue;
      std::string key = KeyFingerprint(*ev.table, *row);
      if (chunk.low_seen) {
        chunk.changed.insert(std::move(key));
      } else {
        chunk.before_low.emplace_back(xid, std::move(key));
      }
    }
  }
  if (!reread && chunk.changed.size() + chunk.before_low.size() > kMaxRememberedKeys) {
    LOG_WARN << "source " << config_.name << ": incremental snapshot: more than "
             << kMaxRememberedKeys << " changes to " << current_table
             << " while a chunk was in flight; reading the chunk again";
    reread = true;
  }
  if (reread) held_.reset();  // (its watermarks still arrive; they are dropped)
}

Status PgIncrementalSnapshot::EnsureConnection() {
  if (conn_) return Status::Ok();
  VIMUR_ASSIGN_OR_RETURN(conn_,
                         PgConnection::Connect(PgConnectOptions::FromConfig(config_), false));
  return Status::Ok();
}

Result<std::optional<PublishedTable>> PgIncrementalSnapshot::FindTable(
    const std::string& qualified) {
  VIMUR_ASSIGN_OR_RETURN(std::vector<PublishedTable> tables, PublishedTables(*conn_, config_));
  for (const PublishedTable& t : tables) {
    if (t.qualified() == qualified) return std::optional<PublishedTable>(t);
  }
  return std::optional<PublishedTable>();
}

void PgIncrementalSnapshot::DropCurrent() {
  held_.reset();
  plan_.reset();
}

Status PgIncrementalSnapshot::Check(const SnapshotRequest& request) {
  if (request.tables.empty()) {
    return Status::InvalidArgument("the request names no table (--table schema.table)");
  }
  VIMUR_RETURN_IF_ERROR(EnsureConnection());
  if (conn_->server_version() < 140000) {
    return Status::FailedPrecondition(
        "incremental snapshots of PostgreSQL need version 14 or later (logical decoding "
        "messages in pgoutput, used as watermarks); the server is " +
        std::to_string(conn_->server_version()));
  }
  for (const std::string& qualified : request.tables) {
    std::string schema, table;
    if (!SplitTable(qualified, &schema, &table)) {
      return Status::InvalidArgument("table '" + qualified + "': name it as schema.table");
    }
    if (!filter_.IncludesTable(schema, table)) {
      return Status::InvalidArgument("table " + qualified + " is not captured by source " +
                                     config_.name + " (include_tables / exclude_tables)");
    }
    auto found = FindTable(qualified);
    if (!found.ok()) {
      conn_.reset();
      return found.status().WithContext("table " + qualified);
    }
    if (!*found) {
      return Status::InvalidArgument("table " + qualified + " is not in publication " +
                                     config_.publication + " of source " + config_.name);
    }
    auto plan = DescribeSnapshotTable(*conn_, filter_, **found);
    if (!plan.ok()) {
      if (plan.status().code() != StatusCode::kNotFound) conn_.reset();
      return plan.status().WithContext("table " + qualified);
    }
    if (!plan->keyset()) {
      return Status::InvalidArgument(
          "table " + qualified +
          " has no primary key (or one with a generated column): an incremental snapshot "
          "merges chunks with the stream by primary key");
    }
    if (plan->schema->key_columns.size() != plan->key_cells.size()) {
      return Status::InvalidArgument(
          "table " + qualified +
          ": the stream's key is not the primary key (REPLICA IDENTITY FULL or NOTHING, or "
          "exclude_columns removes a primary-key column), so chunks cannot be matched with the "
          "stream's changes; use REPLICA IDENTITY DEFAULT");
    }
    if (!request.where.empty()) {
      auto probe = conn_->Query(plan->select + " WHERE (" + request.where + ") LIMIT 0");
      if (!probe.ok()) {
        return Status::InvalidArgument("--where '" + request.where + "' on " + qualified + ": " +
                                       probe.status().message());
      }
    }
  }
  return Status::Ok();
}

void PgIncrementalSnapshot::NextTable() {
  plan_.reset();
  held_.reset();
  queue_.NextTable();
}

Status PgIncrementalSnapshot::EmitWatermark(const std::string& text) {
  // Non-transactional: decoded at its place in the WAL, whatever commits around it.
  auto emitted =
      conn_->Query("SELECT pg_logical_emit_message(false, $1, $2)::text", {kWatermarkPrefix, text});
  if (!emitted.ok()) {
    return emitted.status().WithContext(
        "writing the watermark " + text +
        " (EXECUTE on pg_logical_emit_message, granted to every user by default, is needed)");
  }
  return Status::Ok();
}

Status PgIncrementalSnapshot::StartChunk() {
  VIMUR_RETURN_IF_ERROR(EnsureConnection());
  IncrementalSnapshotQueue::Request& r = queue_.front();
  const std::string qualified = r.tables[r.table];
  if (!plan_) {
    VIMUR_ASSIGN_OR_RETURN(std::optional<PublishedTable> found, FindTable(qualified));
    Result<SnapshotTable> plan = Status::NotFound("not published");
    if (found) plan = DescribeSnapshotTable(*conn_, filter_, *found);
    if (plan.status().code() == StatusCode::kNotFound) {
      LOG_WARN << "source " << config_.name << ": incremental snapshot " << r.id << ": table "
               << qualified << " no longer exists or is no longer published; skipped";
      NextTable();
      return Status::Ok();
    }
    if (!plan.ok()) return plan.status().WithContext("table " + qualified);
    if (!plan->keyset() || plan->schema->key_columns.size() != plan->key_cells.size()) {
      LOG_WARN << "source " << config_.name << ": incremental snapshot " << r.id << ": table "
               << qualified << " no longer has a primary key it can be read by; skipped";
      NextTable();
      return Status::Ok();
    }
    if (!r.after.empty() && r.after.size() != plan->key_cells.size()) r.after.clear();
    plan_ = std::move(plan).value();
    auto estimate =
        conn_->Query("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = $1::oid",
                     {std::to_string(plan_->relation_id)});
    r.estimate = estimate.ok() && !estimate->empty() && (*estimate)[0][0]
                     ? std::strtoull((*estimate)[0][0]->c_str(), nullptr, 10)
                     : 0;
    std::string key;
    for (const std::string& k : r.after) key += (key.empty() ? "" : ", ") + k;
    LOG_INFO << "source " << config_.name << ": incremental snapshot " << r.id << ": " << qualified
             << (r.after.empty() ? " starts" : " continues after key (" + key + ")") << " (~"
             << r.estimate << " rows)";
    metrics::SnapshotProbe::For(config_.name, qualified)
        .Started(r.estimate > r.rows ? r.estimate - r.rows : 0);
  }
  const SnapshotTable& plan = *plan_;
  std::string sql = plan.select;
  std::vector<std::string> params;
  if (!r.after.empty()) {
    sql += plan.key_after;
    params = r.after;
    if (!r.where.empty()) sql += " AND (" + r.where + ")";
  } else if (!r.where.empty()) {
    sql += " WHERE (" + r.where + ")";
  }
  sql += plan.key_order + " LIMIT " + std::to_string(config_.snapshot_chunk_rows);

  auto chunk = std::make_unique<Chunk>();
  chunk->id = r.id + "/" + std::to_string(WallMs()) + "/" + std::to_string(++chunk_counter_);
  // Remembering starts now, before the low watermark is written.
  held_ = std::move(chunk);
  Chunk& c = *held_;
  VIMUR_RETURN_IF_ERROR(EmitWatermark(c.id + ":low"));
  VIMUR_RETURN_IF_ERROR(conn_->Query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").status());
  auto view = conn_->Query("SELECT pg_current_snapshot()::text");
  std::optional<SnapshotXids> xids;
  if (view.ok() && !view->empty() && (*view)[0][0]) xids = SnapshotXids::Parse(*(*view)[0][0]);
  if (!xids) {
    (void)conn_->Query("ROLLBACK");
    return view.ok() ? Status::Internal("pg_current_snapshot() returned no snapshot")
                     : view.status();
  }
  c.view = *xids;
  const bool precise_decimals =
      config_.decimal_handling_mode == "precise" || config_.decimal_handling_mode.empty();
  auto storage = std::make_shared<ChunkStorage>();
  auto source = std::make_shared<SourceInfo>();
  source->connector = "postgresql";
  source->name = config_.topic_prefix;
  source->ts_ms = WallMs();
  source->snapshot = SnapshotMarker::kIncremental;
  source->schema = plan.schema_name;
  source->database = config_.database.empty() ? config_.user : config_.database;
  uint64_t rows = 0;
  bool full_of_bytes = false;
  Status row_error;
  Status read = conn_->StreamQuery(sql, params, [&](const PgCells& cells) {
    const size_t arena_before = storage->bytes.capacity();
    ChangeEvent& ev = c.events.emplace_back();
    ev.op = Op::kRead;
    ev.table = plan.schema;
    ev.storage = storage;
    ev.source = source;
    ev.total_order = 1;
    ev.data_collection_order = 1;
    size_t text_bytes = 0;
    row_error = DecodeSnapshotRow(plan, cells, precise_decimals, config_.name, &storage->bytes,
                                  &ev.after, &text_bytes);
    if (!row_error.ok()) return false;
    c.keys.push_back(KeyFingerprint(*plan.schema, ev.after));
    c.last_key.clear();
    for (size_t k : plan.key_cells) c.last_key.emplace_back(cells[k].value_or(""));
    c.bytes += std::max(storage->bytes.capacity() - arena_before, text_bytes) +
               sizeof(ChangeEvent) + ev.after.size() * sizeof(Value) + 64;
    ++rows;
    if (c.bytes >= kMaxChunkBytes) {  // rows are in key order: the chunk ends at its last row
      full_of_bytes = true;
      return false;
    }
    return true;
  });
  (void)conn_->Query("COMMIT");
  if (!row_error.ok()) {
    plan_.reset();
    return row_error.WithContext("table " + qualified);
  }
  if (!read.ok() && !full_of_bytes) {
    plan_.reset();  // (the table may have changed: its shape is read again)
    return read.WithContext("reading " + qualified);
  }
  c.table_done = !full_of_bytes && rows < static_cast<uint64_t>(config_.snapshot_chunk_rows);
  VIMUR_RETURN_IF_ERROR(EmitWatermark(c.id + ":high"));
  // A non-transactional message is not flushed by itself (the WAL writer does within
  // wal_writer_delay); the commit of a transactional one flushes the WAL, so the stream sees
  // the high watermark at once also on an idle server. It is dropped like the watermarks.
  (void)conn_->Query("SELECT pg_logical_emit_message(true, $1, 'flush')::text", {kWatermarkPrefix});
  return Status::Ok();
}

bool PgIncrementalSnapshot::HandOn(const Position& delivered, const TransactionConsumer& consumer) {
  std::unique_ptr<Chunk> chunk = std::move(held_);
  for (const auto& [xid, key] : chunk->before_low) {
    if (!chunk->view.Sees(xid)) chunk->changed.insert(key);
  }
  Transaction txn;
  txn.id = "incremental-snapshot:" + queue_.front().id;
  txn.complete = true;
  const size_t read = chunk->events.size();
  for (size_t i = 0; i < read; ++i) {
    if (chunk->changed.count(chunk->keys[i]) != 0) continue;
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
              << " row(s) of chunk " << chunk->id
              << " left out: the stream changed them between its watermarks";
  }
  if (chunk->table_done) {
    NextTable();
  } else {
    queue_.UpdateState();
  }
  txn.end = delivered;
  txn.end.incremental_snapshot = queue_.state();
  if (!consumer(std::move(txn))) return false;
  queue_.ReportStatus(false);
  return true;
}

Status PgIncrementalSnapshot::AtBoundary(const Position& delivered,
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
  if (!queue_.active() || delivered.empty() || stop.load()) return Status::Ok();
  if (held_) {
    if (!held_->high_seen) return Status::Ok();  // the stream has not reached it yet
    if (!HandOn(delivered, consumer)) *stopped = true;
    return Status::Ok();
  }
  if (now < retry_after_ms_) return Status::Ok();
  Status started = StartChunk();
  if (!started.ok()) {
    const IncrementalSnapshotQueue::Request& r = queue_.front();
    LOG_WARN << "source " << config_.name << ": incremental snapshot " << r.id << ": "
             << started.message() << "; trying again in 5 s";
    conn_.reset();
    held_.reset();
    retry_after_ms_ = now + 5000;
  }
  return Status::Ok();
}

}  // namespace vimur::postgresql
