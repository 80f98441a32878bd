// FieldRepr: how a column's values are represented in events under Debezium's handling modes
// (decimal, BIGINT UNSIGNED, time precision, binary), worked out once per column and shared
// by the JSON and Avro formats, so that both write the same schema and value for a column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/table_schema.h"

namespace vimur {

// Debezium's `decimal.handling.mode`: Connect Decimal bytes, exact text, or a double.
enum class DecimalHandlingMode : uint8_t { kPrecise, kString, kDouble };
// Debezium's `bigint.unsigned.handling.mode`: Connect Decimal(20,0) or int64 (wraps above
// 2^63-1, as Debezium's does).
enum class BigintUnsignedHandlingMode : uint8_t { kPrecise, kLong };
// Debezium's `time.precision.mode`: io.debezium.time types by column precision, or Kafka
// Connect's Date/Time/Timestamp (milliseconds).
enum class TimePrecisionMode : uint8_t { kAdaptiveTimeMicroseconds, kConnect };
// Debezium's `binary.handling.mode`: bytes, or a base64 / hex string.
enum class BinaryHandlingMode : uint8_t { kBytes, kBase64, kHex };

// The handling modes of one source, Debezium's defaults when default-constructed.
struct ValueModes {
  DecimalHandlingMode decimal = DecimalHandlingMode::kPrecise;
  BigintUnsignedHandlingMode bigint_unsigned = BigintUnsignedHandlingMode::kPrecise;
  TimePrecisionMode time_precision = TimePrecisionMode::kAdaptiveTimeMicroseconds;
  BinaryHandlingMode binary = BinaryHandlingMode::kBytes;

  // From the configuration's names (decimal_handling_mode: precise|string|double, ...);
  // an unknown name fails, naming the key and the accepted values.
  static Result<ValueModes> FromNames(std::string_view decimal, std::string_view bigint_unsigned,
                                      std::string_view time_precision, std::string_view binary);
};

enum class FieldRepr : uint8_t {
  kBoolean,                 // boolean
  kInt16,                   // int16
  kInt32,                   // int32
  kInt64,                   // int64
  kUnsignedDecimal,         // BIGINT UNSIGNED, precise: Connect Decimal(20,0)
  kUnsignedLong,            // BIGINT UNSIGNED, long: int64
  kFloat,                   // float32
  kDouble,                  // float64
  kDecimal,                 // DECIMAL, precise: Connect Decimal(p,s), unscaled two's complement
  kDecimalString,           // DECIMAL, string: text with s digits after the point
  kDecimalDouble,           // DECIMAL, double: float64
  kBits,                    // BIT(n>1): io.debezium.data.Bits
  kDate,                    // io.debezium.time.Date (days)
  kTimestamp,               // io.debezium.time.Timestamp (ms)
  kMicroTimestamp,          // io.debezium.time.MicroTimestamp (µs)
  kZonedTimestamp,          // io.debezium.time.ZonedTimestamp (ISO-8601 text)
  kMicroTime,               // io.debezium.time.MicroTime (µs)
  kYear,                    // io.debezium.time.Year
  kConnectDate,             // connect: org.apache.kafka.connect.data.Date (days)
  kConnectTime,             // connect: org.apache.kafka.connect.data.Time (ms of day, int32)
  kConnectTimestamp,        // connect: org.apache.kafka.connect.data.Timestamp (ms), from ms
  kConnectTimestampMicros,  // the same from a DATETIME(4-6) value in µs
  kString,                  // string
  kBytes,                   // bytes
  kBytesBase64,             // binary as a base64 string
  kBytesHex,                // binary as a lower-case hex string
  kEnum,                    // io.debezium.data.Enum
  kSet,                     // io.debezium.data.EnumSet
  kJson,                    // io.debezium.data.Json
  kGeometry,                // io.debezium.data.geometry.Geometry
  kUuid,                    // io.debezium.data.Uuid (text)
  kXml,                     // io.debezium.data.Xml (text)
  kZonedTime,               // io.debezium.time.ZonedTime (ISO-8601 text)
  kMicroDuration,           // io.debezium.time.MicroDuration (µs, int64)
  // A decimal of scale kVariableScale, precise: io.debezium.data.VariableScaleDecimal, a
  // struct {scale: int32, value: bytes (unscaled two's complement)}, the scale per value.
  kVariableScaleDecimal,
};

// The ColumnSchema::scale of a decimal whose values each have their own scale (PostgreSQL
// numeric without precision); its values are their exact text ("12.500").
constexpr int kVariableScale = -1;

// The scale of a decimal's text: its digits after the point ("12.500": 3).
int TextScale(std::string_view text);

FieldRepr ReprOf(const ColumnSchema& column, const ValueModes& modes);

// True when a value of this representation is written as its Value kind naturally is (JSON:
// numbers, strings, base64 bytes), with no conversion.
bool IsPlainJson(FieldRepr repr);

// The Kafka Connect schema type ("int32", "bytes", ...) and logical name (or nullptr) of a
// representation, and its logical schema's version.
struct ConnectType {
  const char* type;
  const char* name;
  int version;
};
ConnectType ConnectTypeOf(FieldRepr repr);

// The largest unscaled DECIMAL: 65 digits (MySQL) need 28 bytes; Vimur accepts 80 digits.
constexpr size_t kMaxDecimalBytes = 40;

// The unscaled value of a decimal given as text ("-12.50": exactly `scale` digits after the
// point, or fewer, which are padded) as minimal big-endian two's-complement bytes, the form
// of Kafka Connect's Decimal (Java's BigInteger.toByteArray) and of Avro's decimal. Writes at
// most kMaxDecimalBytes at `buffer` and returns the view of them, or fails on text that is
// not a decimal number, has more than 80 digits or more than `scale` fraction digits.
Result<std::string_view> DecimalUnscaledBytes(std::string_view text, int scale, char* buffer);
// The unscaled value of `text` at `scale` when it has at most 18 digits once padded (the common
// case, in an int64); false for anything else, which DecimalUnscaledBytes handles.
bool SmallUnscaled(std::string_view text, int scale, int64_t* out);
// The same for an integer (a BIGINT UNSIGNED as Decimal(20,0), or an int64).
std::string_view UnsignedUnscaledBytes(uint64_t v, char* buffer);
std::string_view SignedUnscaledBytes(int64_t v, char* buffer);

// Lower-case hex of `bytes` at `out` (2 * bytes.size() chars); returns the end.
char* WriteHex(std::string_view bytes, char* out);

}  // namespace vimur
