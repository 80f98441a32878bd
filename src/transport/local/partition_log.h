// PartitionLog: the writer's side of one partition, a directory of append-only segment files
// named by their first offset (`00000000000000000000.log`): staging, appending, rolling,
// recovery to the committed offset and retention by whole segments.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vimur::local {

// One open segment file. Kept alive by whoever still has to fsync it after a roll.
struct SegmentFile {
  SegmentFile(std::string p, int64_t b, int f, uint64_t s)
      : path(std::move(p)), base(b), fd(f), size(s) {}
  ~SegmentFile();
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  std::string path;
  int64_t base = 0;  // offset of its first record
  int fd = -1;
  uint64_t size = 0;
};

// The file name of the segment starting at `base`.
std::string SegmentFileName(int64_t base);
// The segments in `dir`, sorted by base offset: (base, path).
Result<std::vector<std::pair<int64_t, std::string>>> ListSegments(const std::string& dir);

class PartitionLog {
 public:
  // `label` ("topic[p]") names the partition in logs and errors.
  PartitionLog(std::string dir, std::string label)
      : dir_(std::move(dir)), label_(std::move(label)) {}

  // Opens the partition after a restart: records at or past `committed_next` are cut off,
  // and so is a torn or damaged tail of the last segment (LOG_WARN names file and byte).
  Status Recover(int64_t committed_next);

  int64_t next_offset() const { return next_; }
  // Adds a record to what the next WriteStaged writes; returns its offset.
  int64_t Stage(int64_t timestamp_ms, const std::optional<std::string_view>& key,
                const std::optional<std::string_view>& value);
  bool has_staged() const { return !staged_.empty(); }
  // Forgets the staged records (their batch failed before it was written).
  void DropStaged() {
    if (!staged_.empty()) next_ = staged_first_;
    staged_.clear();
  }
  // Writes the staged records to the active segment, first rolling to a new segment when
  // the active one holds `segment_bytes` or more (the old one is synced when `sync_on_roll`).
  Status WriteStaged(uint64_t segment_bytes, bool sync_on_roll);
  // The segment the last WriteStaged wrote to.
  const std::shared_ptr<SegmentFile>& active() const { return active_; }

  // Deletes whole segments, oldest first, that retention lets go: all of their records are
  // below `committed_next` and `read_next` (what every consumer group has read; INT64_MAX:
  // no group holds it), and the segment is older than `retention_ms` or the partition is
  // larger than `retention_bytes` (0: no limit). The active segment stays. True when a
  // group stopped it and the bytes from its position to the end exceed `max_unread`.
  Result<bool> ApplyRetention(int64_t now_ms, int64_t retention_ms, int64_t retention_bytes,
                              int64_t committed_next, int64_t read_next, uint64_t max_unread);

  const std::string& dir() const { return dir_; }
  const std::string& label() const { return label_; }

 private:
  Status OpenSegment(int64_t base, uint64_t size);

  std::string dir_;
  std::string label_;
  int64_t next_ = 0;
  std::string staged_;
  int64_t staged_first_ = 0;
  std::shared_ptr<SegmentFile> active_;
};

}  // namespace vimur::local
