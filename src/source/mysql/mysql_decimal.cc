#include "source/mysql/mysql_decimal.h"

#include <bit>
#include <cstdint>
#include <string>

#include "core/decimal_digits.h"

namespace vimur::mysql {
namespace {

constexpr int kDigitsPerGroup = 9;
constexpr int kGroupBytes = 4;
// Bytes that hold a group of 0..9 decimal digits (dig2bytes in strings/decimal.cc).
constexpr int kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr uint32_t kPowersOfTen[10] = {1,      10,      100,      1000,      10000,
                                       100000, 1000000, 10000000, 100000000, 1000000000};

// A group of n (1..4) big-endian bytes.
inline uint32_t LoadBigEndian(const uint8_t* p, int n) {
  switch (n) {
    case 1: return p[0];
    case 2: return (uint32_t{p[0]} << 8) | p[1];
    case 3: return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
    default: return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  }
}

using digits::kDigitPairs;
using digits::kPow10;
using digits::WriteDigitsBackward;
inline int DigitCount64(uint64_t v) { return digits::DecimalDigits(v); }

inline int DigitCount(uint32_t v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

}  // namespace

size_t DecimalBinarySize(int precision, int scale) {
  // Looked up (it is asked once per value): sizes by precision and scale, 0 when invalid.
  struct Table {
    uint8_t size[kMaxDecimalPrecision + 1][kMaxDecimalScale + 1];
  };
  static constexpr Table kTable = [] {
    Table t{};
    for (int p = 1; p <= kMaxDecimalPrecision; ++p) {
      for (int s = 0; s <= kMaxDecimalScale && s <= p; ++s) {
        const int intg = p - s;
        t.size[p][s] = static_cast<uint8_t>(
            (intg / kDigitsPerGroup) * kGroupBytes + kDigitBytes[intg % kDigitsPerGroup] +
            (s / kDigitsPerGroup) * kGroupBytes + kDigitBytes[s % kDigitsPerGroup]);
      }
    }
    return t;
  }();
  if (precision < 1 || precision > kMaxDecimalPrecision || scale < 0 || scale > kMaxDecimalScale) {
    return 0;
  }
  return kTable.size[precision][scale];
}

bool PrepareSmallDecimal(int precision, int scale, SmallDecimalLayout* layout) {
  const size_t size = DecimalBinarySize(precision, scale);
  const int intg = precision - scale;
  if (size == 0 || intg > 2 * kDigitsPerGroup || scale > 2 * kDigitsPerGroup) return false;
  SmallDecimalLayout l;
  l.size = static_cast<uint8_t>(size);
  l.scale = static_cast<uint8_t>(scale);
  auto group = [&](int ndigits) {
    l.bytes[l.groups] =
        static_cast<uint8_t>(ndigits == kDigitsPerGroup ? kGroupBytes : kDigitBytes[ndigits]);
    l.limit[l.groups] = kPowersOfTen[ndigits];
    ++l.groups;
  };
  if (intg % kDigitsPerGroup > 0) group(intg % kDigitsPerGroup);
  for (int i = 0; i < intg / kDigitsPerGroup; ++i) group(kDigitsPerGroup);
  l.int_groups = l.groups;
  for (int i = 0; i < scale / kDigitsPerGroup; ++i) group(kDigitsPerGroup);
  if (scale % kDigitsPerGroup > 0) group(scale % kDigitsPerGroup);
  l.sign_bit = uint32_t{0x80} << (8 * (l.bytes[0] - 1));
  *layout = l;
  return true;
}

bool FormatSmallDecimal(const SmallDecimalLayout& layout, const uint8_t* bytes, char* out,
                        size_t* out_len) {
  // The first bit is the sign (set = positive); negative numbers have every bit inverted.
  const uint32_t invert = (bytes[0] & 0x80) == 0 ? ~uint32_t{0} : 0;
  const uint8_t* p = bytes;
  uint64_t parts[2] = {0, 0};
  bool ok = true;
  for (int g = 0; g < layout.groups; ++g) {
    const int nbytes = layout.bytes[g];
    uint32_t v = LoadBigEndian(p, nbytes);
    p += nbytes;
    if (g == 0) v ^= layout.sign_bit;
    v ^= invert >> (32 - 8 * nbytes);  // invert just the group's bytes
    ok &= v < layout.limit[g];
    uint64_t& part = parts[g < layout.int_groups ? 0 : 1];
    part = part * layout.limit[g] + v;
  }
  if (!ok) return false;
  char* o = out;
  if (invert != 0 && (parts[0] | parts[1]) != 0) *o++ = '-';
  const int n = DigitCount64(parts[0]);
  WriteDigitsBackward(parts[0], n, o + n);
  o += n;
  if (layout.scale > 0) {
    *o++ = '.';
    WriteDigitsBackward(parts[1], layout.scale, o + layout.scale);
    o += layout.scale;
  }
  *out_len = static_cast<size_t>(o - out);
  return true;
}

Status FormatBinaryDecimal(const uint8_t* bytes, int precision, int scale, char* out,
                           size_t* out_len) {
  if (DecimalBinarySize(precision, scale) == 0) {
    return Status::Corruption("invalid DECIMAL precision/scale (" + std::to_string(precision) +
                              "," + std::to_string(scale) + ")");
  }
  const int intg = precision - scale;
  const int intg_full = intg / kDigitsPerGroup;
  const int intg_part = intg % kDigitsPerGroup;
  const int frac_full = scale / kDigitsPerGroup;
  const int frac_part = scale % kDigitsPerGroup;

  if (SmallDecimalLayout layout; PrepareSmallDecimal(precision, scale, &layout)) {
    // Up to 18 digits each side (nearly every column).
    if (!FormatSmallDecimal(layout, bytes, out, out_len)) {
      return Status::Corruption("DECIMAL(" + std::to_string(precision) + "," +
                                std::to_string(scale) + ") digit group out of range");
    }
    return Status::Ok();
  }

  // The first bit is the sign (set = positive); negative numbers have every bit inverted.
  const uint32_t invert = (bytes[0] & 0x80) == 0 ? ~uint32_t{0} : 0;
  const bool negative = invert != 0;
  // Larger: the digit groups, most significant first: integer groups, then fraction groups.
  constexpr int kMaxGroups = 2 * (kMaxDecimalPrecision / kDigitsPerGroup + 1);
  uint32_t value[kMaxGroups];
  int digits[kMaxGroups];
  int groups = 0;
  const uint8_t* p = bytes;
  bool ok = true;
  uint32_t any = 0;
  auto group = [&](int ndigits) {
    const int nbytes = ndigits == kDigitsPerGroup ? kGroupBytes : kDigitBytes[ndigits];
    uint32_t v = LoadBigEndian(p, nbytes);
    if (p == bytes) v ^= uint32_t{0x80} << (8 * (nbytes - 1));  // the sign bit
    if (nbytes < 4) {
      v = (v ^ invert) & ((uint32_t{1} << (8 * nbytes)) - 1);
    } else {
      v ^= invert;
    }
    p += nbytes;
    ok = ok && v < kPowersOfTen[ndigits];
    any |= v;
    value[groups] = v;
    digits[groups] = ndigits;
    ++groups;
  };
  if (intg_part > 0) group(intg_part);
  for (int i = 0; i < intg_full; ++i) group(kDigitsPerGroup);
  const int int_groups = groups;
  for (int i = 0; i < frac_full; ++i) group(kDigitsPerGroup);
  if (frac_part > 0) group(frac_part);
  if (!ok) {
    return Status::Corruption("DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) +
                              ") digit group out of range");
  }

  char* o = out;
  if (negative && any != 0) *o++ = '-';
  // The integer part without leading zeros, at least one digit.
  int g = 0;
  while (g < int_groups && value[g] == 0) ++g;
  if (g == int_groups) {
    *o++ = '0';
  } else {
    const int n = DigitCount(value[g]);
    WriteDigitsBackward(value[g], n, o + n);
    o += n;
    for (++g; g < int_groups; ++g) {
      WriteDigitsBackward(value[g], digits[g], o + digits[g]);
      o += digits[g];
    }
  }
  if (scale > 0) {
    *o++ = '.';
    for (g = int_groups; g < groups; ++g) {
      WriteDigitsBackward(value[g], digits[g], o + digits[g]);
      o += digits[g];
    }
  }
  *out_len = static_cast<size_t>(o - out);
  return Status::Ok();
}

}  // namespace vimur::mysql
