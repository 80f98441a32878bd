// Test helper: builds binlog events byte by byte from the documented layouts (header + body +
// optional CRC32), so fixtures read like the format description rather than hex dumps.
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "source/mysql/binlog_event.h"

namespace vimur::mysql::fixtures {

// Little-endian byte string builder.
class Bytes {
 public:
  Bytes& u8(uint64_t v) { return le(1, v); }
  Bytes& u16(uint64_t v) { return le(2, v); }
  Bytes& u32(uint64_t v) { return le(4, v); }
  Bytes& u48(uint64_t v) { return le(6, v); }
  Bytes& u64(uint64_t v) { return le(8, v); }
  Bytes& le(int width, uint64_t v) {
    for (int i = 0; i < width; ++i) s_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  Bytes& be(int width, uint64_t v) {
    for (int i = width - 1; i >= 0; --i) s_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  // MySQL packed (length-encoded) integer.
  Bytes& lenenc(uint64_t v) {
    if (v < 251) return u8(v);
    if (v < (1u << 16)) return u8(0xfc).le(2, v);
    if (v < (1u << 24)) return u8(0xfd).le(3, v);
    return u8(0xfe).le(8, v);
  }
  Bytes& raw(std::string_view b) {
    s_.append(b);
    return *this;
  }
  Bytes& lenenc_str(std::string_view b) { return lenenc(b.size()).raw(b); }
  Bytes& zeros(size_t n) {
    s_.append(n, '\0');
    return *this;
  }
  const std::string& str() const { return s_; }
  size_t size() const { return s_.size(); }
  operator std::string() const { return s_; }       // NOLINT(google-explicit-constructor)
  operator std::string_view() const { return s_; }  // NOLINT(google-explicit-constructor)

 private:
  std::string s_;
};

inline size_t LenencSize(uint64_t v) {
  return v < 251 ? 1 : v < (1u << 16) ? 3 : v < (1u << 24) ? 4 : 9;
}

inline uint32_t Crc32Of(std::string_view b) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size())));
}

struct HeaderFields {
  uint32_t timestamp = 1700000000;
  uint32_t server_id = 1;
  uint32_t next_pos = 0;
  uint16_t flags = 0;
};

// Header + body (+ CRC32 of both when `crc`).
inline std::string BuildEvent(uint8_t type, std::string_view body, bool crc,
                              HeaderFields h = HeaderFields()) {
  uint32_t size = static_cast<uint32_t>(kEventHeaderSize + body.size() + (crc ? 4 : 0));
  Bytes b;
  b.u32(h.timestamp).u8(type).u32(h.server_id).u32(size).u32(h.next_pos).u16(h.flags).raw(body);
  std::string out = b;
  if (crc) out = Bytes().raw(out).u32(Crc32Of(out));
  return out;
}
inline std::string BuildEvent(EventType type, std::string_view body, bool crc,
                              HeaderFields h = HeaderFields()) {
  return BuildEvent(static_cast<uint8_t>(type), body, crc, h);
}

// Post-header lengths (index = type - 1) as MySQL 8.0 writes them (41 event types).
inline std::vector<uint8_t> MySql8PostHeaderLengths() {
  return {56, 13, 0, 8, 0, 0, 0, 0, 4,  0,  4,  0,  0,  0, 98, 0,  4, 26, 8,  0, 0,
          0,  8,  8, 8, 2, 0, 0, 0, 10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0};
}

// As MariaDB 10.x writes them: the MySQL 5.6-era types, then MariaDB's up to 171.
inline std::vector<uint8_t> MariaDbPostHeaderLengths() {
  std::vector<uint8_t> v = MySql8PostHeaderLengths();
  v.resize(171, 0);
  v[161 - 1] = 4;   // BINLOG_CHECKPOINT
  v[162 - 1] = 19;  // GTID
  v[163 - 1] = 4;   // GTID_LIST
  v[165 - 1] = 13;  // QUERY_COMPRESSED
  for (int t = 166; t <= 168; ++t) v[t - 1] = 8;
  for (int t = 169; t <= 171; ++t) v[t - 1] = 10;
  return v;
}

// FORMAT_DESCRIPTION_EVENT body. Checksum-aware versions get the algorithm byte (the builder
// then appends the 4 checksum bytes: pass crc=true to BuildEvent whatever the algorithm, as a
// checksum-aware server always writes them).
inline std::string FdeBody(std::string_view server_version, const std::vector<uint8_t>& post,
                           std::optional<ChecksumAlgorithm> alg) {
  Bytes b;
  std::string version(server_version);
  version.resize(50, '\0');
  b.u16(4).raw(version).u32(1700000000).u8(19);
  for (uint8_t p : post) b.u8(p);
  if (alg) b.u8(static_cast<uint8_t>(*alg));
  return b;
}

inline std::string MySql8Fde(ChecksumAlgorithm alg = ChecksumAlgorithm::kCrc32) {
  return BuildEvent(EventType::kFormatDescription,
                    FdeBody("8.0.36", MySql8PostHeaderLengths(), alg), true);
}
inline std::string MariaDbFde(ChecksumAlgorithm alg = ChecksumAlgorithm::kCrc32) {
  return BuildEvent(EventType::kFormatDescription,
                    FdeBody("10.11.6-MariaDB-log", MariaDbPostHeaderLengths(), alg), true);
}

// MariaDB's compressed layout: 0x80 | width, big-endian uncompressed length, zlib stream.
inline std::string MariaCompress(std::string_view data) {
  uLongf bound = compressBound(static_cast<uLong>(data.size()));
  std::string z(bound, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &bound, reinterpret_cast<const Bytef*>(data.data()),
           static_cast<uLong>(data.size()));
  z.resize(bound);
  int width = data.size() < (1u << 8) ? 1 : data.size() < (1u << 16) ? 2 : 3;
  return Bytes().u8(0x80 | width).be(width, data.size()).raw(z);
}

inline std::string ZstdCompress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

}  // namespace vimur::mysql::fixtures
