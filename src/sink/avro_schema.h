// ParsedAvroSchema: a schema from the registry, parsed once for the sinks that read Avro topics:
// its Connect form, the Connect JSON of a datum, and its tree for reading data directly.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "format/avro/avro_schema_tree.h"

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
  // Calls `item` for each item of an array's or a map's blocks; false (and `bad`) when they are
  // malformed. Every item takes at least one byte (Connect never writes arrays of nulls), so a
  // count beyond the bytes left is malformed, not a reason to loop for ever.
  template <typename F>
  bool Items(F item) {
    for (int64_t n = Long(); n != 0 && !bad; n = Long()) {
      if (n < 0) {
        if (n == INT64_MIN) return bad = true, false;
        n = -n;
        Long();  // the block's size in bytes
      }
      if (n > end - p) return bad = true, false;
      for (int64_t i = 0; i < n && !bad; ++i) item();
    }
    return !bad;
  }
  template <typename T>
  T Fixed() {
    T v{};
    std::string_view b = Take(sizeof(T));
    if (!bad) std::memcpy(&v, b.data(), sizeof(T));
    return v;
  }
};

class ParsedAvroSchema {
 public:
  // `text`: the registry's schema for `id` (the id names it in errors).
  static Result<std::unique_ptr<ParsedAvroSchema>> Parse(int32_t id, const std::string& text);
  ~ParsedAvroSchema();

  // The Connect schema, as Kafka Connect's JsonConverter writes the schema Confluent's AvroData
  // derives from the Avro schema (connect.name, connect.parameters, connect.type kept).
  const nlohmann::json& connect() const { return connect_; }
  // The schema as a tree of nodes; nullptr when it is not one the strict parser takes (the
  // Connect JSON still reads it).
  const avro::AvroNode* root() const { return tree_ ? &tree_->root() : nullptr; }

  // {"schema":...,"payload":...} of one datum (the bytes after the wire format's 5-byte
  // header), the value as JsonConverter writes it (bytes base64, unions as their branch).
  Result<std::string> ToConnectJson(std::string_view datum) const;

  // Moves `r` past one value of `node`; false (and r.bad) when the data is malformed.
  static bool Skip(const avro::AvroNode& node, AvroReader& r, int depth = 0);

 private:
  struct Walker;
  ParsedAvroSchema() = default;

  int32_t id_ = 0;
  nlohmann::json avro_;
  std::map<std::string, const nlohmann::json*> named_;  // full name -> definition in avro_
  nlohmann::json connect_;
  std::shared_ptr<const avro::AvroSchema> tree_;
};

// The schema id of bytes in the Confluent wire format (IsConfluentAvro).
int32_t ConfluentSchemaId(std::string_view framed);

}  // namespace vimur::sink
