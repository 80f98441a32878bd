// Test helper: a tiny encoder of MySQL binary JSON (json_binary.h layout) so tests can state
// documents structurally and check the decoder's text.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace vimur::mysql::testing {

struct BinJson {
  uint8_t type = 0;
  std::string data;  // the bytes after the type byte
  std::string doc() const { return std::string(1, static_cast<char>(type)) + data; }
};

inline std::string LittleEndian(uint64_t v, size_t width) {
  std::string s;
  for (size_t i = 0; i < width; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

inline std::string VarLength(uint64_t n) {
  std::string s;
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    if (n != 0) b |= 0x80;
    s.push_back(static_cast<char>(b));
  } while (n != 0);
  return s;
}

inline BinJson JNull() { return {0x04, std::string(1, '\0')}; }
inline BinJson JBool(bool v) { return {0x04, std::string(1, v ? '\1' : '\2')}; }
inline BinJson JInt16(int16_t v) { return {0x05, LittleEndian(static_cast<uint16_t>(v), 2)}; }
inline BinJson JUInt16(uint16_t v) { return {0x06, LittleEndian(v, 2)}; }
inline BinJson JInt32(int32_t v) { return {0x07, LittleEndian(static_cast<uint32_t>(v), 4)}; }
inline BinJson JUInt32(uint32_t v) { return {0x08, LittleEndian(v, 4)}; }
inline BinJson JInt64(int64_t v) { return {0x09, LittleEndian(static_cast<uint64_t>(v), 8)}; }
inline BinJson JUInt64(uint64_t v) { return {0x0a, LittleEndian(v, 8)}; }
inline BinJson JDouble(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return {0x0b, LittleEndian(bits, 8)};
}
inline BinJson JString(const std::string& s) { return {0x0c, VarLength(s.size()) + s}; }
inline BinJson JOpaque(uint8_t field_type, const std::string& bytes) {
  return {0x0f, std::string(1, static_cast<char>(field_type)) + VarLength(bytes.size()) + bytes};
}

// Object (keys non-empty) or array (keys empty strings ignored when !object).
inline BinJson JContainer(bool object, bool large,
                          const std::vector<std::pair<std::string, BinJson>>& entries) {
  const size_t ws = large ? 4 : 2;
  const size_t n = entries.size();
  const size_t header = 2 * ws + n * (object ? ws + 2 : 0) + n * (1 + ws);
  std::string keys, values, key_entries, value_entries;
  size_t offset = header;
  if (object) {
    for (const auto& [k, v] : entries) {
      key_entries += LittleEndian(offset, ws) + LittleEndian(k.size(), 2);
      keys += k;
      offset += k.size();
    }
  }
  for (const auto& [k, v] : entries) {
    const bool inlined = v.type == 0x04 || v.type == 0x05 || v.type == 0x06 ||
                         (large && (v.type == 0x07 || v.type == 0x08));
    value_entries.push_back(static_cast<char>(v.type));
    if (inlined) {
      std::string field = v.data;
      field.resize(ws, '\0');
      value_entries += field;
    } else {
      value_entries += LittleEndian(offset, ws);
      values += v.data;
      offset += v.data.size();
    }
  }
  std::string data =
      LittleEndian(n, ws) + LittleEndian(offset, ws) + key_entries + value_entries + keys + values;
  return {static_cast<uint8_t>(object ? (large ? 0x01 : 0x00) : (large ? 0x03 : 0x02)), data};
}

inline BinJson JObject(const std::vector<std::pair<std::string, BinJson>>& entries,
                       bool large = false) {
  return JContainer(true, large, entries);
}
inline BinJson JArray(const std::vector<BinJson>& items, bool large = false) {
  std::vector<std::pair<std::string, BinJson>> entries;
  for (const auto& i : items) entries.emplace_back("", i);
  return JContainer(false, large, entries);
}

}  // namespace vimur::mysql::testing
