#include "transport/stdout_transport.h"

#include <cerrno>
#include <cstring>

#include "format/json_writer.h"

namespace vimur {

Status StdoutTransport::Send(OutgoingBatch batch, std::function<void(const Status&)> on_acked) {
  line_.clear();
  for (const OutgoingRecord& r : batch.records) {
    line_.append("{\"topic\":\"");
    JsonWriter::AppendEscaped(&line_, r.topic);
    line_.append("\",\"key\":");
    line_.append(r.key ? *r.key : "null");
    line_.append(",\"value\":");
    line_.append(r.value ? *r.value : "null");
    line_.append("}\n");
  }
  Status status;
  if (!line_.empty() && (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size() ||
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
