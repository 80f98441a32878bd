#include "transport/kafka/at_least_once_delivery.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>
#include <string>

#include "transport/kafka/kafka_errors.h"
#include "transport/kafka/kafka_offset_store.h"

namespace vimur::kafka {

namespace {
constexpr int kPollMs = 20;
}  // namespace

Status AtLeastOnceDelivery::Configure(
    const std::function<Status(const std::string&, const std::string&)>& set_property) {
  // At-least-once never gives up on a record: an outage stalls the pipeline (bounded by the
  // window) instead of failing it.
  return set_property("message.timeout.ms", "0");
}

void AtLeastOnceDelivery::Queued(Batch* batch) {
  const auto& records = batch->data.records;
  for (size_t i = 0; i < records.size(); ++i) {
    Status s = state_.ProduceRecord(records[i], batch->topics[i], static_cast<Tracked*>(batch),
                                    /*copy=*/false);
    if (!s.ok()) {
      // The records not handed over will never get a delivery report.
      std::lock_guard<std::mutex> lock(state_.mu);
      batch->remaining -= records.size() - i;
      if (batch->error.ok()) batch->error = s;
      if (state_.fatal.ok()) state_.fatal = s;
      break;
    }
  }
  // Serve the delivery reports that are ready on this thread: librdkafka frees each
  // acknowledged message where its report is served, and memory freed by the thread that
  // allocated it costs far less than memory freed by another.
  rd_kafka_poll(state_.producer, 0);
}

void AtLeastOnceDelivery::Delivered(Tracked* tracked, const Status& status, int) {
  if (tracked == nullptr) return;
  std::lock_guard<std::mutex> lock(state_.mu);
  if (tracked->is_offset) {
    auto* offset = static_cast<OffsetRecord*>(tracked);
    offset->delivered = true;
    offset->error = status;
  } else {
    auto* batch = static_cast<Batch*>(tracked);
    batch->remaining--;
    if (!status.ok() && batch->error.ok()) batch->error = status;
  }
  if (!status.ok() && state_.fatal.ok()) state_.fatal = status;
}

void AtLeastOnceDelivery::Poll() {
  Advance();
  bool failed;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    failed = !state_.fatal.ok();
  }
  if (failed && !purged_) {
    // Nothing queued can be committed any more: drop it so its reports arrive now.
    rd_kafka_purge(state_.producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
    purged_ = true;
  }
}

void AtLeastOnceDelivery::Advance() {
  std::vector<std::shared_ptr<OffsetRecord>> to_produce;
  Callbacks to_fire;
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    // 1. Batches whose records are all acknowledged, with every batch before them too, are
    //    settled: per source, the newest one that ends a source transaction gets an offset
    //    record, which also commits the batches of that source before it. A leading chunk of
    //    a transaction after it needs none: its position is not a resume point.
    if (state_.fatal.ok()) {
      std::map<std::string, std::vector<Batch*>> ready;
      std::vector<std::string> order;
      for (size_t i = settled_; i < state_.queue.size(); ++i) {
        const std::unique_ptr<Batch>& b = state_.queue[i];
        if (b->remaining > 0 || !b->error.ok()) break;
        auto [it, inserted] = ready.try_emplace(b->data.source_name);
        if (inserted) order.push_back(b->data.source_name);
        it->second.push_back(b.get());
      }
      for (const std::string& source : order) {
        auto& batches = ready[source];
        for (Batch* b : batches) b->settled = true;
        settled_ += batches.size();
        auto last_end = std::find_if(batches.rbegin(), batches.rend(),
                                     [](const Batch* b) { return b->data.end.has_value(); });
        if (last_end == batches.rend()) continue;
        auto offset = std::make_shared<OffsetRecord>();
        offset->key = OffsetKey(state_.options.pipeline_name, source);
        offset->value = (*last_end)->data.end->ToJson();
        for (auto it = batches.begin(); it != last_end.base(); ++it) (*it)->offset = offset;
        to_produce.push_back(offset);
      }
    }
  }
  for (auto& offset : to_produce) {
    Status s = ProduceOffset(offset.get());
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(state_.mu);
      offset->delivered = true;
      offset->error = s;
      if (state_.fatal.ok()) state_.fatal = s;
    }
  }
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    // 2. Acknowledge in send order.
    for (; fired_ < state_.queue.size(); ++fired_) {
      const std::unique_ptr<Batch>& b = state_.queue[fired_];
      if (b->offset && b->offset->delivered) {
        to_fire.emplace_back(std::move(b->on_acked), b->offset->error);
        b->fired = true;
      } else if (b->offset) {
        break;  // its offset record is on the way
      } else if (b->settled) {
        to_fire.emplace_back(std::move(b->on_acked), Status::Ok());  // a chunk: no offset
        b->fired = true;
      } else if (!state_.fatal.ok()) {
        to_fire.emplace_back(std::move(b->on_acked), b->error.ok() ? state_.fatal : b->error);
        b->fired = true;
      } else {
        break;
      }
    }
    // 3. Free batches that librdkafka no longer references.
    bool freed = false;
    while (!state_.queue.empty()) {
      Batch* b = state_.queue.front().get();
      if (!b->fired || b->remaining > 0 || (b->offset && !b->offset->delivered)) break;
      state_.in_flight_bytes -= b->bytes;
      if (b->settled) --settled_;
      --fired_;
      state_.queue.pop_front();
      freed = true;
    }
    if (freed) state_.space_cv.notify_all();
  }
  state_.Fire(to_fire);
}

Status AtLeastOnceDelivery::ProduceOffset(OffsetRecord* offset) {
  // The payload is the OffsetRecord's own strings, which live until the delivery report.
  rd_kafka_resp_err_t err;
  while (true) {
    err = rd_kafka_producev(state_.producer, RD_KAFKA_V_RKT(state_.offsets_topic),
                            RD_KAFKA_V_MSGFLAGS(0),
                            RD_KAFKA_V_KEY(offset->key.data(), offset->key.size()),
                            RD_KAFKA_V_VALUE(offset->value.data(), offset->value.size()),
                            RD_KAFKA_V_OPAQUE(static_cast<Tracked*>(offset)), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
    // Called from the poll thread: serve delivery reports to make room.
    rd_kafka_poll(state_.producer, kPollMs);
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  return KafkaErrorStatus(err, "kafka: producing offset record to " + state_.options.offsets_topic);
}

}  // namespace vimur::kafka
