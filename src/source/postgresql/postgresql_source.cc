#include "source/postgresql/postgresql_source.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/byte_reader.h"
#include "core/logging.h"
#include "core/metrics_probes.h"
#include "source/postgresql/connection_catalog.h"
#include "source/postgresql/incremental_snapshot.h"
#include "source/postgresql/pg_connection.h"
#include "source/postgresql/postgresql_setup.h"
#include "source/postgresql/postgresql_snapshot.h"

namespace vimur::postgresql {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Status ReadU64(ByteReader& r, uint64_t* out) { return r.ReadBE(8, out); }

}  // namespace

PostgresqlSource::PostgresqlSource(SourceConfig config) : config_(std::move(config)) {}

Result<Position> PostgresqlSource::CurrentEnd() {
  VIMUR_ASSIGN_OR_RETURN(auto conn,
                         PgConnection::Connect(PgConnectOptions::FromConfig(config_), false));
  VIMUR_RETURN_IF_ERROR(EnsurePublication(*conn, config_));
  VIMUR_ASSIGN_OR_RETURN(uint64_t lsn, EnsureSlot(*conn, config_));
  Position p;
  p.lsn = lsn;
  return p;
}

Result<Position> PostgresqlSource::Snapshot(const Position& resume,
                                            const TransactionConsumer& consumer,
                                            const std::atomic<bool>& stop) {
  return PostgresqlSnapshot(config_).Run(resume, consumer, stop);
}

Result<bool> PostgresqlSource::PositionAvailable(const Position& position) {
  (void)position;
  VIMUR_ASSIGN_OR_RETURN(auto conn,
                         PgConnection::Connect(PgConnectOptions::FromConfig(config_), false));
  VIMUR_ASSIGN_OR_RETURN(auto slot, FindSlot(*conn, config_.slot));
  return slot.has_value();
}

void PostgresqlSource::Acknowledged(const Position& position) {
  uint64_t seen = acknowledged_lsn_.load();
  while (position.lsn > seen && !acknowledged_lsn_.compare_exchange_weak(seen, position.lsn)) {
  }
}

std::vector<CheckResult> PostgresqlSource::Check() { return CheckPostgresql(config_); }

void PostgresqlSource::LogRetainedWal(PgConnection& conn) {
  auto rows = conn.Query(
      "SELECT pg_current_wal_lsn() - restart_lsn, confirmed_flush_lsn::text FROM "
      "pg_replication_slots WHERE slot_name = $1",
      {config_.slot});
  if (!rows.ok() || rows->empty()) {
    LOG_WARN << "source " << config_.name << ": cannot read the WAL retained by slot "
             << config_.slot << ": "
             << (rows.ok() ? std::string("slot not found") : rows.status().ToString());
    return;
  }
  if (const auto& bytes = rows->at(0)[0]) {
    metrics::SourceProbe::For(config_.name)
        .retained_bytes.Set(std::strtod(bytes->c_str(), nullptr));
  }
  LOG_INFO << "source " << config_.name << ": slot " << config_.slot << " retains "
           << rows->at(0)[0].value_or("?") << " bytes of WAL (confirmed up to "
           << rows->at(0)[1].value_or("?") << ")";
}

Status PostgresqlSource::Run(const Position& start, const TransactionConsumer& consumer,
                             const std::atomic<bool>& stop) {
  PgOutputAssembler assembler(config_, config_.database.empty() ? config_.user : config_.database);
  assembler.Reset(start.lsn);
  Acknowledged(start);
  PgIncrementalSnapshot incremental(config_);
  VIMUR_RETURN_IF_ERROR(incremental.Restore(start.incremental_snapshot));
  assembler.set_message_observer(
      [&incremental](const LogicalMessage& m) { return incremental.OnMessage(m, m.lsn); });
  auto backoff = std::chrono::milliseconds(100);
  int failures = 0;
  while (!stop.load()) {
    const uint64_t before = assembler.delivered_lsn();
    Status s = StreamOnce(assembler, incremental, consumer, stop);
    if (s.ok() || stop.load()) return s;
    if (s.code() != StatusCode::kUnavailable) return s;
    if (assembler.delivered_lsn() != before) {
      failures = 0;
      backoff = std::chrono::milliseconds(100);
    }
    if (++failures > 5) return s;
    metrics::SourceProbe& probe = metrics::SourceProbe::For(config_.name);
    probe.up.Set(0);
    probe.reconnects.Add();
    LOG_WARN << "source " << config_.name << ": " << s.ToString() << "; reconnecting in "
             << backoff.count() << " ms from lsn " << LsnText(assembler.delivered_lsn());
    const auto wake = std::chrono::steady_clock::now() + backoff;
    while (std::chrono::steady_clock::now() < wake && !stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    backoff = std::min<std::chrono::milliseconds>(
        backoff * 2, std::chrono::milliseconds(config_.reconnect_max_backoff_ms));
    assembler.Reset(assembler.delivered_lsn());
  }
  return Status::Ok();
}

Status PostgresqlSource::StreamOnce(PgOutputAssembler& assembler,
                                    PgIncrementalSnapshot& incremental,
                                    const TransactionConsumer& consumer,
                                    const std::atomic<bool>& stop) {
  // Every transaction passes the incremental snapshot on its way (progress, changed keys);
  // between transactions it may hand on a chunk of a table being read.
  const TransactionConsumer observed = [&](Transaction&& txn) {
    incremental.Observe(txn);
    return consumer(std::move(txn));
  };
  const PgConnectOptions options = PgConnectOptions::FromConfig(config_);
  VIMUR_ASSIGN_OR_RETURN(auto catalog_conn, PgConnection::Connect(options, false));
  VIMUR_RETURN_IF_ERROR(EnsurePublication(*catalog_conn, config_));
  VIMUR_ASSIGN_OR_RETURN(auto slot, FindSlot(*catalog_conn, config_.slot));
  const uint64_t from = assembler.delivered_lsn();
  if (!slot) {
    return Status::FailedPrecondition(
        "source " + config_.name + ": replication slot " + config_.slot +
        " does not exist, so the changes after the stored position " + LsnText(from) +
        " are gone; delete the stored offset of source " + config_.name +
        " to start again from a new slot");
  }
  ConnectionCatalog catalog(catalog_conn.get());
  assembler.set_catalog(&catalog);
  struct Unset {
    PgOutputAssembler& a;
    ~Unset() { a.set_catalog(nullptr); }
  } unset{assembler};

  VIMUR_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(options, true));
  PgConnection::PgOutputOptions pgoutput;
  const bool v14 = conn->server_version() >= 140000;
  pgoutput.proto_version = v14 ? 2 : 1;
  pgoutput.messages = v14;
  pgoutput.streaming = v14 && config_.stream_in_progress && !config_.spool_dir.empty();
  VIMUR_RETURN_IF_ERROR(conn->StartReplication(config_.slot, from, config_.publication, pgoutput));
  const int proto = pgoutput.proto_version;
  LOG_INFO << "source " << config_.name << ": streaming slot " << config_.slot << " (publication "
           << config_.publication << ", pgoutput protocol " << proto
           << (pgoutput.streaming ? ", transactions in progress streamed" : "") << ") from lsn "
           << LsnText(from);
  metrics::SourceProbe::For(config_.name).up.Set(1);

  uint64_t received = from;
  uint64_t idle_wal_end = 0;  // the server's WAL end at its last keepalive between transactions
  uint64_t confirmed = 0;
  int64_t status_at = 0;
  int64_t retention_logged_at = 0;  // measured at once, then every interval
  bool stopped = false;
  auto send_status = [&](bool force) -> Status {
    const uint64_t acked = acknowledged_lsn_.load();
    const int64_t now = NowMs();
    if (!force && acked == confirmed && now - status_at < kStatusIntervalMs) return Status::Ok();
    // Received is reported as written; only what the transport acknowledged as flushed, which
    // is what the server may discard.
    VIMUR_RETURN_IF_ERROR(conn->SendStandbyStatus(std::max(received, acked), acked, acked, false));
    confirmed = acked;
    status_at = now;
    return Status::Ok();
  };
  while (!stop.load() && !stopped) {
    std::string_view data;
    VIMUR_ASSIGN_OR_RETURN(bool got, conn->ReadCopyData(200, &data));
    if (got) {
      if (data.empty()) return Status::Corruption("empty CopyData message on the stream");
      ByteReader r(data.substr(1));
      if (data[0] == 'w') {  // XLogData
        uint64_t wal_start = 0, wal_end = 0, send_time = 0;
        VIMUR_RETURN_IF_ERROR(ReadU64(r, &wal_start));
        VIMUR_RETURN_IF_ERROR(ReadU64(r, &wal_end));
        VIMUR_RETURN_IF_ERROR(ReadU64(r, &send_time));
        Status s = assembler.Process(r.rest(), observed, &stopped);
        if (!s.ok()) {
          return s.WithContext("source " + config_.name + ", slot " + config_.slot +
                               ", message at lsn " + LsnText(wal_start));
        }
        received = std::max(received, wal_start);
      } else if (data[0] == 'k') {  // Primary keepalive
        uint64_t wal_end = 0, send_time = 0;
        uint8_t reply = 0;
        VIMUR_RETURN_IF_ERROR(ReadU64(r, &wal_end));
        VIMUR_RETURN_IF_ERROR(ReadU64(r, &send_time));
        VIMUR_RETURN_IF_ERROR(r.ReadU8(&reply));
        if (!assembler.in_transaction()) {
          received = std::max(received, wal_end);
          idle_wal_end = std::max(idle_wal_end, wal_end);
        }
        if (reply != 0) VIMUR_RETURN_IF_ERROR(send_status(true));
      }
    }
    if (!assembler.in_transaction() && idle_wal_end != 0 && !stopped) {
      assembler.Idle(idle_wal_end, observed, &stopped);
    }
    if (!assembler.in_transaction() && !stopped) {
      Position delivered;
      delivered.lsn = assembler.delivered_lsn();
      VIMUR_RETURN_IF_ERROR(incremental.AtBoundary(delivered, consumer, stop, &stopped));
    }
    VIMUR_RETURN_IF_ERROR(send_status(false));
    if (NowMs() - retention_logged_at >= kRetentionLogIntervalMs) {
      retention_logged_at = NowMs();
      LogRetainedWal(*catalog_conn);
    }
  }
  // A last confirmation of what was acknowledged by now.
  (void)send_status(true);
  return Status::Ok();
}

}  // namespace vimur::postgresql
