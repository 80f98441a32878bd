#include "engine/pipeline.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "core/logging.h"
#include "core/metrics_probes.h"
#include "core/row_vector_pool.h"
#include "core/thread_name.h"
#include "engine/bounded_queue.h"
#include "engine/kafka_record_limits.h"
#include "engine/record_builder.h"
#include "engine/serializer_factory.h"

namespace vimur {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Collects acknowledged positions (acks may arrive on a transport thread) so the publisher
// thread can commit the newest one per source.
class AckTracker {
 public:
  explicit AckTracker(size_t sources) : latest_(sources) {}
  void Acked(size_t source, const std::optional<Position>& end, const Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status.ok()) {
      if (error_.ok()) error_ = status;
      return;
    }
    if (end) latest_[source] = *end;
    ++acked_;
  }
  // Takes the positions acknowledged since the last call.
  std::vector<std::optional<Position>> Take(Status* error) {
    std::lock_guard<std::mutex> lock(mu_);
    *error = error_;
    std::vector<std::optional<Position>> out(latest_.size());
    out.swap(latest_);
    latest_.resize(out.size());
    return out;
  }
  uint64_t acked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::optional<Position>> latest_;
  Status error_;
  uint64_t acked_ = 0;
};

// Commits acknowledged positions to the offset store on a thread of its own, so that the
// publisher never waits for the store's fsyncs: each commit writes the newest position
// acknowledged by then (a source's positions only move forward, and a restart resumes from the
// last one written, as at-least-once allows). The number of commits adapts to the store's speed.
class AsyncCommitter {
 public:
  AsyncCommitter(OffsetStore* store, std::vector<std::string> names)
      : store_(store), names_(std::move(names)), pending_(names_.size()) {
    thread_ = std::thread([this] {
      SetThreadName("commit");
      Loop();
    });
  }
  ~AsyncCommitter() { (void)Finish(); }
  // Queues `position` for `source`, replacing any not yet written.
  void Offer(size_t source, const Position& position) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_[source] = position;
    wake_.notify_one();
  }
  // The first commit error so far.
  Status error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }
  // Writes what is queued, stops the thread and returns the first commit error.
  Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      wake_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    return error();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      wake_.wait(lock, [&] {
        return stop_ || std::any_of(pending_.begin(), pending_.end(),
                                    [](const auto& p) { return p.has_value(); });
      });
      std::vector<std::optional<Position>> batch(pending_.size());
      batch.swap(pending_);
      const bool stop = stop_;
      lock.unlock();
      Status status;
      for (size_t i = 0; i < batch.size() && status.ok(); ++i) {
        if (batch[i]) status = store_->Commit(names_[i], *batch[i]);
      }
      lock.lock();
      if (!status.ok() && error_.ok()) error_ = status;
      const bool more = std::any_of(pending_.begin(), pending_.end(),
                                    [](const auto& p) { return p.has_value(); });
      if (stop && !more) return;
    }
  }

  OffsetStore* store_;
  const std::vector<std::string> names_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::optional<Position>> pending_;
  Status error_;
  bool stop_ = false;
  std::thread thread_;
};

// Frees a published transaction; its events go back to the shared pool, whose row-image
// vectors the source decodes into again.
void Recycle(Transaction& txn) {
  RowVectorPool::Shared().Give(&txn.events);
  txn = Transaction();
}

}  // namespace

struct Pipeline::Item {
  size_t source = 0;
  Transaction txn;
};

Pipeline::Pipeline(PipelineConfig config, PipelineParts parts)
    : config_(std::move(config)), parts_(std::move(parts)) {
  // Listed in /health (as not running) from the start, before they connect.
  for (const SourceConfig& s : config_.sources) metrics::SourceProbe::For(s.name).up.Set(0);
}

Result<Position> Pipeline::StartPosition(size_t i) {
  const std::string& name = config_.sources[i].name;
  VIMUR_ASSIGN_OR_RETURN(std::optional<Position> stored, parts_.transport->offsets().Load(name));
  const std::string& mode = config_.sources[i].snapshot;
  if (stored) {
    if (!stored->snapshot_progress.empty()) {
      LOG_INFO << "source " << name << ": a snapshot was in progress; it continues from "
               << stored->Describe();
    } else if (mode == "initial_only") {
      LOG_INFO << "source " << name
               << ": the snapshot was taken already (snapshot: "
                  "initial_only); nothing to do";
    } else {
      LOG_INFO << "source " << name << ": resuming from stored position " << stored->Describe();
    }
    return *stored;
  }
  if (mode != "never") {
    // An empty start position asks RunSource for a snapshot first.
    LOG_INFO << "source " << name << ": first start, taking a snapshot (snapshot: " << mode << ")";
    return Position();
  }
  VIMUR_ASSIGN_OR_RETURN(Position end, parts_.sources[i]->CurrentEnd());
  // Stored at once: a pipeline stopped before any change arrives still resumes from here.
  VIMUR_RETURN_IF_ERROR(CommitPosition(i, end));
  LOG_INFO << "source " << name << ": first start, streaming from the current end "
           << end.Describe();
  return end;
}

Status Pipeline::RunSource(size_t i, const Position& start, ByteBoundedQueue<Item>& queue,
                           const std::atomic<bool>& stop) {
  const SourceConfig& config = config_.sources[i];
  metrics::SourceProbe& probe = metrics::SourceProbe::For(config.name);
  Position from = start;
  bool inside_transaction = false;  // the last transaction pushed was a leading chunk
  bool delivered = false;           // something was pushed since the last (re)start
  auto consumer = [&](Transaction&& txn) {
    const bool complete = txn.complete;
    const Position end = txn.end;
    size_t bytes = txn.approx_bytes + 256;
    if (!queue.Push(Item{i, std::move(txn)}, bytes)) return false;
    delivered = true;
    inside_transaction = !complete;
    if (complete) from = end;
    return true;
  };
  auto backoff = std::chrono::milliseconds(1000);
  // A snapshot is read first when the start position is empty (first start) or carries a
  // snapshot's progress (continue it); each delivered batch moves `from` on.
  auto needs_snapshot = [&] { return from.empty() || !from.snapshot_progress.empty(); };
  if (config.snapshot == "initial_only" && !needs_snapshot()) return Status::Ok();
  for (int failures = 0;;) {
    delivered = false;
    Status status;
    probe.up.Set(1);  // the source sets 0 itself while it reconnects
    if (needs_snapshot()) {
      Result<Position> streamed = parts_.sources[i]->Snapshot(from, consumer, stop);
      if (streamed.ok()) {
        from = *streamed;
        if (config.snapshot == "initial_only") {
          LOG_INFO << "source " << config.name
                   << ": snapshot taken (snapshot: initial_only); not streaming";
          return Status::Ok();
        }
        continue;
      }
      status = streamed.status();
      if (stop.load()) return Status::Ok();
    } else {
      status = parts_.sources[i]->Run(from, consumer, stop);
      if (status.ok() || stop.load()) return status;
      if (!status.retriable() && config.snapshot == "when_needed") {
        Result<bool> available = parts_.sources[i]->PositionAvailable(from);
        if (available.ok() && !*available) {
          LOG_WARN << "source " << config.name << ": " << status.ToString()
                   << "; the position was purged from the server, taking a new snapshot "
                      "(snapshot: when_needed)";
          from = Position();
          continue;
        }
      }
    }
    probe.up.Set(0);
    if (!status.retriable()) return status;
    if (inside_transaction) {
      // Part of a transaction is on its way; reading it again from its start would publish
      // that part twice. The next start resumes from the last committed position instead.
      return status.WithContext("failed inside a transaction");
    }
    if (delivered) {
      failures = 0;
      backoff = std::chrono::milliseconds(1000);
    }
    if (++failures > config.restart_max_attempts) {
      return status.WithContext("gave up after " + std::to_string(config.restart_max_attempts) +
                                " restarts (restart_max_attempts)");
    }
    probe.restarts.Add();
    LOG_WARN << "source " << config.name << " failed: " << status.ToString() << "; restart "
             << failures << " of " << config.restart_max_attempts << " in " << backoff.count()
             << " ms from " << from.Describe();
    const auto wake = std::chrono::steady_clock::now() + backoff;
    while (std::chrono::steady_clock::now() < wake) {
      if (stop.load()) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(60));
  }
}

void Pipeline::Abandon() {
  if (parts_.transport) parts_.transport->Shutdown();
}

Status Pipeline::CommitPosition(size_t i, const Position& position) {
  return parts_.transport->offsets().Commit(config_.sources[i].name, position);
}

Status Pipeline::Run(const std::atomic<bool>& stop) {
  if (parts_.sources.size() != config_.sources.size()) {
    return Status::Internal("pipeline built with a different number of sources than configured");
  }
  // Both steps wait on the transport's servers (with exactly_once, fencing a killed
  // predecessor and aborting its open transaction): say how long they took.
  const auto started_at = std::chrono::steady_clock::now();
  auto elapsed_ms = [&started_at] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started_at)
        .count();
  };
  VIMUR_RETURN_IF_ERROR(parts_.transport->Start());
  LOG_INFO << "transport " << config_.transport.type << " ready in " << elapsed_ms() << " ms";

  std::vector<Position> starts;
  for (size_t i = 0; i < parts_.sources.size(); ++i) {
    VIMUR_ASSIGN_OR_RETURN(Position p, StartPosition(i));
    starts.push_back(std::move(p));
  }
  LOG_INFO << "stored positions read " << elapsed_ms() << " ms after starting";

  // The stdout transport takes whole lines, which the builders serialize straight into one
  // buffer per transaction (no record objects, no per-record strings).
  const bool lines_transport = parts_.transport->TakesJsonLines();
  JsonBuffer lines;
  std::vector<RecordBuilder> builders;
  std::shared_ptr<avro::SchemaRegistryClient> registry;    // shared by the sources' serializers
  const KafkaRecordLimits limits = RecordLimits(config_);  // (used by the kafka transport)
  for (const SourceConfig& s : config_.sources) {
    VIMUR_ASSIGN_OR_RETURN(JsonFormatOptions json, JsonOptionsFor(config_, s));
    RecordBuilderOptions options;
    options.topic_prefix = s.topic_prefix;
    if (config_.transport.type == "kafka") {
      options.heartbeat_topic = "__vimur-heartbeat." + s.topic_prefix;
      options.max_record_bytes = limits.default_bytes;
      options.topic_max_record_bytes = limits.topics;
      const std::string& policy = config_.transport.on_oversized_event;
      options.oversized = policy == "dead_letter" ? OversizedPolicy::kDeadLetter
                          : policy == "truncate"  ? OversizedPolicy::kTruncate
                                                  : OversizedPolicy::kStop;
      options.oversized_topic = OversizedTopicName(s.topic_prefix);
    }
    if (s.transaction_metadata) options.transaction_topic = s.topic_prefix + ".transaction";
    options.outbox = s.outbox;
    VIMUR_ASSIGN_OR_RETURN(auto serializer, MakeEventSerializer(config_, s, &registry));
    builders.emplace_back(options, std::move(serializer));
    if (lines_transport) builders.back().UseJsonLines(json);
  }

  std::vector<metrics::SourceProbe*> probes;
  for (const SourceConfig& s : config_.sources) {
    probes.push_back(&metrics::SourceProbe::For(s.name));
    probes.back()->up.Set(0);
  }
  metrics::Gauge& queue_bytes = metrics::QueueBytes();
  ByteBoundedQueue<Item> queue(static_cast<size_t>(config_.queue_max_bytes));
  std::atomic<bool> sources_stop{false};
  std::atomic<bool> source_gave_up{false};  // a source failed beyond its restarts
  std::vector<Status> source_status(parts_.sources.size());
  std::atomic<size_t> sources_running{parts_.sources.size()};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < parts_.sources.size(); ++i) {
    threads.emplace_back([&, i] {
      SetThreadName("capture:" + config_.sources[i].name);
      source_status[i] = RunSource(i, starts[i], queue, sources_stop);
      probes[i]->up.Set(0);
      if (!source_status[i].ok()) {
        LOG_ERROR << "source " << config_.sources[i].name
                  << " stopped: " << source_status[i].ToString() << "; stopping the pipeline";
        source_gave_up = true;
      }
      if (--sources_running == 0) queue.Close();
    });
  }

  // Stopping is bounded: once `stop` is seen, whatever is not acknowledged within
  // shutdown_timeout_s is given up (the transport stops waiting, capture is released) and
  // read again on the next start.
  const auto shutdown_timeout = std::chrono::seconds(config_.shutdown_timeout_s);
  std::mutex watchdog_mu;
  std::condition_variable watchdog_cv;
  bool finished = false;
  std::atomic<bool> timed_out{false};
  std::optional<std::chrono::steady_clock::time_point> stop_deadline;
  std::thread watchdog([&] {
    SetThreadName("shutdown-watch");
    std::unique_lock<std::mutex> lock(watchdog_mu);
    while (!finished && !stop.load() && !source_gave_up.load()) {
      watchdog_cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (finished) return;
    if (!watchdog_cv.wait_for(lock, shutdown_timeout, [&] { return finished; })) {
      timed_out = true;
      LOG_WARN << "stopping: not done after shutdown_timeout_s=" << config_.shutdown_timeout_s
               << "; giving up on what the transport has not acknowledged";
      parts_.transport->Shutdown();
      sources_stop = true;
      queue.Close();
    }
  });
  struct WatchdogJoin {
    std::mutex& mu;
    std::condition_variable& cv;
    bool& finished;
    std::thread& thread;
    ~WatchdogJoin() {
      {
        std::lock_guard<std::mutex> lock(mu);
        finished = true;
      }
      cv.notify_all();
      if (thread.joinable()) thread.join();
    }
  } watchdog_join{watchdog_mu, watchdog_cv, finished, watchdog};

  // Shared with every acknowledgement callback: batches the transport still holds when a
  // stop gives up on them are failed when the transport is destroyed, after Run returned.
  auto acks = std::make_shared<AckTracker>(parts_.sources.size());
  Status failure;
  std::optional<AsyncCommitter> committer;
  OffsetStore& offsets = parts_.transport->offsets();
  if (!offsets.WrittenWithBatches()) {
    // The transport's acknowledgement made the records durable, not the positions: commit
    // them here, off the publishing thread.
    std::vector<std::string> names;
    for (const SourceConfig& s : config_.sources) names.push_back(s.name);
    committer.emplace(&offsets, std::move(names));
  }
  auto commit_acked = [&]() -> Status {
    Status ack_error;
    auto positions = acks->Take(&ack_error);
    if (!ack_error.ok()) return ack_error;
    for (size_t i = 0; i < positions.size(); ++i) {
      if (!positions[i]) continue;
      parts_.sources[i]->Acknowledged(*positions[i]);
      probes[i]->position.Set(positions[i]->Describe());
    }
    if (!committer) return Status::Ok();
    for (size_t i = 0; i < positions.size(); ++i) {
      if (positions[i]) committer->Offer(i, *positions[i]);
    }
    return committer->error();
  };

  bool stopping = false;
  while (true) {
    if (!stopping && (stop.load() || source_gave_up.load())) {
      LOG_INFO << "stopping: draining captured changes";
      stopping = true;
      sources_stop = true;
      stop_deadline = std::chrono::steady_clock::now() + shutdown_timeout;
    }
    // A quarter of the bound at a time: with the transport's own window, memory stays near
    // queue_max_bytes + max_in_flight_bytes.
    std::vector<Item> items = queue.PopAll(std::chrono::milliseconds(200), 4096,
                                           static_cast<size_t>(config_.queue_max_bytes) / 4);
    if (items.empty() && sources_running.load() == 0 && queue.size() == 0) break;
    queue_bytes.Set(static_cast<double>(queue.bytes()));
    int64_t now = NowMs();
    for (Item& item : items) {
      std::optional<Position> end;
      if (item.txn.complete) end = item.txn.end;
      size_t source = item.source;
      // Counted when acknowledged: per transaction, a few relaxed atomic additions.
      metrics::SourceProbe* probe = probes[source];
      const uint64_t events = item.txn.events.size();
      const bool counts_as_transaction =
          item.txn.complete && (events > 0 || !item.txn.schema_changes.empty());
      const int64_t commit_ms = item.txn.source ? item.txn.source->ts_ms : 0;
      auto on_acked = [acks, source, end, probe, events, counts_as_transaction,
                       commit_ms](const Status& st) {
        // A leading chunk abandoned at the final flush (its source stopped inside the
        // transaction) holds no position; the next start reads the transaction again.
        if (!end && st.code() == StatusCode::kAborted) return;
        if (st.ok()) {
          probe->events.Add(events);
          if (counts_as_transaction) {
            probe->transactions.Add();
            if (commit_ms > 0) {
              const int64_t lag = std::max<int64_t>(0, NowMs() - commit_ms);
              probe->lag_ms.Set(static_cast<double>(lag));
              probe->lag.Observe(lag);
            }
          }
        }
        acks->Acked(source, end, st);
      };
      Status s;
      if (lines_transport) {
        lines.Clear();
        s = builders[item.source].BuildLines(item.txn, now, &lines);
        if (s.ok()) s = parts_.transport->SendLines(lines.view(), end, on_acked);
      } else {
        OutgoingBatch batch;
        batch.source_name = config_.sources[item.source].name;
        s = builders[item.source].Build(item.txn, now, &batch);
        if (!s.ok()) {
          failure = s;
          break;
        }
        if (item.txn.complete) batch.end = item.txn.end;
        s = parts_.transport->Send(std::move(batch), on_acked);
      }
      if (!s.ok()) {
        failure = s;
        break;
      }
      Recycle(item.txn);
    }
    if (failure.ok()) failure = commit_acked();
    if (!failure.ok()) {
      LOG_ERROR << "publishing failed: " << failure.ToString();
      sources_stop = true;
      queue.Close();
      break;
    }
  }
  for (auto& t : threads) t.join();
  if (failure.ok()) {
    auto left = std::chrono::milliseconds(std::chrono::seconds(60));
    if (stop_deadline) {
      left = std::max(std::chrono::milliseconds(0),
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          *stop_deadline - std::chrono::steady_clock::now()));
    }
    Status flushed = parts_.transport->Flush(left);
    if (!flushed.ok()) failure = flushed;
  }
  if (timed_out.load() ||
      (stop_deadline && !failure.ok() && std::chrono::steady_clock::now() >= *stop_deadline)) {
    // Keep the positions of what was acknowledged; report what was not.
    (void)commit_acked();
    if (committer) (void)committer->Finish();
    const size_t unacked = parts_.transport->Unacknowledged();
    return Status::Unavailable(
        "stopping took longer than shutdown_timeout_s=" +
        std::to_string(config_.shutdown_timeout_s) + ": " + std::to_string(unacked) +
        " batch(es) sent were not acknowledged by the transport and " +
        std::to_string(queue.size()) +
        " captured transaction(s) were not sent; the positions of everything acknowledged "
        "are stored and the rest is read again on the next start (is " +
        config_.transport.type + " reachable?)");
  }
  if (failure.ok()) failure = commit_acked();
  if (committer) {
    Status committed = committer->Finish();  // the last positions are written before returning
    if (failure.ok()) failure = committed;
  }
  if (!failure.ok()) return failure;
  for (size_t i = 0; i < source_status.size(); ++i) {
    if (!source_status[i].ok()) {
      return source_status[i].WithContext("source " + config_.sources[i].name);
    }
  }
  LOG_INFO << "stopped cleanly after " << acks->acked() << " acknowledged transactions";
  return Status::Ok();
}

}  // namespace vimur
