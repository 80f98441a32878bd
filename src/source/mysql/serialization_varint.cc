#include "source/mysql/serialization_varint.h"

namespace vimur::mysql {

Status ReadVarUInt(ByteReader& reader, uint64_t* out) {
  uint8_t first = 0;
  VIMUR_RETURN_IF_ERROR(reader.ReadU8(&first));
  if (first == 0xff) return reader.ReadU64(out);
  size_t bytes = 1;
  while ((first >> (bytes - 1)) & 1) ++bytes;  // 1-bits from the lowest, then a 0-bit
  uint64_t value = first;
  for (size_t i = 1; i < bytes; ++i) {
    uint8_t b = 0;
    VIMUR_RETURN_IF_ERROR(reader.ReadU8(&b));
    value |= uint64_t{b} << (8 * i);
  }
  *out = value >> bytes;
  return Status::Ok();
}

Status ReadVarInt(ByteReader& reader, int64_t* out) {
  uint64_t zigzag = 0;
  VIMUR_RETURN_IF_ERROR(ReadVarUInt(reader, &zigzag));
  *out = static_cast<int64_t>(zigzag >> 1) ^ -static_cast<int64_t>(zigzag & 1);
  return Status::Ok();
}

void PutVarUInt(std::string* out, uint64_t value) {
  size_t bytes = 1;
  while (bytes < 9 && value >= (uint64_t{1} << (7 * bytes))) ++bytes;
  if (bytes == 9) {
    out->push_back(static_cast<char>(0xff));
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    return;
  }
  const uint64_t encoded = (value << bytes) | ((uint64_t{1} << (bytes - 1)) - 1);
  for (size_t i = 0; i < bytes; ++i) out->push_back(static_cast<char>((encoded >> (8 * i)) & 0xff));
}

}  // namespace vimur::mysql
