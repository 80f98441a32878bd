#include "source/snapshot_requests.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <tuple>

namespace vimur {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRequestSuffix = ".request.json";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes `path` through a temporary file and a rename, so readers never see half of it.
Status WriteAtomically(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return Status::IoError("creating " + path.parent_path().string() + ": " + ec.message() +
                           " (check state_dir and its permissions)");
  }
  const fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.close();
    if (!out) return Status::IoError("writing " + tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError("renaming " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ValidId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace

std::string SnapshotRequestStatus::ToJson() const {
  nlohmann::json j;
  j["id"] = id;
  j["state"] = state;
  if (!message.empty()) j["message"] = message;
  j["table"] = table;
  j["tables_total"] = tables_total;
  j["tables_done"] = tables_done;
  j["rows"] = rows;
  j["estimate"] = estimate;
  j["rows_per_s"] = rows_per_s;
  j["updated_ms"] = updated_ms;
  return j.dump();
}

Result<SnapshotRequestStatus> SnapshotRequestStatus::FromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("snapshot request status is not a JSON object: " +
                              text.substr(0, 200));
  }
  SnapshotRequestStatus s;
  try {
    s.id = j.value("id", "");
    s.state = j.value("state", "");
    s.message = j.value("message", "");
    s.table = j.value("table", "");
    s.tables_total = j.value("tables_total", uint64_t{0});
    s.tables_done = j.value("tables_done", uint64_t{0});
    s.rows = j.value("rows", uint64_t{0});
    s.estimate = j.value("estimate", uint64_t{0});
    s.rows_per_s = j.value("rows_per_s", 0.0);
    s.updated_ms = j.value("updated_ms", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("snapshot request status: ") + e.what());
  }
  return s;
}

Result<std::string> SnapshotRequestDir::Submit(SnapshotRequest request) {
  if (request.id.empty()) {
    std::random_device rd;
    char suffix[9];
    std::snprintf(suffix, sizeof(suffix), "%08x", rd());
    request.id = std::to_string(WallMs()) + "-" + suffix;
  }
  if (!ValidId(request.id)) {
    return Status::InvalidArgument("snapshot request id '" + request.id +
                                   "': use up to 64 letters, digits, '-' and '_'");
  }
  nlohmann::json j;
  j["id"] = request.id;
  j["tables"] = request.tables;
  if (!request.where.empty()) j["where"] = request.where;
  if (request.cancel) j["cancel"] = true;
  // Nanoseconds: two requests submitted one right after the other keep their order.
  j["submitted_ns"] = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  VIMUR_RETURN_IF_ERROR(
      WriteAtomically(fs::path(dir_) / (request.id + std::string(kRequestSuffix)), j.dump(2)));
  return request.id;
}

Result<std::vector<SnapshotRequest>> SnapshotRequestDir::TakeSubmitted() {
  std::vector<fs::path> found;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return std::vector<SnapshotRequest>();
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > kRequestSuffix.size() &&
        name.compare(name.size() - kRequestSuffix.size(), kRequestSuffix.size(), kRequestSuffix) ==
            0) {
      found.push_back(entry.path());
    }
  }
  if (ec) return Status::IoError("listing " + dir_ + ": " + ec.message());
  std::vector<SnapshotRequest> requests;
  for (const fs::path& path : found) {
    VIMUR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    SnapshotRequest r;
    std::string name = path.filename().string();
    r.id = name.substr(0, name.size() - kRequestSuffix.size());
    bool understood = j.is_object() && j.contains("tables") && j["tables"].is_array();
    if (understood) {
      for (const auto& t : j["tables"]) {
        if (t.is_string())
          r.tables.push_back(t.get<std::string>());
        else
          understood = false;
      }
      if (j.contains("where") && j["where"].is_string()) r.where = j["where"].get<std::string>();
      r.cancel = j.value("cancel", false);
      r.submitted_ns = j.value("submitted_ns", int64_t{0});
    }
    fs::path taken = path;
    taken.replace_filename(r.id + ".taken.json");
    fs::rename(path, taken, ec);
    if (ec) return Status::IoError("renaming " + path.string() + ": " + ec.message());
    if (!understood) {
      SnapshotRequestStatus rejected;
      rejected.id = r.id;
      rejected.state = "rejected";
      rejected.message = "the request file is not understood (expected {\"tables\": [...]})";
      rejected.updated_ms = WallMs();
      VIMUR_RETURN_IF_ERROR(WriteStatus(rejected));
      continue;
    }
    requests.push_back(std::move(r));
  }
  std::sort(requests.begin(), requests.end(),
            [](const SnapshotRequest& a, const SnapshotRequest& b) {
              return std::tie(a.submitted_ns, a.id) < std::tie(b.submitted_ns, b.id);
            });
  return requests;
}

Status SnapshotRequestDir::WriteStatus(const SnapshotRequestStatus& status) {
  return WriteAtomically(fs::path(dir_) / (status.id + ".status.json"), status.ToJson());
}

Result<std::optional<SnapshotRequestStatus>> SnapshotRequestDir::ReadStatus(
    const std::string& id) const {
  auto text = ReadFile(fs::path(dir_) / (id + ".status.json"));
  if (!text.ok()) return std::optional<SnapshotRequestStatus>();
  VIMUR_ASSIGN_OR_RETURN(SnapshotRequestStatus status, SnapshotRequestStatus::FromJson(*text));
  return std::optional<SnapshotRequestStatus>(std::move(status));
}

}  // namespace vimur
