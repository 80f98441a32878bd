#include "transport/stdout_transport.h"

#include <cerrno>
#include <cstring>

namespace vimur {

void StdoutTransport::AppendLine(const OutgoingRecord& record, JsonBuffer* out) {
  AppendLineHead(record.topic, out);
  out->Raw(record.key.value_or("null"));
  out->Raw(kLineValue);
  out->Raw(record.value.value_or("null"));
  out->Raw(kLineEnd);
}

Status StdoutTransport::Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) {
  lines_.Clear();
  for (const OutgoingRecord& r : batch.records) AppendLine(r, &lines_);
  return SendLines(lines_.view(), batch.end, on_acked);
}

Status StdoutTransport::SendLines(std::string_view lines, const std::optional<Position>&,
                                  const std::function<void(const Status&)>& on_acked) {
  Status status;
  if (!lines.empty() && (std::fwrite(lines.data(), 1, lines.size(), out_) != lines.size() ||
                         std::fflush(out_) != 0)) {
    status =
        Status::IoError(std::string("writing events to standard output: ") + std::strerror(errno));
  }
  if (on_acked) on_acked(status);
  return status;
}

Status StdoutTransport::Flush(std::chrono::milliseconds) {
  if (std::fflush(out_) != 0) {
    return Status::IoError(std::string("flushing standard output: ") + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace vimur
