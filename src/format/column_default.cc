#include "format/column_default.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/civil_date.h"
#include "core/regex_pattern.h"

namespace vimur {
namespace {

bool ParseUnsigned(std::string_view s, size_t* at, size_t digits, unsigned* out) {
  if (*at + digits > s.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = s[*at + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *at += digits;
  *out = v;
  return true;
}

// Microseconds of ".ffffff" at `at` (none: 0).
bool ParseFraction(std::string_view s, size_t* at, int64_t* micros) {
  *micros = 0;
  if (*at == s.size()) return true;
  if (s[*at] != '.') return false;
  ++*at;
  int64_t scale = 100000;
  for (; *at < s.size(); ++*at) {
    const char c = s[*at];
    if (c < '0' || c > '9') return false;
    *micros += (c - '0') * scale;
    scale /= 10;
  }
  return true;
}

// "YYYY-MM-DD[ hh:mm:ss[.ffffff]]" as microseconds since the epoch, as if UTC. `zero` is set
// for MySQL's zero dates (month or day 0).
bool ParseDateTime(std::string_view s, int64_t* micros, bool* zero) {
  size_t at = 0;
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!ParseUnsigned(s, &at, 4, &y) || at >= s.size() || s[at++] != '-' ||
      !ParseUnsigned(s, &at, 2, &mo) || at >= s.size() || s[at++] != '-' ||
      !ParseUnsigned(s, &at, 2, &d)) {
    return false;
  }
  *zero = mo == 0 || d == 0;
  int64_t fraction = 0;
  if (at < s.size()) {
    if ((s[at] != ' ' && s[at] != 'T') || !ParseUnsigned(s, &++at, 2, &h) || at >= s.size() ||
        s[at++] != ':' || !ParseUnsigned(s, &at, 2, &mi) || at >= s.size() || s[at++] != ':' ||
        !ParseUnsigned(s, &at, 2, &se) || !ParseFraction(s, &at, &fraction)) {
      return false;
    }
  }
  if (*zero) return true;
  if (mo > 12 || d > 31 || h > 23 || mi > 59 || se > 59) return false;
  *micros = (DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000000 + fraction;
  return true;
}

// "[-]h...h:mm:ss[.ffffff]" as microseconds.
bool ParseTime(std::string_view s, int64_t* micros) {
  size_t at = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) ++at;
  const size_t colon = s.find(':', at);
  if (colon == std::string_view::npos || colon == at || colon - at > 3) return false;
  unsigned h = 0, mi = 0, se = 0;
  if (!ParseUnsigned(s, &at, colon - at, &h) || s[at++] != ':' || !ParseUnsigned(s, &at, 2, &mi) ||
      at >= s.size() || s[at++] != ':' || !ParseUnsigned(s, &at, 2, &se) || mi > 59 || se > 59) {
    return false;
  }
  int64_t fraction = 0;
  if (!ParseFraction(s, &at, &fraction)) return false;
  const int64_t v = (int64_t{h} * 3600 + mi * 60 + se) * 1000000 + fraction;
  *micros = negative ? -v : v;
  return true;
}

// "YYYY-MM-DDTHH:MM:SS[.f{fsp}]Z", as the MySQL source writes TIMESTAMP values.
std::string IsoUtc(int64_t micros, int fsp) {
  int64_t seconds = micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
  const int64_t frac = micros - seconds * 1000000;
  const int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  const int64_t rem = seconds - days * 86400;
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                        static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (fsp > 0) {
    std::snprintf(buf, sizeof buf, "%06lld", static_cast<long long>(frac));
    out += '.';
    out.append(buf, static_cast<size_t>(fsp));
  }
  return out + "Z";
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  const char* begin = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  const char* end = s.data() + s.size();
  return begin < end && std::from_chars(begin, end, *out).ptr == end;
}

// `text` with exactly `scale` digits after the point (padding only), or nullopt.
std::optional<std::string> AtScale(std::string_view text, int scale) {
  if (text.empty()) return std::nullopt;
  std::string out(text[0] == '+' ? text.substr(1) : text);
  const size_t dot = out.find('.');
  const int fraction = dot == std::string::npos ? 0 : static_cast<int>(out.size() - dot - 1);
  if (fraction > scale) return std::nullopt;
  if (scale > 0 && dot == std::string::npos) out += '.';
  out.append(static_cast<size_t>(scale - fraction), '0');
  return out;
}

}  // namespace

std::optional<Value> ColumnDefaultValue(const ColumnSchema& c, std::string* storage) {
  if (c.is_array()) return std::nullopt;  // PostgreSQL defaults are not read
  if (!c.has_default) return std::nullopt;
  const std::string& text = c.default_value;
  switch (c.type) {
    case LogicalType::kInt16:
    case LogicalType::kInt32:
    case LogicalType::kInt64:
    case LogicalType::kYear: {
      int64_t v = 0;
      if (!ParseNumber(text, &v)) return std::nullopt;
      return Value::Int(v);
    }
    case LogicalType::kUInt64: {
      uint64_t v = 0;
      if (!ParseNumber(text, &v)) return std::nullopt;
      return Value::UInt(v);
    }
    case LogicalType::kFloat: {
      float v = 0;
      if (!ParseNumber(text, &v)) return std::nullopt;
      return Value::Float(v);
    }
    case LogicalType::kDouble: {
      double v = 0;
      if (!ParseNumber(text, &v)) return std::nullopt;
      return Value::Double(v);
    }
    case LogicalType::kDecimal: {
      auto scaled = AtScale(text, c.scale);
      if (!scaled) return std::nullopt;
      *storage = std::move(*scaled);
      return Value::Text(*storage);
    }
    case LogicalType::kString:
    case LogicalType::kEnum:
    case LogicalType::kSet: *storage = text; return Value::Text(*storage);
    case LogicalType::kBytes: *storage = text; return Value::Bytes(*storage);
    case LogicalType::kDate:
    case LogicalType::kTimestampMillis:
    case LogicalType::kTimestampMicros:
    case LogicalType::kZonedTimestamp: {
      int64_t micros = 0;
      bool zero = false;
      if (!ParseDateTime(text, &micros, &zero)) return std::nullopt;
      if (zero) {
        // As Debezium's: a zero date is no default in a nullable column, the epoch otherwise.
        if (c.nullable) return std::nullopt;
        micros = 0;
      }
      if (c.type == LogicalType::kDate) {
        return Value::Int(micros >= 0 ? micros / 86400000000
                                      : -((-micros + 86399999999) / 86400000000));
      }
      if (c.type == LogicalType::kTimestampMicros) return Value::Int(micros);
      if (c.type == LogicalType::kTimestampMillis) {
        return Value::Int(micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000));
      }
      *storage = IsoUtc(micros, c.fsp);
      return Value::Text(*storage);
    }
    case LogicalType::kMicroTime: {
      int64_t micros = 0;
      if (!ParseTime(text, &micros)) return std::nullopt;
      return Value::Int(micros);
    }
    case LogicalType::kBoolean:
    case LogicalType::kBits:
    case LogicalType::kJson:
    case LogicalType::kGeometry:
    // PostgreSQL types: the pgoutput stream carries no defaults.
    case LogicalType::kUuid:
    case LogicalType::kXml:
    case LogicalType::kZonedTime:
    case LogicalType::kMicroDuration: return std::nullopt;
  }
  return std::nullopt;
}

namespace {

// Debezium's length of an ENUM (its longest member) or a SET (all members joined by commas),
// in characters.
int MembersLength(const ColumnSchema& c) {
  auto chars = [](const std::string& s) {
    int n = 0;
    for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
    return n;
  };
  int longest = 0;
  int joined = c.enum_values.empty() ? 0 : static_cast<int>(c.enum_values.size()) - 1;
  for (const auto& m : c.enum_values) {
    longest = std::max(longest, chars(m));
    joined += chars(m);
  }
  return c.type == LogicalType::kSet ? joined : longest;
}

// The display width MariaDB shows for an integer type declared without one (INT -> INT(11)),
// for when information_schema was not read.
int DefaultDisplayWidth(const std::string& type) {
  static const std::pair<const char*, int> kWidths[] = {
      {"TINYINT", 4},   {"TINYINT UNSIGNED", 3},   {"SMALLINT", 6}, {"SMALLINT UNSIGNED", 5},
      {"MEDIUMINT", 9}, {"MEDIUMINT UNSIGNED", 8}, {"INT", 11},     {"INT UNSIGNED", 10},
      {"BIGINT", 20},   {"BIGINT UNSIGNED", 20},   {"YEAR", 4}};
  for (const auto& [name, width] : kWidths) {
    if (type == name) return width;
  }
  return -1;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> SourceTypeParameters(const ColumnSchema& c) {
  std::vector<std::pair<std::string, std::string>> p;
  std::string type = c.type_name;
  p.emplace_back("__debezium.source.column.type", type);
  int length = -1;
  int scale = -1;
  switch (c.type) {
    case LogicalType::kDecimal:
      length = c.precision;
      scale = c.scale;
      break;
    case LogicalType::kBits:
    case LogicalType::kBoolean: length = c.precision > 0 ? c.precision : 1; break;
    case LogicalType::kString:
    case LogicalType::kBytes:
      if (type == "VARCHAR" || type == "CHAR" || type == "VARBINARY" || type == "BINARY") {
        length = c.precision;
      }
      break;
    case LogicalType::kTimestampMillis:
    case LogicalType::kTimestampMicros:
    case LogicalType::kZonedTimestamp:
    case LogicalType::kMicroTime:
      if (c.fsp > 0) length = c.fsp;
      break;
    case LogicalType::kEnum:
    case LogicalType::kSet: length = MembersLength(c); break;
    case LogicalType::kInt16:
    case LogicalType::kInt32:
    case LogicalType::kInt64:
    case LogicalType::kUInt64:
    case LogicalType::kYear:
      length = c.display_width > 0 ? c.display_width : DefaultDisplayWidth(type);
      break;
    default: break;
  }
  if (length >= 0) p.emplace_back("__debezium.source.column.length", std::to_string(length));
  if (scale >= 0) p.emplace_back("__debezium.source.column.scale", std::to_string(scale));
  p.emplace_back("__debezium.source.column.name", c.name);
  return p;
}

bool PropagatesSourceType(const std::vector<std::string>& patterns, const TableSchema& table,
                          const ColumnSchema& column) {
  if (patterns.empty()) return false;
  const std::string name = table.database + "." + table.table + "." + column.name;
  return RegexList(patterns).AnyMatches(name);
}

}  // namespace vimur
