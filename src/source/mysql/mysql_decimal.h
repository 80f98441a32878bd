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
// must hold kMaxDecimalTextSize chars, and stores the length in `*out_len`. Fails with
// Corruption when a digit group is out of range.
Status FormatBinaryDecimal(const uint8_t* bytes, int precision, int scale, char* out,
                           size_t* out_len);

}  // namespace vimur::mysql
