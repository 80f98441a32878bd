// PartitionReader: the readers' side of one partition: records from an offset up to a limit
// (the committed next offset), keeping its place in the segment files between calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace vimur::local {

struct OwnedRecord {
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

class PartitionReader {
 public:
  // `dir` is the partition's directory; `label` ("topic[p]") names it in logs and errors.
  PartitionReader(std::string dir, std::string label)
      : dir_(std::move(dir)), label_(std::move(label)) {}

  // Appends records with offsets in [*next, until) to `out`, at most `max_records` and
  // about `max_bytes`, and moves *next past them. Records that retention removed are
  // skipped to the oldest one left (LOG_WARN). A damaged record is kCorruption naming the
  // file and byte.
  Status Read(int64_t* next, int64_t until, size_t max_records, size_t max_bytes,
              std::vector<OwnedRecord>* out);

 private:
  // Places the cursor on the first record at or after `offset`.
  Status Seek(int64_t* offset);

  std::string dir_;
  std::string label_;
  // Where the next record after `cursor_next_` starts.
  std::string cursor_path_;
  int64_t cursor_base_ = -1;
  uint64_t cursor_pos_ = 0;
  int64_t cursor_next_ = -1;
};

}  // namespace vimur::local
