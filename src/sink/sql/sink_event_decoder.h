// SinkEventDecoder: how a sink turns its records into RowChanges: Vimur's JSON events, and with a
// schema registry its Avro records, read directly (AvroEventDecoder).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/config.h"
#include "sink/record_input.h"
#include "sink/sql/avro_event_decoder.h"

namespace vimur::sink {

class SinkEventDecoder {
 public:
  // `avro_schemas`: the registry's schemas by id; none: records are JSON (or were translated
  // by the input).
  explicit SinkEventDecoder(SchemaFetcher avro_schemas = nullptr);
  ~SinkEventDecoder();

  // Before decoding `records` (the loop's thread): fetches the schemas their Avro keys and values
  // name, retried with backoff while the registry cannot be reached (nothing is acknowledged
  // meanwhile); Aborted once `stop` is set.
  Status Prepare(const std::vector<InputRecord>& records, const SinkConfig& config,
                 RecordInput& input, const std::atomic<bool>& stop);
  // Each record's change, in order (DecodeEach: a large batch on two threads).
  std::vector<Result<RowChange>> DecodeAll(const std::vector<InputRecord>& records) const;
  Result<RowChange> Decode(const InputRecord& record) const;
  // GiveUpRecord, naming an Avro record's key as its JSON.
  Status GiveUp(const SinkConfig& config, const InputRecord& record, const Status& why,
                RecordInput& input) const;

 private:
  std::unique_ptr<AvroEventDecoder> avro_;
};

}  // namespace vimur::sink
