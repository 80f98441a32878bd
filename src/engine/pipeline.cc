#include "engine/pipeline.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "core/logging.h"
#include "core/row_vector_pool.h"
#include "core/thread_name.h"
#include "engine/bounded_queue.h"
#include "engine/record_builder.h"
#include "engine/serializer_factory.h"
#include "transport/stdout_transport.h"

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
    : config_(std::move(config)), parts_(std::move(parts)) {}

Result<Position> Pipeline::StartPosition(size_t i) {
  const std::string& name = config_.sources[i].name;
  std::optional<Position> stored;
  if (parts_.transport->StoresOffsets()) {
    VIMUR_ASSIGN_OR_RETURN(stored, parts_.transport->LoadOffset(name));
  } else {
    VIMUR_ASSIGN_OR_RETURN(stored, parts_.offsets->Load(name));
  }
  if (stored) {
    LOG_INFO << "source " << name << ": resuming from stored position " << stored->Describe();
    return *stored;
  }
  if (config_.sources[i].snapshot != "never") {
    LOG_WARN << "source " << name << ": snapshot: " << config_.sources[i].snapshot
             << " is not implemented yet; streaming starts at the current end of the log and "
                "rows written before it are not read";
  }
  VIMUR_ASSIGN_OR_RETURN(Position end, parts_.sources[i]->CurrentEnd());
  // Stored at once: a pipeline stopped before any change arrives still resumes from here.
  VIMUR_RETURN_IF_ERROR(CommitPosition(i, end));
  LOG_INFO << "source " << name << ": first start, streaming from the current end "
           << end.Describe();
  return end;
}

Status Pipeline::CommitPosition(size_t i, const Position& position) {
  if (parts_.transport->StoresOffsets()) {
    // The transport commits positions itself as part of acknowledging a batch; an empty batch
    // carries a position alone.
    OutgoingBatch batch;
    batch.source_name = config_.sources[i].name;
    batch.end = position;
    VIMUR_RETURN_IF_ERROR(parts_.transport->Send(std::move(batch), nullptr));
    return parts_.transport->Flush(std::chrono::seconds(30));
  }
  return parts_.offsets->Commit(config_.sources[i].name, position);
}

Status Pipeline::Run(const std::atomic<bool>& stop) {
  if (parts_.sources.size() != config_.sources.size()) {
    return Status::Internal("pipeline built with a different number of sources than configured");
  }
  VIMUR_RETURN_IF_ERROR(parts_.transport->Start());

  std::vector<Position> starts;
  for (size_t i = 0; i < parts_.sources.size(); ++i) {
    VIMUR_ASSIGN_OR_RETURN(Position p, StartPosition(i));
    starts.push_back(std::move(p));
  }

  // The stdout transport takes whole lines, which the builders serialize straight into one
  // buffer per transaction (no record objects, no per-record strings).
  auto* lines_transport = dynamic_cast<StdoutTransport*>(parts_.transport.get());
  JsonBuffer lines;
  std::vector<RecordBuilder> builders;
  std::shared_ptr<avro::SchemaRegistryClient> registry;  // shared by the sources' serializers
  for (const SourceConfig& s : config_.sources) {
    VIMUR_ASSIGN_OR_RETURN(JsonFormatOptions json, JsonOptionsFor(config_, s));
    RecordBuilderOptions options;
    options.topic_prefix = s.topic_prefix;
    if (config_.transport.type == "kafka") {
      options.heartbeat_topic = "__vimur-heartbeat." + s.topic_prefix;
    }
    if (s.transaction_metadata) options.transaction_topic = s.topic_prefix + ".transaction";
    VIMUR_ASSIGN_OR_RETURN(auto serializer, MakeEventSerializer(config_, s, &registry));
    builders.emplace_back(options, std::move(serializer));
    if (lines_transport != nullptr) builders.back().UseJsonLines(json);
  }

  ByteBoundedQueue<Item> queue(static_cast<size_t>(config_.queue_max_bytes));
  std::atomic<bool> sources_stop{false};
  std::vector<Status> source_status(parts_.sources.size());
  std::atomic<size_t> sources_running{parts_.sources.size()};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < parts_.sources.size(); ++i) {
    threads.emplace_back([&, i] {
      SetThreadName("capture:" + config_.sources[i].name);
      auto consumer = [&, i](Transaction&& txn) {
        size_t bytes = txn.approx_bytes + 256;
        return queue.Push(Item{i, std::move(txn)}, bytes);
      };
      source_status[i] = parts_.sources[i]->Run(starts[i], consumer, sources_stop);
      if (!source_status[i].ok()) {
        LOG_ERROR << "source " << config_.sources[i].name
                  << " stopped: " << source_status[i].ToString();
      }
      if (--sources_running == 0) queue.Close();
    });
  }

  AckTracker acks(parts_.sources.size());
  Status failure;
  std::optional<AsyncCommitter> committer;
  if (!parts_.transport->StoresOffsets()) {
    std::vector<std::string> names;
    for (const SourceConfig& s : config_.sources) names.push_back(s.name);
    committer.emplace(parts_.offsets.get(), std::move(names));
  }
  auto commit_acked = [&]() -> Status {
    Status ack_error;
    auto positions = acks.Take(&ack_error);
    if (!ack_error.ok()) return ack_error;
    if (!committer) return Status::Ok();
    for (size_t i = 0; i < positions.size(); ++i) {
      if (positions[i]) committer->Offer(i, *positions[i]);
    }
    return committer->error();
  };

  bool stopping = false;
  while (true) {
    if (!stopping && stop.load()) {
      LOG_INFO << "stopping: draining captured changes";
      stopping = true;
      sources_stop = true;
    }
    // A quarter of the bound at a time: with the transport's own window, memory stays near
    // queue_max_bytes + max_in_flight_bytes.
    std::vector<Item> items = queue.PopAll(std::chrono::milliseconds(200), 4096,
                                           static_cast<size_t>(config_.queue_max_bytes) / 4);
    if (items.empty() && sources_running.load() == 0 && queue.size() == 0) break;
    int64_t now = NowMs();
    for (Item& item : items) {
      std::optional<Position> end;
      if (item.txn.complete) end = item.txn.end;
      size_t source = item.source;
      auto on_acked = [&acks, source, end](const Status& st) { acks.Acked(source, end, st); };
      Status s;
      if (lines_transport != nullptr) {
        lines.Clear();
        s = builders[item.source].BuildLines(item.txn, now, &lines);
        if (s.ok()) s = lines_transport->SendLines(lines.view(), on_acked);
      } else {
        OutgoingBatch batch;
        batch.source_name = config_.sources[item.source].name;
        s = builders[item.source].Build(item.txn, now, &batch);
        if (!s.ok()) {
          failure = s;
          break;
        }
        batch.end = item.txn.complete ? item.txn.end : Position();
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
    Status flushed = parts_.transport->Flush(std::chrono::seconds(60));
    if (!flushed.ok()) failure = flushed;
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
  LOG_INFO << "stopped cleanly after " << acks.acked() << " acknowledged transactions";
  return Status::Ok();
}

}  // namespace vimur
