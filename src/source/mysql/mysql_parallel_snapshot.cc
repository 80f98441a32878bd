#include "source/mysql/mysql_parallel_snapshot.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "core/arena.h"
#include "core/logging.h"
#include "core/metrics_probes.h"
#include "source/capture_filter.h"
#include "source/mysql/mysql_snapshot.h"
#include "source/mysql/snapshot_read_view.h"
#include "source/mysql/snapshot_row_decoder.h"
#include "source/mysql/snapshot_table_plan.h"
#include "source/mysql/snapshot_work_plan.h"

namespace vimur::mysql {
namespace {

// ER_TABLE_DEF_CHANGED: "Table definition has changed, please retry transaction".
constexpr unsigned int kTableDefinitionChanged = 1412;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The bytes a batch's values view (copies of the cells) and the schemas they came from.
struct SnapshotStorage {
  ByteArena bytes{16 * 1024};
  std::vector<TableSchemaPtr> schemas;
};

// The batch a worker fills: rows of one range of one table.
struct Batch {
  Transaction txn;
  std::shared_ptr<SnapshotStorage> storage;
  size_t bytes = 0;

  Status Add(const SnapshotTablePlan& plan, const char* const* cells, const unsigned long* lengths,
             const std::shared_ptr<const SourceInfo>& source) {
    if (!storage) {
      storage = std::make_shared<SnapshotStorage>();
      storage->schemas = {plan.full, plan.projected};
    }
    const size_t arena_before = storage->bytes.capacity();
    ChangeEvent& ev = txn.events.emplace_back();
    ev.op = Op::kRead;
    ev.table = plan.projected;
    ev.storage = storage;
    ev.source = source;
    ev.after.resize(plan.kept.size());
    for (size_t i = 0; i < plan.kept.size(); ++i) {
      const size_t c = plan.kept[i];
      VIMUR_RETURN_IF_ERROR(DecodeSnapshotCell(plan.full->columns[c], cells[c], lengths[c],
                                               &storage->bytes, &ev.after[i]));
    }
    ev.total_order = 1;
    ev.data_collection_order = 1;
    bytes += storage->bytes.capacity() - arena_before + sizeof(ChangeEvent) +
             ev.after.size() * sizeof(Value) + 64;
    return Status::Ok();
  }
  bool Full() const {
    return txn.events.size() >= MySqlSnapshot::kBatchRows || bytes >= MySqlSnapshot::kBatchBytes;
  }
  size_t rows() const { return txn.events.size(); }
  Transaction Take() {
    Transaction out = std::move(txn);
    out.approx_bytes = bytes;
    txn = Transaction();
    storage.reset();
    bytes = 0;
    return out;
  }
};

// A table being read; counters are guarded by the run's mutex.
struct TableWork {
  std::string qualified;
  std::shared_ptr<const SnapshotTablePlan> plan;
  uint64_t estimate = 0;
  uint64_t rows = 0;  // handed on
  metrics::SnapshotProbe* probe = nullptr;
};

// One range of one table, read by one worker.
struct Unit {
  std::shared_ptr<TableWork> table;
  size_t id = 0;
  SnapshotRange range;
};

// A primary key of one integer column: its key space can be split into ranges.
bool SplittableKey(const SnapshotTablePlan& plan, bool* is_unsigned) {
  const TableSchema& t = *plan.full;
  if (!plan.keyset || t.key_columns.size() != 1) return false;
  const LogicalType type = t.columns[t.key_columns[0]].type;
  *is_unsigned = type == LogicalType::kUInt64;
  return type == LogicalType::kInt16 || type == LogicalType::kInt32 ||
         type == LogicalType::kInt64 || type == LogicalType::kUInt64;
}

class Runner {
 public:
  Runner(const SourceConfig& config, ColumnDefaultsSource* defaults, size_t workers,
         const TransactionConsumer& consumer, const std::atomic<bool>& stop)
      : config_(config),
        defaults_(defaults),
        filter_(config),
        workers_(workers),
        consumer_(consumer),
        stop_(stop) {}

  const CaptureFilter& filter() const { return filter_; }

  // Set before the workers start.
  void Prepare(std::vector<std::pair<std::string, std::string>> tables, SnapshotWorkPlan progress,
               Position start, const Position& view, bool resumed) {
    tables_ = std::move(tables);
    progress_ = std::move(progress);
    start_ = std::move(start);
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
    info_first_ = info(SnapshotMarker::kFirst);
    info_true_ = info(SnapshotMarker::kTrue);
    info_last_ = info(SnapshotMarker::kLast);
    first_pending_ = !resumed;
    started_ = last_log_ = std::chrono::steady_clock::now();
  }

  // A worker's body: takes ranges and tables until none are left or the run stops.
  void Work(MySqlConnection& conn) {
    Status s = WorkLoop(conn);
    if (!s.ok()) Fail(std::move(s));
  }

  // After the workers have ended: hands on the held batch as the last one.
  Result<Position> Finish() {
    const std::string& name = config_.name;
    for (const auto& t : active_) t->probe->Finished();
    if (!error_.ok()) return error_;
    if (aborted_.load() || stop_.load()) {
      return Status::Aborted("source " + name + ": snapshot stopped");
    }
    Transaction last = held_ ? std::move(*held_) : Transaction();
    held_.reset();
    if (!last.events.empty()) last.events.back().source = info_last_;
    last.end = start_;  // no progress: the snapshot is complete
    if (!consumer_(std::move(last)))
      return Status::Aborted("source " + name + ": snapshot stopped");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    LOG_INFO << "source " << name << ": snapshot done: " << rows_total_ << " rows of "
             << tables_.size() << " tables in " << seconds << " s by " << workers_
             << " workers; streaming continues from " << start_.Describe();
    return start_;
  }

 private:
  Status WorkLoop(MySqlConnection& conn) {
    while (true) {
      std::optional<Unit> unit;
      std::pair<std::string, std::string> table;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] {
          return aborted_.load() || !pending_.empty() || next_table_ < tables_.size() ||
                 planning_ == 0;
        });
        if (aborted_.load() || stop_.load()) return Status::Ok();
        if (!pending_.empty()) {
          unit = std::move(pending_.front());
          pending_.pop_front();
        } else if (next_table_ < tables_.size()) {
          table = tables_[next_table_++];
          ++planning_;
        } else {
          return Status::Ok();  // nothing left, and no table being planned can add ranges
        }
      }
      if (!unit) {
        Result<std::optional<Unit>> started = StartTable(conn, table.first, table.second);
        {
          std::lock_guard<std::mutex> lock(mu_);
          --planning_;
        }
        cv_.notify_all();
        if (!started.ok()) return started.status();
        unit = std::move(started).value();
        if (!unit) continue;
      }
      VIMUR_RETURN_IF_ERROR(ReadUnit(conn, *unit));
    }
  }

  // Plans a table, registers its ranges (all but the first go to idle workers) and returns the
  // first; nullopt when the table no longer exists.
  Result<std::optional<Unit>> StartTable(MySqlConnection& conn, const std::string& db,
                                         const std::string& tbl) {
    const std::string& name = config_.name;
    const std::string qualified = db + "." + tbl;
    std::optional<Result<SnapshotTablePlan>> planned;
    {
      std::lock_guard<std::mutex> lock(plan_mu_);  // the column defaults' source is shared
      planned.emplace(PlanSnapshotTable(conn, filter_, defaults_, db, tbl));
    }
    if (planned->status().code() == StatusCode::kNotFound) {  // dropped meanwhile
      std::lock_guard<std::mutex> lock(mu_);
      progress_.MarkDone(qualified);
      return std::optional<Unit>();
    }
    if (!planned->ok()) {
      return planned->status().WithContext("source " + name + ": snapshot of " + qualified);
    }
    auto work = std::make_shared<TableWork>();
    work->qualified = qualified;
    work->plan = std::make_shared<const SnapshotTablePlan>(std::move(*planned).value());
    const SnapshotTablePlan& plan = *work->plan;
    const TableSchema& full = *plan.full;
    if (!full.has_key()) {
      LOG_WARN << "source " << name << ": table " << qualified
               << " has no primary key: it is read in one scan by one worker, and a restart "
                  "reads it again from its start";
    }
    auto estimate_text =
        conn.QueryValue("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" +
                        conn.Escape(db) + "' AND TABLE_NAME = '" + conn.Escape(tbl) + "'");
    work->estimate = estimate_text.ok() && *estimate_text
                         ? std::strtoull((*estimate_text)->c_str(), nullptr, 10)
                         : 0;

    bool is_unsigned = false;
    const bool splittable = SplittableKey(plan, &is_unsigned);
    std::optional<SnapshotWorkPlan::Ranges> stored;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (const SnapshotWorkPlan::Ranges* left = progress_.Left(qualified)) stored = *left;
    }
    std::vector<SnapshotRange> ranges;
    if (stored) {
      bool usable = true;
      for (const auto& [id, r] : *stored) {
        if (!r.after.empty() && (!plan.keyset || r.after.size() != full.key_columns.size())) {
          usable = false;
        }
        if (!r.to.empty() && !splittable) usable = false;
        ranges.push_back(r);
      }
      if (!usable) {  // the key changed since: the table is read from its start
        LOG_INFO << "source " << name << ": the primary key of " << qualified
                 << " changed since the stored progress; it is read again from its start";
        ranges = {SnapshotRange{}};
      }
      if (!plan.keyset) ranges = {SnapshotRange{}};
    } else if (splittable && workers_ > 1) {
      VIMUR_ASSIGN_OR_RETURN(ranges, SplitTable(conn, plan, is_unsigned));
    } else {
      ranges = {SnapshotRange{}};
    }

    LOG_INFO << "source " << name << ": snapshot of " << qualified << " starts (~" << work->estimate
             << " rows"
             << (ranges.size() > 1 ? ", " + std::to_string(ranges.size()) + " key ranges" : "")
             << (stored ? ", resumed" : "") << ")";
    work->probe = &metrics::SnapshotProbe::For(name, qualified);
    work->probe->Started(work->estimate);
    std::lock_guard<std::mutex> lock(mu_);
    progress_.Start(qualified, ranges);
    active_.push_back(work);
    for (size_t i = 1; i < ranges.size(); ++i) pending_.push_back(Unit{work, i, ranges[i]});
    cv_.notify_all();
    return std::optional<Unit>(Unit{work, 0, ranges[0]});
  }

  // Ranges of about snapshot_chunk_rows keys or more, up to four per worker.
  Result<std::vector<SnapshotRange>> SplitTable(MySqlConnection& conn,
                                                const SnapshotTablePlan& plan, bool is_unsigned) {
    const TableSchema& full = *plan.full;
    const std::string key = QuoteIdentifier(full.columns[full.key_columns[0]].name);
    VIMUR_ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        conn.Query("SELECT MIN(" + key + "), MAX(" + key + ") FROM " +
                   QuoteIdentifier(plan.database) + "." + QuoteIdentifier(plan.table)));
    if (rows.empty() || rows[0].size() < 2 || !rows[0][0] || !rows[0][1]) {
      return std::vector<SnapshotRange>{SnapshotRange{}};  // empty table
    }
    const long double span =
        std::strtold(rows[0][1]->c_str(), nullptr) - std::strtold(rows[0][0]->c_str(), nullptr) + 1;
    const long double chunks = span / static_cast<long double>(config_.snapshot_chunk_rows);
    const size_t parts = chunks >= static_cast<long double>(workers_ * 4)
                             ? workers_ * 4
                             : std::max<size_t>(1, static_cast<size_t>(chunks));
    return SplitIntegerKeyRange(*rows[0][0], *rows[0][1], is_unsigned, parts);
  }

  Status ReadUnit(MySqlConnection& conn, const Unit& unit) {
    const std::string& name = config_.name;
    const SnapshotTablePlan& plan = *unit.table->plan;
    const TableSchema& full = *plan.full;
    const std::string& qualified = unit.table->qualified;
    const uint64_t limit = static_cast<uint64_t>(config_.snapshot_chunk_rows);
    std::vector<std::string> after = plan.keyset ? unit.range.after : std::vector<std::string>();
    std::string where;
    if (!unit.range.to.empty()) {
      where = QuoteIdentifier(full.columns[full.key_columns[0]].name) + " <= " + unit.range.to;
    }
    Batch batch;
    while (true) {
      VIMUR_ASSIGN_OR_RETURN(std::string sql, plan.ChunkQuery(after, where, limit));
      uint64_t chunk_rows = 0;
      Status row_error;
      Status read = conn.StreamQuery(
          sql, [&](const char* const* cells, const unsigned long* lengths, size_t count) {
            if (aborted_.load() || stop_.load()) return false;
            if (count != full.columns.size()) {
              row_error =
                  Status::Corruption("snapshot of " + qualified + " read " + std::to_string(count) +
                                     " columns, expected " + std::to_string(full.columns.size()) +
                                     " (did the table change?)");
              return false;
            }
            Status s = batch.Add(plan, cells, lengths, info_true_);
            if (!s.ok()) {
              row_error = s.WithContext("table " + qualified);
              return false;
            }
            if (plan.keyset) after = plan.KeyCells(cells, lengths);
            ++chunk_rows;
            if (batch.Full()) return HandOn(unit, batch, after, /*finished=*/false);
            return true;
          });
      if (!row_error.ok()) return row_error;
      if (aborted_.load() || stop_.load()) return Status::Ok();  // Finish() reports it
      if (!read.ok()) {
        if (conn.last_error_number() == kTableDefinitionChanged) {
          // A DDL on the table after the read view: retriable, the pipeline restarts the
          // snapshot from the progress published, with a new view that sees the new shape.
          return Status::Unavailable("source " + name + ": table " + qualified +
                                     " changed (DDL) after the snapshot's read view; the "
                                     "snapshot continues with a new read view: " +
                                     read.message());
        }
        return read.WithContext("source " + name + ": snapshot of " + qualified);
      }
      if (!plan.keyset || chunk_rows < limit) break;
    }
    HandOn(unit, batch, after, /*finished=*/true);
    return Status::Ok();
  }

  // Records what `batch` (rows of `unit` up to the key `after`) adds to the progress, stamps
  // it and hands the batch held before it on. False when the run stops.
  bool HandOn(const Unit& unit, Batch& batch, const std::vector<std::string>& after,
              bool finished) {
    const size_t rows = batch.rows();
    Transaction txn = batch.Take();
    std::unique_lock<std::mutex> lock(mu_);
    if (aborted_.load()) return false;
    TableWork& t = *unit.table;
    if (rows > 0) {
      if (t.plan->keyset) progress_.Advance(t.qualified, unit.id, after);
      t.rows += rows;
      rows_total_ += rows;
      t.probe->Read(rows);
    }
    if (finished && progress_.Finish(t.qualified, unit.id)) {
      LOG_INFO << "source " << config_.name << ": snapshot of " << t.qualified
               << " done: " << t.rows << " rows";
      t.probe->Finished();
      active_.erase(std::remove_if(active_.begin(), active_.end(),
                                   [&](const auto& a) { return a.get() == &t; }),
                    active_.end());
    }
    LogProgress();
    if (txn.events.empty()) return true;
    if (first_pending_) {
      txn.events.front().source = info_first_;
      first_pending_ = false;
    }
    txn.source = info_true_;
    txn.end = start_;
    txn.end.snapshot_progress = progress_.ToJson();
    std::optional<Transaction> previous = std::move(held_);
    held_ = std::move(txn);
    // Under the lock: one batch at a time, in the order their progress was recorded; a full
    // pipeline queue blocks here, and every other worker then waits with at most its batch.
    if (previous && !consumer_(std::move(*previous))) {
      aborted_.store(true);
      cv_.notify_all();
      return false;
    }
    return true;
  }

  // A line every 10 s per table being read (rows handed on by all its workers).
  void LogProgress() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log_ < std::chrono::seconds(10)) return;
    const double seconds = std::chrono::duration<double>(now - last_log_).count();
    const double rate = static_cast<double>(rows_total_ - rows_at_last_log_) / seconds;
    last_log_ = now;
    rows_at_last_log_ = rows_total_;
    for (const auto& t : active_) {
      std::string left;
      if (rate > 0 && t->estimate > t->rows) {
        left = ", about " +
               std::to_string(
                   static_cast<uint64_t>(static_cast<double>(t->estimate - t->rows) / rate)) +
               " s left of this table";
      }
      const SnapshotWorkPlan::Ranges* ranges = progress_.Left(t->qualified);
      LOG_INFO << "source " << config_.name << ": snapshot of " << t->qualified << ": " << t->rows
               << " of ~" << t->estimate << " rows (" << (ranges ? ranges->size() : 0)
               << " ranges left; " << static_cast<uint64_t>(rate) << " rows/s over " << workers_
               << " workers" << left << ")";
    }
  }

  void Fail(Status s) {
    aborted_.store(true);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (error_.ok()) error_ = std::move(s);
    }
    cv_.notify_all();
  }

  const SourceConfig& config_;
  ColumnDefaultsSource* defaults_;
  const CaptureFilter filter_;
  const size_t workers_;
  const TransactionConsumer& consumer_;
  const std::atomic<bool>& stop_;
  std::shared_ptr<const SourceInfo> info_first_, info_true_, info_last_;
  Position start_;
  std::chrono::steady_clock::time_point started_;
  std::vector<std::pair<std::string, std::string>> tables_;  // in name order

  std::atomic<bool> aborted_{false};  // an error, or the consumer refused
  std::mutex plan_mu_;
  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  size_t next_table_ = 0;
  size_t planning_ = 0;       // workers planning a table (may add ranges)
  std::deque<Unit> pending_;  // ranges of started tables no worker has taken yet
  std::vector<std::shared_ptr<TableWork>> active_;
  SnapshotWorkPlan progress_;
  std::optional<Transaction> held_;  // handed on one behind, so the last can be marked
  bool first_pending_ = true;
  Status error_;
  uint64_t rows_total_ = 0;
  uint64_t rows_at_last_log_ = 0;
  std::chrono::steady_clock::time_point last_log_;
};

}  // namespace

MySqlParallelSnapshot::MySqlParallelSnapshot(const SourceConfig& config,
                                             MySqlConnectOptions options,
                                             ColumnDefaultsSource* defaults)
    : config_(config), options_(std::move(options)), defaults_(defaults) {}

Result<Position> MySqlParallelSnapshot::Run(const Position& resume,
                                            const TransactionConsumer& consumer,
                                            const std::atomic<bool>& stop) {
  const std::string& name = config_.name;
  const size_t wanted = static_cast<size_t>(std::max(1, config_.snapshot_workers));
  VIMUR_ASSIGN_OR_RETURN(SnapshotReadView view, OpenSnapshotReadView(options_, wanted, name));
  const size_t workers = view.connections.size();
  MySqlConnection& conn = view.connections[0];

  Runner runner(config_, defaults_, workers, consumer, stop);
  VIMUR_ASSIGN_OR_RETURN(
      std::vector<SqlRow> table_rows,
      conn.Query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE "
                 "TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', "
                 "'information_schema', 'performance_schema', 'sys')"));
  std::vector<std::pair<std::string, std::string>> tables;
  for (const SqlRow& row : table_rows) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    if (runner.filter().IncludesTable(*row[0], *row[1])) tables.emplace_back(*row[0], *row[1]);
  }
  std::sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    return a.first + "." + a.second < b.first + "." + b.second;
  });

  SnapshotWorkPlan progress;
  Position start = view.position;  // where streaming continues after the snapshot
  const bool resumed = !resume.snapshot_progress.empty();
  if (resumed) {
    std::vector<std::string> names;
    for (const auto& [db, tbl] : tables) names.push_back(db + "." + tbl);
    VIMUR_ASSIGN_OR_RETURN(progress, SnapshotWorkPlan::FromJson(resume.snapshot_progress, names));
    start = resume;
    start.snapshot_progress.clear();
    LOG_INFO << "source " << name << ": resuming the snapshot (" << progress.Describe() << ") with "
             << workers << " workers and a new read view at " << view.position.Describe()
             << "; streaming will start at " << start.Describe();
  } else {
    LOG_INFO << "source " << name << ": snapshot read view at " << view.position.Describe() << " ("
             << workers << " workers)";
  }
  std::erase_if(tables, [&](const auto& t) { return progress.Done(t.first + "." + t.second); });
  runner.Prepare(std::move(tables), std::move(progress), start, view.position, resumed);

  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) {
    threads.emplace_back([&runner, &view, i] { runner.Work(view.connections[i]); });
  }
  runner.Work(view.connections[0]);
  for (std::thread& t : threads) t.join();
  VIMUR_ASSIGN_OR_RETURN(Position end, runner.Finish());
  for (MySqlConnection& c : view.connections) (void)c.Execute("COMMIT");
  return end;
}

}  // namespace vimur::mysql
