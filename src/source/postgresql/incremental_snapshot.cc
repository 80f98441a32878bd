#include "source/postgresql/incremental_snapshot.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

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
    : config_(config), filter_(config), requests_dir_(config.snapshot_requests_dir) {}

PgIncrementalSnapshot::~PgIncrementalSnapshot() = default;

std::string PgIncrementalSnapshot::StateJson() const {
  if (requests_.empty()) return "";
  nlohmann::json list = nlohmann::json::array();
  for (const Request& r : requests_) {
    nlohmann::json j;
    j["id"] = r.id;
    j["tables"] = r.tables;
    if (!r.where.empty()) j["where"] = r.where;
    j["table"] = r.table;
    if (!r.after.empty()) j["after"] = r.after;
    j["rows"] = r.rows;
    list.push_back(std::move(j));
  }
  nlohmann::json state;
  state["requests"] = std::move(list);
  return state.dump();
}

void PgIncrementalSnapshot::UpdateState() {
  state_ = StateJson();
  current_table_.clear();
  if (!requests_.empty()) {
    const Request& r = requests_.front();
    if (r.table < r.tables.size()) current_table_ = r.tables[r.table];
  }
}

Status PgIncrementalSnapshot::Restore(const std::string& state) {
  requests_.clear();
  if (state.empty()) {
    UpdateState();
    return Status::Ok();
  }
  nlohmann::json j = nlohmann::json::parse(state, nullptr, false);
  auto bad = [&](const std::string& what) {
    return Status::Corruption("source " + config_.name +
                              ": the stored incremental snapshot state is not understood (" + what +
                              "): " + state.substr(0, 200) +
                              "; cancel the snapshots with vimur snapshot --cancel, or remove the "
                              "stored offset");
  };
  if (j.is_discarded() || !j.is_object() || !j.contains("requests") || !j["requests"].is_array()) {
    return bad("no requests list");
  }
  try {
    for (const auto& item : j["requests"]) {
      Request r;
      r.id = item.at("id").get<std::string>();
      r.tables = item.at("tables").get<std::vector<std::string>>();
      r.where = item.value("where", "");
      r.table = item.value("table", size_t{0});
      r.rows = item.value("rows", uint64_t{0});
      if (item.contains("after")) r.after = item["after"].get<std::vector<std::string>>();
      r.started_ms = WallMs();
      requests_.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  UpdateState();
  if (active()) {
    const Request& r = requests_.front();
    std::string key;
    for (const std::string& k : r.after) key += (key.empty() ? "" : ", ") + k;
    LOG_INFO << "source " << config_.name << ": incremental snapshot " << r.id
             << " continues at table " << (r.table < r.tables.size() ? r.tables[r.table] : "-")
             << (r.after.empty() ? " from its start"
                                 : " after key (" + key + "), the last chunk handed on")
             << " (" << r.rows << " rows handed on before); " << requests_.size()
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
  if (requests_.empty()) return;
  if (!txn.end.empty()) txn.end.incremental_snapshot = state_;
  if (!held_ || held_->high_seen || current_table_.empty()) return;
  Chunk& chunk = *held_;
  bool reread = false;
  for (const ChangeEvent& ev : txn.events) {
    if (!ev.table || ev.table->qualified_name() != current_table_) continue;
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
             << kMaxRememberedKeys << " changes to " << current_table_
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

Status PgIncrementalSnapshot::TakeRequests() {
  VIMUR_ASSIGN_OR_RETURN(std::vector<SnapshotRequest> taken, requests_dir_.TakeSubmitted());
  for (SnapshotRequest& request : taken) {
    const std::string id = request.id;
    Status accepted = Accept(std::move(request));
    if (!accepted.ok()) {
      LOG_WARN << "source " << config_.name << ": incremental snapshot " << id
               << " rejected: " << accepted.message();
      SnapshotRequestStatus status;
      status.id = id;
      status.state = "rejected";
      status.message = accepted.message();
      status.updated_ms = WallMs();
      VIMUR_RETURN_IF_ERROR(requests_dir_.WriteStatus(status));
    }
  }
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

Status PgIncrementalSnapshot::Accept(SnapshotRequest request) {
  if (request.cancel) {
    size_t cancelled = 0;
    for (size_t i = 0; i < requests_.size();) {
      Request& r = requests_[i];
      const bool current = i == 0;
      const std::string reading = r.table < r.tables.size() ? r.tables[r.table] : "";
      std::vector<std::string> rest;
      for (size_t t = 0; t < r.tables.size(); ++t) {
        bool named = request.tables.empty();
        for (const std::string& c : request.tables) named |= c == r.tables[t];
        if (named && t >= r.table) {
          ++cancelled;
        } else {
          rest.push_back(r.tables[t]);
        }
      }
      if (rest.size() == r.tables.size()) {
        ++i;
        continue;
      }
      const bool reading_kept = std::find(rest.begin(), rest.end(), reading) != rest.end();
      r.tables = rest;
      r.table = std::min(r.table, r.tables.size());
      if (!reading_kept) {
        r.after.clear();
        r.rows = 0;
        if (current) {
          if (!reading.empty()) metrics::SnapshotProbe::For(config_.name, reading).Finished();
          held_.reset();
          plan_.reset();
        }
      }
      if (r.table >= r.tables.size()) {
        Finish(r, "cancelled", "cancelled by request " + request.id);
        requests_.erase(requests_.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      ++i;
    }
    UpdateState();
    LOG_INFO << "source " << config_.name << ": cancel request " << request.id << ": " << cancelled
             << " table snapshot(s) cancelled";
    SnapshotRequestStatus status;
    status.id = request.id;
    status.state = "done";
    status.message = std::to_string(cancelled) + " table snapshot(s) cancelled";
    status.updated_ms = WallMs();
    return requests_dir_.WriteStatus(status);
  }

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
  Request r;
  r.id = request.id;
  r.tables = request.tables;
  r.where = request.where;
  r.started_ms = WallMs();
  LOG_INFO << "source " << config_.name << ": incremental snapshot " << r.id
           << " accepted: " << r.tables.size() << " table(s)"
           << (r.where.empty() ? "" : " where " + r.where)
           << (requests_.empty() ? "" : ", queued behind " + std::to_string(requests_.size()));
  SnapshotRequestStatus status;
  status.id = r.id;
  status.state = "accepted";
  status.tables_total = r.tables.size();
  status.table = r.tables.front();
  status.updated_ms = WallMs();
  requests_.push_back(std::move(r));
  UpdateState();
  return requests_dir_.WriteStatus(status);
}

void PgIncrementalSnapshot::Finish(Request& request, const std::string& state,
                                   const std::string& message) {
  SnapshotRequestStatus status;
  status.id = request.id;
  status.state = state;
  status.message = message;
  status.tables_total = request.tables.size();
  status.tables_done = std::min(request.table, request.tables.size());
  status.updated_ms = WallMs();
  const double seconds = static_cast<double>(WallMs() - request.started_ms) / 1000.0;
  if (seconds > 0) status.rows_per_s = static_cast<double>(request.handed_on) / seconds;
  Status written = requests_dir_.WriteStatus(status);
  if (!written.ok()) {
    LOG_WARN << "source " << config_.name << ": incremental snapshot " << request.id << ": "
             << written.message();
  }
  LOG_INFO << "source " << config_.name << ": incremental snapshot " << request.id << " " << state
           << (message.empty() ? "" : ": " + message) << " (" << request.handed_on
           << " rows handed on in " << seconds << " s; " << request.left_out
           << " left out because the stream changed them between their chunk's watermarks)";
}

void PgIncrementalSnapshot::ReportStatus(bool force) {
  if (requests_.empty()) return;
  const int64_t now = WallMs();
  if (!force && now - last_status_ms_ < 1000) return;
  last_status_ms_ = now;
  const Request& r = requests_.front();
  SnapshotRequestStatus status;
  status.id = r.id;
  status.state = "running";
  status.table = r.table < r.tables.size() ? r.tables[r.table] : "";
  status.tables_total = r.tables.size();
  status.tables_done = r.table;
  status.rows = r.rows;
  status.estimate = r.estimate;
  const double seconds = static_cast<double>(now - r.started_ms) / 1000.0;
  if (seconds > 0) status.rows_per_s = static_cast<double>(r.handed_on) / seconds;
  status.updated_ms = now;
  Status written = requests_dir_.WriteStatus(status);
  if (!written.ok()) {
    LOG_WARN << "source " << config_.name << ": incremental snapshot " << r.id << ": "
             << written.message();
  }
  if (now - last_log_ms_ >= 10'000 && r.table < r.tables.size()) {
    last_log_ms_ = now;
    LOG_INFO << "source " << config_.name << ": incremental snapshot " << r.id << ": "
             << r.tables[r.table] << " " << r.rows << " of ~" << r.estimate << " rows, table "
             << (r.table + 1) << " of " << r.tables.size();
  }
}

void PgIncrementalSnapshot::NextTable() {
  Request& r = requests_.front();
  LOG_INFO << "source " << config_.name << ": incremental snapshot " << r.id << ": "
           << r.tables[r.table] << " done: " << r.rows << " rows";
  metrics::SnapshotProbe::For(config_.name, r.tables[r.table]).Finished();
  ++r.table;
  r.after.clear();
  r.rows = 0;
  r.estimate = 0;
  plan_.reset();
  held_.reset();
  if (r.table >= r.tables.size()) {
    Finish(r, "done", "");
    requests_.pop_front();
  }
  UpdateState();
  ReportStatus(true);
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
  Request& r = requests_.front();
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
  txn.id = "incremental-snapshot:" + requests_.front().id;
  txn.complete = true;
  const size_t read = chunk->events.size();
  for (size_t i = 0; i < read; ++i) {
    if (chunk->changed.count(chunk->keys[i]) != 0) continue;
    txn.events.push_back(std::move(chunk->events[i]));
  }
  if (!txn.events.empty()) txn.source = txn.events.front().source;
  txn.approx_bytes = chunk->bytes;
  const size_t dropped = read - txn.events.size();

  Request& r = requests_.front();
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
    UpdateState();
  }
  txn.end = delivered;
  txn.end.incremental_snapshot = state_;
  if (!consumer(std::move(txn))) return false;
  ReportStatus(false);
  return true;
}

Status PgIncrementalSnapshot::AtBoundary(const Position& delivered,
                                         const TransactionConsumer& consumer,
                                         const std::atomic<bool>& stop, bool* stopped) {
  int64_t now = WallMs();
  if (now - last_poll_ms_ >= 1000) {
    last_poll_ms_ = now;
    Status taken = TakeRequests();
    if (!taken.ok()) {
      LOG_WARN << "source " << config_.name << ": reading snapshot requests from "
               << requests_dir_.dir() << ": " << taken.message();
    }
  }
  if (requests_.empty() || delivered.empty() || stop.load()) return Status::Ok();
  if (held_) {
    if (!held_->high_seen) return Status::Ok();  // the stream has not reached it yet
    if (!HandOn(delivered, consumer)) *stopped = true;
    return Status::Ok();
  }
  if (now < retry_after_ms_) return Status::Ok();
  Status started = StartChunk();
  if (!started.ok()) {
    const Request& r = requests_.front();
    LOG_WARN << "source " << config_.name << ": incremental snapshot " << r.id << ": "
             << started.message() << "; trying again in 5 s";
    conn_.reset();
    held_.reset();
    retry_after_ms_ = now + 5000;
  }
  return Status::Ok();
}

}  // namespace vimur::postgresql
