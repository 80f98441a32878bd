// AvroEventDecoder: decodes Vimur's Avro change events (Confluent wire format, schemas by id from
// the registry) straight into RowChanges, giving what DecodeJsonEvent gives for their Connect JSON.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sink/avro_translation.h"
#include "sink/sql/event_decoder.h"

namespace vimur::sink {

class AvroEventDecoder {
 public:
  explicit AvroEventDecoder(SchemaFetcher fetch);
  ~AvroEventDecoder();

  // Fetches and compiles the schemas that the Avro keys and values of `batch` name. Not
  // thread-safe; errors are the registry's.
  Status Prepare(const std::vector<InputRecord>& batch);

  // The change in `record` (prepared before), as DecodeJsonEvent decodes its Connect JSON;
  // records that are not Avro go to DecodeJsonEvent. Thread-safe between Prepares.
  Result<RowChange> Decode(const InputRecord& record) const;

  // DescribeRecordKey of the record with its Avro key as Connect JSON (prepared before).
  std::string DescribeKey(const InputRecord& record) const;

  // The direct decoding (public for tests); false where it declines (anything unusual, and
  // every error), leaving the record to the Connect JSON translation.
  bool DecodeDirectly(const InputRecord& record, RowChange* change) const;

 private:
  struct Envelope;
  static std::unique_ptr<Envelope> CompileEnvelope(const ParsedAvroSchema& schema);
  Result<RowChange> DecodeTranslated(const InputRecord& record) const;

  SchemaFetcher fetch_;
  std::map<int32_t, std::unique_ptr<ParsedAvroSchema>> schemas_;
  std::map<int32_t, std::unique_ptr<Envelope>> envelopes_;   // value schemas that are envelopes
  std::map<int32_t, std::vector<std::string>> key_columns_;  // the fields of each schema
};

}  // namespace vimur::sink
