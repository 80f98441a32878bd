// Avro binary encoding (Avro 1.11 spec, "Binary Encoding") of change-event keys and envelopes
// matching avro_schema.h, appended straight into a caller-owned, reusable std::string.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_buffer.h"
#include "core/change_event.h"
#include "core/status.h"
#include "format/field_repr.h"

namespace vimur::avro {

// Appends Avro primitives to a ByteBuffer: one capacity check per value, no allocation once
// the buffer has grown to the size of the largest message.
class AvroWriter {
 public:
  explicit AvroWriter(ByteBuffer* out) : out_(out) {}

  // Writes the zig-zag varint of `v` (int and long share it) at `p`, at most 10 bytes; returns
  // the end.
  static char* PutLong(char* p, int64_t v) {
    uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    while (z >= 0x80) {
      *p++ = static_cast<char>((z & 0x7f) | 0x80);
      z >>= 7;
    }
    *p++ = static_cast<char>(z);
    return p;
  }
  // Writes a length-prefixed byte string at `p`, which has room for 10 + b.size() bytes.
  static char* PutBytes(char* p, std::string_view b) {
    p = PutLong(p, static_cast<int64_t>(b.size()));
    if (!b.empty()) std::memcpy(p, b.data(), b.size());
    return p + b.size();
  }

  void Long(int64_t v) { out_->CommitTo(PutLong(out_->Reserve(10), v)); }
  void Int(int32_t v) { Long(v); }
  void Bool(bool v) { out_->Char(v ? 1 : 0); }
  void Float(float v) {
    char buf[4];
    std::memcpy(buf, &v, 4);  // Avro floats are little-endian IEEE 754, as is this host
    out_->Raw(std::string_view(buf, 4));
  }
  void Double(double v) {
    char buf[8];
    std::memcpy(buf, &v, 8);
    out_->Raw(std::string_view(buf, 8));
  }
  void Bytes(std::string_view b) { out_->CommitTo(PutBytes(out_->Reserve(10 + b.size()), b)); }
  void String(std::string_view s) { Bytes(s); }
  void UnionIndex(int64_t index) { Long(index); }
  void Raw(const char* data, size_t n) { out_->Raw(std::string_view(data, n)); }
  ByteBuffer* buffer() { return out_; }

 private:
  ByteBuffer* out_;
};

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE 754 types expected");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "Avro floats assume a little-endian host");

// Appends the Confluent wire-format header: magic byte 0 and the 4-byte big-endian schema id.
inline void AppendConfluentHeader(int32_t schema_id, ByteBuffer* out) {
  char h[5] = {0, static_cast<char>((schema_id >> 24) & 0xff),
               static_cast<char>((schema_id >> 16) & 0xff),
               static_cast<char>((schema_id >> 8) & 0xff), static_cast<char>(schema_id & 0xff)};
  out->Raw(std::string_view(h, 5));
}

// Appends the Avro `bytes` of a decimal given as text ("-12.50", exactly `scale` digits after
// the point, or fewer: they are padded): the unscaled value as minimal two's-complement
// big-endian bytes. Fails on text that is not a decimal number or has more than 80 digits.
Status AppendDecimal(std::string_view text, int scale, AvroWriter& w);
// The same for an unsigned 64-bit integer as decimal(20,0).
void AppendUnsignedDecimal(uint64_t v, AvroWriter& w);

// The Avro type a logical type is written as (its schema in avro_schema.h, without null).
enum class AvroKind : uint8_t {
  kBoolean,
  kInt,
  kLong,
  kUnsignedDecimal,  // BIGINT UNSIGNED: bytes, decimal(20,0)
  kFloat,
  kDouble,
  kDecimal,               // bytes, decimal(p,s)
  kBytes,                 // bytes and strings
  kGeometry,              // Debezium's Geometry record
  kVariableScaleDecimal,  // Debezium's VariableScaleDecimal record {scale int, value bytes}
};
AvroKind AvroKindOf(FieldRepr repr);

// The value written for `v` in representation `repr`: a conversion for representations that
// change the source's value (null when it does not convert, as Debezium's converters give),
// `v` itself for the others (and for base64/hex binary, converted while written).
Value Converted(FieldRepr repr, const Value& v);

// Appends one column value per the column's Avro type (union index first when nullable), in
// representation `repr`; the second form under Debezium's default modes.
Status EncodeColumn(const ColumnSchema& column, FieldRepr repr, const Value& value, AvroWriter& w);
Status EncodeColumn(const ColumnSchema& column, const Value& value, AvroWriter& w);

#ifndef VIMUR_VERSION
#define VIMUR_VERSION "0.0.0"
#endif

struct EnvelopeOptions {
  bool transaction_metadata = false;
  ValueModes modes = {};  // Debezium's handling modes: how column values are represented
  std::string version = VIMUR_VERSION;  // source.version (tests pin it for golden files)
};

// Encodes the keys and envelopes of one table shape. What does not change from row to row is
// worked out once: how each column is encoded, and the `source` block of the current
// transaction (the events of one share their SourceInfo). Not thread-safe.
class AvroTableEncoder {
 public:
  AvroTableEncoder(TableSchemaPtr table, EnvelopeOptions options);

  const TableSchemaPtr& table() const { return table_; }
  // Appends the key record of the event's primary key (after image, or before for deletes).
  Status AppendKey(const ChangeEvent& event, ByteBuffer* out) const;
  // Appends the envelope record (before, after, source, transaction, op, ts_ms, ts_us, ts_ns).
  Status AppendEnvelope(const ChangeEvent& event, int64_t ts_ms, ByteBuffer* out);

  // How a column's non-null values are written: the common Avro kinds inline, kGeneral (and
  // any value of an unexpected kind) through EncodeColumn.
  enum class Code : uint8_t { kInt, kLong, kDouble, kBytes, kDecimal, kGeneral };

 private:
  struct Column {
    Code code;
    bool nullable;  // the union [null, type] the inline path writes
    uint8_t scale;
    FieldRepr repr;
  };
  Status AppendRow(const std::vector<Value>& row, ByteBuffer* out) const;
  void SetSource(const std::shared_ptr<const SourceInfo>& source);

  TableSchemaPtr table_;
  EnvelopeOptions options_;
  std::vector<Column> columns_;
  std::shared_ptr<const SourceInfo> source_;  // the transaction source_head_ is for
  std::string source_head_;  // `source` up to and without `row` (MySQL), or all of it
  std::string source_tail_;  // after `row`: thread, query (MySQL)
  bool source_has_row_ = false;
  std::string transaction_id_;  // the `transaction.id` string, encoded
};

// One-off forms of AvroTableEncoder's, for tests and tools.
Status EncodeKey(const ChangeEvent& event, std::string* out);
Status EncodeEnvelope(const ChangeEvent& event, int64_t ts_ms, const EnvelopeOptions& options,
                      std::string* out);

// The schema-change topic's key ({databaseName}) and value records.
void EncodeSchemaChangeKey(const SchemaChange& change, ByteBuffer* out);
void EncodeSchemaChangeValue(const SchemaChange& change, int64_t ts_ms, ByteBuffer* out);
// The `<prefix>.message` topic's key ({prefix}) and value (MessageValueSchemaJson) records;
// `content` is the message's bytes, or their base64/hex text under those binary modes.
void EncodeMessageKey(const SourceMessage& message, ByteBuffer* out);
void EncodeMessageValue(const SourceMessage& message, int64_t ts_ms, std::string_view content,
                        ByteBuffer* out);

}  // namespace vimur::avro
