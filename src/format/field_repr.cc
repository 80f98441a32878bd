#include "format/field_repr.h"

#include <cstring>

namespace vimur {
namespace {

constexpr int kMaxDecimalDigits = 80;

// Copies `bytes[0..n)` (big-endian two's complement, n >= 1) to `buffer` without redundant
// sign bytes; returns the view of the copy.
std::string_view MinimalTwosComplement(const uint8_t* bytes, size_t n, char* buffer) {
  size_t start = 0;
  while (start + 1 < n) {
    const uint8_t b = bytes[start];
    const uint8_t next_sign = bytes[start + 1] & 0x80;
    if ((b == 0x00 && next_sign == 0) || (b == 0xff && next_sign != 0)) {
      ++start;
    } else {
      break;
    }
  }
  std::memcpy(buffer, bytes + start, n - start);
  return std::string_view(buffer, n - start);
}

Status NotDecimal(std::string_view text, const std::string& what) {
  return Status::Corruption("decimal '" + std::string(text) + "' " + what);
}

}  // namespace

Result<ValueModes> ValueModes::FromNames(std::string_view decimal, std::string_view bigint_unsigned,
                                         std::string_view time_precision, std::string_view binary) {
  ValueModes m;
  if (decimal == "precise" || decimal.empty()) {
    m.decimal = DecimalHandlingMode::kPrecise;
  } else if (decimal == "string") {
    m.decimal = DecimalHandlingMode::kString;
  } else if (decimal == "double") {
    m.decimal = DecimalHandlingMode::kDouble;
  } else {
    return Status::InvalidArgument("decimal_handling_mode '" + std::string(decimal) +
                                   "': expected precise, string or double");
  }
  if (bigint_unsigned == "precise" || bigint_unsigned.empty()) {
    m.bigint_unsigned = BigintUnsignedHandlingMode::kPrecise;
  } else if (bigint_unsigned == "long") {
    m.bigint_unsigned = BigintUnsignedHandlingMode::kLong;
  } else {
    return Status::InvalidArgument("bigint_unsigned_handling_mode '" +
                                   std::string(bigint_unsigned) + "': expected precise or long");
  }
  if (time_precision == "adaptive_time_microseconds" || time_precision.empty()) {
    m.time_precision = TimePrecisionMode::kAdaptiveTimeMicroseconds;
  } else if (time_precision == "connect") {
    m.time_precision = TimePrecisionMode::kConnect;
  } else {
    return Status::InvalidArgument("time_precision_mode '" + std::string(time_precision) +
                                   "': expected adaptive_time_microseconds or connect");
  }
  if (binary == "bytes" || binary.empty()) {
    m.binary = BinaryHandlingMode::kBytes;
  } else if (binary == "base64") {
    m.binary = BinaryHandlingMode::kBase64;
  } else if (binary == "hex") {
    m.binary = BinaryHandlingMode::kHex;
  } else {
    return Status::InvalidArgument("binary_handling_mode '" + std::string(binary) +
                                   "': expected bytes, base64 or hex");
  }
  return m;
}

FieldRepr ReprOf(const ColumnSchema& c, const ValueModes& m) {
  const bool connect = m.time_precision == TimePrecisionMode::kConnect;
  switch (c.type) {
    case LogicalType::kBoolean: return FieldRepr::kBoolean;
    case LogicalType::kInt16: return FieldRepr::kInt16;
    case LogicalType::kInt32: return FieldRepr::kInt32;
    case LogicalType::kInt64: return FieldRepr::kInt64;
    case LogicalType::kUInt64:
      return m.bigint_unsigned == BigintUnsignedHandlingMode::kPrecise ? FieldRepr::kUnsignedDecimal
                                                                       : FieldRepr::kUnsignedLong;
    case LogicalType::kFloat: return FieldRepr::kFloat;
    case LogicalType::kDouble: return FieldRepr::kDouble;
    case LogicalType::kDecimal:
      switch (m.decimal) {
        case DecimalHandlingMode::kPrecise:
          return c.scale == kVariableScale ? FieldRepr::kVariableScaleDecimal : FieldRepr::kDecimal;
        case DecimalHandlingMode::kString: return FieldRepr::kDecimalString;
        case DecimalHandlingMode::kDouble: return FieldRepr::kDecimalDouble;
      }
      return FieldRepr::kDecimal;
    case LogicalType::kBits: return FieldRepr::kBits;
    case LogicalType::kDate: return connect ? FieldRepr::kConnectDate : FieldRepr::kDate;
    case LogicalType::kTimestampMillis:
      return connect ? FieldRepr::kConnectTimestamp : FieldRepr::kTimestamp;
    case LogicalType::kTimestampMicros:
      return connect ? FieldRepr::kConnectTimestampMicros : FieldRepr::kMicroTimestamp;
    case LogicalType::kZonedTimestamp: return FieldRepr::kZonedTimestamp;
    case LogicalType::kMicroTime: return connect ? FieldRepr::kConnectTime : FieldRepr::kMicroTime;
    case LogicalType::kYear: return FieldRepr::kYear;
    case LogicalType::kString: return FieldRepr::kString;
    case LogicalType::kBytes:
      switch (m.binary) {
        case BinaryHandlingMode::kBytes: return FieldRepr::kBytes;
        case BinaryHandlingMode::kBase64: return FieldRepr::kBytesBase64;
        case BinaryHandlingMode::kHex: return FieldRepr::kBytesHex;
      }
      return FieldRepr::kBytes;
    case LogicalType::kEnum: return FieldRepr::kEnum;
    case LogicalType::kSet: return FieldRepr::kSet;
    case LogicalType::kJson: return FieldRepr::kJson;
    case LogicalType::kGeometry: return FieldRepr::kGeometry;
    case LogicalType::kUuid: return FieldRepr::kUuid;
    case LogicalType::kXml: return FieldRepr::kXml;
    case LogicalType::kZonedTime: return FieldRepr::kZonedTime;
    case LogicalType::kMicroDuration: return FieldRepr::kMicroDuration;
  }
  return FieldRepr::kString;
}

bool IsPlainJson(FieldRepr repr) {
  switch (repr) {
    case FieldRepr::kUnsignedDecimal:
    case FieldRepr::kUnsignedLong:
    case FieldRepr::kDecimal:
    case FieldRepr::kVariableScaleDecimal:
    case FieldRepr::kDecimalDouble:
    case FieldRepr::kConnectTime:
    case FieldRepr::kConnectTimestampMicros:
    case FieldRepr::kBytesHex: return false;
    default: return true;
  }
}

ConnectType ConnectTypeOf(FieldRepr repr) {
  switch (repr) {
    case FieldRepr::kBoolean: return {"boolean", nullptr, 0};
    case FieldRepr::kInt16: return {"int16", nullptr, 0};
    case FieldRepr::kInt32: return {"int32", nullptr, 0};
    case FieldRepr::kInt64:
    case FieldRepr::kUnsignedLong: return {"int64", nullptr, 0};
    case FieldRepr::kUnsignedDecimal:
    case FieldRepr::kDecimal: return {"bytes", "org.apache.kafka.connect.data.Decimal", 1};
    case FieldRepr::kFloat: return {"float", nullptr, 0};
    case FieldRepr::kDouble:
    case FieldRepr::kDecimalDouble: return {"double", nullptr, 0};
    case FieldRepr::kDecimalString: return {"string", nullptr, 0};
    case FieldRepr::kBits: return {"bytes", "io.debezium.data.Bits", 1};
    case FieldRepr::kDate: return {"int32", "io.debezium.time.Date", 1};
    case FieldRepr::kTimestamp: return {"int64", "io.debezium.time.Timestamp", 1};
    case FieldRepr::kMicroTimestamp: return {"int64", "io.debezium.time.MicroTimestamp", 1};
    case FieldRepr::kZonedTimestamp: return {"string", "io.debezium.time.ZonedTimestamp", 1};
    case FieldRepr::kMicroTime: return {"int64", "io.debezium.time.MicroTime", 1};
    case FieldRepr::kYear: return {"int32", "io.debezium.time.Year", 1};
    case FieldRepr::kConnectDate: return {"int32", "org.apache.kafka.connect.data.Date", 1};
    case FieldRepr::kConnectTime: return {"int32", "org.apache.kafka.connect.data.Time", 1};
    case FieldRepr::kConnectTimestamp:
    case FieldRepr::kConnectTimestampMicros:
      return {"int64", "org.apache.kafka.connect.data.Timestamp", 1};
    case FieldRepr::kString:
    case FieldRepr::kBytesBase64:
    case FieldRepr::kBytesHex: return {"string", nullptr, 0};
    case FieldRepr::kBytes: return {"bytes", nullptr, 0};
    case FieldRepr::kEnum: return {"string", "io.debezium.data.Enum", 1};
    case FieldRepr::kSet: return {"string", "io.debezium.data.EnumSet", 1};
    case FieldRepr::kJson: return {"string", "io.debezium.data.Json", 1};
    case FieldRepr::kGeometry: return {"struct", "io.debezium.data.geometry.Geometry", 1};
    case FieldRepr::kUuid: return {"string", "io.debezium.data.Uuid", 1};
    case FieldRepr::kXml: return {"string", "io.debezium.data.Xml", 1};
    case FieldRepr::kZonedTime: return {"string", "io.debezium.time.ZonedTime", 1};
    case FieldRepr::kMicroDuration: return {"int64", "io.debezium.time.MicroDuration", 1};
    case FieldRepr::kVariableScaleDecimal:
      return {"struct", "io.debezium.data.VariableScaleDecimal", 1};
  }
  return {"string", nullptr, 0};
}

int TextScale(std::string_view text) {
  const size_t point = text.find('.');
  return point == std::string_view::npos ? 0 : static_cast<int>(text.size() - point - 1);
}

bool SmallUnscaled(std::string_view text, int scale, int64_t* out) {
  const char* s = text.data();
  const char* const end = s + text.size();
  bool negative = false;
  if (s < end && *s == '-') {
    negative = true;
    ++s;
  }
  if (s == end || end - s > 19) return false;
  int64_t v = 0;
  int digits = 0;
  int fraction = -1;
  for (; s < end; ++s) {
    const unsigned d = static_cast<unsigned char>(*s) - '0';
    if (d < 10) {
      if (++digits > 18) return false;  // may not fit: before multiplying (no overflow)
      v = v * 10 + d;
      if (fraction >= 0) ++fraction;
    } else if (*s == '.' && fraction < 0) {
      fraction = 0;
    } else {
      return false;
    }
  }
  if (fraction < 0) fraction = 0;
  if (digits == 0 || fraction > scale || digits + (scale - fraction) > 18) return false;
  for (int k = fraction; k < scale; ++k) v *= 10;
  *out = negative ? -v : v;
  return true;
}

Result<std::string_view> DecimalUnscaledBytes(std::string_view text, int scale, char* buffer) {
  if (int64_t small = 0; SmallUnscaled(text, scale, &small)) {
    return SignedUnscaledBytes(small, buffer);
  }
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  int digits = 0;
  int fraction = -1;  // digits after the point; -1 before any point
  // Fast path: up to 18 significant digits fit an int64.
  int64_t small = 0;
  // Slow path: little-endian 32-bit limbs of the magnitude (80 digits < 2^266).
  uint32_t limbs[9] = {};
  bool big = false;
  auto push_digit = [&](uint32_t d) {
    if (!big && digits < 18) {
      small = small * 10 + d;
      return;
    }
    if (!big) {
      big = true;
      const auto s = static_cast<uint64_t>(small);
      limbs[0] = static_cast<uint32_t>(s);
      limbs[1] = static_cast<uint32_t>(s >> 32);
    }
    uint64_t carry = d;
    for (uint32_t& limb : limbs) {
      const uint64_t t = static_cast<uint64_t>(limb) * 10 + carry;
      limb = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
  };
  bool any = false;
  for (; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '.' && fraction < 0) {
      fraction = 0;
      continue;
    }
    if (ch < '0' || ch > '9') {
      return NotDecimal(text, "has a character '" + std::string(1, ch) + "' that is not a digit");
    }
    any = true;
    if (fraction >= 0) ++fraction;
    if (digits == 0 && ch == '0' && !big) continue;  // leading zeros add nothing
    if (++digits > kMaxDecimalDigits) return NotDecimal(text, "has more than 80 digits");
    push_digit(static_cast<uint32_t>(ch - '0'));
  }
  if (!any) return NotDecimal(text, "has no digits");
  if (fraction < 0) fraction = 0;
  if (fraction > scale) {
    return NotDecimal(text, "has " + std::to_string(fraction) +
                                " digits after the point, scale is " + std::to_string(scale));
  }
  for (int k = fraction; k < scale; ++k) {
    if (digits > 0) {
      if (++digits > kMaxDecimalDigits) return NotDecimal(text, "has more than 80 digits");
      push_digit(0);
    }
  }
  if (!big) return SignedUnscaledBytes(negative ? -small : small, buffer);
  // Big-endian bytes with one extra leading byte for the sign.
  uint8_t bytes[37];
  bytes[0] = 0;
  for (int l = 0; l < 9; ++l) {
    const uint32_t limb = limbs[8 - l];
    for (int b = 0; b < 4; ++b) bytes[1 + l * 4 + b] = static_cast<uint8_t>(limb >> (24 - 8 * b));
  }
  if (negative) {
    unsigned carry = 1;
    for (int k = 36; k >= 0; --k) {
      const unsigned t = static_cast<uint8_t>(~bytes[k]) + carry;
      bytes[k] = static_cast<uint8_t>(t);
      carry = t >> 8;
    }
  }
  return MinimalTwosComplement(bytes, sizeof bytes, buffer);
}

std::string_view UnsignedUnscaledBytes(uint64_t v, char* buffer) {
  uint8_t b[9];
  b[0] = 0;
  for (int i = 8; i >= 1; --i) {
    b[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return MinimalTwosComplement(b, 9, buffer);
}

std::string_view SignedUnscaledBytes(int64_t v, char* buffer) {
  uint8_t b[8];
  auto u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(u & 0xff);
    u >>= 8;
  }
  return MinimalTwosComplement(b, 8, buffer);
}

char* WriteHex(std::string_view bytes, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    *out++ = kHex[b >> 4];
    *out++ = kHex[b & 15];
  }
  return out;
}

}  // namespace vimur
