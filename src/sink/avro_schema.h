// ParsedAvroSchema: a schema from the registry, parsed once for the sinks that read Avro topics:
// its Connect form, the Connect JSON of a datum, and a compiled tree for reading data directly.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vimur::sink {

// Reads Avro binary encoding (Avro 1.11 spec); a read past the end sets `bad`.
struct AvroReader {
  const char* p;
  const char* end;
  bool bad = false;

  int64_t Long() {
    uint64_t z = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return bad = true, 0;
      const auto b = static_cast<uint8_t>(*p++);
      z |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    }
    return bad = true, 0;
  }
  std::string_view Take(int64_t n) {
    if (n < 0 || n > end - p) return bad = true, std::string_view();
    std::string_view out(p, static_cast<size_t>(n));
    p += n;
    return out;
  }
  template <typename T>
  T Fixed() {
    T v{};
    std::string_view b = Take(sizeof(T));
    if (!bad) std::memcpy(&v, b.data(), sizeof(T));
    return v;
  }
};

// One Avro type with named references resolved.
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
    kFixed,
    kEnum,
    kUnion,
    kRecord,
    kArray,
    kMap
  };
  Kind kind = Kind::kNull;
  int64_t size = 0;                       // kFixed: its size in bytes
  std::vector<const AvroNode*> children;  // union branches, record fields, array items, map values
  std::vector<std::string> names;         // kRecord: field names; kEnum: symbols
};

class ParsedAvroSchema {
 public:
  // `text`: the registry's schema for `id` (the id names it in errors).
  static Result<std::unique_ptr<ParsedAvroSchema>> Parse(int32_t id, const std::string& text);
  ~ParsedAvroSchema();

  // The Connect schema, as Kafka Connect's JsonConverter writes the schema Confluent's AvroData
  // derives from the Avro schema (connect.name, connect.parameters, connect.type kept).
  const nlohmann::json& connect() const { return connect_; }
  const AvroNode& root() const { return *root_; }

  // {"schema":...,"payload":...} of one datum (the bytes after the wire format's 5-byte
  // header), the value as JsonConverter writes it (bytes base64, unions as their branch).
  Result<std::string> ToConnectJson(std::string_view datum) const;

  // Moves `r` past one value of `node`; false (and r.bad) when the data is malformed.
  static bool Skip(const AvroNode& node, AvroReader& r, int depth = 0);

 private:
  struct Walker;
  ParsedAvroSchema() = default;

  int32_t id_ = 0;
  nlohmann::json avro_;
  std::map<std::string, const nlohmann::json*> named_;  // full name -> definition in avro_
  nlohmann::json connect_;
  std::deque<AvroNode> nodes_;
  const AvroNode* root_ = nullptr;
};

// The schema id of bytes in the Confluent wire format (IsConfluentAvro).
int32_t ConfluentSchemaId(std::string_view framed);

}  // namespace vimur::sink
