// LocalTransport: the Transport of `transport: {type: local}`, publishing into the embedded
// LocalLog; a batch's records and its source position become durable together, so its
// OffsetStore reads positions back from the log's commit records.
#pragma once

#include <memory>

#include "transport/local/local_log.h"
#include "transport/transport.h"

namespace vimur::local {

class LocalTransport : public Transport, private OffsetStore {
 public:
  explicit LocalTransport(LocalLogOptions options) : options_(std::move(options)) {}

  Status Start() override;
  Status Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  OffsetStore& offsets() override { return *this; }
  void Shutdown() override;
  size_t Unacknowledged() const override { return log_ ? log_->Pending() : 0; }

  // The log, once Start or an OffsetStore call opened it.
  LocalLog* log() const { return log_.get(); }

 private:
  // OffsetStore: positions live in the commit records.
  Result<std::optional<Position>> Load(const std::string& source_name) override;
  Status Commit(const std::string& source_name, const Position& position) override;
  bool WrittenWithBatches() const override { return true; }

  Status EnsureOpen();

  LocalLogOptions options_;
  std::shared_ptr<LocalLog> log_;
};

}  // namespace vimur::local
