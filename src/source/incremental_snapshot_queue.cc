#include "source/incremental_snapshot_queue.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "core/metrics_probes.h"

namespace vimur {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

IncrementalSnapshotQueue::IncrementalSnapshotQueue(std::string source_name,
                                                   std::string requests_dir,
                                                   std::string left_out_reason, KeyCodec codec)
    : source_name_(std::move(source_name)),
      requests_dir_(std::move(requests_dir)),
      left_out_reason_(std::move(left_out_reason)),
      codec_(codec) {}

std::string IncrementalSnapshotQueue::StateJson() const {
  if (requests_.empty()) return "";
  nlohmann::json list = nlohmann::json::array();
  for (const Request& r : requests_) {
    nlohmann::json j;
    j["id"] = r.id;
    j["tables"] = r.tables;
    if (!r.where.empty()) j["where"] = r.where;
    j["table"] = r.table;
    if (!r.after.empty()) {
      nlohmann::json keys = nlohmann::json::array();
      for (const std::string& k : r.after) keys.push_back(codec_.encode ? codec_.encode(k) : k);
      j["after"] = std::move(keys);
    }
    j["rows"] = r.rows;
    list.push_back(std::move(j));
  }
  nlohmann::json state;
  state["requests"] = std::move(list);
  return state.dump();
}

void IncrementalSnapshotQueue::UpdateState() {
  state_ = StateJson();
  current_table_.clear();
  if (!requests_.empty()) {
    const Request& r = requests_.front();
    if (r.table < r.tables.size()) current_table_ = r.tables[r.table];
  }
}

Status IncrementalSnapshotQueue::Restore(const std::string& state) {
  requests_.clear();
  UpdateState();
  if (state.empty()) return Status::Ok();
  nlohmann::json j = nlohmann::json::parse(state, nullptr, false);
  auto bad = [&](const std::string& what) {
    return Status::Corruption("source " + source_name_ +
                              ": the stored incremental snapshot state is not understood (" + what +
                              "): " + state.substr(0, 200) +
                              "; cancel the snapshots with vimur snapshot --cancel, or remove the "
                              "stored offset");
  };
  if (j.is_discarded() || !j.is_object() || !j.contains("requests") || !j["requests"].is_array()) {
    return bad("no requests list");
  }
  std::deque<Request> restored;
  try {
    for (const auto& item : j["requests"]) {
      Request r;
      r.id = item.at("id").get<std::string>();
      r.tables = item.at("tables").get<std::vector<std::string>>();
      r.where = item.value("where", "");
      r.table = item.value("table", size_t{0});
      r.rows = item.value("rows", uint64_t{0});
      if (item.contains("after")) {
        for (const auto& stored : item["after"]) {
          if (!codec_.decode) {
            r.after.push_back(stored.get<std::string>());
            continue;
          }
          Result<std::string> key = codec_.decode(stored.get<std::string>());
          if (!key.ok()) return bad(key.status().message());
          r.after.push_back(std::move(key).value());
        }
      }
      r.started_ms = WallMs();
      restored.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  requests_ = std::move(restored);
  UpdateState();
  return Status::Ok();
}

Status IncrementalSnapshotQueue::TakeRequests(const Hooks& hooks) {
  VIMUR_ASSIGN_OR_RETURN(std::vector<SnapshotRequest> taken, requests_dir_.TakeSubmitted());
  for (SnapshotRequest& request : taken) {
    const std::string id = request.id;
    Status accepted = Accept(std::move(request), hooks);
    if (!accepted.ok()) {
      LOG_WARN << "source " << source_name_ << ": incremental snapshot " << id
               << " rejected: " << accepted.message();
      SnapshotRequestStatus status;
      status.id = id;
      status.state = "rejected";
      status.message = accepted.message();
      status.updated_ms = WallMs();
      VIMUR_RETURN_IF_ERROR(requests_dir_.WriteStatus(status));
    }
  }
  return Status::Ok();
}

Status IncrementalSnapshotQueue::Accept(SnapshotRequest request, const Hooks& hooks) {
  if (request.cancel) return Cancel(request, hooks);
  if (hooks.check) VIMUR_RETURN_IF_ERROR(hooks.check(request));
  if (request.tables.empty()) return Status::InvalidArgument("the request names no table");
  Request r;
  r.id = request.id;
  r.tables = request.tables;
  r.where = request.where;
  r.started_ms = WallMs();
  LOG_INFO << "source " << source_name_ << ": incremental snapshot " << r.id
           << " accepted: " << r.tables.size() << " table(s)"
           << (r.where.empty() ? "" : " where " + r.where)
           << (requests_.empty() ? "" : ", queued behind " + std::to_string(requests_.size()));
  SnapshotRequestStatus status;
  status.id = r.id;
  status.state = "accepted";
  status.tables_total = r.tables.size();
  status.table = r.tables.front();
  status.updated_ms = WallMs();
  requests_.push_back(std::move(r));
  UpdateState();
  return requests_dir_.WriteStatus(status);
}

Status IncrementalSnapshotQueue::Cancel(const SnapshotRequest& request, const Hooks& hooks) {
  size_t cancelled = 0;
  for (size_t i = 0; i < requests_.size();) {
    Request& r = requests_[i];
    const bool current = i == 0;
    const std::string reading = r.table < r.tables.size() ? r.tables[r.table] : "";
    std::vector<std::string> rest;
    for (size_t t = 0; t < r.tables.size(); ++t) {
      bool named = request.tables.empty();
      for (const std::string& c : request.tables) named |= c == r.tables[t];
      if (named && t >= r.table) {
        ++cancelled;
      } else {
        rest.push_back(r.tables[t]);
      }
    }
    if (rest.size() == r.tables.size()) {
      ++i;
      continue;
    }
    // Tables already read stay (only later ones are cancelled); the one being read, if
    // cancelled, stops now and the next one left takes its place.
    const bool reading_kept = std::find(rest.begin(), rest.end(), reading) != rest.end();
    r.tables = rest;
    r.table = std::min(r.table, r.tables.size());
    if (!reading_kept) {
      r.after.clear();
      r.rows = 0;
      if (current) {
        if (!reading.empty()) metrics::SnapshotProbe::For(source_name_, reading).Finished();
        if (hooks.drop_current) hooks.drop_current();
      }
    }
    if (r.table >= r.tables.size()) {
      Finish(r, "cancelled", "cancelled by request " + request.id);
      requests_.erase(requests_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
  UpdateState();
  LOG_INFO << "source " << source_name_ << ": cancel request " << request.id << ": " << cancelled
           << " table snapshot(s) cancelled";
  SnapshotRequestStatus status;
  status.id = request.id;
  status.state = "done";
  status.message = std::to_string(cancelled) + " table snapshot(s) cancelled";
  status.updated_ms = WallMs();
  return requests_dir_.WriteStatus(status);
}

void IncrementalSnapshotQueue::Finish(const Request& request, const std::string& state,
                                      const std::string& message) {
  SnapshotRequestStatus status;
  status.id = request.id;
  status.state = state;
  status.message = message;
  status.tables_total = request.tables.size();
  status.tables_done = std::min(request.table, request.tables.size());
  status.updated_ms = WallMs();
  const double seconds = static_cast<double>(WallMs() - request.started_ms) / 1000.0;
  if (seconds > 0) status.rows_per_s = static_cast<double>(request.handed_on) / seconds;
  Status written = requests_dir_.WriteStatus(status);
  if (!written.ok()) {
    LOG_WARN << "source " << source_name_ << ": incremental snapshot " << request.id << ": "
             << written.message();
  }
  LOG_INFO << "source " << source_name_ << ": incremental snapshot " << request.id << " " << state
           << (message.empty() ? "" : ": " + message) << " (" << request.handed_on
           << " rows handed on in " << seconds << " s; " << request.left_out
           << " left out because the stream changed them " << left_out_reason_ << ")";
}

void IncrementalSnapshotQueue::ReportStatus(bool force) {
  if (requests_.empty()) return;
  const int64_t now = WallMs();
  if (force || now - last_status_ms_ >= 1000) {
    last_status_ms_ = now;
    const Request& r = requests_.front();
    SnapshotRequestStatus status;
    status.id = r.id;
    status.state = "running";
    status.table = r.table < r.tables.size() ? r.tables[r.table] : "";
    status.tables_total = r.tables.size();
    status.tables_done = r.table;
    status.rows = r.rows;
    status.estimate = r.estimate;
    const double seconds = static_cast<double>(now - r.started_ms) / 1000.0;
    if (seconds > 0) status.rows_per_s = static_cast<double>(r.handed_on) / seconds;
    status.updated_ms = now;
    Status written = requests_dir_.WriteStatus(status);
    if (!written.ok()) {
      LOG_WARN << "source " << source_name_ << ": incremental snapshot " << r.id << ": "
               << written.message();
    }
  }
  LogProgress(now);
}

void IncrementalSnapshotQueue::LogProgress(int64_t now) {
  if (now - last_log_ms_ < 10'000) return;
  const Request& r = requests_.front();
  const double seconds = static_cast<double>(now - last_log_ms_) / 1000.0;
  const double rate =
      last_log_ms_ > 0 && seconds > 0
          ? static_cast<double>(r.handed_on - std::min(r.handed_on, rows_at_last_log_)) / seconds
          : 0;
  last_log_ms_ = now;
  rows_at_last_log_ = r.handed_on;
  if (r.table >= r.tables.size()) return;
  std::string rate_text;
  if (rate > 0) {
    rate_text = " (" + std::to_string(static_cast<uint64_t>(rate)) + " rows/s";
    if (r.estimate > r.rows) {
      rate_text +=
          ", about " +
          std::to_string(static_cast<uint64_t>(static_cast<double>(r.estimate - r.rows) / rate)) +
          " s left";
    }
    rate_text += ")";
  }
  LOG_INFO << "source " << source_name_ << ": incremental snapshot " << r.id << ": "
           << r.tables[r.table] << " " << r.rows << " of ~" << r.estimate << " rows" << rate_text
           << ", table " << (r.table + 1) << " of " << r.tables.size();
}

void IncrementalSnapshotQueue::NextTable() {
  Request& r = requests_.front();
  LOG_INFO << "source " << source_name_ << ": incremental snapshot " << r.id << ": "
           << r.tables[r.table] << " done: " << r.rows << " rows";
  metrics::SnapshotProbe::For(source_name_, r.tables[r.table]).Finished();
  ++r.table;
  r.after.clear();
  r.rows = 0;
  r.estimate = 0;
  if (r.table >= r.tables.size()) {
    Finish(r, "done", "");
    requests_.pop_front();
  }
  UpdateState();
  ReportStatus(true);
}

}  // namespace vimur
