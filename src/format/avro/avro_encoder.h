// Avro binary encoding (Avro 1.11 spec, "Binary Encoding") of change-event keys and envelopes
// matching avro_schema.h, appended straight into a caller-owned, reusable std::string.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/change_event.h"
#include "core/status.h"

namespace vimur::avro {

// Appends Avro primitives. Appending to a string whose capacity suffices never allocates.
class AvroWriter {
 public:
  explicit AvroWriter(std::string* out) : out_(out) {}

  // int and long share the zig-zag varint encoding.
  void Long(int64_t v) {
    uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    char buf[10];
    size_t n = 0;
    while (z >= 0x80) {
      buf[n++] = static_cast<char>((z & 0x7f) | 0x80);
      z >>= 7;
    }
    buf[n++] = static_cast<char>(z);
    out_->append(buf, n);
  }
  void Int(int32_t v) { Long(v); }
  void Bool(bool v) { out_->push_back(v ? 1 : 0); }
  void Float(float v) {
    char buf[4];
    std::memcpy(buf, &v, 4);  // Avro floats are little-endian IEEE 754, as is this host
    out_->append(buf, 4);
  }
  void Double(double v) {
    char buf[8];
    std::memcpy(buf, &v, 8);
    out_->append(buf, 8);
  }
  void Bytes(std::string_view b) {
    Long(static_cast<int64_t>(b.size()));
    out_->append(b);
  }
  void String(std::string_view s) { Bytes(s); }
  void UnionIndex(int64_t index) { Long(index); }
  void Raw(const char* data, size_t n) { out_->append(data, n); }
  std::string* out() { return out_; }

 private:
  std::string* out_;
};

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE 754 types expected");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "Avro floats assume a little-endian host");

// Appends the Confluent wire-format header: magic byte 0 and the 4-byte big-endian schema id.
inline void AppendConfluentHeader(int32_t schema_id, std::string* out) {
  char h[5] = {0, static_cast<char>((schema_id >> 24) & 0xff),
               static_cast<char>((schema_id >> 16) & 0xff),
               static_cast<char>((schema_id >> 8) & 0xff), static_cast<char>(schema_id & 0xff)};
  out->append(h, 5);
}

// Appends the Avro `bytes` of a decimal given as text ("-12.50", exactly `scale` digits after
// the point, or fewer: they are padded): the unscaled value as minimal two's-complement
// big-endian bytes. Fails on text that is not a decimal number or has more than 80 digits.
Status AppendDecimal(std::string_view text, int scale, AvroWriter& w);
// The same for an unsigned 64-bit integer as decimal(20,0).
void AppendUnsignedDecimal(uint64_t v, AvroWriter& w);

// Appends one column value per the column's Avro type (union index first when nullable).
Status EncodeColumn(const ColumnSchema& column, const Value& value, AvroWriter& w);

// Appends the key record of the event's primary key (after image, or before for deletes).
Status EncodeKey(const ChangeEvent& event, std::string* out);

#ifndef VIMUR_VERSION
#define VIMUR_VERSION "0.0.0"
#endif

struct EnvelopeOptions {
  bool transaction_metadata = false;
  std::string version = VIMUR_VERSION;  // source.version (tests pin it for golden files)
};

// Appends the envelope record (before, after, source, op, ts_ms, transaction).
Status EncodeEnvelope(const ChangeEvent& event, int64_t ts_ms, const EnvelopeOptions& options,
                      std::string* out);

// The schema-change topic's key ({databaseName}) and value records.
void EncodeSchemaChangeKey(const SchemaChange& change, std::string* out);
void EncodeSchemaChangeValue(const SchemaChange& change, int64_t ts_ms, std::string* out);

}  // namespace vimur::avro
