// Avro schema parsing and the compatibility rules of a schema registry: the Avro 1.11 spec's
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

// One node of a parsed Avro schema. Named types are shared: references point at the definition.
struct AvroNode {
  enum class Kind {
    kNull,
    kBoolean,
    kInt,
    kLong,
    kFloat,
    kDouble,
    kBytes,
    kString,
    kRecord,
    kEnum,
    kArray,
    kMap,
    kUnion,
    kFixed
  };
  struct Field {
    std::string name;
    const AvroNode* type = nullptr;
    bool has_default = false;
    std::vector<std::string> aliases;
  };
  Kind kind = Kind::kNull;
  std::string full_name;             // named types
  std::vector<std::string> aliases;  // full names
  std::vector<Field> fields;         // record
  std::vector<std::string> symbols;  // enum
  bool has_enum_default = false;
  const AvroNode* items = nullptr;        // array items, map values
  std::vector<const AvroNode*> branches;  // union
  int64_t size = 0;                       // fixed

  // The unqualified name of a named type.
  std::string_view short_name() const;
};

const char* AvroKindName(AvroNode::Kind kind);

// A parsed, validated Avro schema.
class AvroSchema {
 public:
  // Parses schema JSON text. Errors (InvalidArgument) say what is wrong and where.
  static Result<std::shared_ptr<const AvroSchema>> Parse(std::string_view text);

  const AvroNode& root() const { return *root_; }
  // A normalized form for equality: the JSON with keys sorted and no whitespace.
  const std::string& canonical() const { return canonical_; }
  // The text as registered, with insignificant whitespace removed (key order kept).
  const std::string& compact() const { return compact_; }

 private:
  friend class AvroSchemaParser;
  std::vector<std::unique_ptr<AvroNode>> nodes_;
  const AvroNode* root_ = nullptr;
  std::string canonical_;
  std::string compact_;
};

// Returns why data written with `writer` cannot be read with `reader`; empty when it can.
std::vector<std::string> ReaderCanRead(const AvroSchema& reader, const AvroSchema& writer);

// Checks `candidate` against the registered versions of a subject (oldest first) under `level`.
// Returns the incompatibilities found; empty when compatible.
std::vector<std::string> CheckCompatibility(CompatibilityLevel level, const AvroSchema& candidate,
                                            const std::vector<const AvroSchema*>& existing);

}  // namespace vimur::registry
