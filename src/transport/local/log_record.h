// The on-disk frame of the local log: every record and every commit record is
// `u32 body length | u32 CRC-32 of the body | body`, little-endian, so a torn or flipped
// tail is found by the first frame that does not check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vimur::local {

// Frame header: body length, then the CRC-32 (zlib's polynomial) of the body.
inline constexpr size_t kFrameHeaderBytes = 8;
// Refused above this, so a damaged length cannot ask for gigabytes.
inline constexpr uint32_t kMaxFrameBody = 256u << 20;
// A record body: i64 offset | i64 timestamp_ms | i32 key length (-1: null) | key |
// i32 value length (-1: null, a tombstone) | value.
inline constexpr size_t kMinRecordBody = 24;

// One record of a partition, as views into bytes someone else owns.
struct LogRecordView {
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string_view> key;    // nullopt: null key
  std::optional<std::string_view> value;  // nullopt: tombstone
};

uint32_t FrameCrc(std::string_view body);
// Appends a frame holding `body`.
void AppendFrame(std::string_view body, std::string* out);
// Appends the frame of one record.
void AppendRecordFrame(const LogRecordView& record, std::string* out);
// The bytes AppendRecordFrame adds for a record with these key and value.
size_t RecordFrameBytes(const std::optional<std::string_view>& key,
                        const std::optional<std::string_view>& value);

}  // namespace vimur::local
