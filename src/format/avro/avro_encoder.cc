#include "format/avro/avro_encoder.h"

#include <charconv>
#include <cstdint>

#include "core/int_range.h"
#include "format/avro/avro_schema.h"
#include "format/json_writer.h"

namespace vimur::avro {
namespace {

const char* KindName(ValueKind k) {
  switch (k) {
    case ValueKind::kNull: return "null";
    case ValueKind::kBool: return "bool";
    case ValueKind::kInt: return "int";
    case ValueKind::kUInt: return "unsigned int";
    case ValueKind::kFloat: return "float";
    case ValueKind::kDouble: return "double";
    case ValueKind::kText: return "text";
    case ValueKind::kBytes: return "bytes";
    case ValueKind::kGeometry: return "geometry";
    case ValueKind::kArray: return "array";
  }
  return "unknown";
}

Status Mismatch(const ColumnSchema& c, const Value& v, const char* expected) {
  return Status::InvalidArgument("column '" + c.name + "' (" + LogicalTypeName(c.type) +
                                 "): got a " + KindName(v.kind) + " value, expected " + expected);
}

void AppendInt64Decimal(int64_t v, AvroWriter& w) {
  char buffer[kMaxDecimalBytes];
  w.Bytes(SignedUnscaledBytes(v, buffer));
}

// The integer of an int or unsigned value, when it fits an int64.
bool AsInt64(const Value& v, int64_t* out) {
  if (v.kind == ValueKind::kInt) {
    *out = v.i;
    return true;
  }
  if (v.kind == ValueKind::kUInt && v.u <= static_cast<uint64_t>(INT64_MAX)) {
    *out = static_cast<int64_t>(v.u);
    return true;
  }
  if (v.kind == ValueKind::kBool) {
    *out = v.b ? 1 : 0;
    return true;
  }
  return false;
}

bool IsTemporal(LogicalType t) {
  return t == LogicalType::kDate || t == LogicalType::kTimestampMillis ||
         t == LogicalType::kTimestampMicros || t == LogicalType::kYear;
}

// The value of a NOT NULL column that arrived as null: Debezium writes the epoch for the zero
// dates of NOT NULL temporal columns; any other null there is an error.
Status EncodeNullInRequired(const ColumnSchema& c, AvroWriter& w) {
  if (IsTemporal(c.type)) {
    w.Long(0);
    return Status::Ok();
  }
  if (c.type == LogicalType::kZonedTimestamp) {
    w.String("1970-01-01T00:00:00Z");
    return Status::Ok();
  }
  return Status::InvalidArgument("column '" + c.name + "' (" + LogicalTypeName(c.type) +
                                 ") is NOT NULL in the table schema but the row has null");
}

}  // namespace

AvroKind AvroKindOf(FieldRepr repr) {
  switch (repr) {
    case FieldRepr::kBoolean: return AvroKind::kBoolean;
    case FieldRepr::kInt16:
    case FieldRepr::kInt32:
    case FieldRepr::kDate:
    case FieldRepr::kYear:
    case FieldRepr::kConnectDate:
    case FieldRepr::kConnectTime: return AvroKind::kInt;
    case FieldRepr::kInt64:
    case FieldRepr::kUnsignedLong:
    case FieldRepr::kTimestamp:
    case FieldRepr::kMicroTimestamp:
    case FieldRepr::kMicroTime:
    case FieldRepr::kConnectTimestamp:
    case FieldRepr::kConnectTimestampMicros:
    case FieldRepr::kMicroDuration: return AvroKind::kLong;
    case FieldRepr::kUnsignedDecimal: return AvroKind::kUnsignedDecimal;
    case FieldRepr::kFloat: return AvroKind::kFloat;
    case FieldRepr::kDouble:
    case FieldRepr::kDecimalDouble: return AvroKind::kDouble;
    case FieldRepr::kDecimal: return AvroKind::kDecimal;
    case FieldRepr::kGeometry: return AvroKind::kGeometry;
    case FieldRepr::kVariableScaleDecimal: return AvroKind::kVariableScaleDecimal;
    case FieldRepr::kBits:
    case FieldRepr::kBytes:
    case FieldRepr::kDecimalString:
    case FieldRepr::kZonedTimestamp:
    case FieldRepr::kString:
    case FieldRepr::kBytesBase64:
    case FieldRepr::kBytesHex:
    case FieldRepr::kEnum:
    case FieldRepr::kSet:
    case FieldRepr::kJson:
    case FieldRepr::kUuid:
    case FieldRepr::kXml:
    case FieldRepr::kZonedTime: return AvroKind::kBytes;
  }
  return AvroKind::kBytes;
}

namespace {}  // namespace

Value Converted(FieldRepr repr, const Value& v) {
  switch (repr) {
    case FieldRepr::kUnsignedLong:
      if (v.kind == ValueKind::kUInt) return Value::Int(static_cast<int64_t>(v.u));
      return v;
    case FieldRepr::kConnectTime:  // µs to ms of the day, within 00:00..24:00
      if (v.kind != ValueKind::kInt) return v;
      if (v.i < 0 || v.i > int64_t{86400} * 1000000) return Value::Null();
      return Value::Int(v.i / 1000);
    case FieldRepr::kConnectTimestampMicros:
      if (v.kind != ValueKind::kInt) return v;
      return Value::Int(v.i >= 0 ? v.i / 1000 : -((-v.i + 999) / 1000));
    case FieldRepr::kDecimalDouble:
      if (v.kind == ValueKind::kText) {
        double d = 0;
        const char* end = v.s.data() + v.s.size();
        const char* begin = v.s.data() + (!v.s.empty() && v.s[0] == '+' ? 1 : 0);
        if (std::from_chars(begin, end, d).ptr == end) return Value::Double(d);
      } else if (v.kind == ValueKind::kInt) {
        return Value::Double(static_cast<double>(v.i));
      }
      return v;
    default: return v;
  }
}

namespace {

// Writes bytes as the string binary_handling_mode asks for: base64 or hex text.
void AppendBinaryText(FieldRepr repr, std::string_view bytes, AvroWriter& w) {
  ByteBuffer* out = w.buffer();
  const size_t n = repr == FieldRepr::kBytesHex ? 2 * bytes.size() : (bytes.size() + 2) / 3 * 4;
  char* p = AvroWriter::PutLong(out->Reserve(10 + n), static_cast<int64_t>(n));
  out->CommitTo(repr == FieldRepr::kBytesHex ? WriteHex(bytes, p)
                                             : json_internal::WriteBase64(bytes, p));
}

Status EncodeNonNull(const ColumnSchema& c, FieldRepr repr, const Value& v, AvroWriter& w) {
  int64_t n = 0;
  switch (AvroKindOf(repr)) {
    case AvroKind::kBoolean:
      if (!AsInt64(v, &n)) return Mismatch(c, v, "a boolean");
      w.Bool(n != 0);
      return Status::Ok();
    case AvroKind::kInt:
      if (!AsInt64(v, &n) || !FitsInt32(n)) return Mismatch(c, v, "an integer within int32");
      w.Int(static_cast<int32_t>(n));
      return Status::Ok();
    case AvroKind::kLong:
      if (!AsInt64(v, &n)) return Mismatch(c, v, "an integer within int64");
      w.Long(n);
      return Status::Ok();
    case AvroKind::kUnsignedDecimal:
      if (v.kind == ValueKind::kUInt) {
        AppendUnsignedDecimal(v.u, w);
        return Status::Ok();
      }
      if (v.kind == ValueKind::kInt) {
        AppendInt64Decimal(v.i, w);
        return Status::Ok();
      }
      return Mismatch(c, v, "an unsigned integer");
    case AvroKind::kFloat:
      if (v.kind == ValueKind::kFloat) {
        w.Float(v.f);
      } else if (v.kind == ValueKind::kDouble) {
        w.Float(static_cast<float>(v.d));
      } else {
        return Mismatch(c, v, "a float");
      }
      return Status::Ok();
    case AvroKind::kDouble:
      if (v.kind == ValueKind::kDouble) {
        w.Double(v.d);
      } else if (v.kind == ValueKind::kFloat) {
        w.Double(v.f);
      } else {
        return Mismatch(c, v, "a double");
      }
      return Status::Ok();
    case AvroKind::kDecimal:
      if (v.kind == ValueKind::kText) {
        Status s = AppendDecimal(v.s, c.scale, w);
        if (!s.ok()) return s.WithContext("column '" + c.name + "'");
        return Status::Ok();
      }
      if (AsInt64(v, &n)) {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, n);
        return AppendDecimal(std::string_view(buf, r.ptr - buf), c.scale, w);
      }
      return Mismatch(c, v, "decimal digits as text");
    case AvroKind::kBytes:
      if (v.kind != ValueKind::kText && v.kind != ValueKind::kBytes) {
        return Mismatch(c, v, "text or bytes");
      }
      if (repr == FieldRepr::kBytesBase64 || repr == FieldRepr::kBytesHex) {
        AppendBinaryText(repr, v.s, w);
      } else {
        w.Bytes(v.s);
      }
      return Status::Ok();
    case AvroKind::kGeometry:
      if (v.kind != ValueKind::kGeometry && v.kind != ValueKind::kBytes) {
        return Mismatch(c, v, "a geometry");
      }
      w.Bytes(v.s);
      w.UnionIndex(1);
      w.Int(static_cast<int32_t>(v.srid));
      return Status::Ok();
    case AvroKind::kVariableScaleDecimal: {
      if (v.kind != ValueKind::kText) return Mismatch(c, v, "decimal digits as text");
      const int scale = TextScale(v.s);
      w.Int(scale);
      Status s = AppendDecimal(v.s, scale, w);
      if (!s.ok()) return s.WithContext("column '" + c.name + "'");
      return Status::Ok();
    }
  }
  return Mismatch(c, v, "a known logical type");
}

// An array column's value: one block of [null, element] unions, then the end (count 0).
Status EncodeArray(const ColumnSchema& c, FieldRepr repr, const Value& v, AvroWriter& w) {
  if (v.kind != ValueKind::kArray) return Mismatch(c, v, "an array");
  if (v.size() > 0) {
    w.Long(v.size());
    for (uint32_t i = 0; i < v.size(); ++i) {
      const Value item = Converted(repr, v.items[i]);
      if (item.is_null()) {
        w.UnionIndex(0);
        continue;
      }
      w.UnionIndex(1);
      VIMUR_RETURN_IF_ERROR(EncodeNonNull(c, repr, item, w));
    }
  }
  w.Long(0);
  return Status::Ok();
}

void OptionalString(const std::string& s, AvroWriter& w) {
  if (s.empty()) {
    w.UnionIndex(0);
  } else {
    w.UnionIndex(1);
    w.String(s);
  }
}

// A PostgreSQL `source` block from `schema` to `origin_lsn`.
void AppendPostgresSourceTail(const SourceInfo& s, std::string_view table, AvroWriter& w) {
  w.String(s.schema);
  w.String(table);
  if (s.tx_id >= 0) {
    w.UnionIndex(1);
    w.Long(s.tx_id);
  } else {
    w.UnionIndex(0);
  }
  w.UnionIndex(1);
  w.Long(static_cast<int64_t>(s.lsn));
  w.UnionIndex(0);  // xmin
  w.UnionIndex(0);  // origin
  w.UnionIndex(0);  // origin_lsn
}

}  // namespace

Status AppendDecimal(std::string_view text, int scale, AvroWriter& w) {
  char buffer[kMaxDecimalBytes];
  VIMUR_ASSIGN_OR_RETURN(std::string_view bytes, DecimalUnscaledBytes(text, scale, buffer));
  w.Bytes(bytes);
  return Status::Ok();
}

void AppendUnsignedDecimal(uint64_t v, AvroWriter& w) {
  char buffer[kMaxDecimalBytes];
  w.Bytes(UnsignedUnscaledBytes(v, buffer));
}

Status EncodeColumn(const ColumnSchema& column, FieldRepr repr, const Value& source_value,
                    AvroWriter& w) {
  const Value value = Converted(repr, source_value);
  // A nullable column with a default has the union [type, null] (the default's branch first).
  const bool null_second =
      column.nullable && column.has_default && AvroUnionNullSecond(column, repr);
  if (value.is_null()) {
    if (column.nullable) {
      w.UnionIndex(null_second ? 1 : 0);
      return Status::Ok();
    }
    return EncodeNullInRequired(column, w);
  }
  if (column.nullable) w.UnionIndex(null_second ? 0 : 1);
  if (column.is_array()) return EncodeArray(column, repr, value, w);
  return EncodeNonNull(column, repr, value, w);
}

Status EncodeColumn(const ColumnSchema& column, const Value& value, AvroWriter& w) {
  return EncodeColumn(column, ReprOf(column, ValueModes()), value, w);
}

AvroTableEncoder::AvroTableEncoder(TableSchemaPtr table, EnvelopeOptions options)
    : table_(std::move(table)), options_(std::move(options)) {
  columns_.reserve(table_->columns.size());
  for (const ColumnSchema& c : table_->columns) {
    const FieldRepr repr = ReprOf(c, options_.modes);
    // Representations that convert every value take the general path.
    const bool converts = repr == FieldRepr::kConnectTime ||
                          repr == FieldRepr::kConnectTimestampMicros ||
                          repr == FieldRepr::kBytesBase64 || repr == FieldRepr::kBytesHex;
    Code code = Code::kGeneral;
    switch (converts ? AvroKind::kGeometry : AvroKindOf(repr)) {
      case AvroKind::kInt: code = Code::kInt; break;
      case AvroKind::kLong: code = Code::kLong; break;
      case AvroKind::kDouble: code = Code::kDouble; break;
      case AvroKind::kBytes: code = Code::kBytes; break;
      case AvroKind::kDecimal: code = c.scale >= 0 && c.scale <= 255 ? Code::kDecimal : code; break;
      default: break;
    }
    // Unions with the null branch second (a nullable column with a default) take the general
    // path, which writes its own branch index.
    const bool null_second = c.nullable && c.has_default && AvroUnionNullSecond(c, repr);
    if (null_second || c.is_array()) code = Code::kGeneral;
    columns_.push_back({code, c.nullable && !null_second,
                        static_cast<uint8_t>(code == Code::kDecimal ? c.scale : 0), repr});
  }
}

namespace {

// The values the inline paths of AppendColumnValue leave to EncodeColumn: nulls, unusual
// value kinds, errors. Kept out of line so that the inline paths stay small.
[[gnu::noinline]] Status AppendGeneral(const ColumnSchema& column, FieldRepr repr, const Value& v,
                                       ByteBuffer* out) {
  AvroWriter w(out);
  return EncodeColumn(column, repr, v, w);
}

// Writes a DECIMAL's text as Avro `bytes` at `p` when it has at most 18 digits once padded to
// `scale` (the common case, in an int64); returns nullptr, having written nothing useful, for
// anything else, which AppendDecimal then handles (wide values and errors).
char* PutSmallDecimal(std::string_view text, int scale, char* p) {
  const char* s = text.data();
  const char* const end = s + text.size();
  bool negative = false;
  if (s < end && *s == '-') {
    negative = true;
    ++s;
  }
  if (s == end || end - s > 19) return nullptr;
  int64_t v = 0;
  int digits = 0;
  int fraction = -1;
  for (; s < end; ++s) {
    const unsigned d = static_cast<unsigned char>(*s) - '0';
    if (d < 10) {
      if (++digits > 18) return nullptr;  // wider than an int64 holds: before it overflows
      v = v * 10 + d;
      if (fraction >= 0) ++fraction;
    } else if (*s == '.' && fraction < 0) {
      fraction = 0;
    } else {
      return nullptr;
    }
  }
  if (fraction < 0) fraction = 0;
  if (digits == 0 || fraction > scale || digits + (scale - fraction) > 18) return nullptr;
  for (int k = fraction; k < scale; ++k) v *= 10;
  if (negative) v = -v;
  int n = 1;  // the fewest big-endian two's-complement bytes that hold v
  while (n < 8 && (v < -(int64_t{1} << (8 * n - 1)) || v >= (int64_t{1} << (8 * n - 1)))) ++n;
  *p++ = static_cast<char>(2 * n);  // the length, zig-zag encoded
  const uint64_t u = static_cast<uint64_t>(v);
  for (int i = n - 1; i >= 0; --i) *p++ = static_cast<char>(u >> (8 * i));
  return p;
}

// Writes one value of a column; the common type and value pairs inline, all others (and every
// error) through EncodeColumn.
[[gnu::always_inline]] inline Status AppendColumnValue(AvroTableEncoder::Code code, bool nullable,
                                                       int scale, FieldRepr repr,
                                                       const ColumnSchema& column, const Value& v,
                                                       ByteBuffer* out) {
  using Code = AvroTableEncoder::Code;
  if (v.kind == ValueKind::kNull && nullable) {
    out->Char(0);
    return Status::Ok();
  }
  char* p = out->Reserve(11 + v.s.size());
  if (nullable) *p++ = 2;  // union branch 1, zig-zag encoded
  switch (code) {
    case Code::kInt:
      if (v.kind == ValueKind::kInt && FitsInt32(v.i)) {
        out->CommitTo(AvroWriter::PutLong(p, v.i));
        return Status::Ok();
      }
      break;
    case Code::kLong:
      if (v.kind == ValueKind::kInt) {
        out->CommitTo(AvroWriter::PutLong(p, v.i));
        return Status::Ok();
      }
      break;
    case Code::kDouble:
      if (v.kind == ValueKind::kDouble) {
        std::memcpy(p, &v.d, 8);
        out->CommitTo(p + 8);
        return Status::Ok();
      }
      break;
    case Code::kBytes:
      if (v.kind == ValueKind::kText || v.kind == ValueKind::kBytes) {
        out->CommitTo(AvroWriter::PutBytes(p, v.s));
        return Status::Ok();
      }
      break;
    case Code::kDecimal:
      if (v.kind == ValueKind::kText) {
        if (char* end = PutSmallDecimal(v.s, scale, p)) {
          out->CommitTo(end);
          return Status::Ok();
        }
      }
      break;
    case Code::kGeneral: break;
  }
  return AppendGeneral(column, repr, v,
                       out);  // writes its own union branch: nothing committed above
}

}  // namespace

Status AvroTableEncoder::AppendRow(const std::vector<Value>& row, ByteBuffer* out) const {
  const TableSchema& t = *table_;
  if (row.size() != columns_.size()) {
    return Status::InvalidArgument("row of " + t.qualified_name() + " has " +
                                   std::to_string(row.size()) + " values for " +
                                   std::to_string(columns_.size()) + " columns");
  }
  for (size_t i = 0; i < row.size(); ++i) {
    const Column c = columns_[i];
    VIMUR_RETURN_IF_ERROR(
        AppendColumnValue(c.code, c.nullable, c.scale, c.repr, t.columns[i], row[i], out));
  }
  return Status::Ok();
}

Status AvroTableEncoder::AppendKey(const ChangeEvent& event, ByteBuffer* out) const {
  const TableSchema& t = *table_;
  const std::vector<Value>& row = event.after.empty() ? event.before : event.after;
  for (size_t i : t.key_columns) {
    if (i >= row.size() || i >= columns_.size()) {
      return Status::InvalidArgument("row of " + t.qualified_name() +
                                     " lacks its primary-key column " + std::to_string(i));
    }
    const Column c = columns_[i];
    VIMUR_RETURN_IF_ERROR(
        AppendColumnValue(c.code, c.nullable, c.scale, c.repr, t.columns[i], row[i], out));
  }
  return Status::Ok();
}

void AvroTableEncoder::SetSource(const std::shared_ptr<const SourceInfo>& source) {
  const TableSchema& t = *table_;
  const SourceInfo& s = *source;
  source_ = source;
  ByteBuffer b;
  AvroWriter w(&b);
  w.String(options_.version);
  w.String(s.connector);
  w.String(s.name);
  w.Long(s.ts_ms);
  w.UnionIndex(0);  // snapshot: [Enum string, null]
  w.String(SnapshotMarkerText(s.snapshot));
  // PostgreSQL: the database; the table's `database` is its schema.
  w.String(s.connector == "postgresql" && !s.database.empty() ? s.database : t.database);
  w.UnionIndex(0);  // sequence: null
  w.UnionIndex(1);
  w.Long(s.ts_ms * 1000);  // ts_us
  w.UnionIndex(1);
  w.Long(s.ts_ms * 1000000);  // ts_ns
  source_has_row_ = s.connector != "postgresql";
  if (!source_has_row_) {
    AppendPostgresSourceTail(s, t.table, w);
  } else {
    w.UnionIndex(1);
    w.String(t.table);
    w.Long(s.server_id);
    OptionalString(s.gtid, w);
    w.String(s.file);
    w.Long(static_cast<int64_t>(s.pos));
  }
  source_head_ = std::string(b.view());
  source_tail_.clear();
  if (source_has_row_) {
    b.Clear();
    if (s.thread >= 0) {
      w.UnionIndex(1);
      w.Long(s.thread);
    } else {
      w.UnionIndex(0);
    }
    w.UnionIndex(0);  // query
    source_tail_ = std::string(b.view());
  }
  if (options_.transaction_metadata) {
    b.Clear();
    if (!s.gtid.empty()) {
      w.String(s.gtid);
    } else {
      w.String(s.file + ":" + std::to_string(s.pos));
    }
    transaction_id_ = std::string(b.view());
  }
}

Status AvroTableEncoder::AppendEnvelope(const ChangeEvent& event, int64_t ts_ms, ByteBuffer* out) {
  if (source_.get() != event.source.get()) SetSource(event.source);
  for (const std::vector<Value>* row : {&event.before, &event.after}) {
    if (row->empty()) {
      out->Char(0);
    } else {
      out->Char(2);
      VIMUR_RETURN_IF_ERROR(AppendRow(*row, out));
    }
  }
  out->Raw(source_head_);
  if (source_has_row_) {
    char* p = out->Reserve(10);
    out->CommitTo(AvroWriter::PutLong(p, static_cast<int32_t>(event.row)));
    out->Raw(source_tail_);
  }
  if (options_.transaction_metadata) {
    out->Char(2);
    out->Raw(transaction_id_);
    char* p = out->Reserve(20);
    p = AvroWriter::PutLong(p, static_cast<int64_t>(event.total_order));
    out->CommitTo(AvroWriter::PutLong(p, static_cast<int64_t>(event.data_collection_order)));
  } else {
    out->Char(0);  // transaction: null
  }
  char* p = out->Reserve(40);
  p[0] = 2;  // op: a string of length 1
  p[1] = static_cast<char>(event.op);
  p[2] = 2;  // ts_ms, ts_us, ts_ns: union branch 1
  p = AvroWriter::PutLong(p + 3, ts_ms);
  *p++ = 2;
  p = AvroWriter::PutLong(p, ts_ms * 1000);
  *p++ = 2;
  out->CommitTo(AvroWriter::PutLong(p, ts_ms * 1000000));
  return Status::Ok();
}

Status EncodeKey(const ChangeEvent& event, std::string* out) {
  ByteBuffer b;
  VIMUR_RETURN_IF_ERROR(AvroTableEncoder(event.table, {}).AppendKey(event, &b));
  out->append(b.view());
  return Status::Ok();
}

Status EncodeEnvelope(const ChangeEvent& event, int64_t ts_ms, const EnvelopeOptions& options,
                      std::string* out) {
  ByteBuffer b;
  VIMUR_RETURN_IF_ERROR(AvroTableEncoder(event.table, options).AppendEnvelope(event, ts_ms, &b));
  out->append(b.view());
  return Status::Ok();
}

void EncodeSchemaChangeKey(const SchemaChange& change, ByteBuffer* out) {
  AvroWriter w(out);
  w.String(change.database);
}

void EncodeSchemaChangeValue(const SchemaChange& change, int64_t ts_ms, ByteBuffer* out) {
  const SourceInfo& s = *change.source;
  AvroWriter w(out);
  w.String(VIMUR_VERSION);
  w.String(s.connector);
  w.String(s.name);
  w.Long(s.ts_ms);
  w.String(change.database);
  w.Long(s.server_id);
  OptionalString(s.gtid, w);
  w.String(s.file);
  w.Long(static_cast<int64_t>(s.pos));
  w.Long(ts_ms);
  w.String(change.database);
  w.String(change.ddl);
  // Arrays are blocks: a count, the items, then a zero count.
  if (!change.tables.empty()) {
    w.Long(static_cast<int64_t>(change.tables.size()));
    for (const auto& table : change.tables) w.String(table);
  }
  w.Long(0);
}

void EncodeMessageKey(const SourceMessage& message, ByteBuffer* out) {
  AvroWriter w(out);
  w.UnionIndex(1);
  w.String(message.prefix);
}

void EncodeMessageValue(const SourceMessage& message, int64_t ts_ms, std::string_view content,
                        ByteBuffer* out) {
  const SourceInfo& s = *message.source;
  AvroWriter w(out);
  w.String("m");
  w.UnionIndex(1);
  w.Long(ts_ms);
  w.String(VIMUR_VERSION);
  w.String(s.connector);
  w.String(s.name);
  w.Long(s.ts_ms);
  w.UnionIndex(0);  // snapshot: [Enum string, null]
  w.String(SnapshotMarkerText(s.snapshot));
  w.String(s.database);
  w.UnionIndex(0);  // sequence
  w.UnionIndex(1);
  w.Long(s.ts_ms * 1000);
  w.UnionIndex(1);
  w.Long(s.ts_ms * 1000000);
  AppendPostgresSourceTail(s, "", w);
  w.UnionIndex(0);  // transaction
  w.UnionIndex(1);
  w.String(message.prefix);
  w.UnionIndex(1);
  w.String(content);  // bytes and strings share their encoding: a length, the bytes
}

}  // namespace vimur::avro
