// SnapshotWorkPlan: what a parallel MariaDB snapshot has left to read (tables done, key ranges
// still open), stored as `snapshot_progress` JSON, and the split of an integer key into ranges.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vimur::mysql {

// A piece of a table still to read: the rows with a key after `after` (raw key cells as read;
// empty: from the table's start) and, for a range of a single integer key, a key <= `to`
// (decimal text; empty: no upper end).
struct SnapshotRange {
  std::vector<std::string> after;
  std::string to;

  bool operator==(const SnapshotRange&) const = default;
};

// The snapshot's progress. Stored form:
//   {"done": ["db.a", ...], "ranges": {"db.t": [{"after": ["<hex>", ...], "to": "500"}, ...]}}
// Tables in `done` are complete; a table in `ranges` has exactly those ranges left; any other
// table is read whole. The form of the single reader, {"table": "db.t", "after": [...]}
// (tables sorting before db.t done, of db.t the rows after `after` left), is read as well.
class SnapshotWorkPlan {
 public:
  // Ranges are numbered per table (in key order) so workers can advance them independently.
  using Ranges = std::map<size_t, SnapshotRange>;

  // `tables`: the snapshot's tables (qualified names), used to read the single reader's form.
  static Result<SnapshotWorkPlan> FromJson(const std::string& text,
                                           const std::vector<std::string>& tables);
  // True for the stored form written by this class (as opposed to the single reader's).
  static bool IsWorkPlanJson(const std::string& text);
  std::string ToJson() const;

  bool Done(const std::string& table) const { return done_.count(table) > 0; }
  // The ranges left of a started table; nullptr when it has not been started (read it whole).
  const Ranges* Left(const std::string& table) const;

  // A table starts with these ranges left (numbered 0..n-1), replacing any stored ones.
  void Start(const std::string& table, const std::vector<SnapshotRange>& ranges);
  // The rows of range `id` up to the key `after` are handed on.
  void Advance(const std::string& table, size_t id, std::vector<std::string> after);
  // Range `id` is read to its end; returns true when that was the table's last range (the
  // table is then done).
  bool Finish(const std::string& table, size_t id);
  // A table that no longer exists counts as done.
  void MarkDone(const std::string& table);

  // "3 tables done, 2 partly read (5 ranges left)".
  std::string Describe() const;

 private:
  std::set<std::string> done_;
  std::map<std::string, Ranges> left_;
};

// Splits the keys [min, max] of a single integer key (decimal text; `is_unsigned`: BIGINT
// UNSIGNED, so values above INT64_MAX occur) into `parts` ranges of about equal width, in key
// order: the first open below, the last open above, so rows outside [min, max] are read too.
// Fewer ranges when the span has fewer keys than `parts`; one range (whole table) for parts 1.
Result<std::vector<SnapshotRange>> SplitIntegerKeyRange(std::string_view min, std::string_view max,
                                                        bool is_unsigned, size_t parts);

}  // namespace vimur::mysql
