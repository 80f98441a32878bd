// AvroToConnectJson and AvroDecodingInput: sinks read Avro topics (Confluent wire format,
// schemas from the registry by id) as the Connect JSON ({"schema":...,"payload":...}) that
// their JSON decoder reads, so every sink takes both formats.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sink/avro_schema.h"
#include "sink/record_input.h"

namespace vimur::sink {

// The registry's schema text for an id (GET /schemas/ids/{id}).
using SchemaFetcher = std::function<Result<std::string>(int32_t id)>;

// True for bytes in the Confluent wire format (magic byte 0, then a 4-byte schema id); JSON
// never starts with a zero byte.
bool IsConfluentAvro(std::string_view bytes);

class AvroToConnectJson {
 public:
  explicit AvroToConnectJson(SchemaFetcher fetch);
  ~AvroToConnectJson();

  // The Connect JSON of one framed Avro datum: its schema as Kafka Connect's JsonConverter
  // writes the schema Confluent's AvroData derives from the Avro schema (connect.name,
  // connect.parameters, connect.type kept), and the value as JsonConverter writes it (bytes
  // base64, unions as their branch).
  Result<std::string> Translate(std::string_view framed);

 private:
  Result<const ParsedAvroSchema*> SchemaFor(int32_t id);

  SchemaFetcher fetch_;
  std::map<int32_t, std::unique_ptr<ParsedAvroSchema>> schemas_;
};

// A RecordInput that hands its sink Avro keys and values as Connect JSON (JSON records pass
// unchanged); dead letters keep the original bytes.
class AvroDecodingInput : public RecordInput {
 public:
  AvroDecodingInput(std::unique_ptr<RecordInput> input, SchemaFetcher fetch);
  ~AvroDecodingInput() override;

  void ReadFromBeginning() override { input_->ReadFromBeginning(); }
  Status Start() override { return input_->Start(); }
  Result<std::vector<InputRecord>> Poll(size_t max_records,
                                        std::chrono::milliseconds max_wait) override;
  Status Acknowledge(const std::vector<InputRecord>& batch) override {
    return input_->Acknowledge(batch);
  }
  void Wait(std::chrono::milliseconds how_long) override { input_->Wait(how_long); }
  Status DeadLetter(const InputRecord& record, const std::string& error) override;
  void Close() override { input_->Close(); }

 private:
  std::unique_ptr<RecordInput> input_;
  AvroToConnectJson translator_;
  std::map<std::string, InputRecord> originals_;  // of the last batch, by Where()
};

}  // namespace vimur::sink
