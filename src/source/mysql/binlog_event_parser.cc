#include "source/mysql/binlog_event_parser.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

#include "core/byte_reader.h"
#include "core/crc32.h"
#include "source/mysql/serialization_varint.h"

namespace vimur::mysql {
namespace {

// Returns the error of `expr` prefixed with the name of the event being parsed (`kWhat`).
#define VIMUR_PARSE(expr)                            \
  do {                                               \
    ::vimur::Status vimur_parse_status_ = (expr);    \
    if (!vimur_parse_status_.ok()) {                 \
      return vimur_parse_status_.WithContext(kWhat); \
    }                                                \
  } while (0)

// Column type codes (enum_field_types in mysql_com.h) that matter to the table map.
enum ColumnType : uint8_t {
  kTypeDecimal = 0,
  kTypeTiny = 1,
  kTypeShort = 2,
  kTypeLong = 3,
  kTypeFloat = 4,
  kTypeDouble = 5,
  kTypeNull = 6,
  kTypeTimestamp = 7,
  kTypeLongLong = 8,
  kTypeInt24 = 9,
  kTypeDate = 10,
  kTypeTime = 11,
  kTypeDateTime = 12,
  kTypeYear = 13,
  kTypeNewDate = 14,
  kTypeVarchar = 15,
  kTypeBit = 16,
  kTypeTimestamp2 = 17,
  kTypeDateTime2 = 18,
  kTypeTime2 = 19,
  kTypeVector = 242,  // MySQL 9
  kTypeJson = 245,
  kTypeNewDecimal = 246,
  kTypeEnum = 247,
  kTypeSet = 248,
  kTypeTinyBlob = 249,
  kTypeMediumBlob = 250,
  kTypeLongBlob = 251,
  kTypeBlob = 252,
  kTypeVarString = 253,
  kTypeString = 254,
  kTypeGeometry = 255,
};

// Table map optional metadata field types (libbinlogevents rows_event.h).
enum OptionalMetadataType : uint8_t {
  kSignedness = 1,
  kDefaultCharset = 2,
  kColumnCharset = 3,
  kColumnName = 4,
  kSetStrValue = 5,
  kEnumStrValue = 6,
  kGeometryType = 7,
  kSimplePrimaryKey = 8,
  kPrimaryKeyWithPrefix = 9,
  kEnumAndSetDefaultCharset = 10,
  kEnumAndSetColumnCharset = 11,
  kColumnVisibility = 12,
};

constexpr size_t kChecksumSize = 4;
constexpr size_t kServerVersionSize = 50;
// binlog_version(2) + server_version(50) + create_timestamp(4) + header_length(1).
constexpr size_t kFdeFixedSize = 2 + kServerVersionSize + 4 + 1;
// zlib cannot expand data by more than about 1032:1; a larger claim is corrupt.
constexpr uint64_t kMaxZlibRatio = 1032;

uint32_t LoadLE32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

Status ParseHeader(std::string_view bytes, EventHeader* h) {
  if (bytes.size() < kEventHeaderSize) {
    return Status::Underflow("event of " + std::to_string(bytes.size()) +
                             " bytes is shorter than the 19-byte common header");
  }
  ByteReader r(bytes);
  VIMUR_RETURN_IF_ERROR(r.ReadU32(&h->timestamp));
  VIMUR_RETURN_IF_ERROR(r.ReadU8(&h->type));
  VIMUR_RETURN_IF_ERROR(r.ReadU32(&h->server_id));
  VIMUR_RETURN_IF_ERROR(r.ReadU32(&h->event_size));
  VIMUR_RETURN_IF_ERROR(r.ReadU32(&h->next_pos));
  VIMUR_RETURN_IF_ERROR(r.ReadU16(&h->flags));
  std::string name = EventTypeName(h->type);
  if (h->event_size < kEventHeaderSize) {
    return Status::Corruption(name + " declares event_size " + std::to_string(h->event_size) +
                              ", less than its 19-byte header");
  }
  if (h->event_size > bytes.size()) {
    return Status::Underflow(name + " declares " + std::to_string(h->event_size) +
                             " bytes but only " + std::to_string(bytes.size()) + " are present");
  }
  if (h->event_size < bytes.size()) {
    return Status::Corruption(name + " declares " + std::to_string(h->event_size) + " bytes but " +
                              std::to_string(bytes.size()) + " were given as one event");
  }
  return Status::Ok();
}

// Verifies the CRC32 in the last 4 bytes of `bytes` (which covers everything before it).
Status VerifyCrc(std::string_view bytes, const EventHeader& h) {
  if (bytes.size() < kEventHeaderSize + kChecksumSize) {
    return Status::Underflow(std::string(EventTypeName(h.type)) +
                             " is too short to carry its CRC32 checksum");
  }
  uint32_t stored = LoadLE32(bytes.data() + bytes.size() - kChecksumSize);
  uint32_t computed = Crc32(bytes.substr(0, bytes.size() - kChecksumSize));
  if (stored != computed) {
    return Status::Corruption(std::string(kChecksumMismatch) + " in " +
                              std::string(EventTypeName(h.type)) + " ending at position " +
                              std::to_string(h.next_pos) + ": stored " + Hex32(stored) +
                              ", computed " + Hex32(computed));
  }
  return Status::Ok();
}

struct Version {
  int major = 0, minor = 0, patch = 0;
};

Version ParseVersion(std::string_view s) {
  Version v;
  int* parts[3] = {&v.major, &v.minor, &v.patch};
  size_t i = 0;
  for (int* part : parts) {
    int value = 0;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 6) {
      value = value * 10 + (s[i] - '0');
      ++i;
    }
    *part = value;
    if (i >= s.size() || s[i] != '.') break;
    ++i;
  }
  return v;
}

// Whether an FDE written by `server_version` carries the checksum algorithm byte and trailer
// (MySQL >= 5.6.1, MariaDB >= 5.3.0).
bool IsChecksumAware(std::string_view server_version) {
  Version v = ParseVersion(server_version);
  bool mariadb = server_version.find("MariaDB") != std::string_view::npos;
  Version min = mariadb ? Version{5, 3, 0} : Version{5, 6, 1};
  if (v.major != min.major) return v.major > min.major;
  if (v.minor != min.minor) return v.minor > min.minor;
  return v.patch >= min.patch;
}

// The server version in an FDE body: 50 bytes, NUL padded.
std::string_view FdeServerVersion(std::string_view body) {
  std::string_view raw = body.substr(2, kServerVersionSize);
  size_t nul = raw.find('\0');
  return nul == std::string_view::npos ? raw : raw.substr(0, nul);
}

Status ReadU48(ByteReader& r, uint64_t* out) { return r.ReadLE(6, out); }

Status ReadU32Lenenc(ByteReader& r, uint32_t* out, const char* what) {
  uint64_t v = 0;
  VIMUR_RETURN_IF_ERROR(r.ReadLengthEncoded(&v));
  if (v > UINT32_MAX) {
    return Status::Corruption(std::string(what) + " value " + std::to_string(v) +
                              " does not fit 32 bits");
  }
  *out = static_cast<uint32_t>(v);
  return Status::Ok();
}

Status ReadLenencString(ByteReader& r, std::string* out) {
  std::string_view v;
  VIMUR_RETURN_IF_ERROR(r.ReadLengthEncodedBytes(&v));
  out->assign(v);
  return Status::Ok();
}

// Column bitmaps: bit i of the run is in byte i/8 at bit i%8 (least significant first).
Status ReadBitmapLsb(ByteReader& r, uint64_t bits, std::vector<bool>* out, const char* what) {
  uint64_t bytes = (bits + 7) / 8;
  if (bytes > r.remaining()) {
    return Status::Underflow(std::string(what) + " needs " + std::to_string(bytes) +
                             " bytes, only " + std::to_string(r.remaining()) + " left");
  }
  std::string_view raw;
  VIMUR_RETURN_IF_ERROR(r.ReadBytes(bytes, &raw));
  out->assign(bits, false);
  for (uint64_t i = 0; i < bits; ++i) {
    (*out)[i] = (static_cast<uint8_t>(raw[i / 8]) >> (i % 8) & 1) != 0;
  }
  return Status::Ok();
}

// Optional-metadata bitmaps (SIGNEDNESS, COLUMN_VISIBILITY) are most significant bit first.
bool BitMsb(std::string_view raw, size_t i) {
  return (static_cast<uint8_t>(raw[i / 8]) & (0x80u >> (i % 8))) != 0;
}

// The columns SIGNEDNESS has a bit for. MariaDB's YEAR is a TINYINT underneath (Field_year
// derives from Field_tiny) and has one; MySQL's has none.
bool IsNumericType(uint8_t t, bool mariadb) {
  switch (t) {
    case kTypeYear: return mariadb;
    case kTypeTiny:
    case kTypeShort:
    case kTypeInt24:
    case kTypeLong:
    case kTypeLongLong:
    case kTypeNewDecimal:
    case kTypeFloat:
    case kTypeDouble: return true;
    default: return false;
  }
}

// Character columns as the servers count them for the charset fields: MariaDB counts GEOMETRY
// (a BLOB underneath), MySQL 9 counts VECTOR.
bool IsCharacterType(uint8_t t, bool mariadb) {
  switch (t) {
    case kTypeString:
    case kTypeVarString:
    case kTypeVarchar:
    case kTypeBlob:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob: return true;
    case kTypeGeometry: return mariadb;
    case kTypeVector: return !mariadb;
    default: return false;
  }
}

// Reads the metadata of one column following the convention in binlog_event.h.
Status ReadColumnMeta(ByteReader& r, uint8_t type, size_t column, uint16_t* meta) {
  uint8_t b0 = 0, b1 = 0;
  switch (type) {
    case kTypeFloat:
    case kTypeDouble:
    case kTypeBlob:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeGeometry:
    case kTypeJson:
    case kTypeTimestamp2:
    case kTypeDateTime2:
    case kTypeTime2:
    case kTypeVector:
      VIMUR_RETURN_IF_ERROR(r.ReadU8(&b0));
      *meta = b0;
      return Status::Ok();
    case kTypeVarchar:
    case kTypeVarString:
      VIMUR_RETURN_IF_ERROR(r.ReadU8(&b0));
      VIMUR_RETURN_IF_ERROR(r.ReadU8(&b1));
      *meta = static_cast<uint16_t>(b0 | b1 << 8);
      return Status::Ok();
    case kTypeBit:  // bits = length % 8, then bytes = length / 8
      VIMUR_RETURN_IF_ERROR(r.ReadU8(&b0));
      VIMUR_RETURN_IF_ERROR(r.ReadU8(&b1));
      *meta = static_cast<uint16_t>(b1 << 8 | b0);
      return Status::Ok();
    case kTypeNewDecimal:  // precision, scale
    case kTypeString:      // real type, length
    case kTypeEnum:
    case kTypeSet:
      VIMUR_RETURN_IF_ERROR(r.ReadU8(&b0));
      VIMUR_RETURN_IF_ERROR(r.ReadU8(&b1));
      *meta = static_cast<uint16_t>(b0 << 8 | b1);
      return Status::Ok();
    case kTypeDecimal:
    case kTypeTiny:
    case kTypeShort:
    case kTypeLong:
    case kTypeNull:
    case kTypeTimestamp:
    case kTypeLongLong:
    case kTypeInt24:
    case kTypeDate:
    case kTypeTime:
    case kTypeDateTime:
    case kTypeYear:
    case kTypeNewDate: *meta = 0; return Status::Ok();
    default:
      return Status::Unsupported("column " + std::to_string(column) + " has unknown type code " +
                                 std::to_string(type));
  }
}

// Charsets in DEFAULT_CHARSET form: a default collation, then (index among `columns`, collation)
// pairs for the columns that differ.
Status ApplyDefaultCharset(ByteReader& v, const std::vector<uint32_t>& columns,
                           std::vector<uint32_t>* charset) {
  uint32_t def = 0;
  VIMUR_RETURN_IF_ERROR(ReadU32Lenenc(v, &def, "default charset"));
  for (uint32_t c : columns) (*charset)[c] = def;
  while (!v.empty()) {
    uint64_t index = 0;
    uint32_t collation = 0;
    VIMUR_RETURN_IF_ERROR(v.ReadLengthEncoded(&index));
    VIMUR_RETURN_IF_ERROR(ReadU32Lenenc(v, &collation, "column charset"));
    if (index >= columns.size()) {
      return Status::Corruption("charset pair names character column " + std::to_string(index) +
                                " of " + std::to_string(columns.size()));
    }
    (*charset)[columns[index]] = collation;
  }
  return Status::Ok();
}

// Charsets in COLUMN_CHARSET form: one collation per column of `columns`.
Status ApplyColumnCharset(ByteReader& v, const std::vector<uint32_t>& columns,
                          std::vector<uint32_t>* charset) {
  size_t i = 0;
  while (!v.empty()) {
    uint32_t collation = 0;
    VIMUR_RETURN_IF_ERROR(ReadU32Lenenc(v, &collation, "column charset"));
    if (i >= columns.size()) {
      return Status::Corruption("more column charsets than the " + std::to_string(columns.size()) +
                                " columns that take one");
    }
    (*charset)[columns[i++]] = collation;
  }
  if (i != columns.size()) {
    return Status::Corruption(std::to_string(i) + " column charsets for " +
                              std::to_string(columns.size()) + " columns that take one");
  }
  return Status::Ok();
}

// SET_STR_VALUE / ENUM_STR_VALUE: for each such column, a count and that many strings.
Status ApplyStrValues(ByteReader& v, const std::vector<uint32_t>& columns, size_t column_count,
                      std::vector<std::vector<std::string>>* out) {
  out->assign(column_count, {});
  size_t i = 0;
  while (!v.empty()) {
    uint64_t count = 0;
    VIMUR_RETURN_IF_ERROR(v.ReadLengthEncoded(&count));
    if (i >= columns.size()) {
      return Status::Corruption("value lists for more than the " + std::to_string(columns.size()) +
                                " columns of that type");
    }
    if (count > v.remaining()) {
      return Status::Underflow("value list of " + std::to_string(count) + " strings in " +
                               std::to_string(v.remaining()) + " bytes");
    }
    auto& values = (*out)[columns[i++]];
    values.resize(count);
    for (auto& s : values) VIMUR_RETURN_IF_ERROR(ReadLenencString(v, &s));
  }
  if (i != columns.size()) {
    return Status::Corruption(std::to_string(i) + " value lists for " +
                              std::to_string(columns.size()) + " columns of that type");
  }
  return Status::Ok();
}

Status ReadColumnIndex(ByteReader& v, size_t column_count, uint32_t* out) {
  VIMUR_RETURN_IF_ERROR(ReadU32Lenenc(v, out, "primary key column"));
  if (*out >= column_count) {
    return Status::Corruption("primary key names column " + std::to_string(*out) + " of " +
                              std::to_string(column_count));
  }
  return Status::Ok();
}

struct ColumnClasses {
  std::vector<uint32_t> numeric, character, enum_or_set, set, enumeration, geometry;
};

Status ParseOptionalMetadata(ByteReader& r, bool mariadb, TableMapEvent* tm) {
  const size_t n = tm->column_types.size();
  ColumnClasses cls;
  for (size_t i = 0; i < n; ++i) {
    uint8_t t = tm->column_types[i];
    uint8_t byte0 = static_cast<uint8_t>(tm->column_meta[i] >> 8);
    if (t == kTypeString && (byte0 == kTypeEnum || byte0 == kTypeSet)) t = byte0;
    auto idx = static_cast<uint32_t>(i);
    if (IsNumericType(t, mariadb)) cls.numeric.push_back(idx);
    if (IsCharacterType(t, mariadb)) cls.character.push_back(idx);
    if (t == kTypeEnum || t == kTypeSet) cls.enum_or_set.push_back(idx);
    if (t == kTypeEnum) cls.enumeration.push_back(idx);
    if (t == kTypeSet) cls.set.push_back(idx);
    if (t == kTypeGeometry) cls.geometry.push_back(idx);
  }
  auto charsets = [&]() -> std::vector<uint32_t>& {
    if (tm->column_charset.empty()) tm->column_charset.assign(n, 0);
    return tm->column_charset;
  };

  while (!r.empty()) {
    uint8_t field_type = 0;
    uint64_t length = 0;
    std::string_view value;
    VIMUR_RETURN_IF_ERROR(r.ReadU8(&field_type));
    VIMUR_RETURN_IF_ERROR(r.ReadLengthEncoded(&length));
    if (length > r.remaining()) {
      return Status::Underflow("optional metadata field " + std::to_string(field_type) +
                               " declares " + std::to_string(length) + " bytes, only " +
                               std::to_string(r.remaining()) + " left");
    }
    VIMUR_RETURN_IF_ERROR(r.ReadBytes(length, &value));
    ByteReader v(value);
    Status s;
    switch (field_type) {
      case kSignedness:
        if (value.size() * 8 < cls.numeric.size()) {
          s = Status::Underflow("SIGNEDNESS has " + std::to_string(value.size() * 8) +
                                " bits for " + std::to_string(cls.numeric.size()) +
                                " numeric columns");
          break;
        }
        tm->is_unsigned.assign(n, false);
        for (size_t i = 0; i < cls.numeric.size(); ++i) {
          tm->is_unsigned[cls.numeric[i]] = BitMsb(value, i);
        }
        break;
      case kDefaultCharset: s = ApplyDefaultCharset(v, cls.character, &charsets()); break;
      case kColumnCharset: s = ApplyColumnCharset(v, cls.character, &charsets()); break;
      case kEnumAndSetDefaultCharset:
        s = ApplyDefaultCharset(v, cls.enum_or_set, &charsets());
        break;
      case kEnumAndSetColumnCharset: s = ApplyColumnCharset(v, cls.enum_or_set, &charsets()); break;
      case kColumnName:
        tm->column_names.clear();
        while (s.ok() && !v.empty()) {
          if (tm->column_names.size() == n) {
            s = Status::Corruption("more column names than the " + std::to_string(n) + " columns");
            break;
          }
          tm->column_names.emplace_back();
          s = ReadLenencString(v, &tm->column_names.back());
        }
        if (s.ok() && tm->column_names.size() != n) {
          s = Status::Corruption(std::to_string(tm->column_names.size()) + " column names for " +
                                 std::to_string(n) + " columns");
        }
        break;
      case kSetStrValue: s = ApplyStrValues(v, cls.set, n, &tm->set_values); break;
      case kEnumStrValue: s = ApplyStrValues(v, cls.enumeration, n, &tm->enum_values); break;
      case kGeometryType: {
        tm->geometry_types.assign(n, 0);
        size_t i = 0;
        while (s.ok() && !v.empty()) {
          uint32_t g = 0;
          s = ReadU32Lenenc(v, &g, "geometry type");
          if (!s.ok()) break;
          if (i >= cls.geometry.size()) {
            s = Status::Corruption("more geometry types than the " +
                                   std::to_string(cls.geometry.size()) + " geometry columns");
            break;
          }
          tm->geometry_types[cls.geometry[i++]] = g;
        }
        break;
      }
      case kSimplePrimaryKey:
        tm->primary_key.clear();
        tm->primary_key_prefix.clear();
        while (s.ok() && !v.empty()) {
          uint32_t c = 0;
          s = ReadColumnIndex(v, n, &c);
          if (!s.ok()) break;
          tm->primary_key.push_back(c);
          tm->primary_key_prefix.push_back(0);
        }
        break;
      case kPrimaryKeyWithPrefix:
        tm->primary_key.clear();
        tm->primary_key_prefix.clear();
        while (s.ok() && !v.empty()) {
          uint32_t c = 0, prefix = 0;
          s = ReadColumnIndex(v, n, &c);
          if (s.ok()) s = ReadU32Lenenc(v, &prefix, "primary key prefix");
          if (!s.ok()) break;
          tm->primary_key.push_back(c);
          tm->primary_key_prefix.push_back(prefix);
        }
        break;
      case kColumnVisibility:
        if (value.size() * 8 < n) {
          s = Status::Underflow("COLUMN_VISIBILITY has " + std::to_string(value.size() * 8) +
                                " bits for " + std::to_string(n) + " columns");
          break;
        }
        tm->visibility.assign(n, true);
        for (size_t i = 0; i < n; ++i) tm->visibility[i] = BitMsb(value, i);
        break;
      default: break;  // newer fields (e.g. VECTOR_DIMENSIONALITY) are skipped by their length
    }
    if (!s.ok()) {
      return s.WithContext("optional metadata field " + std::to_string(field_type));
    }
  }
  return Status::Ok();
}

RowsKind RowsKindOf(uint8_t type) {
  switch (static_cast<EventType>(type)) {
    case EventType::kUpdateRowsV1:
    case EventType::kUpdateRowsV2:
    case EventType::kMariaUpdateRowsCompressedV1:
    case EventType::kMariaUpdateRowsCompressed: return RowsKind::kUpdate;
    case EventType::kDeleteRowsV1:
    case EventType::kDeleteRowsV2:
    case EventType::kMariaDeleteRowsCompressedV1:
    case EventType::kMariaDeleteRowsCompressed: return RowsKind::kDelete;
    case EventType::kPartialUpdateRows: return RowsKind::kPartialUpdate;
    default: return RowsKind::kWrite;
  }
}

bool IsCompressedRows(uint8_t type) {
  return type >= static_cast<uint8_t>(EventType::kMariaWriteRowsCompressedV1) &&
         type <= static_cast<uint8_t>(EventType::kMariaDeleteRowsCompressed);
}

struct ZstdDctxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

Status ZstdDecompress(std::string_view in, uint64_t expected, size_t max, std::string* out) {
  std::unique_ptr<ZSTD_DCtx, ZstdDctxDeleter> ctx(ZSTD_createDCtx());
  if (!ctx) return Status::Internal("cannot allocate a zstd decompression context");
  size_t capacity = expected != 0 ? static_cast<size_t>(std::min<uint64_t>(expected, max))
                                  : std::min<size_t>(max, std::max<size_t>(in.size() * 4, 4096));
  out->resize(capacity);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t produced = 0;
  size_t last = 1;
  while (true) {
    if (produced == out->size()) {
      if (out->size() >= max) {
        // Output is full: more data means the limit is exceeded; none means we are done.
        char probe = 0;
        ZSTD_outBuffer o{&probe, 1, 0};
        last = ZSTD_decompressStream(ctx.get(), &o, &input);
        if (ZSTD_isError(last)) {
          return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(last));
        }
        if (o.pos != 0) {
          return Status::Unsupported("decompressed transaction payload exceeds the limit of " +
                                     std::to_string(max) + " bytes");
        }
        if (input.pos == input.size) break;
        continue;
      }
      out->resize(std::min<size_t>(max, std::max<size_t>(out->size() * 2, 4096)));
    }
    ZSTD_outBuffer o{out->data() + produced, out->size() - produced, 0};
    const size_t consumed_before = input.pos;
    last = ZSTD_decompressStream(ctx.get(), &o, &input);
    if (ZSTD_isError(last)) {
      return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(last));
    }
    if (!ZSTD_isError(last) && o.pos == 0 && input.pos == consumed_before && last != 0 &&
        input.pos < input.size) {
      return Status::Corruption("zstd decompression made no progress");
    }
    produced += o.pos;
    // Done when all input is used and the frame is complete or the output was not filled.
    if (input.pos == input.size && (last == 0 || o.pos < o.size)) break;
  }
  if (last != 0) return Status::Underflow("zstd frame is truncated");
  out->resize(produced);
  return Status::Ok();
}

}  // namespace

bool BinlogEventParser::IsRowsEvent(uint8_t type) {
  switch (static_cast<EventType>(type)) {
    case EventType::kWriteRowsV1:
    case EventType::kUpdateRowsV1:
    case EventType::kDeleteRowsV1:
    case EventType::kWriteRowsV2:
    case EventType::kUpdateRowsV2:
    case EventType::kDeleteRowsV2:
    case EventType::kPartialUpdateRows:
    case EventType::kMariaWriteRowsCompressedV1:
    case EventType::kMariaUpdateRowsCompressedV1:
    case EventType::kMariaDeleteRowsCompressedV1:
    case EventType::kMariaWriteRowsCompressed:
    case EventType::kMariaUpdateRowsCompressed:
    case EventType::kMariaDeleteRowsCompressed: return true;
    default: return false;
  }
}

uint8_t BinlogEventParser::PostHeaderLength(uint8_t type) const {
  if (has_fde_ && type >= 1 && static_cast<size_t>(type - 1) < post_header_lengths_.size()) {
    return post_header_lengths_[type - 1];
  }
  switch (static_cast<EventType>(type)) {
    case EventType::kQuery:
    case EventType::kMariaQueryCompressed: return 13;
    case EventType::kRotate:
    case EventType::kTableMap:
    case EventType::kWriteRowsV1:
    case EventType::kUpdateRowsV1:
    case EventType::kDeleteRowsV1:
    case EventType::kMariaWriteRowsCompressedV1:
    case EventType::kMariaUpdateRowsCompressedV1:
    case EventType::kMariaDeleteRowsCompressedV1: return 8;
    case EventType::kWriteRowsV2:
    case EventType::kUpdateRowsV2:
    case EventType::kDeleteRowsV2:
    case EventType::kPartialUpdateRows:
    case EventType::kMariaWriteRowsCompressed:
    case EventType::kMariaUpdateRowsCompressed:
    case EventType::kMariaDeleteRowsCompressed: return 10;
    case EventType::kGtid:
    case EventType::kAnonymousGtid: return 42;
    default: return 0;
  }
}

Result<FramedEvent> BinlogEventParser::FrameWithoutChecksum(std::string_view event_bytes) {
  FramedEvent ev;
  VIMUR_RETURN_IF_ERROR(ParseHeader(event_bytes, &ev.header));
  ev.body = event_bytes.substr(kEventHeaderSize);
  return ev;
}

Result<FramedEvent> BinlogEventParser::Frame(std::string_view event_bytes) const {
  FramedEvent ev;
  VIMUR_RETURN_IF_ERROR(ParseHeader(event_bytes, &ev.header));
  std::string_view body = event_bytes.substr(kEventHeaderSize);
  const EventType type = ev.type();

  if (type == EventType::kFormatDescription) {
    if (body.size() < kFdeFixedSize) {
      return Status::Underflow("FORMAT_DESCRIPTION_EVENT body of " + std::to_string(body.size()) +
                               " bytes is shorter than its fixed part");
    }
    if (IsChecksumAware(FdeServerVersion(body))) {
      if (body.size() < kFdeFixedSize + 1 + kChecksumSize) {
        return Status::Underflow(
            "FORMAT_DESCRIPTION_EVENT lacks its checksum algorithm and checksum");
      }
      auto alg = static_cast<uint8_t>(body[body.size() - kChecksumSize - 1]);
      if (alg == static_cast<uint8_t>(ChecksumAlgorithm::kCrc32)) {
        VIMUR_RETURN_IF_ERROR(VerifyCrc(event_bytes, ev.header));
      } else if (alg != static_cast<uint8_t>(ChecksumAlgorithm::kOff)) {
        return Status::Corruption("FORMAT_DESCRIPTION_EVENT names unknown checksum algorithm " +
                                  std::to_string(alg));
      }
      body.remove_suffix(kChecksumSize);
    }
    ev.body = body;
    return ev;
  }

  bool has_crc = checksum_ == ChecksumAlgorithm::kCrc32;
  if (checksum_ == ChecksumAlgorithm::kUndefined && type == EventType::kRotate) {
    // The fake rotate that starts a dump carries a checksum when the replica announced it
    // understands them; recognise it by the checksum itself.
    has_crc = body.size() >= 8 + kChecksumSize && VerifyCrc(event_bytes, ev.header).ok();
  }
  if (has_crc) {
    VIMUR_RETURN_IF_ERROR(VerifyCrc(event_bytes, ev.header));
    body.remove_suffix(kChecksumSize);
  }
  ev.body = body;
  return ev;
}

Result<FormatDescriptionEvent> BinlogEventParser::ParseFormatDescription(
    const FramedEvent& event) const {
  constexpr const char* kWhat = "FORMAT_DESCRIPTION_EVENT";
  if (event.type() != EventType::kFormatDescription) {
    return Status::InvalidArgument(std::string(kWhat) + " parser given " +
                                   EventTypeName(event.header.type));
  }
  ByteReader r(event.body);
  FormatDescriptionEvent fde;
  std::string_view version;
  VIMUR_PARSE(r.ReadU16(&fde.binlog_version));
  VIMUR_PARSE(r.ReadBytes(kServerVersionSize, &version));
  VIMUR_PARSE(r.ReadU32(&fde.create_timestamp));
  VIMUR_PARSE(r.ReadU8(&fde.header_length));
  size_t nul = version.find('\0');
  fde.server_version.assign(nul == std::string_view::npos ? version : version.substr(0, nul));
  if (fde.binlog_version != 4) {
    return Status::Unsupported(std::string(kWhat) + ": binlog version " +
                               std::to_string(fde.binlog_version) + " (only 4 is supported)");
  }
  if (fde.header_length != kEventHeaderSize) {
    return Status::Unsupported(std::string(kWhat) + ": common header length " +
                               std::to_string(fde.header_length) + " (only 19 is supported)");
  }
  std::string_view rest = r.rest();
  if (IsChecksumAware(fde.server_version)) {
    if (rest.empty()) return Status::Underflow(std::string(kWhat) + ": no checksum algorithm");
    auto alg = static_cast<uint8_t>(rest.back());
    if (alg != 0 && alg != 1) {
      return Status::Corruption(std::string(kWhat) + ": unknown checksum algorithm " +
                                std::to_string(alg));
    }
    fde.checksum = static_cast<ChecksumAlgorithm>(alg);
    rest.remove_suffix(1);
  } else {
    fde.checksum = ChecksumAlgorithm::kOff;
  }
  fde.post_header_lengths.assign(rest.begin(), rest.end());
  return fde;
}

void BinlogEventParser::Apply(const FormatDescriptionEvent& fde) {
  checksum_ = fde.checksum;
  post_header_lengths_ = fde.post_header_lengths;
  server_version_ = fde.server_version;
  is_mariadb_ = fde.is_mariadb();
  has_fde_ = true;
}

Result<RotateEvent> BinlogEventParser::ParseRotate(const FramedEvent& event) const {
  constexpr const char* kWhat = "ROTATE_EVENT";
  ByteReader r(event.body);
  RotateEvent ev;
  VIMUR_PARSE(r.ReadU64(&ev.position));
  ev.next_file.assign(r.rest());
  if (ev.next_file.empty()) return Status::Corruption("ROTATE_EVENT without a file name");
  return ev;
}

Status BinlogEventParser::Inflate(std::string_view compressed, std::string* out,
                                  const char* what) const {
  // MariaDB's layout: one byte 0x80 | algorithm << 4 | width, the uncompressed length in `width`
  // big-endian bytes, then a zlib stream.
  ByteReader r(compressed);
  uint8_t head = 0;
  VIMUR_RETURN_IF_ERROR(r.ReadU8(&head));
  if ((head & 0x80) == 0) {
    return Status::Corruption(std::string(what) + ": compressed data header " +
                              std::to_string(head) + " lacks the 0x80 marker");
  }
  if ((head & 0x70) != 0) {
    return Status::Unsupported(std::string(what) + ": compression algorithm " +
                               std::to_string((head & 0x70) >> 4) + " (only zlib is known)");
  }
  size_t width = head & 0x07;
  if (width < 1 || width > 4) {
    return Status::Corruption(std::string(what) + ": compressed length width " +
                              std::to_string(width));
  }
  uint64_t length = 0;
  VIMUR_RETURN_IF_ERROR(r.ReadBE(width, &length));
  std::string_view data = r.rest();
  if (length == 0) return Status::Corruption(std::string(what) + ": zero uncompressed length");
  if (length > max_decompressed_size_) {
    return Status::Unsupported(std::string(what) + ": inflates to " + std::to_string(length) +
                               " bytes, over the limit of " +
                               std::to_string(max_decompressed_size_));
  }
  if (length > data.size() * kMaxZlibRatio + 64) {
    return Status::Corruption(std::string(what) + ": claims " + std::to_string(length) +
                              " bytes from " + std::to_string(data.size()) + " compressed bytes");
  }
  out->resize(length);
  uLongf produced = static_cast<uLongf>(length);
  int rc = uncompress(reinterpret_cast<Bytef*>(out->data()), &produced,
                      reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()));
  if (rc != Z_OK) {
    return Status::Corruption(std::string(what) + ": zlib error " + std::to_string(rc));
  }
  if (produced != length) {
    return Status::Corruption(std::string(what) + ": inflated " + std::to_string(produced) +
                              " bytes, header said " + std::to_string(length));
  }
  return Status::Ok();
}

Result<QueryEvent> BinlogEventParser::ParseQuery(const FramedEvent& event) const {
  const bool compressed = event.type() == EventType::kMariaQueryCompressed;
  const char* kWhat = compressed ? "QUERY_COMPRESSED_EVENT" : "QUERY_EVENT";
  ByteReader r(event.body);
  QueryEvent ev;
  uint8_t db_len = 0;
  uint16_t status_len = 0;
  uint8_t post = PostHeaderLength(event.header.type);
  if (post < 13) {
    return Status::Corruption(std::string(kWhat) + ": post-header length " + std::to_string(post) +
                              " is under 13");
  }
  VIMUR_PARSE(r.ReadU32(&ev.thread_id));
  VIMUR_PARSE(r.ReadU32(&ev.exec_time));
  VIMUR_PARSE(r.ReadU8(&db_len));
  VIMUR_PARSE(r.ReadU16(&ev.error_code));
  VIMUR_PARSE(r.ReadU16(&status_len));
  VIMUR_PARSE(r.Skip(post - 13));
  VIMUR_PARSE(r.Skip(status_len));
  std::string_view db;
  uint8_t nul = 0;
  VIMUR_PARSE(r.ReadBytes(db_len, &db));
  VIMUR_PARSE(r.ReadU8(&nul));
  if (nul != 0) return Status::Corruption(std::string(kWhat) + ": database name not terminated");
  ev.database.assign(db);
  if (compressed) {
    VIMUR_PARSE(Inflate(r.rest(), &ev.query, kWhat));
  } else {
    ev.query.assign(r.rest());
  }
  return ev;
}

Result<XidEvent> BinlogEventParser::ParseXid(const FramedEvent& event) const {
  constexpr const char* kWhat = "XID_EVENT";
  ByteReader r(event.body);
  XidEvent ev;
  VIMUR_PARSE(r.ReadU64(&ev.xid));
  return ev;
}

// XA_PREPARE_LOG_EVENT: one_phase(1) format_id(4) gtrid_length(4) bqual_length(4) then the
// gtrid and bqual bytes (MySQL libbinlogevents XA_prepare_event; MariaDB Xa_prepare_log_event).
Result<XaPrepareEvent> BinlogEventParser::ParseXaPrepare(const FramedEvent& event) const {
  constexpr const char* kWhat = "XA_PREPARE_LOG_EVENT";
  ByteReader r(event.body);
  XaPrepareEvent ev;
  uint8_t one_phase = 0;
  uint32_t format_id = 0;
  uint32_t gtrid_length = 0;
  uint32_t bqual_length = 0;
  VIMUR_PARSE(r.ReadU8(&one_phase));
  VIMUR_PARSE(r.ReadU32(&format_id));
  VIMUR_PARSE(r.ReadU32(&gtrid_length));
  VIMUR_PARSE(r.ReadU32(&bqual_length));
  if (gtrid_length > 64 || bqual_length > 64) {
    return Status::Corruption(std::string(kWhat) + ": gtrid length " +
                              std::to_string(gtrid_length) + " or bqual length " +
                              std::to_string(bqual_length) + " over the XA maximum of 64");
  }
  std::string_view gtrid;
  std::string_view bqual;
  VIMUR_PARSE(r.ReadBytes(gtrid_length, &gtrid));
  VIMUR_PARSE(r.ReadBytes(bqual_length, &bqual));
  ev.one_phase = one_phase != 0;
  ev.format_id = static_cast<int32_t>(format_id);
  ev.gtrid.assign(gtrid);
  ev.bqual.assign(bqual);
  return ev;
}

// Gtid_event::define_fields of MySQL 8.4 (libs/mysql/binlog/event/control_events.h): a
// message of varints: format version, size of the whole message, last non-ignorable field id,
// then (field id, value) pairs up to that size. Fields: 0 flags, 1 uuid (16 varints, one per
// byte), 2 gno (signed), 3 tag (length, characters), 4 last_committed and 5 sequence_number
// (signed), 6 immediate and 7 original commit timestamp, 8 transaction length, 9 immediate and
// 10 original server version, 11 commit group ticket. Fields with defaults may be absent.
Result<MySqlGtidEvent> BinlogEventParser::ParseMySqlGtidTagged(const FramedEvent& event) const {
  constexpr const char* kWhat = "GTID_TAGGED_LOG_EVENT";
  ByteReader r(event.body);
  MySqlGtidEvent ev;
  uint64_t version = 0;
  uint64_t size = 0;
  uint64_t last_non_ignorable = 0;
  VIMUR_PARSE(ReadVarUInt(r, &version));
  VIMUR_PARSE(ReadVarUInt(r, &size));
  VIMUR_PARSE(ReadVarUInt(r, &last_non_ignorable));
  if (size > event.body.size()) {
    return Status::Underflow(std::string(kWhat) + ": message of " + std::to_string(size) +
                             " bytes in a body of " + std::to_string(event.body.size()));
  }
  ByteReader fields(event.body.substr(0, size));
  VIMUR_PARSE(fields.Skip(event.body.size() - r.remaining()));
  bool has_uuid = false;
  bool has_gno = false;
  bool has_original_ts = false;
  bool has_original_version = false;
  while (!fields.empty()) {
    uint64_t id = 0;
    uint64_t u = 0;
    VIMUR_PARSE(ReadVarUInt(fields, &id));
    switch (id) {
      case 0:
        VIMUR_PARSE(ReadVarUInt(fields, &u));
        ev.flags = static_cast<uint8_t>(u);
        break;
      case 1:
        for (uint8_t& b : ev.sid) {
          VIMUR_PARSE(ReadVarUInt(fields, &u));
          if (u > 255) return Status::Corruption(std::string(kWhat) + ": UUID byte over 255");
          b = static_cast<uint8_t>(u);
        }
        has_uuid = true;
        break;
      case 2:
        VIMUR_PARSE(ReadVarInt(fields, &ev.gno));
        has_gno = true;
        break;
      case 3: {
        std::string_view tag;
        VIMUR_PARSE(ReadVarUInt(fields, &u));
        if (u > 32) {
          return Status::Corruption(std::string(kWhat) + ": tag of " + std::to_string(u) +
                                    " characters (at most 32)");
        }
        VIMUR_PARSE(fields.ReadBytes(u, &tag));
        ev.tag.clear();
        for (char c : tag)
          ev.tag.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        break;
      }
      case 4: VIMUR_PARSE(ReadVarInt(fields, &ev.last_committed)); break;
      case 5: VIMUR_PARSE(ReadVarInt(fields, &ev.sequence_number)); break;
      case 6: VIMUR_PARSE(ReadVarUInt(fields, &ev.immediate_commit_timestamp)); break;
      case 7:
        VIMUR_PARSE(ReadVarUInt(fields, &ev.original_commit_timestamp));
        has_original_ts = true;
        break;
      case 8: VIMUR_PARSE(ReadVarUInt(fields, &ev.transaction_length)); break;
      case 9:
        VIMUR_PARSE(ReadVarUInt(fields, &u));
        ev.immediate_server_version = static_cast<uint32_t>(u);
        break;
      case 10:
        VIMUR_PARSE(ReadVarUInt(fields, &u));
        ev.original_server_version = static_cast<uint32_t>(u);
        has_original_version = true;
        break;
      case 11: VIMUR_PARSE(ReadVarUInt(fields, &u)); break;  // commit group ticket
      default:
        // A field of a later version: its type is unknown, so nothing after it can be read.
        if (id <= last_non_ignorable) {
          return Status::Unsupported(std::string(kWhat) + ": field " + std::to_string(id) +
                                     " of a newer server is required to read the event");
        }
        fields = ByteReader();
        break;
    }
  }
  if (!has_uuid || !has_gno) {
    return Status::Corruption(std::string(kWhat) + ": no " + (has_uuid ? "gno" : "UUID"));
  }
  if (!has_original_ts) ev.original_commit_timestamp = ev.immediate_commit_timestamp;
  if (!has_original_version) ev.original_server_version = ev.immediate_server_version;
  return ev;
}

Result<MySqlGtidEvent> BinlogEventParser::ParseMySqlGtid(const FramedEvent& event) const {
  constexpr const char* kWhat = "GTID_LOG_EVENT";
  ByteReader r(event.body);
  MySqlGtidEvent ev;
  ev.anonymous = event.type() == EventType::kAnonymousGtid;
  std::string_view sid;
  uint64_t gno = 0;
  VIMUR_PARSE(r.ReadU8(&ev.flags));
  VIMUR_PARSE(r.ReadBytes(16, &sid));
  VIMUR_PARSE(r.ReadU64(&gno));
  std::copy(sid.begin(), sid.end(), ev.sid);
  ev.gno = static_cast<int64_t>(gno);
  if (r.empty()) return ev;  // before 5.7: no logical clock
  uint8_t clock_type = 0;
  VIMUR_PARSE(r.ReadU8(&clock_type));
  if (clock_type == 2) {  // LOGICAL_TIMESTAMP_TYPECODE
    uint64_t v = 0;
    VIMUR_PARSE(r.ReadU64(&v));
    ev.last_committed = static_cast<int64_t>(v);
    VIMUR_PARSE(r.ReadU64(&v));
    ev.sequence_number = static_cast<int64_t>(v);
  }
  if (r.empty()) return ev;
  // 8.0.1+: 7-byte commit timestamps; bit 55 of the first says the original one follows.
  constexpr uint64_t kFollows = uint64_t{1} << 55;
  VIMUR_PARSE(r.ReadLE(7, &ev.immediate_commit_timestamp));
  ev.original_commit_timestamp = ev.immediate_commit_timestamp;
  if (ev.immediate_commit_timestamp & kFollows) {
    ev.immediate_commit_timestamp &= ~kFollows;
    VIMUR_PARSE(r.ReadLE(7, &ev.original_commit_timestamp));
  }
  if (r.empty()) return ev;
  VIMUR_PARSE(r.ReadLengthEncoded(&ev.transaction_length));
  if (r.empty()) return ev;
  // 8.0.14+: server versions; the top bit of the first says the original one follows.
  VIMUR_PARSE(r.ReadU32(&ev.immediate_server_version));
  ev.original_server_version = ev.immediate_server_version;
  if (ev.immediate_server_version & 0x80000000u) {
    ev.immediate_server_version &= 0x7fffffffu;
    VIMUR_PARSE(r.ReadU32(&ev.original_server_version));
  }
  return ev;  // later fields (commit group ticket) are not needed
}

Result<MySqlGtidSet> BinlogEventParser::ParsePreviousGtids(const FramedEvent& event) const {
  auto set = MySqlGtidSet::DecodeBinary(event.body);
  if (!set.ok()) return set.status().WithContext("PREVIOUS_GTIDS_LOG_EVENT");
  return set;
}

Result<MariaGtidEvent> BinlogEventParser::ParseMariaGtid(const FramedEvent& event) const {
  constexpr const char* kWhat = "MariaDB GTID_EVENT";
  ByteReader r(event.body);
  MariaGtidEvent ev;
  ev.server_id = event.header.server_id;
  VIMUR_PARSE(r.ReadU64(&ev.sequence));
  VIMUR_PARSE(r.ReadU32(&ev.domain_id));
  VIMUR_PARSE(r.ReadU8(&ev.flags));
  if (ev.flags & 2) VIMUR_PARSE(r.ReadU64(&ev.commit_id));  // FL_GROUP_COMMIT_ID
  if (ev.flags & (64 | 128)) {  // FL_PREPARED_XA | FL_COMPLETED_XA: the XID follows
    XaPrepareEvent xid;
    uint32_t format_id = 0;
    uint8_t gtrid_length = 0;
    uint8_t bqual_length = 0;
    std::string_view gtrid;
    std::string_view bqual;
    VIMUR_PARSE(r.ReadU32(&format_id));
    VIMUR_PARSE(r.ReadU8(&gtrid_length));
    VIMUR_PARSE(r.ReadU8(&bqual_length));
    VIMUR_PARSE(r.ReadBytes(gtrid_length, &gtrid));
    VIMUR_PARSE(r.ReadBytes(bqual_length, &bqual));
    xid.format_id = static_cast<int32_t>(format_id);
    xid.gtrid.assign(gtrid);
    xid.bqual.assign(bqual);
    ev.xid = xid.ToSql();
  }
  return ev;
}

Result<MariaGtidListEvent> BinlogEventParser::ParseMariaGtidList(const FramedEvent& event) const {
  constexpr const char* kWhat = "GTID_LIST_EVENT";
  ByteReader r(event.body);
  MariaGtidListEvent ev;
  uint32_t count_and_flags = 0;
  VIMUR_PARSE(r.ReadU32(&count_and_flags));
  uint32_t count = count_and_flags & 0x0fffffffu;  // the top 4 bits are flags
  if (uint64_t{count} * 16 > r.remaining()) {
    return Status::Underflow(std::string(kWhat) + ": " + std::to_string(count) + " GTIDs need " +
                             std::to_string(uint64_t{count} * 16) + " bytes, only " +
                             std::to_string(r.remaining()) + " present");
  }
  ev.gtids.resize(count);
  for (auto& g : ev.gtids) {
    VIMUR_PARSE(r.ReadU32(&g.domain_id));
    VIMUR_PARSE(r.ReadU32(&g.server_id));
    VIMUR_PARSE(r.ReadU64(&g.sequence));
  }
  return ev;
}

Result<AnnotateRowsEvent> BinlogEventParser::ParseAnnotateRows(const FramedEvent& event) const {
  AnnotateRowsEvent ev;
  ev.query.assign(event.body);
  return ev;
}

Result<AnnotateRowsEvent> BinlogEventParser::ParseRowsQuery(const FramedEvent& event) const {
  constexpr const char* kWhat = "ROWS_QUERY_LOG_EVENT";
  ByteReader r(event.body);
  uint8_t ignored_length = 0;  // one byte, truncated at 255: the rest of the body is the query
  VIMUR_PARSE(r.ReadU8(&ignored_length));
  AnnotateRowsEvent ev;
  ev.query.assign(r.rest());
  return ev;
}

namespace {

// MySQL's type-length-value field lists (HEARTBEAT_LOG_EVENT_V2, TRANSACTION_PAYLOAD_EVENT):
// packed-integer type and length, then the value; type 0 ends the list. Calls `on_field` for
// each field and leaves `r` just after the end mark.
template <typename OnField>
Status ReadTlvFields(ByteReader& r, const char* kWhat, OnField on_field) {
  while (!r.empty()) {
    uint64_t field = 0, length = 0;
    VIMUR_PARSE(r.ReadLengthEncoded(&field));
    if (field == 0) return Status::Ok();
    VIMUR_PARSE(r.ReadLengthEncoded(&length));
    if (length > r.remaining()) {
      return Status::Underflow(std::string(kWhat) + ": field " + std::to_string(field) +
                               " declares " + std::to_string(length) + " bytes");
    }
    std::string_view value;
    VIMUR_PARSE(r.ReadBytes(length, &value));
    VIMUR_RETURN_IF_ERROR(on_field(field, value));
  }
  return Status::Underflow(std::string(kWhat) + ": no end-of-fields mark");
}

}  // namespace

Result<HeartbeatEvent> BinlogEventParser::ParseHeartbeat(const FramedEvent& event) const {
  HeartbeatEvent ev;
  if (event.type() != EventType::kHeartbeatV2) {
    ev.log_file.assign(event.body);
    ev.position = event.header.next_pos;
    return ev;
  }
  constexpr const char* kWhat = "HEARTBEAT_LOG_EVENT_V2";
  ByteReader r(event.body);
  VIMUR_RETURN_IF_ERROR(
      ReadTlvFields(r, kWhat, [&](uint64_t field, std::string_view value) -> Status {
        if (field == 1) {
          ev.log_file.assign(value);
        } else if (field == 2) {
          ByteReader v(value);
          VIMUR_PARSE(v.ReadLengthEncoded(&ev.position));
        }
        return Status::Ok();
      }));
  return ev;
}

Result<TableMapEvent> BinlogEventParser::ParseTableMap(const FramedEvent& event) const {
  constexpr const char* kWhat = "TABLE_MAP_EVENT";
  ByteReader r(event.body);
  TableMapEvent tm;
  uint8_t post = PostHeaderLength(event.header.type);
  if (post == 6) {
    VIMUR_PARSE(r.ReadLE(4, &tm.table_id));
  } else if (post >= 8) {
    VIMUR_PARSE(ReadU48(r, &tm.table_id));
  } else {
    return Status::Corruption(std::string(kWhat) + ": post-header length " + std::to_string(post));
  }
  VIMUR_PARSE(r.ReadU16(&tm.flags));
  if (post > 8) VIMUR_PARSE(r.Skip(post - 8));

  std::string_view name;
  uint8_t len = 0, nul = 0;
  VIMUR_PARSE(r.ReadU8(&len));
  VIMUR_PARSE(r.ReadBytes(len, &name));
  VIMUR_PARSE(r.ReadU8(&nul));
  if (nul != 0) return Status::Corruption(std::string(kWhat) + ": database name not terminated");
  tm.database.assign(name);
  VIMUR_PARSE(r.ReadU8(&len));
  VIMUR_PARSE(r.ReadBytes(len, &name));
  VIMUR_PARSE(r.ReadU8(&nul));
  if (nul != 0) return Status::Corruption(std::string(kWhat) + ": table name not terminated");
  tm.table.assign(name);
  const std::string table_name = tm.database + "." + tm.table;
  auto where = [&]() { return std::string(kWhat) + " for " + table_name; };

  uint64_t n = 0;
  VIMUR_PARSE(r.ReadLengthEncoded(&n));
  if (n > r.remaining()) {
    return Status::Underflow(where() + ": " + std::to_string(n) + " column types, only " +
                             std::to_string(r.remaining()) + " bytes left");
  }
  std::string_view types;
  VIMUR_PARSE(r.ReadBytes(n, &types));
  tm.column_types.assign(types.begin(), types.end());

  uint64_t meta_len = 0;
  std::string_view meta;
  VIMUR_PARSE(r.ReadLengthEncoded(&meta_len));
  if (meta_len > r.remaining()) {
    return Status::Underflow(where() + ": metadata block of " + std::to_string(meta_len) +
                             " bytes, only " + std::to_string(r.remaining()) + " left");
  }
  VIMUR_PARSE(r.ReadBytes(meta_len, &meta));
  ByteReader m(meta);
  tm.column_meta.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Status s = ReadColumnMeta(m, tm.column_types[i], i, &tm.column_meta[i]);
    if (!s.ok()) return s.WithContext(where() + ": column metadata");
  }
  if (!m.empty()) {
    return Status::Corruption(where() + ": " + std::to_string(m.remaining()) +
                              " unused bytes in the column metadata block");
  }
  Status s = ReadBitmapLsb(r, n, &tm.nullable, "null bitmap");
  if (!s.ok()) return s.WithContext(where());
  s = ParseOptionalMetadata(r, is_mariadb_, &tm);
  if (!s.ok()) return s.WithContext(where());
  return tm;
}

Result<RowsEvent> BinlogEventParser::ParseRows(const FramedEvent& event,
                                               std::string* inflate_buffer) const {
  RowsEvent ev;
  VIMUR_RETURN_IF_ERROR(ParseRowsInto(event, inflate_buffer, &ev));
  return ev;
}

Status BinlogEventParser::ParseRowsInto(const FramedEvent& event, std::string* inflate_buffer,
                                        RowsEvent* out) const {
  const uint8_t type = event.header.type;
  const char* kWhat = EventTypeName(type);
  if (!IsRowsEvent(type)) {
    return Status::InvalidArgument(std::string("rows event parser given ") + kWhat);
  }
  RowsEvent& ev = *out;
  ev.table_id = 0;
  ev.flags = 0;
  ev.extra_data = {};
  ev.rows = {};
  ev.columns_present_before.clear();
  ev.columns_present_after.clear();
  ev.kind = RowsKindOf(type);
  ev.version = (type >= 23 && type <= 25) || (type >= 166 && type <= 168) ? 1 : 2;
  ByteReader r(event.body);
  uint8_t post = PostHeaderLength(type);
  if (post == 6) {
    VIMUR_PARSE(r.ReadLE(4, &ev.table_id));
  } else if (post >= 8) {
    VIMUR_PARSE(ReadU48(r, &ev.table_id));
  } else {
    return Status::Corruption(std::string(kWhat) + ": post-header length " + std::to_string(post));
  }
  VIMUR_PARSE(r.ReadU16(&ev.flags));
  if (post == 10) {
    uint16_t extra_len = 0;  // counts its own 2 bytes
    VIMUR_PARSE(r.ReadU16(&extra_len));
    if (extra_len < 2) {
      return Status::Corruption(std::string(kWhat) + ": extra data length " +
                                std::to_string(extra_len) + " is under 2");
    }
    VIMUR_PARSE(r.ReadBytes(extra_len - 2, &ev.extra_data));
  } else if (post > 8) {
    VIMUR_PARSE(r.Skip(post - 8));
  }
  uint64_t n = 0;
  VIMUR_PARSE(r.ReadLengthEncoded(&n));
  if (n > uint64_t{r.remaining()} * 8) {
    return Status::Underflow(std::string(kWhat) + ": " + std::to_string(n) + " columns, only " +
                             std::to_string(r.remaining()) + " bytes left");
  }
  if (n > UINT32_MAX)
    return Status::Corruption(std::string(kWhat) + ": column count " + std::to_string(n));
  ev.column_count = static_cast<uint32_t>(n);
  if (ev.kind != RowsKind::kWrite) {
    VIMUR_PARSE(ReadBitmapLsb(r, n, &ev.columns_present_before, "before-image bitmap"));
  }
  if (ev.kind != RowsKind::kDelete) {
    VIMUR_PARSE(ReadBitmapLsb(r, n, &ev.columns_present_after, "after-image bitmap"));
  }
  if (IsCompressedRows(type)) {
    if (inflate_buffer == nullptr) {
      return Status::InvalidArgument(std::string(kWhat) +
                                     " needs a buffer to inflate its rows into");
    }
    VIMUR_PARSE(Inflate(r.rest(), inflate_buffer, kWhat));
    ev.rows = *inflate_buffer;
  } else {
    ev.rows = r.rest();
  }
  return Status::Ok();
}

Result<TransactionPayloadEvent> BinlogEventParser::ParseTransactionPayloadHeader(
    const FramedEvent& event) const {
  constexpr const char* kWhat = "TRANSACTION_PAYLOAD_EVENT";
  ByteReader r(event.body);
  TransactionPayloadEvent ev;
  std::optional<uint64_t> payload_size;
  VIMUR_RETURN_IF_ERROR(
      ReadTlvFields(r, kWhat, [&](uint64_t field, std::string_view value) -> Status {
        ByteReader v(value);
        uint64_t number = 0;
        if (field >= 1 && field <= 3) VIMUR_PARSE(v.ReadLengthEncoded(&number));
        switch (field) {
          case 1: payload_size = number; break;
          case 2: ev.compression_type = number; break;
          case 3: ev.uncompressed_size = number; break;
          default: break;  // unknown fields are skipped
        }
        return Status::Ok();
      }));
  ev.compressed = r.rest();
  if (payload_size && *payload_size != ev.compressed.size()) {
    return Status::Corruption(std::string(kWhat) + ": payload size field says " +
                              std::to_string(*payload_size) + " bytes, event holds " +
                              std::to_string(ev.compressed.size()));
  }
  if (ev.compression_type != 0 && ev.compression_type != 255) {
    return Status::Unsupported(std::string(kWhat) + ": compression type " +
                               std::to_string(ev.compression_type));
  }
  return ev;
}

PayloadEventStream::PayloadEventStream(const TransactionPayloadEvent& header,
                                       size_t max_uncompressed_size)
    : compression_type_(header.compression_type),
      uncompressed_size_(header.uncompressed_size),
      max_uncompressed_size_(max_uncompressed_size),
      input_(header.compressed) {
  if (compression_type_ == 0) zstd_ = ZSTD_createDCtx();
}

PayloadEventStream::~PayloadEventStream() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(zstd_)); }

Status PayloadEventStream::Fill(size_t n) {
  while (buffer_.size() - begin_ < n && !done_) {
    if (begin_ > 0 && begin_ >= buffer_.size() / 2) {  // drop what was handed out
      buffer_.erase(0, begin_);
      begin_ = 0;
    }
    const size_t want = std::max(kChunkSize, n - (buffer_.size() - begin_));
    const size_t old_size = buffer_.size();
    buffer_.resize(old_size + want);
    size_t got = 0;
    if (compression_type_ == 255) {  // NONE
      got = std::min(want, input_.size() - input_pos_);
      std::copy_n(input_.data() + input_pos_, got, buffer_.data() + old_size);
      input_pos_ += got;
      done_ = input_pos_ == input_.size();
    } else {
      if (zstd_ == nullptr) return Status::Internal("cannot allocate a zstd decompression context");
      ZSTD_inBuffer in{input_.data(), input_.size(), input_pos_};
      ZSTD_outBuffer out{buffer_.data() + old_size, want, 0};
      const size_t ret = ZSTD_decompressStream(static_cast<ZSTD_DCtx*>(zstd_), &out, &in);
      if (ZSTD_isError(ret)) {
        buffer_.resize(old_size);
        return Status::Corruption(std::string("TRANSACTION_PAYLOAD_EVENT: zstd: ") +
                                  ZSTD_getErrorName(ret));
      }
      got = out.pos;
      const bool progress = got > 0 || in.pos != input_pos_;
      input_pos_ = in.pos;
      if (ret == 0 && input_pos_ == input_.size()) done_ = true;
      if (!progress) {
        if (input_pos_ == input_.size()) {
          done_ = true;  // the input ends inside a frame: what follows reports the truncation
        } else {
          buffer_.resize(old_size);
          return Status::Corruption(
              "TRANSACTION_PAYLOAD_EVENT: zstd decompression made no "
              "progress");
        }
      }
    }
    buffer_.resize(old_size + got);
    produced_ += got;
    if (produced_ > max_uncompressed_size_) {
      return Status::Unsupported(
          "TRANSACTION_PAYLOAD_EVENT: decompressed payload exceeds the "
          "limit of " +
          std::to_string(max_uncompressed_size_) + " bytes");
    }
  }
  return Status::Ok();
}

Result<std::optional<FramedEvent>> PayloadEventStream::Next() {
  VIMUR_RETURN_IF_ERROR(Fill(kEventHeaderSize));
  const size_t available = buffer_.size() - begin_;
  if (available == 0) {
    if (uncompressed_size_ != 0 && produced_ != uncompressed_size_) {
      return Status::Corruption("TRANSACTION_PAYLOAD_EVENT: decompressed to " +
                                std::to_string(produced_) + " bytes, header said " +
                                std::to_string(uncompressed_size_));
    }
    return std::optional<FramedEvent>();
  }
  if (available < kEventHeaderSize) {
    return Status::Underflow("transaction payload ends inside an event header (" +
                             std::to_string(available) + " bytes left)");
  }
  const uint32_t size = LoadLE32(buffer_.data() + begin_ + 9);
  if (size < kEventHeaderSize) {
    return Status::Corruption("event inside transaction payload declares size " +
                              std::to_string(size));
  }
  VIMUR_RETURN_IF_ERROR(Fill(size));
  if (buffer_.size() - begin_ < size) {
    return Status::Underflow("event inside transaction payload declares " + std::to_string(size) +
                             " bytes, only " + std::to_string(buffer_.size() - begin_) + " left");
  }
  VIMUR_ASSIGN_OR_RETURN(FramedEvent ev, BinlogEventParser::FrameWithoutChecksum(
                                             std::string_view(buffer_).substr(begin_, size)));
  begin_ += size;
  return std::optional<FramedEvent>(ev);
}

Result<TransactionPayloadEvent> BinlogEventParser::ParseTransactionPayload(
    const FramedEvent& event, size_t max_uncompressed_size) const {
  constexpr const char* kWhat = "TRANSACTION_PAYLOAD_EVENT";
  ByteReader r(event.body);
  TransactionPayloadEvent ev;
  std::optional<uint64_t> payload_size;
  VIMUR_RETURN_IF_ERROR(
      ReadTlvFields(r, kWhat, [&](uint64_t field, std::string_view value) -> Status {
        ByteReader v(value);
        uint64_t number = 0;
        if (field >= 1 && field <= 3) VIMUR_PARSE(v.ReadLengthEncoded(&number));
        switch (field) {
          case 1: payload_size = number; break;
          case 2: ev.compression_type = number; break;
          case 3: ev.uncompressed_size = number; break;
          default: break;  // unknown fields are skipped
        }
        return Status::Ok();
      }));
  std::string_view payload = r.rest();
  if (payload_size && *payload_size != payload.size()) {
    return Status::Corruption(std::string(kWhat) + ": payload size field says " +
                              std::to_string(*payload_size) + " bytes, event holds " +
                              std::to_string(payload.size()));
  }
  if (ev.uncompressed_size > max_uncompressed_size) {
    return Status::Unsupported(std::string(kWhat) + ": " + std::to_string(ev.uncompressed_size) +
                               " uncompressed bytes exceed the limit of " +
                               std::to_string(max_uncompressed_size));
  }
  if (ev.compression_type == 255) {  // NONE
    if (payload.size() > max_uncompressed_size) {
      return Status::Unsupported(std::string(kWhat) + ": payload exceeds the limit of " +
                                 std::to_string(max_uncompressed_size) + " bytes");
    }
    ev.payload.assign(payload);
  } else if (ev.compression_type == 0) {  // ZSTD
    VIMUR_PARSE(ZstdDecompress(payload, ev.uncompressed_size, max_uncompressed_size, &ev.payload));
  } else {
    return Status::Unsupported(std::string(kWhat) + ": compression type " +
                               std::to_string(ev.compression_type));
  }
  if (ev.uncompressed_size != 0 && ev.uncompressed_size != ev.payload.size()) {
    return Status::Corruption(std::string(kWhat) + ": decompressed to " +
                              std::to_string(ev.payload.size()) + " bytes, header said " +
                              std::to_string(ev.uncompressed_size));
  }
  if (ev.uncompressed_size == 0) ev.uncompressed_size = ev.payload.size();
  return ev;
}

Result<std::optional<FramedEvent>> PayloadEventIterator::Next() {
  if (rest_.empty()) return std::optional<FramedEvent>();
  if (rest_.size() < kEventHeaderSize) {
    return Status::Underflow("transaction payload ends inside an event header (" +
                             std::to_string(rest_.size()) + " bytes left)");
  }
  uint32_t size = LoadLE32(rest_.data() + 9);
  if (size < kEventHeaderSize) {
    return Status::Corruption("event inside transaction payload declares size " +
                              std::to_string(size));
  }
  if (size > rest_.size()) {
    return Status::Underflow("event inside transaction payload declares " + std::to_string(size) +
                             " bytes, only " + std::to_string(rest_.size()) + " left");
  }
  VIMUR_ASSIGN_OR_RETURN(FramedEvent ev,
                         BinlogEventParser::FrameWithoutChecksum(rest_.substr(0, size)));
  rest_.remove_prefix(size);
  return std::optional<FramedEvent>(ev);
}

bool IsChecksumMismatch(const Status& status) {
  return status.code() == StatusCode::kCorruption &&
         status.message().find(kChecksumMismatch) != std::string::npos;
}

#undef VIMUR_PARSE

}  // namespace vimur::mysql
