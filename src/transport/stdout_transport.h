// StdoutTransport: writes each record as one JSON line {"topic","key","value"} to a file
// descriptor (stdout by default), flushed per batch; a batch is acknowledged once written.
// Its positions live in an OffsetStore of files (state_dir), which the engine commits to.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>

#include "format/json_writer.h"
#include "transport/transport.h"

namespace vimur {

class StdoutTransport : public Transport {
 public:
  // `out` is not owned. Keys and values must already be JSON text. `offsets` keeps the
  // pipeline's positions (usually a FileOffsetStore in state_dir).
  StdoutTransport(std::FILE* out, std::unique_ptr<OffsetStore> offsets)
      : out_(out), offsets_(std::move(offsets)) {}
  Status Start() override { return Status::Ok(); }
  Status Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  OffsetStore& offsets() override { return *offsets_; }

  // The fast path: one batch given as the text of its lines, written and flushed at once,
  // then acknowledged.
  bool TakesJsonLines() const override { return true; }
  Status SendLines(std::string_view lines, const std::optional<Position>& end,
                   const std::function<void(const Status&)>& on_acked) override;

  // The line format: LineHead(topic), the key or null, kLineValue, the value or null, kLineEnd.
  static void AppendLineHead(std::string_view topic, JsonBuffer* out) {
    out->Raw(R"({"topic":)");
    out->String(topic);
    out->Raw(R"(,"key":)");
  }
  static constexpr std::string_view kLineValue = R"(,"value":)";
  static constexpr std::string_view kLineEnd = "}\n";
  static void AppendLine(const OutgoingRecord& record, JsonBuffer* out);

 private:
  std::FILE* out_;
  std::unique_ptr<OffsetStore> offsets_;
  JsonBuffer lines_;
};

}  // namespace vimur
