// MySQL binary DECIMAL (decimal2bin in strings/decimal.cc): the packed format of NEWDECIMAL
// columns in row images and of DECIMAL values inside binary JSON, rendered as exact text.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"

namespace vimur::mysql {

constexpr int kMaxDecimalPrecision = 65;
constexpr int kMaxDecimalScale = 30;
// Longest text FormatBinaryDecimal writes: sign, 65 digits, point, a leading "0".
constexpr size_t kMaxDecimalTextSize = kMaxDecimalPrecision + 3;

// Bytes a DECIMAL(precision, scale) takes in binary form, or 0 when precision/scale are out of
// MySQL's range (1..65, 0..30, scale <= precision).
size_t DecimalBinarySize(int precision, int scale);

// Renders the DecimalBinarySize(precision, scale) bytes at `bytes` as text with exactly `scale`
// digits after the point ("-0.50", "12", "0.000"), like MySQL's SELECT. Writes into `out`, which
// must hold precision + 3 chars (kMaxDecimalTextSize for any precision), and stores the length in
// `*out_len`. Fails with Corruption when a digit group is out of range.
Status FormatBinaryDecimal(const uint8_t* bytes, int precision, int scale, char* out,
                           size_t* out_len);

// DECIMAL(precision, scale) with at most 18 digits on each side of the point, worked out once
// per column so that each value is formatted with no setup (DecodeRow's hot path).
struct SmallDecimalLayout {
  uint8_t size = 0;  // DecimalBinarySize
  uint8_t scale = 0;
  uint8_t groups = 0;      // digit groups, most significant first
  uint8_t int_groups = 0;  // the first int_groups groups are the integer part
  uint8_t bytes[6] = {};   // bytes of each group
  uint32_t limit[6] = {};  // 10^digits of each group: values must be below
  uint32_t sign_bit = 0;   // the sign bit within the first group's value
};
// False (layout unusable) when out of MySQL's range or over 18 digits on a side.
bool PrepareSmallDecimal(int precision, int scale, SmallDecimalLayout* layout);
// FormatBinaryDecimal for a prepared layout: the same text; false when a digit group is out
// of range (nothing else is wrong). `out` must hold precision + 3 chars.
bool FormatSmallDecimal(const SmallDecimalLayout& layout, const uint8_t* bytes, char* out,
                        size_t* out_len);

}  // namespace vimur::mysql
