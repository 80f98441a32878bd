// MakeEventSerializer: the EventSerializer a source's records are encoded with, chosen by
// `format.type` (Debezium JSON, or Avro registered in a Confluent-compatible schema registry).
#pragma once

#include <memory>

#include "core/config.h"
#include "format/avro/avro_event_serializer.h"
#include "format/event_serializer.h"

namespace vimur {

// The handling modes of a source's configuration (decimal_handling_mode, ...).
Result<ValueModes> ModesFor(const SourceConfig& source);
// The JSON options of a source's records (also those the stdout transport's lines use).
Result<JsonFormatOptions> JsonOptionsFor(const PipelineConfig& config, const SourceConfig& source);

// `registry` is created on first use and shared by every source of the pipeline.
Result<std::unique_ptr<EventSerializer>> MakeEventSerializer(
    const PipelineConfig& config, const SourceConfig& source,
    std::shared_ptr<avro::SchemaRegistryClient>* registry);

}  // namespace vimur
