#include "source/mysql/mysql_decimal.h"

#include <string>

namespace vimur::mysql {
namespace {

constexpr int kDigitsPerGroup = 9;
constexpr int kGroupBytes = 4;
// Bytes that hold a group of 0..9 decimal digits (dig2bytes in strings/decimal.cc).
constexpr int kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr uint32_t kPowersOfTen[10] = {1,      10,      100,      1000,      10000,
                                       100000, 1000000, 10000000, 100000000, 1000000000};

uint32_t LoadBigEndian(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Writes `value` as exactly `digits` decimal digits (zero padded) at `out`.
void WriteDigits(uint32_t value, int digits, char* out) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

size_t DecimalBinarySize(int precision, int scale) {
  if (precision < 1 || precision > kMaxDecimalPrecision || scale < 0 || scale > kMaxDecimalScale ||
      scale > precision) {
    return 0;
  }
  int intg = precision - scale;
  return static_cast<size_t>(
      (intg / kDigitsPerGroup) * kGroupBytes + kDigitBytes[intg % kDigitsPerGroup] +
      (scale / kDigitsPerGroup) * kGroupBytes + kDigitBytes[scale % kDigitsPerGroup]);
}

Status FormatBinaryDecimal(const uint8_t* bytes, int precision, int scale, char* out,
                           size_t* out_len) {
  size_t size = DecimalBinarySize(precision, scale);
  if (size == 0) {
    return Status::Corruption("invalid DECIMAL precision/scale (" + std::to_string(precision) +
                              "," + std::to_string(scale) + ")");
  }
  // The first bit is the sign (set = positive); negative numbers have every bit inverted.
  uint8_t buf[40];
  for (size_t i = 0; i < size; ++i) buf[i] = bytes[i];
  const bool negative = (buf[0] & 0x80) == 0;
  buf[0] ^= 0x80;
  if (negative) {
    for (size_t i = 0; i < size; ++i) buf[i] = static_cast<uint8_t>(~buf[i]);
  }

  const int intg = precision - scale;
  const int intg_full = intg / kDigitsPerGroup;
  const int intg_part = intg % kDigitsPerGroup;
  const int frac_full = scale / kDigitsPerGroup;
  const int frac_part = scale % kDigitsPerGroup;

  // Integer digits first (zero padded to `intg` digits), then fraction digits.
  char digits[kMaxDecimalPrecision + 1];
  const uint8_t* p = buf;
  char* d = digits;
  auto group = [&](int ndigits) -> bool {
    int nbytes = ndigits == kDigitsPerGroup ? kGroupBytes : kDigitBytes[ndigits];
    uint32_t v = LoadBigEndian(p, nbytes);
    p += nbytes;
    if (v >= kPowersOfTen[ndigits]) return false;
    WriteDigits(v, ndigits, d);
    d += ndigits;
    return true;
  };
  bool ok = true;
  if (intg_part > 0) ok = group(intg_part) && ok;
  for (int i = 0; i < intg_full; ++i) ok = group(kDigitsPerGroup) && ok;
  for (int i = 0; i < frac_full; ++i) ok = group(kDigitsPerGroup) && ok;
  if (frac_part > 0) ok = group(frac_part) && ok;
  if (!ok) {
    return Status::Corruption("DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) +
                              ") digit group out of range");
  }

  // Strip leading zeros of the integer part, keeping one digit.
  int first = 0;
  while (first < intg - 1 && digits[first] == '0') ++first;
  bool all_zero = true;
  for (int i = 0; i < precision; ++i) {
    if (digits[i] != '0') {
      all_zero = false;
      break;
    }
  }
  char* o = out;
  if (negative && !all_zero) *o++ = '-';
  if (intg == 0) {
    *o++ = '0';
  } else {
    for (int i = first; i < intg; ++i) *o++ = digits[i];
  }
  if (scale > 0) {
    *o++ = '.';
    for (int i = intg; i < precision; ++i) *o++ = digits[i];
  }
  *out_len = static_cast<size_t>(o - out);
  return Status::Ok();
}

}  // namespace vimur::mysql
