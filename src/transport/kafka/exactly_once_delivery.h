// ExactlyOnceDelivery: batches and the offset records of the positions they end are written in
// Kafka transactions by a thread of its own; a transaction commits only where no source is
// inside a source transaction, so one source transaction is never split over two of them.
#pragma once

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "transport/kafka/delivery_state.h"

namespace vimur::kafka {

class ExactlyOnceDelivery final : public DeliveryStrategy {
 public:
  explicit ExactlyOnceDelivery(DeliveryState* state) : state_(*state) {}
  ~ExactlyOnceDelivery() override { Stop(); }
  Status Configure(
      const std::function<Status(const std::string&, const std::string&)>& set_property) override;
  // Initializes transactions (fencing an earlier instance with the same transactional id)
  // and starts the transaction thread.
  Status Start() override;
  void Queued(Batch* batch) override;
  void Delivered(Tracked* tracked, const Status& status, int err) override;
  void Poll() override {}
  void Stop() override;

 private:
  void Loop();
  Status BeginTransaction();
  Status AbortTransaction();
  Status ProduceBatchRecords(const std::vector<Batch*>& batches);
  // Adds the offset records and commits; produces the batches again into a new transaction
  // when Kafka aborts it for a retriable reason and they are `replayable`.
  Status CommitTransaction(const std::vector<Batch*>& batches, bool replayable);

  DeliveryState& state_;
  std::thread thread_;
  Status tx_error_;  // why the current transaction's records failed (state_.mu)
};

}  // namespace vimur::kafka
