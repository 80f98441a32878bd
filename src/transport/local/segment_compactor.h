// Compaction by key of one partition of the local log, as Kafka's cleanup.policy=compact: the
// closed, committed segments are rewritten to keep, per key, only the newest record.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace vimur::local {

// A rewrite goes to `<segment>.compacting` first (fsync), then is renamed over the segment.
inline constexpr const char* kCompactingSuffix = ".compacting";

struct CompactionResult {
  int segments_rewritten = 0;
  int64_t records_removed = 0;
};

// Compacts the partition in `dir` ("topic[p]" in `label` for logs). Only closed segments are
// touched (never the last, active one) whose records are all below `committed_next`. Across
// them, a record is kept when its key is null, or it is the newest record of its key; a
// tombstone removes its key's older records and is itself dropped once it is older than
// `tombstone_retention_ms` (by its timestamp). Offsets stay: kept records keep theirs, and a
// segment keeps its name (its first offset) even when that record is gone. A segment keeps
// its modification time, so retention by time is not postponed. Crash-safe: the rewrite is a
// temp file, fsync, rename over, fsync of the directory.
Result<CompactionResult> CompactPartition(const std::string& dir, const std::string& label,
                                          int64_t committed_next, int64_t now_ms,
                                          int64_t tombstone_retention_ms);

// Removes `*.compacting` files a crash left in `dir` (the segment they would replace is whole).
Status RemoveCompactionLeftovers(const std::string& dir);

}  // namespace vimur::local
