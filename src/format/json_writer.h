// JsonWriter and JsonBuffer: append JSON tokens with no intermediate DOM. JsonWriter tracks
// commas for a caller-owned string; JsonBuffer is the hot path's reusable output buffer.
#pragma once

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/byte_buffer.h"

namespace vimur {

namespace json_internal {

// Index of the first byte of `s` that JSON strings must escape (control characters, '"' and
// '\\'), or `n` when there is none. Scans 8 bytes per step.
inline size_t FindEscape(const char* s, size_t n) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    // Per-byte "below 0x20" and "equals" tests on a whole word. A borrow can flag a byte only
    // above a byte that truly matches, so the lowest flagged byte is the first match.
    const auto hits = [](const char* p) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      const uint64_t quote = w ^ (kOnes * '"');
      const uint64_t backslash = w ^ (kOnes * '\\');
      return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
              ((backslash - kOnes) & ~backslash)) &
             kHigh;
    };
    if (n >= 8) {
      for (; i + 8 <= n; i += 8) {
        if (const uint64_t hit = hits(s + i); hit != 0) {
          return i + static_cast<size_t>(std::countr_zero(hit) >> 3);
        }
      }
      if (i == n) return n;
      // The last 8 bytes, overlapping bytes already known to need no escape.
      const uint64_t hit = hits(s + n - 8);
      return hit == 0 ? n : n - 8 + static_cast<size_t>(std::countr_zero(hit) >> 3);
    }
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return n;
}

// Writes the standard base64 (RFC 4648, padded) of `bytes` at `out`, which has room for
// (size + 2) / 3 * 4 chars; returns the end.
char* WriteBase64(std::string_view bytes, char* out);

// Writes `v` (< 10^20) in decimal at `out`; returns the end. Two digits per step.
char* WriteUInt(uint64_t v, char* out);

// The text std::to_chars(out, end, v) writes for common doubles (up to 8 decimals, magnitude
// 1e-3 to 1e15, where the fixed notation is the shorter one), found without the general
// shortest-representation search; nullptr (nothing written) for any other value. `out` must
// have room for 32 chars.
char* WriteShortDouble(double v, char* out);

// Writes the escape sequence of `c` (a byte FindEscape stopped at) at `out`; returns its end.
inline char* WriteEscape(unsigned char c, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out[0] = '\\';
  switch (c) {
    case '"': out[1] = '"'; return out + 2;
    case '\\': out[1] = '\\'; return out + 2;
    case '\n': out[1] = 'n'; return out + 2;
    case '\r': out[1] = 'r'; return out + 2;
    case '\t': out[1] = 't'; return out + 2;
    case '\b': out[1] = 'b'; return out + 2;
    case '\f': out[1] = 'f'; return out + 2;
    default:
      out[1] = 'u';
      out[2] = '0';
      out[3] = '0';
      out[4] = kHex[c >> 4];
      out[5] = kHex[c & 15];
      return out + 6;
  }
}

}  // namespace json_internal

// ByteBuffer with JSON tokens. Tokens carry no separators: callers write templates.
class JsonBuffer : public ByteBuffer {
 public:
  // A JSON string: quoted and escaped.
  void String(std::string_view s);
  void Null() { Raw("null"); }
  void Bool(bool b) { Raw(b ? std::string_view("true") : std::string_view("false")); }
  template <typename T>
  void Number(T v) {
    char* p = Reserve(32);
    if constexpr (std::is_integral_v<T> && sizeof(T) <= 8) {
      if constexpr (std::is_signed_v<T>) {
        if (v < 0) {
          *p++ = '-';
          CommitTo(json_internal::WriteUInt(uint64_t{0} - static_cast<uint64_t>(v), p));
          return;
        }
      }
      CommitTo(json_internal::WriteUInt(static_cast<uint64_t>(v), p));
    } else {
      CommitTo(std::to_chars(p, p + 32, v).ptr);
    }
  }
  // Non-finite values as the strings "NaN", "Infinity", "-Infinity" (as Debezium writes them).
  void Double(double v) {
    if (!std::isfinite(v)) return NonFinite(std::isnan(v), v > 0);
    char* p = Reserve(32);
    char* end = json_internal::WriteShortDouble(v, p);
    CommitTo(end != nullptr ? end : std::to_chars(p, p + 32, v).ptr);
  }
  void Float(float v) {
    if (!std::isfinite(v)) return NonFinite(std::isnan(v), v > 0);
    Number(v);
  }
  // Standard base64 (RFC 4648) with padding, as a JSON string.
  void Base64(std::string_view bytes);

 private:
  void NonFinite(bool nan, bool positive) {
    Raw(nan ? std::string_view("\"NaN\"")
            : (positive ? std::string_view("\"Infinity\"") : std::string_view("\"-Infinity\"")));
  }
};

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() {
    Separate();
    out_->push_back('{');
    first_ = true;
  }
  void EndObject() {
    out_->push_back('}');
    first_ = false;
  }
  void BeginArray() {
    Separate();
    out_->push_back('[');
    first_ = true;
  }
  void EndArray() {
    out_->push_back(']');
    first_ = false;
  }
  void Key(std::string_view name) {
    Separate();
    AppendString(name);
    out_->push_back(':');
    after_key_ = true;
  }
  void String(std::string_view s) {
    Separate();
    AppendString(s);
  }
  void Null() {
    Separate();
    out_->append("null");
  }
  void Bool(bool b) {
    Separate();
    out_->append(b ? "true" : "false");
  }
  void Int(int64_t v) {
    Separate();
    AppendNumber(v);
  }
  void UInt(uint64_t v) {
    Separate();
    AppendNumber(v);
  }
  void Double(double v) {
    Separate();
    if (!std::isfinite(v)) {
      AppendString(std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
      return;
    }
    AppendNumber(v);
  }
  void Float(float v) {
    Separate();
    if (!std::isfinite(v)) {
      AppendString(std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
      return;
    }
    AppendNumber(v);
  }
  // Standard base64 (RFC 4648) with padding, as a JSON string.
  void Base64(std::string_view bytes);
  // Inserts already-serialized JSON as one value.
  void Raw(std::string_view json) {
    Separate();
    out_->append(json);
  }

  static void AppendEscaped(std::string* out, std::string_view s);

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      first_ = false;
      return;
    }
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void AppendString(std::string_view s) {
    out_->push_back('"');
    AppendEscaped(out_, s);
    out_->push_back('"');
  }
  template <typename T>
  void AppendNumber(T v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, r.ptr);
  }

  std::string* out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace vimur
