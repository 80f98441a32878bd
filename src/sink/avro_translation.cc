#include "sink/avro_translation.h"

namespace vimur::sink {

AvroToConnectJson::AvroToConnectJson(SchemaFetcher fetch) : fetch_(std::move(fetch)) {}
AvroToConnectJson::~AvroToConnectJson() = default;

AvroDecodingInput::AvroDecodingInput(std::unique_ptr<RecordInput> input, SchemaFetcher fetch)
    : input_(std::move(input)), translator_(std::move(fetch)) {}
AvroDecodingInput::~AvroDecodingInput() = default;

bool IsConfluentAvro(std::string_view bytes) { return bytes.size() >= 5 && bytes[0] == '\0'; }

Result<const ParsedAvroSchema*> AvroToConnectJson::SchemaFor(int32_t id) {
  if (auto it = schemas_.find(id); it != schemas_.end()) return it->second.get();
  VIMUR_ASSIGN_OR_RETURN(std::string text, fetch_(id));
  VIMUR_ASSIGN_OR_RETURN(auto schema, ParsedAvroSchema::Parse(id, text));
  constexpr size_t kMaxSchemas = 1024;
  if (schemas_.size() >= kMaxSchemas) schemas_.clear();
  return schemas_.emplace(id, std::move(schema)).first->second.get();
}

Result<std::string> AvroToConnectJson::Translate(std::string_view framed) {
  if (!IsConfluentAvro(framed)) return Status::Corruption("not in the Confluent wire format");
  VIMUR_ASSIGN_OR_RETURN(const ParsedAvroSchema* schema, SchemaFor(ConfluentSchemaId(framed)));
  return schema->ToConnectJson(framed.substr(5));
}

Result<std::vector<InputRecord>> AvroDecodingInput::Poll(size_t max_records,
                                                         std::chrono::milliseconds max_wait) {
  VIMUR_ASSIGN_OR_RETURN(std::vector<InputRecord> batch, input_->Poll(max_records, max_wait));
  originals_.clear();
  for (InputRecord& record : batch) {
    const bool key = record.key && IsConfluentAvro(*record.key);
    const bool value = record.value && IsConfluentAvro(*record.value);
    if (!key && !value) continue;
    originals_.emplace(record.Where(), record);
    for (auto [avro, field] : {std::pair{key, &record.key}, std::pair{value, &record.value}}) {
      if (!avro) continue;
      auto translated = translator_.Translate(**field);
      if (!translated.ok()) {
        return translated.status().WithContext("record " + record.Where());
      }
      *field = std::move(translated).value();
    }
  }
  return batch;
}

Status AvroDecodingInput::DeadLetter(const InputRecord& record, const std::string& error) {
  auto original = originals_.find(record.Where());
  return input_->DeadLetter(original == originals_.end() ? record : original->second, error);
}

}  // namespace vimur::sink
