#include "source/mysql/row_image_decoder.h"

#include <bit>
#include <cstring>
#include <string>

#include "core/civil_date.h"
#include "source/mysql/column_values.h"
#include "source/mysql/mysql_decimal.h"
#include "source/mysql/mysql_json_decoder.h"
#include "source/mysql/table_schema_builder.h"

namespace vimur::mysql {
namespace {

using T = BinlogColumnType;

#define VIMUR_LIKELY(x) __builtin_expect(!!(x), 1)
#define VIMUR_UNLIKELY(x) __builtin_expect(!!(x), 0)

// n (1..8) bytes at p into the low bytes of an integer, in memory order. The callers have
// checked that n bytes are there. One load when n is a constant (nearly every call).
template <size_t N>
inline uint64_t LoadBytes(const uint8_t* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, N);
  return v;
}

inline uint64_t LoadBytes(const uint8_t* p, size_t n) {
  switch (n) {
    case 1: return LoadBytes<1>(p);
    case 2: return LoadBytes<2>(p);
    case 3: return LoadBytes<3>(p);
    case 4: return LoadBytes<4>(p);
    case 5: return LoadBytes<5>(p);
    case 6: return LoadBytes<6>(p);
    case 7: return LoadBytes<7>(p);
    default: return LoadBytes<8>(p);
  }
}

// Unsigned little-endian / big-endian integers of n (1..8) bytes.
inline uint64_t LoadLE(const uint8_t* p, size_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    return LoadBytes(p, n);
  } else {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
    return v;
  }
}

inline uint64_t LoadBE(const uint8_t* p, size_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    return __builtin_bswap64(LoadBytes(p, n)) >> (64 - 8 * n);
  } else {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
  }
}

[[gnu::cold]] Status Truncated(size_t need, size_t left, const char* what) {
  return Status::Underflow("need " + std::to_string(need) + " bytes for " + what + ", only " +
                           std::to_string(left) + " left");
}

inline void Put2(unsigned v, char* out) {
  out[0] = static_cast<char>('0' + v / 10 % 10);
  out[1] = static_cast<char>('0' + v % 10);
}

constexpr uint32_t kPow10[7] = {1, 10, 100, 1000, 10000, 100000, 1000000};

// "YYYY-MM-DDTHH:MM:SS[.f{fsp}]Z" (Debezium ZonedTimestamp: exactly fsp digits, none for fsp 0).
size_t FormatIsoUtc(int64_t seconds, uint32_t micros, int fsp, char* out) {
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  const auto y = static_cast<unsigned>(year);
  out[0] = static_cast<char>('0' + y / 1000 % 10);
  out[1] = static_cast<char>('0' + y / 100 % 10);
  Put2(y % 100, out + 2);
  out[4] = '-';
  Put2(month, out + 5);
  out[7] = '-';
  Put2(day, out + 8);
  out[10] = 'T';
  Put2(static_cast<unsigned>(rem / 3600), out + 11);
  out[13] = ':';
  Put2(static_cast<unsigned>(rem / 60 % 60), out + 14);
  out[16] = ':';
  Put2(static_cast<unsigned>(rem % 60), out + 17);
  size_t n = 19;
  if (fsp > 0) {
    out[n++] = '.';
    uint32_t f = micros / kPow10[6 - fsp];
    for (int i = fsp - 1; i >= 0; --i) {
      out[n + static_cast<size_t>(i)] = static_cast<char>('0' + f % 10);
      f /= 10;
    }
    n += static_cast<size_t>(fsp);
  }
  out[n++] = 'Z';
  return n;
}

constexpr std::string_view kEpochIso[7] = {
    "1970-01-01T00:00:00Z",        "1970-01-01T00:00:00.0Z",    "1970-01-01T00:00:00.00Z",
    "1970-01-01T00:00:00.000Z",    "1970-01-01T00:00:00.0000Z", "1970-01-01T00:00:00.00000Z",
    "1970-01-01T00:00:00.000000Z",
};

// MySQL's latin1 is cp1252, except that 0x81, 0x8D, 0x8F, 0x90 and 0x9D map to the C1 controls.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

struct Utf8Char {
  uint8_t len;
  char bytes[3];
};

struct Latin1Table {
  Utf8Char chars[128];
};

constexpr Latin1Table MakeLatin1Table() {
  Latin1Table t{};
  for (int b = 0x80; b <= 0xFF; ++b) {
    uint32_t cp = b < 0xA0 ? kCp1252High[b - 0x80] : static_cast<uint32_t>(b);
    Utf8Char& c = t.chars[b - 0x80];
    if (cp < 0x800) {
      c.len = 2;
      c.bytes[0] = static_cast<char>(0xC0 | (cp >> 6));
      c.bytes[1] = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      c.len = 3;
      c.bytes[0] = static_cast<char>(0xE0 | (cp >> 12));
      c.bytes[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      c.bytes[2] = static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return t;
}

constexpr Latin1Table kLatin1 = MakeLatin1Table();

std::string_view Latin1ToUtf8(std::string_view in, ByteArena* arena) {
  size_t size = 0;
  for (unsigned char c : in) size += c < 0x80 ? 1 : kLatin1.chars[c - 0x80].len;
  if (size == in.size()) return in;  // pure ASCII: view the row bytes
  char* out = arena->Allocate(size);
  char* o = out;
  for (unsigned char c : in) {
    if (c < 0x80) {
      *o++ = static_cast<char>(c);
    } else {
      const Utf8Char& u = kLatin1.chars[c - 0x80];
      for (uint8_t i = 0; i < u.len; ++i) *o++ = u.bytes[i];
    }
  }
  return {out, size};
}

// Text or bytes of a string column, converted to UTF-8 where the charset needs it.
Value StringValue(const ColumnSchema& column, std::string_view bytes, ByteArena* arena) {
  if (column.type == LogicalType::kBytes) return Value::Bytes(bytes);
  if (IsLatin1Collation(column.collation)) return Value::Text(Latin1ToUtf8(bytes, arena));
  return Value::Text(bytes);
}

// Value for a zero date ("0000-00-00"): null when the column allows it, else the epoch
// (Debezium's documented behaviour).
Value ZeroDate(const ColumnSchema& column) {
  if (column.nullable) return Value::Null();
  if (column.type == LogicalType::kZonedTimestamp) {
    return Value::Text(kEpochIso[column.fsp >= 0 && column.fsp <= 6 ? column.fsp : 0]);
  }
  return Value::Int(0);
}

// Fractional seconds of DATETIME2/TIMESTAMP2: (fsp + 1) / 2 big-endian bytes.
inline bool ReadFraction(const uint8_t* p, int fsp, uint32_t* micros) {
  switch (fsp) {
    case 0: *micros = 0; return true;
    case 1:
    case 2: *micros = p[0] * 10000u; break;
    case 3:
    case 4: *micros = static_cast<uint32_t>(LoadBE(p, 2)) * 100u; break;
    default: *micros = static_cast<uint32_t>(LoadBE(p, 3)); break;
  }
  return *micros < 1000000u;
}

inline size_t FractionBytes(int fsp) { return static_cast<size_t>((fsp + 1) / 2); }

[[gnu::cold]] Status BadValue(const std::string& what) { return Status::Corruption(what); }

bool ValidDateTime(uint64_t year, uint64_t month, uint64_t day, uint64_t hour, uint64_t minute,
                   uint64_t second) {
  return year <= 9999 && month <= 12 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59;
}

// DATETIME as Debezium's Timestamp (ms) or MicroTimestamp (µs), as if UTC.
Value DateTimeValue(const ColumnSchema& column, uint64_t year, uint64_t month, uint64_t day,
                    uint64_t hour, uint64_t minute, uint64_t second, uint32_t micros) {
  if (year == 0 || month == 0 || day == 0) return ZeroDate(column);
  const int64_t seconds = DaysFromCivil(static_cast<int64_t>(year), static_cast<unsigned>(month),
                                        static_cast<unsigned>(day)) *
                              86400 +
                          static_cast<int64_t>(hour * 3600 + minute * 60 + second);
  if (column.type == LogicalType::kTimestampMicros) return Value::Int(seconds * 1000000 + micros);
  return Value::Int(seconds * 1000 + micros / 1000);
}

Value TimestampValue(const ColumnSchema& column, uint64_t seconds, uint32_t micros, int fsp,
                     ByteArena* arena) {
  if (seconds == 0 && micros == 0) return ZeroDate(column);
  char* text = arena->Allocate(28);
  size_t len = FormatIsoUtc(static_cast<int64_t>(seconds), micros, fsp, text);
  return Value::Text({text, len});
}

// TIME2 (my_time_packed_from_binary): 3 bytes of sign-offset hours/minutes/seconds plus a
// signed fraction, returned as signed microseconds.
int64_t Time2Micros(const uint8_t* p, int fsp) {
  int64_t packed = 0;
  const int64_t intpart = static_cast<int64_t>(LoadBE(p, 3)) - 0x800000;
  switch (fsp) {
    case 0: packed = intpart * (int64_t{1} << 24); break;
    case 1:
    case 2: {
      int64_t i = intpart;
      int64_t frac = p[3];  // unsigned: negative values store 0x100 - frac
      if (i < 0 && frac != 0) {
        ++i;
        frac -= 0x100;
      }
      packed = i * (int64_t{1} << 24) + frac * 10000;
      break;
    }
    case 3:
    case 4: {
      int64_t i = intpart;
      auto frac = static_cast<int64_t>(LoadBE(p + 3, 2));
      if (i < 0 && frac != 0) {
        ++i;
        frac -= 0x10000;
      }
      packed = i * (int64_t{1} << 24) + frac * 100;
      break;
    }
    default: packed = static_cast<int64_t>(LoadBE(p, 6)) - 0x800000000000; break;
  }
  const bool negative = packed < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
  const uint64_t hms = magnitude >> 24;
  const uint64_t hour = (hms >> 12) % 1024;
  const uint64_t minute = (hms >> 6) % 64;
  const uint64_t second = hms % 64;
  const auto micros = static_cast<int64_t>((hour * 3600 + minute * 60 + second) * 1000000 +
                                           magnitude % (uint64_t{1} << 24));
  return negative ? -micros : micros;
}

// Reads a length prefix of `width` bytes and the bytes it counts.
inline Status ReadPrefixed(const uint8_t** p, const uint8_t* end, size_t width, const char* what,
                           std::string_view* out) {
  const size_t left = static_cast<size_t>(end - *p);
  if (VIMUR_UNLIKELY(left < width)) return Truncated(width, left, what);
  const uint64_t len = LoadLE(*p, width);
  if (VIMUR_UNLIKELY(len > left - width)) return Truncated(width + len, left, what);
  *out = {reinterpret_cast<const char*>(*p + width), static_cast<size_t>(len)};
  *p += width + len;
  return Status::Ok();
}

Status SetValue(const ColumnSchema& column, uint64_t mask, ByteArena* arena, Value* out) {
  const auto& members = column.enum_values;
  if (members.size() < 64 && (mask >> members.size()) != 0) {
    return BadValue("SET bitmask " + std::to_string(mask) + " names members beyond the " +
                    std::to_string(members.size()) + " defined");
  }
  size_t size = 0;
  size_t count = 0;
  for (size_t i = 0; i < members.size() && i < 64; ++i) {
    if ((mask >> i) & 1) {
      size += members[i].size();
      ++count;
    }
  }
  if (count == 0) {
    *out = Value::Text({});
    return Status::Ok();
  }
  size += count - 1;
  char* text = arena->Allocate(size);
  char* o = text;
  for (size_t i = 0; i < members.size() && i < 64; ++i) {
    if ((mask >> i) & 1) {
      if (o != text) *o++ = ',';
      std::memcpy(o, members[i].data(), members[i].size());
      o += members[i].size();
    }
  }
  *out = Value::Text({text, size});
  return Status::Ok();
}

[[gnu::cold]] Status ColumnError(const TableMapEvent& map, const ColumnSchema& column, size_t index,
                                 size_t offset, const Status& s) {
  return Status(s.code(), "row image of " + map.database + "." + map.table + " column `" +
                              column.name + "` (" + column.type_name + ", #" +
                              std::to_string(index) + ") at row offset " + std::to_string(offset) +
                              ": " + s.message());
}

}  // namespace

Status ApplyPartialJsonUpdate(const Value& before, std::string_view diff, ByteArena* arena,
                              Value* out) {
  if (before.kind != ValueKind::kText) {
    return Status::FailedPrecondition(
        "a partial JSON update needs the column's full before image; set binlog_row_image=FULL "
        "or binlog_row_value_options='' on the server");
  }
  std::string text;
  VIMUR_RETURN_IF_ERROR(ApplyMySqlJsonDiff(before.s, diff, &text));
  *out = Value::Text(arena->Copy(text));
  return Status::Ok();
}

Status RowImageDecoder::DecodeJson(const ColumnSchema& column, std::string_view bytes,
                                   ByteArena* arena, Value* out) {
  if (bytes.empty()) {
    // An empty JSON value (e.g. a column added with no default); Debezium emits null, or "{}"
    // for NOT NULL columns.
    *out = column.nullable ? Value::Null() : Value::Text("{}");
    return Status::Ok();
  }
  scratch_.clear();
  VIMUR_RETURN_IF_ERROR(MySqlJsonToText(bytes, &scratch_));
  *out = Value::Text(arena->Copy(scratch_));
  return Status::Ok();
}

Status RowImageDecoder::DecodeValue(const ColumnSchema& column, uint8_t type, uint16_t meta,
                                    const uint8_t** pp, const uint8_t* end, ByteArena* arena,
                                    Value* out) {
  const uint8_t* p = *pp;
  const size_t left = static_cast<size_t>(end - p);
  auto need = [left](size_t n) { return VIMUR_LIKELY(left >= n); };
  switch (type) {
    case T::kTiny:
      if (!need(1)) return Truncated(1, left, "TINYINT");
      *out = Value::Int(column.is_unsigned ? int64_t{p[0]} : int64_t{static_cast<int8_t>(p[0])});
      *pp = p + 1;
      return Status::Ok();
    case T::kShort: {
      if (!need(2)) return Truncated(2, left, "SMALLINT");
      const auto v = static_cast<uint16_t>(LoadLE(p, 2));
      *out = Value::Int(column.is_unsigned ? int64_t{v} : int64_t{static_cast<int16_t>(v)});
      *pp = p + 2;
      return Status::Ok();
    }
    case T::kInt24: {
      if (!need(3)) return Truncated(3, left, "MEDIUMINT");
      auto v = static_cast<int64_t>(LoadLE(p, 3));
      if (!column.is_unsigned && v >= 0x800000) v -= 0x1000000;
      *out = Value::Int(v);
      *pp = p + 3;
      return Status::Ok();
    }
    case T::kLong: {
      if (!need(4)) return Truncated(4, left, "INT");
      const auto v = static_cast<uint32_t>(LoadLE(p, 4));
      *out = Value::Int(column.is_unsigned ? int64_t{v} : int64_t{static_cast<int32_t>(v)});
      *pp = p + 4;
      return Status::Ok();
    }
    case T::kLongLong: {
      if (!need(8)) return Truncated(8, left, "BIGINT");
      const uint64_t v = LoadLE(p, 8);
      *out = column.is_unsigned ? Value::UInt(v) : Value::Int(static_cast<int64_t>(v));
      *pp = p + 8;
      return Status::Ok();
    }
    case T::kFloat: {
      if (!need(4)) return Truncated(4, left, "FLOAT");
      const auto bits = static_cast<uint32_t>(LoadLE(p, 4));
      float f;
      std::memcpy(&f, &bits, sizeof(f));
      *out = Value::Float(f);
      *pp = p + 4;
      return Status::Ok();
    }
    case T::kDouble: {
      if (!need(8)) return Truncated(8, left, "DOUBLE");
      const uint64_t bits = LoadLE(p, 8);
      double d;
      std::memcpy(&d, &bits, sizeof(d));
      *out = Value::Double(d);
      *pp = p + 8;
      return Status::Ok();
    }
    case T::kNewDecimal: {
      const int precision = meta >> 8;
      const int scale = meta & 0xff;
      const size_t size = DecimalBinarySize(precision, scale);
      if (size == 0) {
        return BadValue("invalid DECIMAL(" + std::to_string(precision) + "," +
                        std::to_string(scale) + ") metadata");
      }
      if (!need(size)) return Truncated(size, left, "DECIMAL");
      // Formatted straight into the arena; the unused tail goes back.
      const size_t room = static_cast<size_t>(precision) + 3;
      char* text = arena->Allocate(room);
      size_t len = 0;
      VIMUR_RETURN_IF_ERROR(FormatBinaryDecimal(p, precision, scale, text, &len));
      arena->Shrink(text, room, len);
      *out = Value::Text({text, len});
      *pp = p + size;
      return Status::Ok();
    }
    case T::kBit: {
      const size_t bytes = static_cast<size_t>(meta >> 8) + ((meta & 0xff) != 0 ? 1 : 0);
      if (bytes == 0 || bytes > 8) return BadValue("invalid BIT metadata " + std::to_string(meta));
      if (!need(bytes)) return Truncated(bytes, left, "BIT");
      if (column.type == LogicalType::kBoolean) {
        *out = Value::Bool((p[bytes - 1] & 1) != 0);
      } else if (bytes == 1) {
        *out = Value::Bytes({reinterpret_cast<const char*>(p), 1});
      } else {
        // Big-endian on the wire; Debezium's Bits are little-endian.
        char* le = arena->Allocate(bytes);
        for (size_t i = 0; i < bytes; ++i) le[i] = static_cast<char>(p[bytes - 1 - i]);
        *out = Value::Bytes({le, bytes});
      }
      *pp = p + bytes;
      return Status::Ok();
    }
    case T::kYear:
      if (!need(1)) return Truncated(1, left, "YEAR");
      *out = Value::Int(p[0] == 0 ? 0 : 1900 + int64_t{p[0]});
      *pp = p + 1;
      return Status::Ok();
    case T::kDate:
    case T::kNewDate: {
      if (!need(3)) return Truncated(3, left, "DATE");
      const uint64_t v = LoadLE(p, 3);
      const uint64_t day = v & 31, month = (v >> 5) & 15, year = v >> 9;
      if (year == 0 || month == 0 || day == 0) {
        *out = ZeroDate(column);
      } else if (year > 9999 || month > 12) {
        return BadValue("invalid DATE " + std::to_string(v));
      } else {
        *out = Value::Int(DaysFromCivil(static_cast<int64_t>(year), static_cast<unsigned>(month),
                                        static_cast<unsigned>(day)));
      }
      *pp = p + 3;
      return Status::Ok();
    }
    case T::kDatetime2: {
      const int fsp = meta;
      if (fsp > 6) return BadValue("invalid DATETIME precision " + std::to_string(meta));
      const size_t size = 5 + FractionBytes(fsp);
      if (!need(size)) return Truncated(size, left, "DATETIME");
      const int64_t intpart = static_cast<int64_t>(LoadBE(p, 5)) - 0x8000000000;
      uint32_t micros = 0;
      if (intpart < 0 || !ReadFraction(p + 5, fsp, &micros)) {
        return BadValue("invalid DATETIME value");
      }
      const auto bits = static_cast<uint64_t>(intpart);
      const uint64_t ymd = bits >> 17, hms = bits % (1 << 17);
      const uint64_t year_month = ymd >> 5;
      const uint64_t year = year_month / 13, month = year_month % 13, day = ymd % 32;
      const uint64_t hour = hms >> 12, minute = (hms >> 6) % 64, second = hms % 64;
      if (!ValidDateTime(year, month, day, hour, minute, second)) {
        return BadValue("invalid DATETIME value");
      }
      *out = DateTimeValue(column, year, month, day, hour, minute, second, micros);
      *pp = p + size;
      return Status::Ok();
    }
    case T::kDatetime: {
      if (!need(8)) return Truncated(8, left, "DATETIME");
      const uint64_t v = LoadLE(p, 8);
      const uint64_t date = v / 1000000, time = v % 1000000;
      const uint64_t year = date / 10000, month = date / 100 % 100, day = date % 100;
      const uint64_t hour = time / 10000, minute = time / 100 % 100, second = time % 100;
      if (!ValidDateTime(year, month, day, hour, minute, second)) {
        return BadValue("invalid DATETIME value " + std::to_string(v));
      }
      *out = DateTimeValue(column, year, month, day, hour, minute, second, 0);
      *pp = p + 8;
      return Status::Ok();
    }
    case T::kTimestamp2: {
      const int fsp = meta;
      if (fsp > 6) return BadValue("invalid TIMESTAMP precision " + std::to_string(meta));
      const size_t size = 4 + FractionBytes(fsp);
      if (!need(size)) return Truncated(size, left, "TIMESTAMP");
      uint32_t micros = 0;
      if (!ReadFraction(p + 4, fsp, &micros)) return BadValue("invalid TIMESTAMP fraction");
      *out = TimestampValue(column, LoadBE(p, 4), micros, fsp, arena);
      *pp = p + size;
      return Status::Ok();
    }
    case T::kTimestamp:
      if (!need(4)) return Truncated(4, left, "TIMESTAMP");
      *out = TimestampValue(column, LoadLE(p, 4), 0, 0, arena);
      *pp = p + 4;
      return Status::Ok();
    case T::kTime2: {
      const int fsp = meta;
      if (fsp > 6) return BadValue("invalid TIME precision " + std::to_string(meta));
      const size_t size = 3 + FractionBytes(fsp);
      if (!need(size)) return Truncated(size, left, "TIME");
      *out = Value::Int(Time2Micros(p, fsp));
      *pp = p + size;
      return Status::Ok();
    }
    case T::kTime: {
      if (!need(3)) return Truncated(3, left, "TIME");
      auto v = static_cast<int64_t>(LoadLE(p, 3));
      if (v >= 0x800000) v -= 0x1000000;
      const int64_t magnitude = v < 0 ? -v : v;
      const int64_t micros =
          (magnitude / 10000 * 3600 + magnitude / 100 % 100 * 60 + magnitude % 100) * 1000000;
      *out = Value::Int(v < 0 ? -micros : micros);
      *pp = p + 3;
      return Status::Ok();
    }
    case T::kVarchar:
    case T::kVarString: {
      std::string_view bytes;
      VIMUR_RETURN_IF_ERROR(ReadPrefixed(pp, end, meta > 255 ? 2 : 1, "VARCHAR", &bytes));
      *out = StringValue(column, bytes, arena);
      return Status::Ok();
    }
    case T::kString:
    case T::kEnum:
    case T::kSet: {
      const uint8_t real = type == T::kString ? RealColumnType(type, meta) : type;
      if (real == T::kEnum) {
        const size_t width = meta & 0xff;
        if (width != 1 && width != 2) return BadValue("invalid ENUM size " + std::to_string(width));
        if (!need(width)) return Truncated(width, left, "ENUM");
        const uint64_t index = LoadLE(p, width);
        if (index == 0) {
          *out = Value::Text({});  // the '' error value MySQL stores for invalid input
        } else if (index > column.enum_values.size()) {
          return BadValue("ENUM index " + std::to_string(index) + " beyond the " +
                          std::to_string(column.enum_values.size()) + " members");
        } else {
          *out = Value::Text(column.enum_values[index - 1]);
        }
        *pp = p + width;
        return Status::Ok();
      }
      if (real == T::kSet) {
        const size_t width = meta & 0xff;
        if (width < 1 || width > 8) return BadValue("invalid SET size " + std::to_string(width));
        if (!need(width)) return Truncated(width, left, "SET");
        VIMUR_RETURN_IF_ERROR(SetValue(column, LoadLE(p, width), arena, out));
        *pp = p + width;
        return Status::Ok();
      }
      const uint32_t max_length = StringColumnLength(meta);
      std::string_view bytes;
      VIMUR_RETURN_IF_ERROR(ReadPrefixed(pp, end, max_length > 255 ? 2 : 1, "CHAR", &bytes));
      if (column.type == LogicalType::kBytes && bytes.size() < max_length) {
        // BINARY(n) loses its trailing 0x00 padding in the binlog; SELECT shows it.
        char* padded = arena->Allocate(max_length);
        std::memcpy(padded, bytes.data(), bytes.size());
        std::memset(padded + bytes.size(), 0, max_length - bytes.size());
        *out = Value::Bytes({padded, max_length});
        return Status::Ok();
      }
      *out = StringValue(column, bytes, arena);
      return Status::Ok();
    }
    case T::kTinyBlob:
    case T::kMediumBlob:
    case T::kLongBlob:
    case T::kBlob:
    case T::kJson:
    case T::kGeometry:
    case T::kVector: {
      if (meta < 1 || meta > 4) return BadValue("invalid length size " + std::to_string(meta));
      std::string_view bytes;
      VIMUR_RETURN_IF_ERROR(ReadPrefixed(pp, end, meta, "BLOB", &bytes));
      if (type == T::kJson) return DecodeJson(column, bytes, arena, out);
      if (type == T::kGeometry) {
        if (bytes.size() < 4) return BadValue("GEOMETRY shorter than its SRID");
        const auto srid =
            static_cast<uint32_t>(LoadLE(reinterpret_cast<const uint8_t*>(bytes.data()), 4));
        *out = Value::Geometry(bytes.substr(4), srid);
        return Status::Ok();
      }
      if (type == T::kVector) {
        *out = Value::Bytes(bytes);
        return Status::Ok();
      }
      *out = StringValue(column, bytes, arena);
      return Status::Ok();
    }
    case T::kNull: *out = Value::Null(); return Status::Ok();
    case T::kDecimal:
      return Status::Unsupported("pre-5.0 DECIMAL values cannot be decoded; rebuild the table");
    default:
      return Status::Unsupported("binlog column type " + std::to_string(type) +
                                 " cannot be decoded");
  }
}

namespace {

// Picks the inline decoding of columns whose values are plain: the same Values DecodeValue
// gives, which remains the path for everything else and for every error.
void SetFastPath(ImagePlan::Column* c) {
  using Fast = ImagePlan::Fast;
  const ColumnSchema& column = *c->schema;
  const bool u = column.is_unsigned;
  const bool plain_text =
      column.type != LogicalType::kBytes && !IsLatin1Collation(column.collation);
  c->fast = Fast::kNone;
  c->width = 0;
  switch (c->type) {
    case T::kTiny: c->fast = u ? Fast::kUInt8 : Fast::kInt8; break;
    case T::kShort: c->fast = u ? Fast::kUInt16 : Fast::kInt16; break;
    case T::kLong: c->fast = u ? Fast::kUInt32 : Fast::kInt32; break;
    case T::kLongLong: c->fast = u ? Fast::kUInt64 : Fast::kInt64; break;
    case T::kDouble: c->fast = Fast::kDouble; break;
    case T::kDate:
    case T::kNewDate:
      if (column.type == LogicalType::kDate) c->fast = Fast::kDate;
      break;
    case T::kDatetime2:
      if (c->meta <= 6 && (column.type == LogicalType::kTimestampMicros ||
                           column.type == LogicalType::kTimestampMillis)) {
        c->fast = Fast::kDatetime2;
        c->width = static_cast<uint8_t>(5 + FractionBytes(c->meta));
      }
      break;
    case T::kNewDecimal:
      if (PrepareSmallDecimal(c->meta >> 8, c->meta & 0xff, &c->decimal)) {
        c->fast = Fast::kDecimal;
        c->width = static_cast<uint8_t>((c->meta >> 8) + 3);
      }
      break;
    case T::kVarchar:
    case T::kVarString:
      if (plain_text) {
        c->fast = Fast::kText;
        c->width = c->meta > 255 ? 2 : 1;
      }
      break;
    case T::kTinyBlob:
    case T::kMediumBlob:
    case T::kLongBlob:
    case T::kBlob:
      if (plain_text && c->meta >= 1 && c->meta <= 4) {
        c->fast = Fast::kText;
        c->width = static_cast<uint8_t>(c->meta);
      }
      break;
    case T::kString:
    case T::kEnum:
      if (const size_t width = c->meta & 0xff;
          RealColumnType(c->type, c->meta) == T::kEnum && (width == 1 || width == 2)) {
        c->fast = Fast::kEnum;
        c->width = static_cast<uint8_t>(width);
      }
      break;
    default: break;
  }
}

// Days since the epoch of a valid, non-zero date, remembered per column for the next row.
inline int64_t CachedDays(uint64_t year, uint64_t month, uint64_t day, const ImagePlan::Column& c) {
  const auto ymd = static_cast<uint32_t>(year * 512 + month * 32 + day);
  if (ymd != c.last_ymd) {
    c.last_ymd = ymd;
    c.last_days = DaysFromCivil(static_cast<int64_t>(year), static_cast<unsigned>(month),
                                static_cast<unsigned>(day));
  }
  return c.last_days;
}

// Decodes a column of a Fast kind other than kNone into `out` and returns true, or returns
// false (nothing read) when the general decoder must take it (short input, odd values).
[[gnu::always_inline]] inline bool DecodeFast(const ImagePlan::Column& c, const uint8_t** pp,
                                              const uint8_t* end, ByteArena* arena, Value* out) {
  using Fast = ImagePlan::Fast;
  const uint8_t* p = *pp;
  const auto left = static_cast<size_t>(end - p);
  size_t n = 0;
  switch (c.fast) {
    case Fast::kNone: return false;
    case Fast::kInt8:
      if (left < 1) return false;
      *out = Value::Int(static_cast<int8_t>(p[0]));
      n = 1;
      break;
    case Fast::kUInt8:
      if (left < 1) return false;
      *out = Value::Int(p[0]);
      n = 1;
      break;
    case Fast::kInt16:
      if (left < 2) return false;
      *out = Value::Int(static_cast<int16_t>(LoadLE(p, 2)));
      n = 2;
      break;
    case Fast::kUInt16:
      if (left < 2) return false;
      *out = Value::Int(static_cast<int64_t>(LoadLE(p, 2)));
      n = 2;
      break;
    case Fast::kInt32:
      if (left < 4) return false;
      *out = Value::Int(static_cast<int32_t>(LoadLE(p, 4)));
      n = 4;
      break;
    case Fast::kUInt32:
      if (left < 4) return false;
      *out = Value::Int(static_cast<int64_t>(LoadLE(p, 4)));
      n = 4;
      break;
    case Fast::kInt64:
      if (left < 8) return false;
      *out = Value::Int(static_cast<int64_t>(LoadLE(p, 8)));
      n = 8;
      break;
    case Fast::kUInt64:
      if (left < 8) return false;
      *out = Value::UInt(LoadLE(p, 8));
      n = 8;
      break;
    case Fast::kDouble: {
      if (left < 8) return false;
      const uint64_t bits = LoadLE(p, 8);
      double d;
      std::memcpy(&d, &bits, sizeof(d));
      *out = Value::Double(d);
      n = 8;
      break;
    }
    case Fast::kText: {
      const size_t width = c.width;
      if (left < width) return false;
      const uint64_t len = LoadLE(p, width);
      if (len > left - width) return false;
      *out = Value::Text({reinterpret_cast<const char*>(p + width), static_cast<size_t>(len)});
      n = width + static_cast<size_t>(len);
      break;
    }
    case Fast::kEnum: {
      const size_t width = c.width;
      if (left < width) return false;
      const uint64_t index = LoadLE(p, width);
      const auto& members = c.schema->enum_values;
      if (index == 0 || index > members.size()) return false;
      *out = Value::Text(members[index - 1]);
      n = width;
      break;
    }
    case Fast::kDate: {
      if (left < 3) return false;
      const uint64_t v = LoadLE(p, 3);
      const uint64_t day = v & 31, month = (v >> 5) & 15, year = v >> 9;
      // Zero dates and out-of-range values take the general path.
      if (year == 0 || month == 0 || day == 0 || year > 9999 || month > 12) return false;
      *out = Value::Int(CachedDays(year, month, day, c));
      n = 3;
      break;
    }
    case Fast::kDatetime2: {
      const size_t size = c.width;
      if (left < size) return false;
      const int64_t intpart = static_cast<int64_t>(LoadBE(p, 5)) - 0x8000000000;
      uint32_t micros = 0;
      if (intpart < 0 || !ReadFraction(p + 5, c.meta, &micros)) return false;
      const auto bits = static_cast<uint64_t>(intpart);
      const uint64_t ymd = bits >> 17, hms = bits % (1 << 17);
      const uint64_t year_month = ymd >> 5;
      const uint64_t year = year_month / 13, month = year_month % 13, day = ymd % 32;
      const uint64_t hour = hms >> 12, minute = (hms >> 6) % 64, second = hms % 64;
      if (!ValidDateTime(year, month, day, hour, minute, second) || year == 0 || month == 0 ||
          day == 0) {
        return false;
      }
      const int64_t seconds = CachedDays(year, month, day, c) * 86400 +
                              static_cast<int64_t>(hour * 3600 + minute * 60 + second);
      *out = Value::Int(c.schema->type == LogicalType::kTimestampMicros
                            ? seconds * 1000000 + micros
                            : seconds * 1000 + micros / 1000);
      n = size;
      break;
    }
    case Fast::kDecimal: {
      const size_t size = c.decimal.size;
      if (left < size) return false;
      // Formatted straight into the arena; the unused tail goes back.
      char* text = arena->Allocate(c.width);
      size_t len = 0;
      if (!FormatSmallDecimal(c.decimal, p, text, &len)) {
        arena->Shrink(text, c.width, 0);
        return false;
      }
      arena->Shrink(text, c.width, len);
      *out = Value::Text({text, len});
      n = size;
      break;
    }
  }
  *pp = p + n;
  return true;
}

}  // namespace

Status RowImageDecoder::Prepare(const TableMapEvent& map, const TableSchema& schema,
                                const std::vector<bool>& present, ImagePlan* plan) {
  const size_t n = map.column_types.size();
  if (VIMUR_UNLIKELY(map.column_meta.size() != n || schema.columns.size() != n ||
                     present.size() != n)) {
    return Status::InvalidArgument(
        "row image of " + map.database + "." + map.table + ": table map has " + std::to_string(n) +
        " columns, metadata " + std::to_string(map.column_meta.size()) + ", schema " +
        std::to_string(schema.columns.size()) + ", image bitmap " + std::to_string(present.size()));
  }
  plan->map = &map;
  plan->schema = &schema;
  plan->columns.resize(n);
  size_t present_count = 0;
  for (size_t i = 0; i < n; ++i) {
    ImagePlan::Column& c = plan->columns[i];
    c.schema = &schema.columns[i];
    c.type = map.column_types[i];
    c.meta = map.column_meta[i];
    c.present = present[i];
    present_count += c.present ? 1 : 0;
    SetFastPath(&c);
  }
  plan->null_bytes = (present_count + 7) / 8;
  return Status::Ok();
}

Status RowImageDecoder::DecodeImage(const ImagePlan& plan, const uint8_t* partial_bits,
                                    const std::vector<Value>* before, ByteReader* rows,
                                    ByteArena* arena, std::vector<Value>* out) {
  const TableMapEvent& map = *plan.map;
  const size_t n = plan.columns.size();
  const uint8_t* const start = rows->cursor();
  const uint8_t* const end = start + rows->remaining();
  const size_t null_bytes = plan.null_bytes;
  if (VIMUR_UNLIKELY(rows->remaining() < null_bytes)) {
    return Status::Underflow("row image of " + map.database + "." + map.table + ": need " +
                             std::to_string(null_bytes) + " bytes for the null bitmap at offset " +
                             std::to_string(rows->position()) + ", only " +
                             std::to_string(rows->remaining()) + " left");
  }
  const uint8_t* const nulls = start;
  const uint8_t* p = start + null_bytes;

  out->assign(n, Value());
  Value* const values = out->data();
  size_t bit = 0;
  if (partial_bits == nullptr) {
    // Every image but partial JSON updates: present, non-null values, mostly decoded inline.
    for (size_t i = 0; i < n; ++i) {
      const ImagePlan::Column& c = plan.columns[i];
      if (!c.present) continue;
      const bool is_null = ((nulls[bit / 8] >> (bit % 8)) & 1) != 0;
      ++bit;
      if (is_null || DecodeFast(c, &p, end, arena, &values[i])) continue;
      const uint8_t* const value_start = p;
      Status s = DecodeValue(*c.schema, c.type, c.meta, &p, end, arena, &values[i]);
      if (VIMUR_UNLIKELY(!s.ok())) {
        const size_t offset = rows->position() + static_cast<size_t>(value_start - start);
        return ColumnError(map, *c.schema, i, offset, s);
      }
    }
    return rows->Skip(static_cast<size_t>(p - start));
  }
  size_t json_index = 0;
  for (size_t i = 0; i < n; ++i) {
    const ImagePlan::Column& c = plan.columns[i];
    bool partial = false;
    if (c.type == T::kJson) {
      partial = ((partial_bits[json_index / 8] >> (json_index % 8)) & 1) != 0;
      ++json_index;
    }
    if (!c.present) continue;
    const bool is_null = ((nulls[bit / 8] >> (bit % 8)) & 1) != 0;
    ++bit;
    if (is_null) continue;
    const uint8_t* const value_start = p;
    Status s;
    if (VIMUR_UNLIKELY(partial)) {
      std::string_view diff;
      s = ReadPrefixed(&p, end, 4, "JSON diff", &diff);
      if (s.ok()) {
        s = before == nullptr || i >= before->size()
                ? Status::FailedPrecondition("partial JSON update without a before image")
                : ApplyPartialJsonUpdate((*before)[i], diff, arena, &values[i]);
      }
    } else {
      s = DecodeValue(*c.schema, c.type, c.meta, &p, end, arena, &values[i]);
    }
    if (VIMUR_UNLIKELY(!s.ok())) {
      const size_t offset = rows->position() + static_cast<size_t>(value_start - start);
      return ColumnError(map, *c.schema, i, offset, s);
    }
  }
  return rows->Skip(static_cast<size_t>(p - start));
}

Status RowImageDecoder::DecodeRow(const ImagePlan& plan, ByteReader* rows, ByteArena* arena,
                                  std::vector<Value>* out) {
  return DecodeImage(plan, nullptr, nullptr, rows, arena, out);
}

Status RowImageDecoder::DecodeRow(const TableMapEvent& map, const TableSchema& schema,
                                  const std::vector<bool>& present, ByteReader* rows,
                                  ByteArena* arena, std::vector<Value>* out) {
  VIMUR_RETURN_IF_ERROR(Prepare(map, schema, present, &plan_));
  return DecodeImage(plan_, nullptr, nullptr, rows, arena, out);
}

Status RowImageDecoder::DecodePartialUpdateAfterRow(
    const TableMapEvent& map, const TableSchema& schema, const std::vector<bool>& present,
    const std::vector<Value>& before, ByteReader* rows, ByteArena* arena, std::vector<Value>* out) {
  VIMUR_RETURN_IF_ERROR(Prepare(map, schema, present, &plan_));
  return DecodePartialUpdateAfterRow(plan_, before, rows, arena, out);
}

Status RowImageDecoder::DecodePartialUpdateAfterRow(const ImagePlan& plan,
                                                    const std::vector<Value>& before,
                                                    ByteReader* rows, ByteArena* arena,
                                                    std::vector<Value>* out) {
  const TableMapEvent& map = *plan.map;
  constexpr uint64_t kPartialJsonUpdates = 1;
  uint64_t value_options = 0;
  Status s = rows->ReadLengthEncoded(&value_options);
  if (!s.ok()) {
    return Status(s.code(), "partial update row of " + map.database + "." + map.table +
                                ": value_options: " + s.message());
  }
  const uint8_t* partial_bits = nullptr;
  if ((value_options & kPartialJsonUpdates) != 0) {
    size_t json_columns = 0;
    for (uint8_t type : map.column_types) json_columns += type == T::kJson ? 1 : 0;
    const size_t bytes = (json_columns + 7) / 8;
    partial_bits = rows->cursor();
    s = rows->Skip(bytes);
    if (!s.ok()) {
      return Status(s.code(), "partial update row of " + map.database + "." + map.table +
                                  ": partial JSON bitmap: " + s.message());
    }
    if (bytes == 0) partial_bits = nullptr;
  }
  return DecodeImage(plan, partial_bits, &before, rows, arena, out);
}

}  // namespace vimur::mysql

namespace vimur::mysql {

int64_t DaysSinceEpoch(int64_t year, unsigned month, unsigned day) {
  return DaysFromCivil(year, month, day);
}

Value ZeroDateValue(const ColumnSchema& column) { return ZeroDate(column); }

Value DateTimeColumnValue(const ColumnSchema& column, uint64_t year, uint64_t month, uint64_t day,
                          uint64_t hour, uint64_t minute, uint64_t second, uint32_t micros) {
  return DateTimeValue(column, year, month, day, hour, minute, second, micros);
}

Value TimestampColumnValue(const ColumnSchema& column, uint64_t seconds, uint32_t micros, int fsp,
                           ByteArena* arena) {
  return TimestampValue(column, seconds, micros, fsp, arena);
}

Value StringColumnValue(const ColumnSchema& column, std::string_view bytes, ByteArena* arena) {
  return StringValue(column, bytes, arena);
}

}  // namespace vimur::mysql
