#include "sink/sql/sink_event_decoder.h"

#include <algorithm>
#include <chrono>

#include "core/logging.h"
#include "sink/batch_loop.h"

namespace vimur::sink {

SinkEventDecoder::SinkEventDecoder(SchemaFetcher avro_schemas)
    : avro_(avro_schemas ? std::make_unique<AvroEventDecoder>(std::move(avro_schemas)) : nullptr) {}

SinkEventDecoder::~SinkEventDecoder() = default;

Status SinkEventDecoder::Prepare(const std::vector<InputRecord>& records, const SinkConfig& config,
                                 RecordInput& input, const std::atomic<bool>& stop) {
  if (!avro_) return Status::Ok();
  auto backoff = std::chrono::milliseconds(100);
  const auto max_backoff = std::chrono::milliseconds(config.retry_max_backoff_ms);
  while (true) {
    Status s = avro_->Prepare(records);
    if (s.ok() || !s.retriable()) return s;
    if (stop) return Status::Aborted("stopping while the schema registry is unavailable");
    LOG_WARN << "sink " << config.name << ": " << s.message() << "; retrying in " << backoff.count()
             << " ms (nothing is acknowledged meanwhile)";
    input.Wait(backoff);
    backoff = std::min(backoff * 2, max_backoff);
  }
}

std::vector<Result<RowChange>> SinkEventDecoder::DecodeAll(
    const std::vector<InputRecord>& records) const {
  if (!avro_) return DecodeJsonEvents(records);
  return DecodeEach(records, [this](const InputRecord& r) { return avro_->Decode(r); });
}

Result<RowChange> SinkEventDecoder::Decode(const InputRecord& record) const {
  return avro_ ? avro_->Decode(record) : DecodeJsonEvent(record);
}

Status SinkEventDecoder::GiveUp(const SinkConfig& config, const InputRecord& record,
                                const Status& why, RecordInput& input) const {
  return GiveUpRecord(config, record, why, input, avro_ ? avro_->DescribeKey(record) : "");
}

}  // namespace vimur::sink
