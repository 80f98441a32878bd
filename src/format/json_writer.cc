#include "format/json_writer.h"

#include <bit>
#include <cmath>

#include "core/decimal_digits.h"

namespace vimur {
namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t Base64Size(size_t n) { return (n + 2) / 3 * 4; }

}  // namespace

char* json_internal::WriteBase64(std::string_view bytes, char* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out[0] = kBase64Alphabet[n >> 18];
    out[1] = kBase64Alphabet[(n >> 12) & 63];
    out[2] = kBase64Alphabet[(n >> 6) & 63];
    out[3] = kBase64Alphabet[n & 63];
    out += 4;
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint32_t{p[i]} << 16;
    if (rest == 2) n |= uint32_t{p[i + 1]} << 8;
    out[0] = kBase64Alphabet[n >> 18];
    out[1] = kBase64Alphabet[(n >> 12) & 63];
    out[2] = rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out[3] = '=';
    out += 4;
  }
  return out;
}

namespace {

using digits::DecimalDigits;
using digits::kDigitPairs;
using digits::kPow10;
using digits::WriteDigitsBackward;

}  // namespace

namespace json_internal {

namespace {

// Writes v < 10^8 as exactly 8 digits at `out`, in 32-bit arithmetic.
inline void Write8Digits(uint32_t v, char* out) {
  const uint32_t hi = v / 10000;
  const uint32_t lo = v % 10000;
  std::memcpy(out, kDigitPairs + 2 * (hi / 100), 2);
  std::memcpy(out + 2, kDigitPairs + 2 * (hi % 100), 2);
  std::memcpy(out + 4, kDigitPairs + 2 * (lo / 100), 2);
  std::memcpy(out + 6, kDigitPairs + 2 * (lo % 100), 2);
}

// Writes 0 < v < 10^8 without leading zeros; returns the end.
inline char* WriteSmall(uint32_t v, char* out) {
  const int n = DecimalDigits(v);
  uint32_t x = v;
  char* end = out + n;
  char* p = end;
  while (x >= 100) {
    p -= 2;
    std::memcpy(p, kDigitPairs + 2 * (x % 100), 2);
    x /= 100;
  }
  if (x >= 10) {
    std::memcpy(p - 2, kDigitPairs + 2 * x, 2);
  } else {
    p[-1] = static_cast<char>('0' + x);
  }
  return end;
}

}  // namespace

char* WriteUInt(uint64_t v, char* out) {
  constexpr uint64_t k1e8 = 100000000;
  if (v < 10) {
    *out = static_cast<char>('0' + v);
    return out + 1;
  }
  if (v < k1e8) return WriteSmall(static_cast<uint32_t>(v), out);
  const uint64_t top = v / k1e8;
  const auto low = static_cast<uint32_t>(v % k1e8);
  char* o;
  if (top < k1e8) {
    o = WriteSmall(static_cast<uint32_t>(top), out);
  } else {
    o = WriteSmall(static_cast<uint32_t>(top / k1e8), out);
    Write8Digits(static_cast<uint32_t>(top % k1e8), o);
    o += 8;
  }
  Write8Digits(low, o);
  return o + 8;
}

char* WriteShortDouble(double v, char* out) {
  constexpr double kPow10d[9] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  constexpr double kExact = 9007199254740992.0;  // 2^53: integers below are exact doubles
  const double a = std::fabs(v);
  if (!(a >= 1e-3 && a < 1e15)) return nullptr;  // also NaN
  for (int k = 0; k <= 8; ++k) {
    const double scaled = a * kPow10d[k];
    if (scaled >= kExact - 1) return nullptr;
    // The decimal x / 10^k, for the integers x around a * 10^k, is the text when it converts
    // back to exactly `a` (one correctly rounded division of exact operands); the nearer
    // integer first, as the shortest-representation search would choose.
    const auto below = static_cast<uint64_t>(scaled);
    const bool up_first = scaled - static_cast<double>(below) >= 0.5;
    uint64_t x = 0;
    for (int attempt = 0; attempt < 2 && x == 0; ++attempt) {
      const uint64_t candidate = below + ((attempt == 0) == up_first ? 1 : 0);
      if (candidate != 0 && static_cast<double>(candidate) / kPow10d[k] == a) x = candidate;
    }
    if (x == 0) continue;
    // x has no trailing zero when k > 0 (x / 10 would have matched at k - 1). std::to_chars
    // writes fixed notation unless scientific is strictly shorter.
    int digits = DecimalDigits(x);
    int significant = digits;
    if (k == 0) {
      for (uint64_t t = x; t % 10 == 0; t /= 10) --significant;
    }
    const int int_digits = digits - k;  // <= 0 when a < 1
    const int fixed_len = k == 0 ? digits : (int_digits > 0 ? digits + 1 : k + 2);
    const int exponent = int_digits - 1;  // of the first significant digit
    const int abs_exp = exponent < 0 ? -exponent : exponent;
    const int sci_len = 1 + (significant > 1 ? significant : 0) + 2 + (abs_exp >= 100 ? 3 : 2);
    if (fixed_len > sci_len) return nullptr;
    char* o = out;
    if (v < 0) *o++ = '-';
    if (k == 0) {
      WriteDigitsBackward(x, digits, o + digits);
      return o + digits;
    }
    if (int_digits > 0) {
      WriteDigitsBackward(x / kPow10[k], int_digits, o + int_digits);
      o += int_digits;
      *o++ = '.';
      WriteDigitsBackward(x % kPow10[k], k, o + k);
      return o + k;
    }
    *o++ = '0';
    *o++ = '.';
    WriteDigitsBackward(x, k, o + k);  // zero padded: the leading zeros after the point
    return o + k;
  }
  return nullptr;
}

}  // namespace json_internal

void JsonBuffer::String(std::string_view s) {
  const char* in = s.data();
  size_t left = s.size();
  char* out = Reserve(left + 2);
  *out++ = '"';
  while (true) {
    const size_t run = json_internal::FindEscape(in, left);
    if (run > 0) std::memcpy(out, in, run);
    out += run;
    if (run == left) break;
    in += run + 1;
    left -= run + 1;
    const auto c = static_cast<unsigned char>(in[-1]);
    CommitTo(out);
    out = json_internal::WriteEscape(c, Reserve(left + 7));
  }
  *out++ = '"';
  CommitTo(out);
}

void JsonBuffer::Base64(std::string_view bytes) {
  char* out = Reserve(Base64Size(bytes.size()) + 2);
  *out++ = '"';
  out = json_internal::WriteBase64(bytes, out);
  *out++ = '"';
  CommitTo(out);
}

void JsonWriter::AppendEscaped(std::string* out, std::string_view s) {
  const char* in = s.data();
  size_t left = s.size();
  while (true) {
    const size_t run = json_internal::FindEscape(in, left);
    out->append(in, run);
    if (run == left) return;
    char esc[6];
    const char* end = json_internal::WriteEscape(static_cast<unsigned char>(in[run]), esc);
    out->append(esc, static_cast<size_t>(end - esc));
    in += run + 1;
    left -= run + 1;
  }
}

void JsonWriter::Base64(std::string_view bytes) {
  Separate();
  const size_t start = out_->size();
  out_->resize(start + Base64Size(bytes.size()) + 2);
  char* out = out_->data() + start;
  *out++ = '"';
  out = json_internal::WriteBase64(bytes, out);
  *out = '"';
}

}  // namespace vimur
