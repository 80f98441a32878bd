// AtLeastOnceDelivery: each batch's records are handed to librdkafka without a copy; once a
// batch and every batch before it are acknowledged, an offset record for the newest position
// that ends a source transaction follows, and on_acked runs when that record is acknowledged.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "transport/kafka/delivery_state.h"

namespace vimur::kafka {

class AtLeastOnceDelivery final : public DeliveryStrategy {
 public:
  explicit AtLeastOnceDelivery(DeliveryState* state) : state_(*state) {}
  Status Configure(
      const std::function<Status(const std::string&, const std::string&)>& set_property) override;
  Status Start() override { return Status::Ok(); }
  void Queued(Batch* batch) override;
  void Delivered(Tracked* tracked, const Status& status, int err) override;
  void Poll() override;
  void Stop() override {}

 private:
  // Produces offset records for acknowledged batches and fires callbacks in order.
  void Advance();
  Status ProduceOffset(OffsetRecord* offset);

  DeliveryState& state_;
  // How many leading batches of the queue are settled (delivered, offset record assigned
  // where one is due), and how many have had on_acked scheduled (both prefixes; state_.mu).
  size_t settled_ = 0;
  size_t fired_ = 0;
  bool purged_ = false;  // poll thread only
};

}  // namespace vimur::kafka
