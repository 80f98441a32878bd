// ByteReader: bounds-checked reads of little- and big-endian integers and byte runs from a
// view of bytes that came from outside. Every read fails with kUnderflow instead of overrunning.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vimur {

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::string_view bytes) : data_(bytes) {}
  ByteReader(const void* data, size_t size) : data_(static_cast<const char*>(data), size) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  std::string_view rest() const { return data_.substr(pos_); }
  const uint8_t* cursor() const { return reinterpret_cast<const uint8_t*>(data_.data()) + pos_; }

  // Reads an unsigned little-endian integer of `width` bytes (1..8).
  Status ReadLE(size_t width, uint64_t* out) {
    if (width > 8) return Status::InvalidArgument("integer width over 8 bytes");
    VIMUR_RETURN_IF_ERROR(Need(width, "integer"));
    uint64_t v = 0;
    const uint8_t* p = cursor();
    for (size_t i = 0; i < width; ++i) v |= uint64_t{p[i]} << (8 * i);
    pos_ += width;
    *out = v;
    return Status::Ok();
  }
  // Reads an unsigned big-endian integer of `width` bytes (1..8).
  Status ReadBE(size_t width, uint64_t* out) {
    if (width > 8) return Status::InvalidArgument("integer width over 8 bytes");
    VIMUR_RETURN_IF_ERROR(Need(width, "integer"));
    uint64_t v = 0;
    const uint8_t* p = cursor();
    for (size_t i = 0; i < width; ++i) v = (v << 8) | p[i];
    pos_ += width;
    *out = v;
    return Status::Ok();
  }
  template <typename T>
  Status ReadLE(T* out) {
    uint64_t v = 0;
    VIMUR_RETURN_IF_ERROR(ReadLE(sizeof(T), &v));
    *out = static_cast<T>(v);
    return Status::Ok();
  }
  Status ReadU8(uint8_t* out) { return ReadLE(out); }
  Status ReadU16(uint16_t* out) { return ReadLE(out); }
  Status ReadU32(uint32_t* out) { return ReadLE(out); }
  Status ReadU64(uint64_t* out) { return ReadLE(out); }

  // MySQL length-encoded integer (protocol "int<lenenc>"). 0xfb (NULL) is rejected.
  Status ReadLengthEncoded(uint64_t* out) {
    uint8_t first = 0;
    VIMUR_RETURN_IF_ERROR(ReadU8(&first));
    if (first < 0xfb) {
      *out = first;
      return Status::Ok();
    }
    switch (first) {
      case 0xfc: return ReadLE(2, out);
      case 0xfd: return ReadLE(3, out);
      case 0xfe: return ReadLE(8, out);
      default: return Status::Corruption("invalid length-encoded integer prefix");
    }
  }

  Status ReadBytes(size_t n, std::string_view* out) {
    VIMUR_RETURN_IF_ERROR(Need(n, "byte run"));
    *out = data_.substr(pos_, n);
    pos_ += n;
    return Status::Ok();
  }
  Status Skip(size_t n) {
    VIMUR_RETURN_IF_ERROR(Need(n, "skipped bytes"));
    pos_ += n;
    return Status::Ok();
  }
  // Reads a length-encoded byte string.
  Status ReadLengthEncodedBytes(std::string_view* out) {
    uint64_t n = 0;
    VIMUR_RETURN_IF_ERROR(ReadLengthEncoded(&n));
    if (n > remaining()) return Underflow(n, "length-encoded string");
    return ReadBytes(static_cast<size_t>(n), out);
  }
  // Reads up to (not including) a NUL byte, and consumes the NUL.
  Status ReadNulTerminated(std::string_view* out) {
    size_t end = data_.find('\0', pos_);
    if (end == std::string_view::npos) return Status::Underflow("missing NUL terminator");
    *out = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return Status::Ok();
  }

 private:
  Status Need(size_t n, const char* what) const {
    if (n > remaining()) return Underflow(n, what);
    return Status::Ok();
  }
  Status Underflow(uint64_t n, const char* what) const {
    return Status::Underflow("need " + std::to_string(n) + " bytes for " + what + " at offset " +
                             std::to_string(pos_) + ", only " + std::to_string(remaining()) +
                             " left");
  }

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace vimur
