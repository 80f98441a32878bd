#include "transport/local/segment_reader.h"

#include "core/byte_reader.h"

namespace vimur::local {
namespace {

Status ReadNullable(ByteReader* r, std::optional<std::string_view>* out) {
  uint32_t length = 0;
  VIMUR_RETURN_IF_ERROR(r->ReadU32(&length));
  if (length == 0xffffffffu) {
    *out = std::nullopt;
    return Status::Ok();
  }
  if (length > r->remaining()) {
    return Status::Corruption("a length of " + std::to_string(length) + " bytes with only " +
                              std::to_string(r->remaining()) + " left in the record");
  }
  std::string_view bytes;
  VIMUR_RETURN_IF_ERROR(r->ReadBytes(length, &bytes));
  *out = bytes;
  return Status::Ok();
}

}  // namespace

Status ParseRecordBody(std::string_view body, LogRecordView* record) {
  ByteReader r(body);
  uint64_t offset = 0, ts = 0;
  VIMUR_RETURN_IF_ERROR(r.ReadU64(&offset));
  VIMUR_RETURN_IF_ERROR(r.ReadU64(&ts));
  record->offset = static_cast<int64_t>(offset);
  record->timestamp_ms = static_cast<int64_t>(ts);
  if (record->offset < 0) return Status::Corruption("negative record offset");
  VIMUR_RETURN_IF_ERROR(ReadNullable(&r, &record->key));
  VIMUR_RETURN_IF_ERROR(ReadNullable(&r, &record->value));
  if (!r.empty()) {
    return Status::Corruption(std::to_string(r.remaining()) + " bytes after the record's value");
  }
  return Status::Ok();
}

Status LogSegmentReader::Bad(const std::string& what) const {
  return Status::Corruption(name_ + " at byte " + std::to_string(base_ + pos_) + ": " + what);
}

Result<bool> LogSegmentReader::NextFrame(std::string_view* body) {
  partial_ = false;
  const size_t left = bytes_.size() - pos_;
  if (left == 0) return false;
  if (left < kFrameHeaderBytes) {
    partial_ = true;
    return false;
  }
  ByteReader r(bytes_.substr(pos_, kFrameHeaderBytes));
  uint32_t length = 0, crc = 0;
  VIMUR_RETURN_IF_ERROR(r.ReadU32(&length));
  VIMUR_RETURN_IF_ERROR(r.ReadU32(&crc));
  if (length == 0 || length > kMaxFrameBody) {
    return Bad("frame length " + std::to_string(length) + " is not possible");
  }
  if (left - kFrameHeaderBytes < length) {
    partial_ = true;
    return false;
  }
  std::string_view b = bytes_.substr(pos_ + kFrameHeaderBytes, length);
  if (FrameCrc(b) != crc) return Bad("CRC mismatch (the frame was torn or changed on disk)");
  *body = b;
  pos_ += kFrameHeaderBytes + length;
  return true;
}

Result<bool> LogSegmentReader::Next(LogRecordView* record) {
  const size_t start = pos_;
  std::string_view body;
  VIMUR_ASSIGN_OR_RETURN(bool got, NextFrame(&body));
  if (!got) return false;
  Status s = ParseRecordBody(body, record);
  if (s.ok() && have_previous_ && record->offset <= previous_offset_) {
    s = Status::Corruption("offset " + std::to_string(record->offset) + " after offset " +
                           std::to_string(previous_offset_));
  }
  if (!s.ok()) {
    pos_ = start;
    return Bad(s.message());
  }
  have_previous_ = true;
  previous_offset_ = record->offset;
  return true;
}

}  // namespace vimur::local
