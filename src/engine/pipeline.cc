#include "engine/pipeline.h"

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "core/logging.h"
#include "engine/bounded_queue.h"
#include "engine/record_builder.h"

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

  std::vector<RecordBuilder> builders;
  for (const SourceConfig& s : config_.sources) {
    JsonFormatOptions json;
    json.schemas = config_.format.schemas;
    json.transaction_metadata = s.transaction_metadata;
    json.topic_prefix = s.topic_prefix;
    RecordBuilderOptions options;
    options.topic_prefix = s.topic_prefix;
    if (config_.transport.type == "kafka") {
      options.heartbeat_topic = "__vimur-heartbeat." + s.topic_prefix;
    }
    if (s.transaction_metadata) options.transaction_topic = s.topic_prefix + ".transaction";
    builders.emplace_back(options, std::make_unique<JsonEventSerializer>(json));
  }

  ByteBoundedQueue<Item> queue(static_cast<size_t>(config_.queue_max_bytes));
  std::atomic<bool> sources_stop{false};
  std::vector<Status> source_status(parts_.sources.size());
  std::atomic<size_t> sources_running{parts_.sources.size()};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < parts_.sources.size(); ++i) {
    threads.emplace_back([&, i] {
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
  auto commit_acked = [&]() -> Status {
    Status ack_error;
    auto positions = acks.Take(&ack_error);
    if (!ack_error.ok()) return ack_error;
    if (parts_.transport->StoresOffsets()) return Status::Ok();
    for (size_t i = 0; i < positions.size(); ++i) {
      if (positions[i])
        VIMUR_RETURN_IF_ERROR(parts_.offsets->Commit(config_.sources[i].name, *positions[i]));
    }
    return Status::Ok();
  };

  bool stopping = false;
  while (true) {
    if (!stopping && stop.load()) {
      LOG_INFO << "stopping: draining captured changes";
      stopping = true;
      sources_stop = true;
    }
    std::vector<Item> items = queue.PopAll(std::chrono::milliseconds(200));
    if (items.empty() && sources_running.load() == 0 && queue.size() == 0) break;
    int64_t now = NowMs();
    for (Item& item : items) {
      OutgoingBatch batch;
      batch.source_name = config_.sources[item.source].name;
      Status s = builders[item.source].Build(item.txn, now, &batch.records);
      if (!s.ok()) {
        failure = s;
        break;
      }
      std::optional<Position> end;
      if (item.txn.complete) end = item.txn.end;
      batch.end = item.txn.complete ? item.txn.end : Position();
      size_t source = item.source;
      s = parts_.transport->Send(std::move(batch), [&acks, source, end](const Status& st) {
        acks.Acked(source, end, st);
      });
      if (!s.ok()) {
        failure = s;
        break;
      }
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
