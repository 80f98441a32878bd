// StdoutTransport: writes each record as one JSON line {"topic","key","value"} to a file
// descriptor (stdout by default), flushed per batch; a batch is acknowledged once written.
#pragma once

#include <cstdio>
#include <string_view>

#include "format/json_writer.h"
#include "transport/transport.h"

namespace vimur {

class StdoutTransport : public Transport {
 public:
  // `out` is not owned. Keys and values must already be JSON text.
  explicit StdoutTransport(std::FILE* out = stdout) : out_(out) {}
  Status Start() override { return Status::Ok(); }
  Status Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) override;
  Status Flush(std::chrono::milliseconds timeout) override;

  // The fast path for writers that assemble lines themselves (the engine's JSON lines): one
  // batch given as the text of its lines, written and flushed at once, then acknowledged.
  Status SendLines(std::string_view lines, const std::function<void(const Status&)>& on_acked);

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
  JsonBuffer lines_;
};

}  // namespace vimur
