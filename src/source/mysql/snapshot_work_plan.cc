#include "source/mysql/snapshot_work_plan.h"

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "source/mysql/snapshot_table_plan.h"

namespace vimur::mysql {
namespace {

Status NotUnderstood(const std::string& text, const std::string& why) {
  return Status::Corruption("stored snapshot progress is not understood (" + why +
                            "): " + text.substr(0, 200) +
                            "; remove the stored offset to take the snapshot again");
}

// "-12" or "34": what a range's `to` may hold (it becomes part of a query).
bool IsIntegerText(std::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Result<std::vector<std::string>> KeyFromJson(const nlohmann::json& keys, const std::string& text) {
  std::vector<std::string> cells;
  if (!keys.is_array()) return NotUnderstood(text, "a key is not a list");
  for (const auto& hex : keys) {
    if (!hex.is_string()) return NotUnderstood(text, "a key cell is not a string");
    VIMUR_ASSIGN_OR_RETURN(std::string bytes, KeyCellFromHex(hex.get<std::string>()));
    cells.push_back(std::move(bytes));
  }
  return cells;
}

// Integer keys mapped onto uint64 preserving order (signed: the sign bit flipped).
Result<uint64_t> Biased(std::string_view text, bool is_unsigned) {
  const char* end = text.data() + text.size();
  if (is_unsigned) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || p != end) {
      return Status::InvalidArgument("not an unsigned integer key: " + std::string(text));
    }
    return v;
  }
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end) {
    return Status::InvalidArgument("not an integer key: " + std::string(text));
  }
  return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
}

std::string Unbiased(uint64_t v, bool is_unsigned) {
  if (is_unsigned) return std::to_string(v);
  return std::to_string(static_cast<int64_t>(v ^ (uint64_t{1} << 63)));
}

}  // namespace

bool SnapshotWorkPlan::IsWorkPlanJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return !j.is_discarded() && j.is_object() && j.contains("done") && !j.contains("table");
}

Result<SnapshotWorkPlan> SnapshotWorkPlan::FromJson(const std::string& text,
                                                    const std::vector<std::string>& tables) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return NotUnderstood(text, "not a JSON object");
  SnapshotWorkPlan plan;
  if (j.contains("table")) {  // the single reader's form
    if (!j["table"].is_string()) return NotUnderstood(text, "table is not a string");
    const std::string at = j["table"].get<std::string>();
    for (const std::string& t : tables) {
      if (t < at) plan.done_.insert(t);
    }
    SnapshotRange rest;
    if (j.contains("after")) {
      VIMUR_ASSIGN_OR_RETURN(rest.after, KeyFromJson(j["after"], text));
    }
    plan.left_[at][0] = std::move(rest);
    return plan;
  }
  if (!j.contains("done") || !j["done"].is_array()) return NotUnderstood(text, "no done list");
  for (const auto& t : j["done"]) {
    if (!t.is_string()) return NotUnderstood(text, "a done table is not a string");
    plan.done_.insert(t.get<std::string>());
  }
  if (j.contains("ranges")) {
    if (!j["ranges"].is_object()) return NotUnderstood(text, "ranges is not an object");
    for (const auto& [table, list] : j["ranges"].items()) {
      if (!list.is_array() || list.empty()) return NotUnderstood(text, "bad ranges of " + table);
      Ranges& ranges = plan.left_[table];
      for (const auto& r : list) {
        if (!r.is_object()) return NotUnderstood(text, "a range is not an object");
        SnapshotRange range;
        if (r.contains("after")) {
          VIMUR_ASSIGN_OR_RETURN(range.after, KeyFromJson(r["after"], text));
        }
        if (r.contains("to")) {
          if (!r["to"].is_string() || !IsIntegerText(r["to"].get<std::string>())) {
            return NotUnderstood(text, "a range's end is not an integer");
          }
          range.to = r["to"].get<std::string>();
        }
        ranges[ranges.size()] = std::move(range);
      }
    }
  }
  return plan;
}

std::string SnapshotWorkPlan::ToJson() const {
  nlohmann::json j;
  j["done"] = nlohmann::json::array();
  for (const std::string& t : done_) j["done"].push_back(t);
  if (!left_.empty()) {
    nlohmann::json ranges = nlohmann::json::object();
    for (const auto& [table, left] : left_) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [id, range] : left) {
        nlohmann::json r = nlohmann::json::object();
        if (!range.after.empty()) {
          nlohmann::json keys = nlohmann::json::array();
          for (const std::string& k : range.after) keys.push_back(KeyCellToHex(k));
          r["after"] = std::move(keys);
        }
        if (!range.to.empty()) r["to"] = range.to;
        list.push_back(std::move(r));
      }
      ranges[table] = std::move(list);
    }
    j["ranges"] = std::move(ranges);
  }
  return j.dump();
}

const SnapshotWorkPlan::Ranges* SnapshotWorkPlan::Left(const std::string& table) const {
  auto it = left_.find(table);
  return it == left_.end() ? nullptr : &it->second;
}

void SnapshotWorkPlan::Start(const std::string& table, const std::vector<SnapshotRange>& ranges) {
  Ranges& left = left_[table];
  left.clear();
  for (size_t i = 0; i < ranges.size(); ++i) left[i] = ranges[i];
  if (left.empty()) MarkDone(table);
}

void SnapshotWorkPlan::Advance(const std::string& table, size_t id,
                               std::vector<std::string> after) {
  auto it = left_.find(table);
  if (it == left_.end()) return;
  auto range = it->second.find(id);
  if (range != it->second.end()) range->second.after = std::move(after);
}

bool SnapshotWorkPlan::Finish(const std::string& table, size_t id) {
  auto it = left_.find(table);
  if (it == left_.end()) return false;
  it->second.erase(id);
  if (!it->second.empty()) return false;
  MarkDone(table);
  return true;
}

void SnapshotWorkPlan::MarkDone(const std::string& table) {
  left_.erase(table);
  done_.insert(table);
}

std::string SnapshotWorkPlan::Describe() const {
  size_t ranges = 0;
  for (const auto& [table, left] : left_) ranges += left.size();
  return std::to_string(done_.size()) + " tables done, " + std::to_string(left_.size()) +
         " partly read (" + std::to_string(ranges) + " ranges left)";
}

Result<std::vector<SnapshotRange>> SplitIntegerKeyRange(std::string_view min, std::string_view max,
                                                        bool is_unsigned, size_t parts) {
  VIMUR_ASSIGN_OR_RETURN(uint64_t lo, Biased(min, is_unsigned));
  VIMUR_ASSIGN_OR_RETURN(uint64_t hi, Biased(max, is_unsigned));
  if (hi < lo) std::swap(lo, hi);
  const uint64_t span = hi - lo;  // keys in [lo, hi] minus one
  if (parts < 1) parts = 1;
  if (span < parts) parts = static_cast<size_t>(span) + 1;
  // Bounds b_1 < ... < b_{parts-1}: range i holds keys in (b_i, b_{i+1}].
  std::vector<std::string> bounds;
  const uint64_t width = span / parts;
  const uint64_t extra = span % parts;
  for (size_t i = 1; i < parts; ++i) {
    const uint64_t b = lo + width * i + (extra * i) / parts;
    if (bounds.empty() || bounds.back() != Unbiased(b, is_unsigned)) {
      bounds.push_back(Unbiased(b, is_unsigned));
    }
  }
  std::vector<SnapshotRange> ranges;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    SnapshotRange r;
    if (i > 0) r.after = {bounds[i - 1]};
    if (i < bounds.size()) r.to = bounds[i];
    ranges.push_back(std::move(r));
  }
  return ranges;
}

}  // namespace vimur::mysql
