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
  // about `max_bytes`, and moves *next past them. Offsets compaction removed are passed over
  // (a segment compaction replaced while it was read is re-opened at *next). Records that
  // retention removed are skipped to the oldest one left (LOG_WARN, or LOG_ERROR with
  // set_skips_are_errors). A damaged record is kCorruption naming the file and byte.
  Status Read(int64_t* next, int64_t until, size_t max_records, size_t max_bytes,
              std::vector<OwnedRecord>* out);
  // A consumer with committed offsets: records retention removed before it read them are an
  // error (slow_consumer: drop), not the ordinary start of a new reader.
  void set_skips_are_errors(bool errors) { skips_are_errors_ = errors; }

 private:
  // Places the cursor on the first record at or after `offset`.
  Status Seek(int64_t* offset);
  // One attempt; `*replaced` when the segment changed under it (walk again).
  Status SeekOnce(int64_t* offset, bool* replaced);

  std::string dir_;
  std::string label_;
  // Where the next record after `cursor_next_` starts.
  std::string cursor_path_;
  int64_t cursor_base_ = -1;
  uint64_t cursor_pos_ = 0;
  int64_t cursor_next_ = -1;
  uint64_t cursor_inode_ = 0;  // of the segment file at cursor_path_; 0: not read yet
  bool skips_are_errors_ = false;
};

}  // namespace vimur::local
