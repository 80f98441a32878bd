#include "source/mysql/snapshot_row_decoder.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "source/mysql/column_values.h"

namespace vimur::mysql {
namespace {

Status Bad(const ColumnSchema& column, std::string_view text, const char* what) {
  return Status::Corruption("snapshot value of column `" + column.name + "` (" + column.type_name +
                            "): " + what + " in '" + std::string(text.substr(0, 64)) + "'");
}

// Reads an unsigned decimal number at `*p`, advancing it; false when there is no digit.
bool Digits(std::string_view text, size_t* p, uint64_t* out) {
  const char* begin = text.data() + *p;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  if (ec != std::errc() || ptr == begin) return false;
  *p = static_cast<size_t>(ptr - text.data());
  return true;
}

bool Expect(std::string_view text, size_t* p, char c) {
  if (*p >= text.size() || text[*p] != c) return false;
  ++*p;
  return true;
}

// ".ffffff" (up to 6 digits) as microseconds; nothing when there is no '.'.
bool Fraction(std::string_view text, size_t* p, uint32_t* micros) {
  *micros = 0;
  if (*p >= text.size() || text[*p] != '.') return true;
  ++*p;
  uint32_t value = 0;
  int digits = 0;
  while (*p < text.size() && text[*p] >= '0' && text[*p] <= '9') {
    if (digits < 6) {
      value = value * 10 + static_cast<uint32_t>(text[*p] - '0');
      ++digits;
    }
    ++*p;
  }
  if (digits == 0) return false;
  while (digits < 6) {
    value *= 10;
    ++digits;
  }
  *micros = value;
  return true;
}

template <typename N>
bool Number(std::string_view text, N* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

std::string SnapshotSelectExpression(const ColumnSchema& column) {
  if (column.type == LogicalType::kZonedTimestamp) {
    return "UNIX_TIMESTAMP(" + QuoteIdentifier(column.name) + ")";
  }
  if (column.type == LogicalType::kFloat) {
    // The server prints a FLOAT with 6 digits, a DOUBLE with all it needs to read back exactly.
    return "CAST(" + QuoteIdentifier(column.name) + " AS DOUBLE)";
  }
  return QuoteIdentifier(column.name);
}

Status DecodeSnapshotCell(const ColumnSchema& column, const char* cell, size_t length,
                          ByteArena* arena, Value* out) {
  if (cell == nullptr) {
    *out = Value::Null();
    return Status::Ok();
  }
  const std::string_view text(cell, length);
  switch (column.type) {
    case LogicalType::kInt16:
    case LogicalType::kInt32:
    case LogicalType::kInt64:
    case LogicalType::kYear: {
      int64_t v = 0;
      if (!Number(text, &v)) return Bad(column, text, "not an integer");
      *out = Value::Int(v);
      return Status::Ok();
    }
    case LogicalType::kUInt64: {
      uint64_t v = 0;
      if (!Number(text, &v)) return Bad(column, text, "not an unsigned integer");
      *out = Value::UInt(v);
      return Status::Ok();
    }
    case LogicalType::kFloat: {
      // Read as CAST(column AS DOUBLE): the float's exact value, narrowed back without loss.
      std::string copy(text);
      char* end = nullptr;
      const double d = std::strtod(copy.c_str(), &end);
      if (end != copy.c_str() + copy.size()) return Bad(column, text, "not a number");
      *out = Value::Float(static_cast<float>(d));
      return Status::Ok();
    }
    case LogicalType::kDouble: {
      std::string copy(text);
      char* end = nullptr;
      const double d = std::strtod(copy.c_str(), &end);
      if (end != copy.c_str() + copy.size()) return Bad(column, text, "not a number");
      *out = Value::Double(d);
      return Status::Ok();
    }
    case LogicalType::kDecimal:
      // The server's text has exactly the column's scale, as the binlog decoder formats it.
      *out = Value::Text(arena->Copy(text));
      return Status::Ok();
    case LogicalType::kBoolean:
      // BIT values arrive as their big-endian bytes.
      *out = Value::Bool(!text.empty() && (static_cast<uint8_t>(text.back()) & 1) != 0);
      return Status::Ok();
    case LogicalType::kBits: {
      char* le = arena->Allocate(text.size());
      for (size_t i = 0; i < text.size(); ++i) le[i] = text[text.size() - 1 - i];
      *out = Value::Bytes({le, text.size()});
      return Status::Ok();
    }
    case LogicalType::kDate:
    case LogicalType::kTimestampMillis:
    case LogicalType::kTimestampMicros: {
      size_t p = 0;
      uint64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
      uint32_t micros = 0;
      if (!Digits(text, &p, &year) || !Expect(text, &p, '-') || !Digits(text, &p, &month) ||
          !Expect(text, &p, '-') || !Digits(text, &p, &day)) {
        return Bad(column, text, "not a date");
      }
      if (column.type == LogicalType::kDate) {
        if (year == 0 || month == 0 || day == 0) {
          *out = ZeroDateValue(column);
        } else {
          *out = Value::Int(DaysSinceEpoch(static_cast<int64_t>(year), static_cast<unsigned>(month),
                                           static_cast<unsigned>(day)));
        }
        return Status::Ok();
      }
      if (!Expect(text, &p, ' ') || !Digits(text, &p, &hour) || !Expect(text, &p, ':') ||
          !Digits(text, &p, &minute) || !Expect(text, &p, ':') || !Digits(text, &p, &second) ||
          !Fraction(text, &p, &micros) || p != text.size()) {
        return Bad(column, text, "not a DATETIME");
      }
      *out = DateTimeColumnValue(column, year, month, day, hour, minute, second, micros);
      return Status::Ok();
    }
    case LogicalType::kZonedTimestamp: {
      // UNIX_TIMESTAMP(column): seconds since the epoch with the column's fraction digits.
      size_t p = 0;
      uint64_t seconds = 0;
      uint32_t micros = 0;
      if (!Digits(text, &p, &seconds) || !Fraction(text, &p, &micros) || p != text.size()) {
        return Bad(column, text, "not a UNIX_TIMESTAMP");
      }
      *out = TimestampColumnValue(column, seconds, micros, column.fsp, arena);
      return Status::Ok();
    }
    case LogicalType::kMicroTime: {
      size_t p = 0;
      const bool negative = !text.empty() && text[0] == '-';
      if (negative) p = 1;
      uint64_t hour = 0, minute = 0, second = 0;
      uint32_t micros = 0;
      if (!Digits(text, &p, &hour) || !Expect(text, &p, ':') || !Digits(text, &p, &minute) ||
          !Expect(text, &p, ':') || !Digits(text, &p, &second) || !Fraction(text, &p, &micros) ||
          p != text.size()) {
        return Bad(column, text, "not a TIME");
      }
      const auto total =
          static_cast<int64_t>((hour * 3600 + minute * 60 + second) * 1000000 + micros);
      *out = Value::Int(negative ? -total : total);
      return Status::Ok();
    }
    case LogicalType::kEnum:
      if (text.empty()) {
        *out = Value::Text({});
        return Status::Ok();
      }
      // As the binlog decoder does: a view of the schema's member.
      for (const std::string& member : column.enum_values) {
        if (member == text) {
          *out = Value::Text(member);
          return Status::Ok();
        }
      }
      return Bad(column, text, "not a member of the ENUM");
    case LogicalType::kSet:
    case LogicalType::kJson: *out = Value::Text(arena->Copy(text)); return Status::Ok();
    case LogicalType::kString:
    case LogicalType::kBytes:
      *out = StringColumnValue(column, arena->Copy(text), arena);
      return Status::Ok();
    case LogicalType::kGeometry: {
      if (text.size() < 4) return Bad(column, text, "GEOMETRY shorter than its SRID");
      uint32_t srid = 0;
      for (int i = 3; i >= 0; --i) srid = (srid << 8) | static_cast<uint8_t>(text[i]);
      *out = Value::Geometry(arena->Copy(text.substr(4)), srid);
      return Status::Ok();
    }
    case LogicalType::kUuid:
    case LogicalType::kXml:
    case LogicalType::kZonedTime:
    case LogicalType::kMicroDuration: break;  // PostgreSQL types: never a MySQL column
  }
  return Status::Internal("column `" + column.name + "` has no snapshot decoding");
}

}  // namespace vimur::mysql
