// SnapshotRequestDir: how `vimur snapshot` hands incremental-snapshot requests to the running
// pipeline and follows them: JSON files in SourceConfig::snapshot_requests_dir.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace vimur {

struct SnapshotRequest {
  std::string id;                   // unique; names the request's files
  std::vector<std::string> tables;  // "db.table" (PostgreSQL: "schema.table")
  std::string where;                // SQL condition restricting the rows read, or empty
  bool cancel = false;              // cancel: stop the snapshots of `tables` (empty: all)
  int64_t submitted_ns = 0;         // requests are taken in this order
};

// What the pipeline reports about a request (the `.status.json` file).
struct SnapshotRequestStatus {
  std::string id;
  // accepted | running | done | cancelled | rejected | failed
  std::string state;
  std::string message;  // why rejected or failed; empty otherwise
  std::string table;    // being read
  uint64_t tables_total = 0;
  uint64_t tables_done = 0;
  uint64_t rows = 0;      // of `table`, published so far
  uint64_t estimate = 0;  // of `table`, the server's row estimate
  double rows_per_s = 0;  // of the request over the last minute
  int64_t updated_ms = 0;

  bool finished() const {
    return state == "done" || state == "cancelled" || state == "rejected" || state == "failed";
  }
  std::string ToJson() const;
  static Result<SnapshotRequestStatus> FromJson(const std::string& text);
};

class SnapshotRequestDir {
 public:
  explicit SnapshotRequestDir(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  // `vimur snapshot`: writes the request atomically; returns its id (a new one when empty).
  Result<std::string> Submit(SnapshotRequest request);
  // The pipeline: the requests submitted since the last call, oldest first. Each file is
  // renamed to `.taken.json`, so a request is handed over once.
  Result<std::vector<SnapshotRequest>> TakeSubmitted();
  Status WriteStatus(const SnapshotRequestStatus& status);
  // nullopt while the pipeline has not reported on the request.
  Result<std::optional<SnapshotRequestStatus>> ReadStatus(const std::string& id) const;

 private:
  std::string dir_;
};

}  // namespace vimur
