#include "transport/local/log_record.h"

#include "core/crc32.h"

namespace vimur::local {
namespace {

void PutLE(uint64_t v, size_t width, std::string* out) {
  for (size_t i = 0; i < width; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutBytes(const std::optional<std::string_view>& bytes, std::string* out) {
  if (!bytes) {
    PutLE(0xffffffffu, 4, out);
    return;
  }
  PutLE(bytes->size(), 4, out);
  out->append(*bytes);
}

}  // namespace

uint32_t FrameCrc(std::string_view body) { return Crc32(body); }

void AppendFrame(std::string_view body, std::string* out) {
  PutLE(body.size(), 4, out);
  PutLE(FrameCrc(body), 4, out);
  out->append(body);
}

size_t RecordFrameBytes(const std::optional<std::string_view>& key,
                        const std::optional<std::string_view>& value) {
  return kFrameHeaderBytes + kMinRecordBody + (key ? key->size() : 0) + (value ? value->size() : 0);
}

void AppendRecordFrame(const LogRecordView& record, std::string* out) {
  const size_t start = out->size();
  out->append(kFrameHeaderBytes, '\0');
  PutLE(static_cast<uint64_t>(record.offset), 8, out);
  PutLE(static_cast<uint64_t>(record.timestamp_ms), 8, out);
  PutBytes(record.key, out);
  PutBytes(record.value, out);
  const std::string_view body(out->data() + start + kFrameHeaderBytes,
                              out->size() - start - kFrameHeaderBytes);
  const uint64_t length = body.size();
  const uint32_t crc = FrameCrc(body);
  for (size_t i = 0; i < 4; ++i) {
    (*out)[start + i] = static_cast<char>((length >> (8 * i)) & 0xff);
    (*out)[start + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
}

}  // namespace vimur::local
