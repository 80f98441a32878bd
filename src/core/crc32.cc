#include "core/crc32.h"

#include <zlib.h>

#include <algorithm>
#include <cstddef>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace vimur {
namespace {

// Continues zlib CRC `crc` over `bytes`. zlib's length type may be narrower than size_t, so
// the input goes in chunks and lengths over 4 GiB cannot truncate.
uint32_t ZlibCrc32(uint32_t crc, std::string_view bytes) {
  uLong c = crc;
  while (!bytes.empty()) {
    size_t n = std::min<size_t>(bytes.size(), size_t{1} << 30);
    c = crc32_z(c, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<z_size_t>(n));
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(c);
}

#if defined(__x86_64__)

// Folding with carry-less multiplication, after Intel's "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ Instruction" (bit-reflected variant).
//
// Everything is bit-reflected, as the CRC itself: in a value of width w, bit i holds the
// coefficient of x^(w-1-i), so the first byte of the input holds the highest powers. The
// product of reflected values of widths a and b is the reflected product of width a+b-1.
//
// A 128-bit block X followed by T more bits of input contributes X * x^T. Split
// X = H * x^64 + L (H = low qword, the first 8 bytes); then
//   X * x^T = H * x^(T+64) + L * x^T  ==  H * (x^(T+32) mod P) * x^32 + L * (x^(T-32) mod P) * x^32
// modulo P. Multiplying a 64-bit reflected half by a 33-bit reflected constant gives a
// 96-bit reflected product, which read as 128 bits is exactly the extra factor x^32; the
// result (degree < 127) is XORed into the block T bits further on.

constexpr uint32_t kPolyReflected = 0xEDB88320;  // P = x^32 + ..., without the x^32 term

// x^n mod P, reflected in 32 bits.
constexpr uint32_t XPowModP(int n) {
  uint32_t r = 0x80000000;  // x^0
  for (int i = 0; i < n; ++i) r = (r >> 1) ^ ((r & 1) ? kPolyReflected : 0);
  return r;
}

// x^n mod P as a 33-bit reflected multiplier (one bit up from the 32-bit reflection).
constexpr uint64_t Multiplier(int n) { return uint64_t{XPowModP(n)} << 1; }

// floor(x^64 / P), degree 32, reflected in 33 bits: the Barrett constant.
constexpr uint64_t BarrettMu() {
  constexpr uint64_t kPoly = 0x104C11DB7;            // P in normal bit order
  uint64_t q = uint64_t{1} << 32;                    // x^64 / x^32
  uint64_t r = (kPoly ^ (uint64_t{1} << 32)) << 32;  // x^64 - x^32 * P
  for (int i = 31; i >= 0; --i) {
    if ((r >> (32 + i)) & 1) {
      q |= uint64_t{1} << i;
      r ^= kPoly << i;
    }
  }
  uint64_t reflected = 0;
  for (int d = 0; d <= 32; ++d) reflected |= ((q >> d) & 1) << (32 - d);
  return reflected;
}

constexpr uint64_t kFold512Lo = Multiplier(4 * 128 + 32);
constexpr uint64_t kFold512Hi = Multiplier(4 * 128 - 32);
constexpr uint64_t kFold128Lo = Multiplier(128 + 32);
constexpr uint64_t kFold128Hi = Multiplier(128 - 32);
constexpr uint64_t kFold64 = Multiplier(64);
constexpr uint64_t kMu = BarrettMu();
constexpr uint64_t kPoly33 = (uint64_t{kPolyReflected} << 1) | 1;  // P reflected in 33 bits

// The paper lists these for this polynomial; checks the derivation above.
static_assert(kFold512Lo == 0x154442bd4 && kFold512Hi == 0x1c6e41596);
static_assert(kFold128Lo == 0x1751997d0 && kFold128Hi == 0x0ccaa009e);
static_assert(kFold64 == 0x163cd6124 && kMu == 0x1f7011641 && kPoly33 == 0x1db710641);

constexpr size_t kFoldMin = 64;  // shorter inputs go to zlib

#define VIMUR_CLMUL __attribute__((target("pclmul,sse4.1")))

// `x` carried forward over the distance whose multipliers are in `k` (low: H's, high: L's).
VIMUR_CLMUL inline __m128i Fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

VIMUR_CLMUL inline __m128i Load(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Requires bytes.size() >= kFoldMin.
VIMUR_CLMUL uint32_t Crc32Clmul(std::string_view bytes) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  const __m128i k512 =
      _mm_set_epi64x(static_cast<long long>(kFold512Hi), static_cast<long long>(kFold512Lo));
  const __m128i k128 =
      _mm_set_epi64x(static_cast<long long>(kFold128Hi), static_cast<long long>(kFold128Lo));

  // zlib's initial register ~0 is the same as inverting the first 32 bits of the input.
  __m128i x0 = _mm_xor_si128(Load(p), _mm_cvtsi32_si128(-1));
  __m128i x1 = Load(p + 16);
  __m128i x2 = Load(p + 32);
  __m128i x3 = Load(p + 48);
  p += 64;
  n -= 64;
  // Four independent 128-bit lanes, each carried 512 bits forward per step.
  while (n >= 64) {
    x0 = _mm_xor_si128(Fold(x0, k512), Load(p));
    x1 = _mm_xor_si128(Fold(x1, k512), Load(p + 16));
    x2 = _mm_xor_si128(Fold(x2, k512), Load(p + 32));
    x3 = _mm_xor_si128(Fold(x3, k512), Load(p + 48));
    p += 64;
    n -= 64;
  }
  __m128i x = _mm_xor_si128(Fold(x0, k128), x1);
  x = _mm_xor_si128(Fold(x, k128), x2);
  x = _mm_xor_si128(Fold(x, k128), x3);
  while (n >= 16) {
    x = _mm_xor_si128(Fold(x, k128), Load(p));
    p += 16;
    n -= 16;
  }

  // The raw CRC is X * x^32 mod P. First 128 -> 96 bits: H * (x^96 mod P) + L * x^32,
  // where L * x^32 is L itself read as a 96-bit reflected value.
  const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
  x = _mm_xor_si128(_mm_clmulepi64_si128(x, k128, 0x10), _mm_srli_si128(x, 8));
  // 96 -> 64 bits: the highest 32 powers A (the low dword) become A * (x^64 mod P).
  const __m128i k64 = _mm_set_epi64x(0, static_cast<long long>(kFold64));
  x = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x, mask32), k64, 0x00),
                    _mm_srli_si128(x, 4));
  // Barrett: q = floor(floor(X / x^32) * mu / x^32), X mod P = X - q * P, in the upper half.
  const __m128i mu_poly =
      _mm_set_epi64x(static_cast<long long>(kPoly33), static_cast<long long>(kMu));
  __m128i q = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(x, mask32), mu_poly, 0x00), mask32);
  x = _mm_xor_si128(x, _mm_clmulepi64_si128(q, mu_poly, 0x10));
  uint32_t crc = ~static_cast<uint32_t>(_mm_extract_epi32(x, 1));

  return ZlibCrc32(crc, std::string_view(p, n));
}

#undef VIMUR_CLMUL

// Asks the CPU once per process.
bool HasClmul() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  }();
  return has;
}

#endif  // __x86_64__

}  // namespace

uint32_t Crc32Portable(std::string_view bytes) { return ZlibCrc32(0, bytes); }

bool Crc32Accelerated() {
#if defined(__x86_64__)
  return HasClmul();
#else
  return false;
#endif
}

uint32_t Crc32(std::string_view bytes) {
#if defined(__x86_64__)
  if (bytes.size() >= kFoldMin && HasClmul()) return Crc32Clmul(bytes);
#endif
  return ZlibCrc32(0, bytes);
}

}  // namespace vimur
