// PostgreSQL column types as Vimur represents them: the logical type of a column from its type
// OID and modifier (as a Relation message gives them), and the decoding of a value's text
// output form (DateStyle ISO, TimeZone UTC, bytea_output hex, lc_monetary C) into a Value.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/arena.h"
#include "core/status.h"
#include "core/table_schema.h"
#include "core/value.h"

namespace vimur::postgresql {

// Built-in type OIDs (pg_type.dat).
namespace oid {
constexpr uint32_t kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20, kInt2 = 21,
                   kInt4 = 23, kText = 25, kOid = 26, kJson = 114, kXml = 142, kFloat4 = 700,
                   kFloat8 = 701, kMoney = 790, kBpchar = 1042, kVarchar = 1043, kDate = 1082,
                   kTime = 1083, kTimestamp = 1114, kTimestamptz = 1184, kInterval = 1186,
                   kTimetz = 1266, kBit = 1560, kVarbit = 1562, kNumeric = 1700, kUuid = 2950,
                   kJsonb = 3802;
}  // namespace oid

// The element type OID of a built-in one-dimensional array type (`_int4`: int4), 0 for any other
// type. `box[]` is left out: its elements are separated by ';' and box is text anyway.
uint32_t BuiltinArrayElement(uint32_t array_oid);

// The column's logical type, precision, scale and fractional seconds from its type OID and
// modifier (atttypmod). An array of a built-in type is the element's column with
// array_element_oid set (the modifier is the element's). Types without a mapping of their own
// (enums, domains, geometric types, ...) are kString: their text output form. A numeric without
// precision (or with a negative scale) is a kDecimal of scale -1 (variable, see
// format/field_repr.h). `money` is a decimal with `money_fraction_digits` digits and no precision
// (Debezium's money.fraction.digits).
ColumnSchema ColumnForType(uint32_t type_oid, int32_t type_modifier, int money_fraction_digits = 2);

// An array column of element type `element_oid`: ColumnForType's for the element, marked as an
// array.
ColumnSchema ArrayColumnForType(uint32_t element_oid, int32_t type_modifier,
                                int money_fraction_digits = 2);

// Decodes `text`, the type's text output, into `out`; text and bytes are copied into `arena`.
// An array column's value (`{1,NULL,"a b"}`, with or without `[lo:hi]=` bounds) is a Value
// kArray of its elements, each decoded as the element type; multi-dimensional arrays are
// refused (a Connect array's elements have one schema).
// A numeric NaN or Infinity is kept as the text "NaN", "Infinity", "-Infinity" (a precise
// decimal cannot hold it: the source refuses it there, see DecodeValue's caller).
Status DecodeText(const ColumnSchema& column, uint32_t type_oid, std::string_view text,
                  ByteArena* arena, Value* out);

// Days since 1970-01-01 of "YYYY-MM-DD" (optionally " BC").
bool ParseDate(std::string_view text, int64_t* days);
// Microseconds since midnight of "HH:MM:SS[.ffffff]" (24:00:00 allowed).
bool ParseTime(std::string_view text, int64_t* micros);
// Microseconds since the epoch of "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]"; the
// offset, when present, is subtracted (the result is UTC).
bool ParseTimestamp(std::string_view text, int64_t* micros);

}  // namespace vimur::postgresql
