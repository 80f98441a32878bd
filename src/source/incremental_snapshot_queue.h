// IncrementalSnapshotQueue: the incremental-snapshot requests of one source (`vimur snapshot`),
// worked through one table at a time, whatever the database. It takes requests from the
// request directory (cancels included), keeps the progress stamped on every position handed on
// (Position::incremental_snapshot) and reports it in the status files and the log. How a chunk
// is read and merged with the stream stays with each source (mysql::IncrementalSnapshot,
// postgresql::PgIncrementalSnapshot).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "source/snapshot_requests.h"

namespace vimur {

// How the key cells of a request's progress are written in the stored state, for keys that are
// not text (MariaDB's raw cells: hex). Both null: stored as they are.
struct IncrementalSnapshotKeyCodec {
  std::string (*encode)(std::string_view cell) = nullptr;
  Result<std::string> (*decode)(std::string_view stored) = nullptr;
};

class IncrementalSnapshotQueue {
 public:
  struct Request {
    std::string id;
    std::vector<std::string> tables;  // "db.table" (PostgreSQL: "schema.table"), in this order
    std::string where;
    size_t table = 0;                // index of the table being read
    std::vector<std::string> after;  // key cells of the last row handed on (as the source
                                     // reads them: MariaDB raw, PostgreSQL text); empty: none
    uint64_t rows = 0;               // of the table being read, handed on
    uint64_t estimate = 0;           // of the table being read (not stored)
    uint64_t handed_on = 0;          // rows handed on by this process (not stored)
    uint64_t left_out = 0;           // rows of chunks the stream had changed (not stored)
    int64_t started_ms = 0;          // when this process took the request up
  };

  using KeyCodec = IncrementalSnapshotKeyCodec;

  // What TakeRequests asks of the source.
  struct Hooks {
    // Whether a new request can be read (the source's own checks: names, filters, keys,
    // --where). A failure rejects the request with its message.
    std::function<Status(const SnapshotRequest&)> check;
    // A cancel stopped the table being read: forget its chunk, plan and remembered keys.
    std::function<void()> drop_current;
  };

  // `left_out_reason` ends the log line of a finished request: "... left out because the
  // stream changed them <left_out_reason>)".
  IncrementalSnapshotQueue(std::string source_name, std::string requests_dir,
                           std::string left_out_reason, KeyCodec codec = {});

  // Continues the requests a stored position carries (state() as it was stored).
  Status Restore(const std::string& state);
  // The JSON stamped on every position handed on; empty when no request is queued.
  const std::string& state() const { return state_; }
  bool active() const { return !requests_.empty(); }
  size_t size() const { return requests_.size(); }
  // The request being worked on. Only while active().
  Request& front() { return requests_.front(); }
  const Request& front() const { return requests_.front(); }
  // "db.table" being read, or empty.
  const std::string& current_table() const { return current_table_; }
  const std::string& requests_dir() const { return requests_dir_.dir(); }

  // Takes the requests submitted since the last call: accepted (after hooks.check), rejected
  // with a status file, or, for a cancel, applied to the requests queued.
  Status TakeRequests(const Hooks& hooks);
  // The table being read is done (or gone): moves to the next one, and finishes the request
  // ("done") past its last table.
  void NextTable();
  // After the source changed front().after or front().rows.
  void UpdateState();
  // Writes the status of the request being worked on, at most once a second unless `force`,
  // and logs its progress (rate, time left) every 10 s.
  void ReportStatus(bool force);
  // Writes the final status of `request` (done, cancelled, ...) and logs its totals.
  void Finish(const Request& request, const std::string& state, const std::string& message);

 private:
  std::string StateJson() const;
  Status Accept(SnapshotRequest request, const Hooks& hooks);
  Status Cancel(const SnapshotRequest& request, const Hooks& hooks);
  void LogProgress(int64_t now);

  const std::string source_name_;
  SnapshotRequestDir requests_dir_;
  const std::string left_out_reason_;
  const KeyCodec codec_;
  std::deque<Request> requests_;
  std::string state_;          // StateJson()
  std::string current_table_;  // of front(), or empty
  int64_t last_status_ms_ = 0;
  int64_t last_log_ms_ = 0;
  uint64_t rows_at_last_log_ = 0;
};

}  // namespace vimur
