#include "core/position.h"

#include <nlohmann/json.hpp>

namespace vimur {

std::string Position::ToJson() const {
  nlohmann::json j;
  if (!gtid_set.empty()) j["gtid_set"] = gtid_set;
  if (!file.empty()) {
    j["file"] = file;
    j["pos"] = pos;
  }
  if (lsn != 0) j["lsn"] = lsn;
  if (snapshot_done) j["snapshot_done"] = true;
  if (!source_state.empty()) j["source_state"] = source_state;
  if (!snapshot_progress.empty()) j["snapshot_progress"] = snapshot_progress;
  if (!incremental_snapshot.empty()) j["incremental_snapshot"] = incremental_snapshot;
  return j.dump();
}

Result<Position> Position::FromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("stored position is not a JSON object: " + text.substr(0, 200));
  }
  Position p;
  try {
    if (j.contains("gtid_set")) p.gtid_set = j.at("gtid_set").get<std::string>();
    if (j.contains("file")) p.file = j.at("file").get<std::string>();
    if (j.contains("pos")) p.pos = j.at("pos").get<uint64_t>();
    if (j.contains("lsn")) p.lsn = j.at("lsn").get<uint64_t>();
    if (j.contains("snapshot_done")) p.snapshot_done = j.at("snapshot_done").get<bool>();
    if (j.contains("source_state")) p.source_state = j.at("source_state").get<std::string>();
    if (j.contains("snapshot_progress")) {
      p.snapshot_progress = j.at("snapshot_progress").get<std::string>();
    }
    if (j.contains("incremental_snapshot")) {
      p.incremental_snapshot = j.at("incremental_snapshot").get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("stored position has a field of the wrong type: ") +
                              e.what());
  }
  return p;
}

std::string Position::Describe() const {
  std::string out;
  if (!gtid_set.empty()) out = "gtid " + gtid_set;
  if (!file.empty()) {
    std::string fp = file + ":" + std::to_string(pos);
    out = out.empty() ? fp : out + " (" + fp + ")";
  }
  if (lsn != 0) out += (out.empty() ? "lsn " : " lsn ") + std::to_string(lsn);
  if (!source_state.empty()) out += " [" + source_state + "]";
  if (!snapshot_progress.empty()) out += " snapshot in progress " + snapshot_progress;
  if (!incremental_snapshot.empty()) out += " (incremental snapshot in progress)";
  return out.empty() ? "(start)" : out;
}

}  // namespace vimur
