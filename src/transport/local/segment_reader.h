// LogSegmentReader: parses the frames of a segment (or commit log) from bytes read off disk.
// Bytes come from outside: any malformed frame is a Status naming the file and byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "transport/local/log_record.h"

namespace vimur::local {

class LogSegmentReader {
 public:
  // `bytes` must outlive the reader and the views it returns; `name` (a file path) and
  // `base_position` (the file offset of bytes[0]) only make errors precise.
  LogSegmentReader(std::string_view bytes, std::string name, uint64_t base_position = 0)
      : bytes_(bytes), name_(std::move(name)), base_(base_position) {}

  // The next whole frame's body: true and `*body` set; false when the bytes end, cleanly or
  // inside a frame (then partial() is true: a torn tail, or a frame still being written);
  // kCorruption for a frame whose length or CRC does not check.
  Result<bool> NextFrame(std::string_view* body);
  // The next whole record: as NextFrame, then the body parsed as a record whose offset must
  // exceed the previous record's.
  Result<bool> Next(LogRecordView* record);

  // Bytes of whole frames consumed so far: where a valid prefix ends.
  size_t position() const { return pos_; }
  bool partial() const { return partial_; }

 private:
  Status Bad(const std::string& what) const;

  std::string_view bytes_;
  std::string name_;
  uint64_t base_ = 0;
  size_t pos_ = 0;
  bool partial_ = false;
  bool have_previous_ = false;
  int64_t previous_offset_ = 0;
};

// Parses one record body (the frame's CRC already checked).
Status ParseRecordBody(std::string_view body, LogRecordView* record);

}  // namespace vimur::local
