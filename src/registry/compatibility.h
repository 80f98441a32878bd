// The compatibility rules of a schema registry: the Avro 1.11 spec's
// "Schema Resolution" (promotions, unions, defaults, enum symbols, aliases) checked between a
// new schema and the registered ones under BACKWARD / FORWARD / FULL (and transitive) levels.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "format/avro/avro_schema_tree.h"

namespace vimur::registry {

enum class CompatibilityLevel {
  kNone,
  kBackward,
  kBackwardTransitive,
  kForward,
  kForwardTransitive,
  kFull,
  kFullTransitive,
};

const char* CompatibilityLevelName(CompatibilityLevel level);
// Accepts the Confluent names (BACKWARD, FULL_TRANSITIVE, ...), case-insensitively.
std::optional<CompatibilityLevel> ParseCompatibilityLevel(std::string_view text);

using avro::AvroKindName;
using avro::AvroNode;
using avro::AvroSchema;

// Returns why data written with `writer` cannot be read with `reader`; empty when it can.
std::vector<std::string> ReaderCanRead(const AvroSchema& reader, const AvroSchema& writer);

// Checks `candidate` against the registered versions of a subject (oldest first) under `level`.
// Returns the incompatibilities found; empty when compatible.
std::vector<std::string> CheckCompatibility(CompatibilityLevel level, const AvroSchema& candidate,
                                            const std::vector<const AvroSchema*>& existing);

}  // namespace vimur::registry
