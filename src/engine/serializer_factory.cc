#include "engine/serializer_factory.h"

#include "registry/schema_registry_client.h"

namespace vimur {

Result<std::unique_ptr<EventSerializer>> MakeEventSerializer(
    const PipelineConfig& config, const SourceConfig& source,
    std::shared_ptr<avro::SchemaRegistryClient>* registry) {
  if (config.format.type == "avro") {
    if (!*registry) {
      auto client = registry::HttpSchemaRegistryClient::FromConfig(config.format);
      if (!client.ok()) return client.status().WithContext("format.registry_url");
      *registry = std::move(client).value();
    }
    avro::AvroFormatOptions options;
    options.topic_prefix = source.topic_prefix;
    options.transaction_metadata = source.transaction_metadata;
    options.continue_on_incompatible = config.format.on_incompatible_schema == "continue";
    return std::unique_ptr<EventSerializer>(
        std::make_unique<avro::AvroEventSerializer>(options, *registry));
  }
  JsonFormatOptions json;
  json.schemas = config.format.schemas;
  json.transaction_metadata = source.transaction_metadata;
  json.topic_prefix = source.topic_prefix;
  return std::unique_ptr<EventSerializer>(std::make_unique<JsonEventSerializer>(json));
}

}  // namespace vimur
