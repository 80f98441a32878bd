// AvroSchema: an Avro schema (Avro 1.11 spec) parsed and validated into a tree of nodes with
// named types resolved; read by the registry's compatibility rules and the sinks' Avro decoding.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vimur::avro {

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

}  // namespace vimur::avro
