#include "transport/kafka/exactly_once_delivery.h"

#include <librdkafka/rdkafka.h>

#include <map>
#include <set>
#include <utility>

#include "core/logging.h"
#include "core/thread_name.h"
#include "transport/kafka/kafka_errors.h"
#include "transport/kafka/kafka_offset_store.h"

namespace vimur::kafka {

namespace {
// Commit and abort wait this long per call and are called again while retriable, so that a
// shutdown is noticed during an outage.
constexpr int kTxnWaitMs = 1000;
}  // namespace

Status ExactlyOnceDelivery::Configure(
    const std::function<Status(const std::string&, const std::string&)>& set_property) {
  // A transaction's records wait at most transaction.timeout.ms (librdkafka's default message
  // timeout in transactional mode) and the broker aborts transactions older than that. The
  // default of 60 s turns a one-minute broker outage into a fatal abort error; 5 minutes rides
  // it out and stays under the brokers' usual 15-minute maximum.
  VIMUR_RETURN_IF_ERROR(set_property("transaction.timeout.ms", "300000"));
  const KafkaTransportOptions& o = state_.options;
  return set_property("transactional.id",
                      o.transactional_id.empty() ? "vimur-" + o.pipeline_name : o.transactional_id);
}

Status ExactlyOnceDelivery::Start() {
  KafkaErrorPtr error(rd_kafka_init_transactions(
      state_.producer, static_cast<int>(state_.options.request_timeout.count())));
  if (error) return TxnErrorStatus(error.get(), "kafka: initializing transactions");
  thread_ = std::thread([this] {
    SetThreadName("kafka-txn");
    Loop();
  });
  return Status::Ok();
}

void ExactlyOnceDelivery::Queued(Batch*) { state_.work_cv.notify_one(); }

void ExactlyOnceDelivery::Stop() {
  state_.work_cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ExactlyOnceDelivery::Delivered(Tracked*, const Status& status, int err) {
  // The transaction's commit reports the outcome; remember why its records failed.
  std::lock_guard<std::mutex> lock(state_.mu);
  if (!status.ok() && tx_error_.ok() && err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
      err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    tx_error_ = status;
  }
}

void ExactlyOnceDelivery::Loop() {
  // The open Kafka transaction holds the leading `produced` batches of state_.queue. It commits
  // only where no source is inside a transaction: one source transaction, however many batches it
  // spans, is never split over two Kafka transactions, so a read_committed consumer sees all
  // of it or nothing, and a restart after a crash resumes from its end or replays it whole.
  size_t produced = 0;
  bool open = false;
  bool replayable = true;  // every batch of the open transaction still holds its records
  std::set<std::string> open_sources;  // sources whose last produced batch ends no transaction
  while (true) {
    std::vector<Batch*> fresh;
    {
      std::unique_lock<std::mutex> lock(state_.mu);
      const auto abandon = [&] {
        return state_.flushing && open && !open_sources.empty() && state_.queue.size() == produced;
      };
      state_.work_cv.wait(
          lock, [&] { return state_.closing || state_.queue.size() > produced || abandon(); });
      if (state_.closing) return;
      for (size_t i = produced; i < state_.queue.size(); ++i)
        fresh.push_back(state_.queue[i].get());
    }
    Status status;
    if (fresh.empty()) {
      // Flush with a source transaction whose end will not come (its source stopped): abort
      // what was produced of it; nothing of it became visible, and the next start reads the
      // whole transaction again from the last committed position.
      Status aborted = AbortTransaction();
      if (!aborted.ok()) {
        LOG_WARN << aborted.message();
      }
      Callbacks to_fire;
      {
        std::lock_guard<std::mutex> lock(state_.mu);
        for (size_t i = 0; i < produced; ++i) {
          std::unique_ptr<Batch>& b = state_.queue.front();
          to_fire.emplace_back(std::move(b->on_acked),
                               Status::Aborted("kafka: source transaction unfinished at flush; "
                                               "not published, it is read again on restart"));
          state_.in_flight_bytes -= b->bytes;
          state_.queue.pop_front();
        }
        state_.space_cv.notify_all();
      }
      produced = 0;
      open = false;
      replayable = true;
      open_sources.clear();
      state_.Fire(to_fire);
      continue;
    }
    if (!open) {
      status = BeginTransaction();
      open = status.ok();
    }
    if (status.ok()) status = ProduceBatchRecords(fresh);
    if (status.ok()) {
      produced += fresh.size();
      for (Batch* b : fresh) {
        if (b->data.end) {
          open_sources.erase(b->data.source_name);
        } else {
          open_sources.insert(b->data.source_name);
        }
      }
      if (!open_sources.empty()) {
        // A source transaction larger than one batch is under way; its batches cannot stay in
        // the window until it ends (the next Send would wait for room forever). Their records
        // are copies in librdkafka's queue, which bounds them; the batches' own bytes are
        // dropped, so this Kafka transaction can no longer be produced again.
        std::lock_guard<std::mutex> lock(state_.mu);
        for (size_t i = 0; i < produced; ++i) {
          Batch* b = state_.queue[i].get();
          if (b->released) continue;
          OutgoingBatch kept;
          kept.source_name = std::move(b->data.source_name);
          kept.end = std::move(b->data.end);
          b->data = std::move(kept);
          b->topics.clear();
          state_.in_flight_bytes -= b->bytes;
          b->bytes = 0;
          b->released = true;
        }
        replayable = false;
        state_.space_cv.notify_all();
        continue;
      }
      std::vector<Batch*> batches;
      {
        std::lock_guard<std::mutex> lock(state_.mu);
        for (size_t i = 0; i < produced; ++i) batches.push_back(state_.queue[i].get());
      }
      status = CommitTransaction(batches, replayable);
    } else if (open) {
      Status aborted = AbortTransaction();
      if (!aborted.ok()) {
        LOG_WARN << aborted.message();
      }
    }
    Callbacks to_fire;
    {
      std::lock_guard<std::mutex> lock(state_.mu);
      if (!status.ok() && state_.fatal.ok()) state_.fatal = status;
      for (size_t i = 0; i < produced; ++i) {
        std::unique_ptr<Batch>& b = state_.queue.front();
        to_fire.emplace_back(std::move(b->on_acked), status);
        state_.in_flight_bytes -= b->bytes;
        state_.queue.pop_front();
      }
      if (!state_.fatal.ok()) {
        // Nothing after a failed transaction may be committed.
        for (auto& b : state_.queue) {
          to_fire.emplace_back(std::move(b->on_acked), state_.fatal);
          state_.in_flight_bytes -= b->bytes;
        }
        state_.queue.clear();
      }
      state_.space_cv.notify_all();
    }
    produced = 0;
    open = false;
    replayable = true;
    open_sources.clear();
    state_.Fire(to_fire);
    if (!status.ok()) return;
  }
}

Status ExactlyOnceDelivery::BeginTransaction() {
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    tx_error_ = Status::Ok();
  }
  KafkaErrorPtr error(rd_kafka_begin_transaction(state_.producer));
  if (error) return TxnErrorStatus(error.get(), "kafka: beginning a transaction");
  return Status::Ok();
}

Status ExactlyOnceDelivery::AbortTransaction() {
  while (true) {
    KafkaErrorPtr error(rd_kafka_abort_transaction(state_.producer, kTxnWaitMs));
    if (!error) return Status::Ok();
    if (!rd_kafka_error_is_retriable(error.get()) || state_.Closing()) {
      return TxnErrorStatus(error.get(), "kafka: aborting a transaction");
    }
  }
}

Status ExactlyOnceDelivery::ProduceBatchRecords(const std::vector<Batch*>& batches) {
  for (Batch* b : batches) {
    for (size_t i = 0; i < b->data.records.size(); ++i) {
      VIMUR_RETURN_IF_ERROR(
          state_.ProduceRecord(b->data.records[i], b->topics[i], nullptr, /*copy=*/true));
    }
  }
  return Status::Ok();
}

Status ExactlyOnceDelivery::CommitTransaction(const std::vector<Batch*>& batches, bool replayable) {
  while (true) {
    if (state_.Closing()) return Status::Aborted("kafka transport is shutting down");
    // One offset record per source, for its newest batch that ends a source transaction.
    std::map<std::string, const Position*> last;
    for (Batch* b : batches) {
      if (b->data.end) last[b->data.source_name] = &*b->data.end;
    }
    Status produced;
    for (const auto& [source, position] : last) {
      OffsetRecord offset;
      offset.key = OffsetKey(state_.options.pipeline_name, source);
      offset.value = position->ToJson();
      produced = state_.ProduceRecord(
          OutgoingRecord{state_.options.offsets_topic, offset.key, offset.value, {}, {}},
          state_.offsets_topic, nullptr, /*copy=*/true);
      if (!produced.ok()) break;
    }
    if (!produced.ok()) {
      Status aborted = AbortTransaction();
      if (!aborted.ok()) {
        LOG_WARN << aborted.message();
      }
      return produced;
    }

    while (true) {
      KafkaErrorPtr commit(rd_kafka_commit_transaction(state_.producer, kTxnWaitMs));
      if (!commit) return Status::Ok();
      if (rd_kafka_error_is_retriable(commit.get()) && !state_.Closing()) continue;
      if (!rd_kafka_error_txn_requires_abort(commit.get())) {
        return TxnErrorStatus(commit.get(), "kafka: committing a transaction");
      }
      Status cause;
      {
        std::lock_guard<std::mutex> lock(state_.mu);
        cause = tx_error_;
      }
      Status status = TxnErrorStatus(commit.get(), "kafka: committing a transaction");
      VIMUR_RETURN_IF_ERROR(AbortTransaction());
      if (!cause.ok() && !cause.retriable()) return cause;  // retrying cannot help
      if (state_.Closing()) return status;
      if (!replayable) {
        // Nothing of it became visible; the source transaction is read again from the last
        // committed position on the next start.
        return Status::Unavailable(
            status.message() +
            "; the aborted Kafka transaction held part of a source transaction larger than "
            "max_in_flight_bytes, which is no longer in memory: restart vimur, it resumes "
            "from the last committed position and duplicates nothing");
      }
      LOG_WARN << status.message() << "; retrying the transaction";
      break;  // produce everything again in a new transaction
    }
    VIMUR_RETURN_IF_ERROR(BeginTransaction());
    Status again = ProduceBatchRecords(batches);
    if (!again.ok()) {
      Status aborted = AbortTransaction();
      if (!aborted.ok()) {
        LOG_WARN << aborted.message();
      }
      return again;
    }
  }
}

}  // namespace vimur::kafka
