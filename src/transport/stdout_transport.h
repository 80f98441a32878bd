// StdoutTransport: writes each record as one JSON line {"topic","key","value"} to a file
// descriptor (stdout by default), flushed per batch; a batch is acknowledged once written.
#pragma once

#include <cstdio>

#include "transport/transport.h"

namespace vimur {

class StdoutTransport : public Transport {
 public:
  // `out` is not owned. Keys and values must already be JSON text.
  explicit StdoutTransport(std::FILE* out = stdout) : out_(out) {}
  Status Start() override { return Status::Ok(); }
  Status Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) override;
  Status Flush(std::chrono::milliseconds timeout) override;

 private:
  std::FILE* out_;
  std::string line_;
};

}  // namespace vimur
