// Decimal digit helpers shared by the hot formatting paths (JSON numbers, DECIMAL text):
// digit counts and two-digits-at-a-time writing, with no allocation and no locale.
#pragma once

#include <bit>
#include <cstdint>

namespace vimur::digits {

inline constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline constexpr uint64_t kPow10[20] = {1ull,
                                        10ull,
                                        100ull,
                                        1000ull,
                                        10000ull,
                                        100000ull,
                                        1000000ull,
                                        10000000ull,
                                        100000000ull,
                                        1000000000ull,
                                        10000000000ull,
                                        100000000000ull,
                                        1000000000000ull,
                                        10000000000000ull,
                                        100000000000000ull,
                                        1000000000000000ull,
                                        10000000000000000ull,
                                        100000000000000000ull,
                                        1000000000000000000ull,
                                        10000000000000000000ull};

// Decimal digits of v (1 for 0): floor(log10(v)) + 1 from the bit width, corrected by one
// comparison.
inline int DecimalDigits(uint64_t v) {
  const int bits = 64 - std::countl_zero(v | 1);
  const int guess = (bits * 1233) >> 12;  // 1233 / 4096 ~ log10(2)
  return guess + 1 - ((v | 1) < kPow10[guess] ? 1 : 0);
}

// Writes `value` (< 10^digits) as exactly `digits` decimal digits, zero padded, ending at
// `end`, two digits per step.
inline void WriteDigitsBackward(uint64_t value, int digits, char* end) {
  if (value <= UINT32_MAX) {  // 32-bit arithmetic is cheaper
    auto v = static_cast<uint32_t>(value);
    while (digits >= 2) {
      const uint32_t pair = v % 100;
      v /= 100;
      end -= 2;
      end[0] = kDigitPairs[2 * pair];
      end[1] = kDigitPairs[2 * pair + 1];
      digits -= 2;
    }
    if (digits == 1) end[-1] = static_cast<char>('0' + v);
    return;
  }
  while (digits >= 2) {
    const auto pair = static_cast<uint32_t>(value % 100);
    value /= 100;
    end -= 2;
    end[0] = kDigitPairs[2 * pair];
    end[1] = kDigitPairs[2 * pair + 1];
    digits -= 2;
  }
  if (digits == 1) end[-1] = static_cast<char>('0' + static_cast<uint32_t>(value));
}

}  // namespace vimur::digits
