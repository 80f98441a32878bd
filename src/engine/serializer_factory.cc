#include "engine/serializer_factory.h"

#include "registry/schema_registry_client.h"

namespace vimur {

Result<ValueModes> ModesFor(const SourceConfig& source) {
  auto modes =
      ValueModes::FromNames(source.decimal_handling_mode, source.bigint_unsigned_handling_mode,
                            source.time_precision_mode, source.binary_handling_mode);
  if (!modes.ok()) return modes.status().WithContext("source " + source.name);
  return modes;
}

Result<JsonFormatOptions> JsonOptionsFor(const PipelineConfig& config, const SourceConfig& source) {
  JsonFormatOptions json;
  json.schemas = config.format.schemas;
  json.transaction_metadata = source.transaction_metadata;
  json.topic_prefix = source.topic_prefix;
  VIMUR_ASSIGN_OR_RETURN(json.modes, ModesFor(source));
  json.propagate_source_types = source.propagate_source_types;
  return json;
}

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
    VIMUR_ASSIGN_OR_RETURN(options.modes, ModesFor(source));
    options.propagate_source_types = source.propagate_source_types;
    return std::unique_ptr<EventSerializer>(
        std::make_unique<avro::AvroEventSerializer>(options, *registry));
  }
  VIMUR_ASSIGN_OR_RETURN(JsonFormatOptions json, JsonOptionsFor(config, source));
  return std::unique_ptr<EventSerializer>(std::make_unique<JsonEventSerializer>(json));
}

}  // namespace vimur
