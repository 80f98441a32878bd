#include "source/postgresql/pg_types.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/civil_date.h"
#include "source/postgresql/pg_money.h"
#include "source/postgresql/pg_time_text.h"

namespace vimur::postgresql {
namespace {

// Reads exactly `n` digits at `*p` into `*out`.
bool Digits(std::string_view s, size_t* p, size_t n, int64_t* out) {
  if (*p + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*p + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return true;
}

// Reads one or more digits.
bool Number(std::string_view s, size_t* p, int64_t* out) {
  size_t start = *p;
  int64_t v = 0;
  while (*p < s.size() && s[*p] >= '0' && s[*p] <= '9' && *p - start < 12) {
    v = v * 10 + (s[*p] - '0');
    ++*p;
  }
  *out = v;
  return *p > start;
}

bool Expect(std::string_view s, size_t* p, char c) {
  if (*p >= s.size() || s[*p] != c) return false;
  ++*p;
  return true;
}

bool ParseDatePart(std::string_view s, size_t* p, int64_t* days) {
  int64_t y = 0, m = 0, d = 0;
  if (!Number(s, p, &y) || !Expect(s, p, '-') || !Digits(s, p, 2, &m) || !Expect(s, p, '-') ||
      !Digits(s, p, 2, &d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  if (s.size() >= 3 && s.substr(s.size() - 3) == " BC") y = 1 - y;  // 1 BC is year 0
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

bool ParseTimePart(std::string_view s, size_t* p, int64_t* micros) {
  int64_t h = 0, mi = 0, sec = 0;
  if (!Digits(s, p, 2, &h) || !Expect(s, p, ':') || !Digits(s, p, 2, &mi) || !Expect(s, p, ':') ||
      !Digits(s, p, 2, &sec)) {
    return false;
  }
  int64_t frac = 0;
  if (*p < s.size() && s[*p] == '.') {
    ++*p;
    int digits = 0;
    while (*p < s.size() && s[*p] >= '0' && s[*p] <= '9') {
      if (digits < 6) {
        frac = frac * 10 + (s[*p] - '0');
        ++digits;
      }
      ++*p;
    }
    if (digits == 0) return false;
    for (; digits < 6; ++digits) frac *= 10;
  }
  if (h > 24 || mi > 59 || sec > 60) return false;
  *micros = ((h * 60 + mi) * 60 + sec) * 1000000 + frac;
  return true;
}

// "+HH[:MM[:SS]]" or "-..." as seconds east of UTC.
bool ParseOffset(std::string_view s, size_t* p, int64_t* seconds) {
  if (*p >= s.size() || (s[*p] != '+' && s[*p] != '-')) return false;
  const int sign = s[*p] == '-' ? -1 : 1;
  ++*p;
  int64_t h = 0, m = 0, sec = 0;
  if (!Digits(s, p, 2, &h)) return false;
  if (*p < s.size() && s[*p] == ':') {
    ++*p;
    if (!Digits(s, p, 2, &m)) return false;
    if (*p < s.size() && s[*p] == ':') {
      ++*p;
      if (!Digits(s, p, 2, &sec)) return false;
    }
  }
  *seconds = sign * (h * 3600 + m * 60 + sec);
  return true;
}

bool AtEnd(std::string_view s, size_t p) { return p == s.size() || s.substr(p) == " BC"; }

Status Bad(const ColumnSchema& column, std::string_view what, std::string_view text) {
  return Status::Corruption("column " + column.name + ": '" + std::string(text.substr(0, 100)) +
                            "' is not a valid " + std::string(what) +
                            " value in PostgreSQL's text form");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "YYYY-MM-DDTHH:MM:SS[.f{fsp}]Z", as Debezium's ZonedTimestamp with the column's precision.
std::string_view FormatIsoUtc(int64_t micros, int fsp, ByteArena* arena) {
  int64_t seconds = micros / 1000000;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d",
                        static_cast<long long>(year), month, day, static_cast<int>(rem / 3600),
                        static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  if (fsp > 0) {
    char f[8];
    std::snprintf(f, sizeof f, "%06lld", static_cast<long long>(frac));
    buf[n++] = '.';
    for (int i = 0; i < fsp && i < 6; ++i) buf[n++] = f[i];
  }
  buf[n++] = 'Z';
  return arena->Copy(std::string_view(buf, static_cast<size_t>(n)));
}

template <typename T>
bool ParseInteger(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool ParseDate(std::string_view text, int64_t* days) {
  size_t p = 0;
  return ParseDatePart(text, &p, days) && AtEnd(text, p);
}

bool ParseTime(std::string_view text, int64_t* micros) {
  size_t p = 0;
  return ParseTimePart(text, &p, micros) && p == text.size();
}

bool ParseTimestamp(std::string_view text, int64_t* micros) {
  size_t p = 0;
  int64_t days = 0, time = 0;
  if (!ParseDatePart(text, &p, &days) || !Expect(text, &p, ' ') ||
      !ParseTimePart(text, &p, &time)) {
    return false;
  }
  int64_t offset = 0;
  if (p < text.size() && (text[p] == '+' || text[p] == '-')) {
    if (!ParseOffset(text, &p, &offset)) return false;
  }
  if (!AtEnd(text, p)) return false;
  *micros = days * 86400 * int64_t{1000000} + time - offset * 1000000;
  return true;
}

uint32_t BuiltinArrayElement(uint32_t array_oid) {
  // pg_type.dat: typarray of the element types Vimur represents (and the text-like ones).
  static constexpr std::pair<uint32_t, uint32_t> kArrays[] = {
      {1000, oid::kBool},         {1001, oid::kBytea},       {1002, oid::kChar},
      {1003, oid::kName},         {1005, oid::kInt2},        {1007, oid::kInt4},
      {1009, oid::kText},         {1028, oid::kOid},         {1014, oid::kBpchar},
      {1015, oid::kVarchar},      {1016, oid::kInt8},        {1021, oid::kFloat4},
      {1022, oid::kFloat8},       {791, oid::kMoney},        {199, oid::kJson},
      {143, oid::kXml},           {1182, oid::kDate},        {1183, oid::kTime},
      {1115, oid::kTimestamp},    {1185, oid::kTimestamptz}, {1187, oid::kInterval},
      {1270, oid::kTimetz},       {1561, oid::kBit},         {1563, oid::kVarbit},
      {1231, oid::kNumeric},      {2951, oid::kUuid},        {3807, oid::kJsonb},
      {1041, 869 /*inet*/},       {651, 650 /*cidr*/},       {1040, 829 /*macaddr*/},
      {775, 774 /*macaddr8*/},    {1017, 600 /*point*/},     {3905, 3904 /*int4range*/},
      {3907, 3906 /*numrange*/},  {3909, 3908 /*tsrange*/},  {3911, 3910 /*tstzrange*/},
      {3913, 3912 /*daterange*/}, {3927, 3926 /*int8range*/}};
  for (const auto& [array, element] : kArrays) {
    if (array == array_oid) return element;
  }
  return 0;
}

ColumnSchema ArrayColumnForType(uint32_t element_oid, int32_t typmod, int money_fraction_digits) {
  ColumnSchema c = ColumnForType(element_oid, typmod, money_fraction_digits);
  c.array_element_oid = element_oid;
  c.type_name = "_" + c.type_name;
  return c;
}

ColumnSchema ColumnForType(uint32_t type_oid, int32_t typmod, int money_fraction_digits) {
  if (const uint32_t element = BuiltinArrayElement(type_oid); element != 0) {
    return ArrayColumnForType(element, typmod, money_fraction_digits);
  }
  ColumnSchema c;
  switch (type_oid) {
    case oid::kBool:
      c.type = LogicalType::kBoolean;
      c.type_name = "BOOL";
      break;
    case oid::kBit:
    case oid::kVarbit:
      // As Debezium: one bit is a boolean, more are io.debezium.data.Bits (a varbit without a
      // length too, with the length parameter 2147483647).
      c.precision = typmod > 0 ? typmod : std::numeric_limits<int32_t>::max();
      c.type = c.precision == 1 ? LogicalType::kBoolean : LogicalType::kBits;
      c.type_name = type_oid == oid::kBit ? "BIT" : "VARBIT";
      break;
    case oid::kInt2:
      c.type = LogicalType::kInt16;
      c.type_name = "INT2";
      break;
    case oid::kInt4:
      c.type = LogicalType::kInt32;
      c.type_name = "INT4";
      break;
    case oid::kInt8:
      c.type = LogicalType::kInt64;
      c.type_name = "INT8";
      break;
    case oid::kOid:
      c.type = LogicalType::kInt64;
      c.type_name = "OID";
      break;
    case oid::kFloat4:
      c.type = LogicalType::kFloat;
      c.type_name = "FLOAT4";
      break;
    case oid::kFloat8:
      c.type = LogicalType::kDouble;
      c.type_name = "FLOAT8";
      break;
    case oid::kNumeric:
      c.type_name = "NUMERIC";
      // PostgreSQL 15 packs the scale as an 11-bit signed number (-1000..1000).
      if (typmod >= 4 && ((((typmod - 4) & 0x7ff) ^ 0x400) - 0x400) >= 0) {
        c.type = LogicalType::kDecimal;
        c.precision = ((typmod - 4) >> 16) & 0xffff;
        c.scale = (typmod - 4) & 0x7ff;
      } else {
        // No declared precision and scale (or a negative scale): each value has its own scale,
        // Debezium's VariableScaleDecimal (scale -1 here; the value is its exact text).
        c.type = LogicalType::kDecimal;
        c.scale = -1;  // format/field_repr.h's kVariableScale
      }
      break;
    case oid::kMoney:
      // As Debezium: a Decimal with money.fraction.digits, no precision parameter.
      c.type = LogicalType::kDecimal;
      c.type_name = "MONEY";
      c.scale = money_fraction_digits;
      break;
    case oid::kText:
      c.type = LogicalType::kString;
      c.type_name = "TEXT";
      break;
    case oid::kName:
      c.type = LogicalType::kString;
      c.type_name = "NAME";
      break;
    case oid::kChar:
      c.type = LogicalType::kString;
      c.type_name = "CHAR";
      break;
    case oid::kBpchar:
      c.type = LogicalType::kString;
      c.type_name = "BPCHAR";
      if (typmod >= 4) c.precision = typmod - 4;
      break;
    case oid::kVarchar:
      c.type = LogicalType::kString;
      c.type_name = "VARCHAR";
      if (typmod >= 4) c.precision = typmod - 4;
      break;
    case oid::kBytea:
      c.type = LogicalType::kBytes;
      c.type_name = "BYTEA";
      break;
    case oid::kDate:
      c.type = LogicalType::kDate;
      c.type_name = "DATE";
      break;
    case oid::kTime:
      c.type = LogicalType::kMicroTime;
      c.type_name = "TIME";
      c.fsp = typmod >= 0 ? typmod : 6;
      break;
    case oid::kTimestamp:
      c.fsp = typmod >= 0 ? typmod : 6;
      c.type = c.fsp <= 3 ? LogicalType::kTimestampMillis : LogicalType::kTimestampMicros;
      c.type_name = "TIMESTAMP";
      break;
    case oid::kTimestamptz:
      c.fsp = typmod >= 0 ? typmod : 6;
      c.type = LogicalType::kZonedTimestamp;
      c.type_name = "TIMESTAMPTZ";
      break;
    case oid::kJson:
      c.type = LogicalType::kJson;
      c.type_name = "JSON";
      break;
    case oid::kJsonb:
      c.type = LogicalType::kJson;
      c.type_name = "JSONB";
      break;
    case oid::kUuid:
      c.type = LogicalType::kUuid;
      c.type_name = "UUID";
      break;
    case oid::kXml:
      c.type = LogicalType::kXml;
      c.type_name = "XML";
      break;
    case oid::kTimetz:
      c.fsp = typmod >= 0 ? typmod : 6;
      c.type = LogicalType::kZonedTime;
      c.type_name = "TIMETZ";
      break;
    case oid::kInterval:
      c.type = LogicalType::kMicroDuration;
      c.type_name = "INTERVAL";
      break;
    default:
      c.type = LogicalType::kString;
      c.type_name = "OID " + std::to_string(type_oid);
      break;
  }
  return c;
}

namespace {

// One element of an array's text form: its text (unescaped when it was quoted), or null.
struct ArrayElement {
  std::string text;
  bool null = false;
};

// Splits the text output of a one-dimensional array (`{a,"b c",NULL}`, optionally after
// `[lo:hi]=`) into its elements.
Status SplitArray(const ColumnSchema& column, std::string_view text,
                  std::vector<ArrayElement>* out) {
  size_t p = 0;
  if (!text.empty() && text[0] == '[') {
    p = text.find('=');
    if (p == std::string_view::npos) return Bad(column, "array", text);
    ++p;
  }
  if (p >= text.size() || text[p] != '{' || text.back() != '}') return Bad(column, "array", text);
  ++p;
  const size_t end = text.size() - 1;
  if (p == end) return Status::Ok();  // {}
  while (true) {
    if (p >= end) return Bad(column, "array", text);
    ArrayElement e;
    if (text[p] == '{') {
      return Status::Unsupported("column " + column.name +
                                 ": a multi-dimensional array value, which Vimur does not "
                                 "represent (a Connect array's elements share one schema)");
    }
    if (text[p] == '"') {
      ++p;
      while (p < end && text[p] != '"') {
        if (text[p] == '\\' && p + 1 < end) ++p;
        e.text.push_back(text[p++]);
      }
      if (p >= end) return Bad(column, "array", text);
      ++p;  // the closing quote
    } else {
      const size_t start = p;
      while (p < end && text[p] != ',') ++p;
      e.text.assign(text.substr(start, p - start));
      e.null = e.text == "NULL";
    }
    out->push_back(std::move(e));
    if (p == end) return Status::Ok();
    if (text[p] != ',') return Bad(column, "array", text);
    ++p;
  }
}

Status DecodeScalar(const ColumnSchema& column, uint32_t type_oid, std::string_view text,
                    ByteArena* arena, Value* out);

}  // namespace

Status DecodeText(const ColumnSchema& column, uint32_t type_oid, std::string_view text,
                  ByteArena* arena, Value* out) {
  if (!column.is_array()) return DecodeScalar(column, type_oid, text, arena, out);
  std::vector<ArrayElement> elements;
  VIMUR_RETURN_IF_ERROR(SplitArray(column, text, &elements));
  Value* items = elements.empty() ? nullptr : arena->AllocateArray<Value>(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    new (&items[i]) Value();
    if (elements[i].null) continue;
    VIMUR_RETURN_IF_ERROR(
        DecodeScalar(column, column.array_element_oid, elements[i].text, arena, &items[i]));
  }
  *out = Value::Array(items, static_cast<uint32_t>(elements.size()));
  return Status::Ok();
}

namespace {

Status DecodeScalar(const ColumnSchema& column, uint32_t type_oid, std::string_view text,
                    ByteArena* arena, Value* out) {
  switch (column.type) {
    case LogicalType::kBoolean:
      if (text == "t" || (text == "1" && type_oid != oid::kBool)) {
        *out = Value::Bool(true);
      } else if (text == "f" || (text == "0" && type_oid != oid::kBool)) {
        *out = Value::Bool(false);
      } else {
        return Bad(column, "boolean", text);
      }
      return Status::Ok();
    case LogicalType::kInt16:
    case LogicalType::kInt32:
    case LogicalType::kInt64: {
      int64_t v = 0;
      if (type_oid == oid::kOid) {
        uint32_t u = 0;
        if (!ParseInteger(text, &u)) return Bad(column, "oid", text);
        v = u;
      } else if (!ParseInteger(text, &v)) {
        return Bad(column, "integer", text);
      }
      *out = Value::Int(v);
      return Status::Ok();
    }
    case LogicalType::kFloat:
    case LogicalType::kDouble: {
      // strtod accepts NaN, Infinity and -Infinity as PostgreSQL writes them.
      std::string copy(text);
      char* end = nullptr;
      double d = std::strtod(copy.c_str(), &end);
      if (copy.empty() || end != copy.c_str() + copy.size()) return Bad(column, "float", text);
      if (column.type == LogicalType::kFloat) {
        float f = std::strtof(copy.c_str(), &end);
        *out = Value::Float(f);
      } else {
        *out = Value::Double(d);
      }
      return Status::Ok();
    }
    case LogicalType::kDecimal: {
      if (type_oid != oid::kMoney) {
        *out = Value::Text(arena->Copy(text));
        return Status::Ok();
      }
      std::string digits;
      if (!ParseMoney(text, column.scale, &digits)) return Bad(column, "money", text);
      *out = Value::Text(arena->Copy(digits));
      return Status::Ok();
    }
    case LogicalType::kBytes: {
      if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
        return Bad(column, "bytea (hex output)", text);
      }
      const size_t n = (text.size() - 2) / 2;
      char* p = n == 0 ? nullptr : arena->Allocate(n);
      for (size_t i = 0; i < n; ++i) {
        int hi = HexDigit(text[2 + 2 * i]), lo = HexDigit(text[3 + 2 * i]);
        if (hi < 0 || lo < 0) return Bad(column, "bytea (hex output)", text);
        p[i] = static_cast<char>(hi * 16 + lo);
      }
      *out = Value::Bytes(std::string_view(p, n));
      return Status::Ok();
    }
    case LogicalType::kDate: {
      int64_t days = 0;
      if (!ParseDate(text, &days)) return Bad(column, "date", text);
      *out = Value::Int(days);
      return Status::Ok();
    }
    case LogicalType::kMicroTime: {
      int64_t micros = 0;
      if (!ParseTime(text, &micros)) return Bad(column, "time", text);
      *out = Value::Int(micros);
      return Status::Ok();
    }
    case LogicalType::kTimestampMillis:
    case LogicalType::kTimestampMicros: {
      int64_t micros = 0;
      if (!ParseTimestamp(text, &micros)) return Bad(column, "timestamp", text);
      if (column.type == LogicalType::kTimestampMillis) {
        // Floor division: 1969-12-31 23:59:59.999 is -1 ms.
        int64_t ms = micros / 1000;
        if (micros % 1000 < 0) --ms;
        *out = Value::Int(ms);
      } else {
        *out = Value::Int(micros);
      }
      return Status::Ok();
    }
    case LogicalType::kZonedTimestamp: {
      int64_t micros = 0;
      if (!ParseTimestamp(text, &micros)) return Bad(column, "timestamptz", text);
      *out = Value::Text(FormatIsoUtc(micros, column.fsp, arena));
      return Status::Ok();
    }
    case LogicalType::kBits: {
      // "1011": the last character is bit 0. Little-endian bytes, as few as the highest set bit
      // needs (none for zero), as Debezium's BitSet.toByteArray().
      size_t highest = 0;  // 1 + index of the highest set bit
      for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '0' && text[i] != '1') return Bad(column, "bit string", text);
        if (text[i] == '1' && highest == 0) highest = text.size() - i;
      }
      const size_t n = (highest + 7) / 8;
      char* p = n == 0 ? nullptr : arena->Allocate(n);
      for (size_t k = 0; k < n; ++k) p[k] = 0;
      for (size_t bit = 0; bit < highest; ++bit) {
        if (text[text.size() - 1 - bit] == '1') p[bit / 8] |= static_cast<char>(1 << (bit % 8));
      }
      *out = Value::Bytes(std::string_view(p, n));
      return Status::Ok();
    }
    case LogicalType::kZonedTime: {
      std::string iso;
      if (!ParseTimeTz(text, &iso)) return Bad(column, "timetz", text);
      *out = Value::Text(arena->Copy(iso));
      return Status::Ok();
    }
    case LogicalType::kMicroDuration: {
      int64_t micros = 0;
      if (!ParseIntervalMicros(text, &micros)) return Bad(column, "interval", text);
      *out = Value::Int(micros);
      return Status::Ok();
    }
    default: *out = Value::Text(arena->Copy(text)); return Status::Ok();
  }
}

}  // namespace

}  // namespace vimur::postgresql
