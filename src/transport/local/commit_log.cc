#include "transport/local/commit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "transport/local/file_io.h"
#include "transport/local/log_record.h"
#include "transport/local/segment_reader.h"

namespace vimur::local {
namespace {

// Past this size the file is replaced by one holding only the newest record.
constexpr uint64_t kRotateBytes = 1 << 20;

}  // namespace

std::string CommitState::Encode() const {
  nlohmann::json j;
  j["seq"] = sequence;
  j["positions"] = positions;
  j["topics"] = topics;
  return j.dump();
}

Result<CommitState> CommitState::Decode(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("commit record is not JSON");
  CommitState s;
  try {
    s.sequence = j.at("seq").get<int64_t>();
    s.positions = j.at("positions").get<std::map<std::string, std::string>>();
    s.topics = j.at("topics").get<std::map<std::string, std::vector<int64_t>>>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("commit record: ") + e.what());
  }
  for (const auto& [topic, offsets] : s.topics) {
    if (offsets.empty())
      return Status::Corruption("commit record: topic " + topic + " has no partitions");
    for (int64_t o : offsets) {
      if (o < 0) return Status::Corruption("commit record: negative offset for topic " + topic);
    }
  }
  return s;
}

CommitLog::~CommitLog() {
  if (fd_ >= 0) ::close(fd_);
}

Result<CommitState> CommitLog::Open() {
  CommitState state;
  auto bytes = ReadWholeFile(path_);
  std::string content;
  if (bytes.ok()) {
    content = std::move(bytes).value();
  } else if (bytes.status().code() != StatusCode::kNotFound) {
    return bytes.status();
  }
  LogSegmentReader reader(content, path_);
  Status damage;
  while (true) {
    std::string_view body;
    auto got = reader.NextFrame(&body);
    if (!got.ok()) {
      damage = got.status();
      break;
    }
    if (!*got) break;
    auto decoded = CommitState::Decode(body);
    if (!decoded.ok()) {
      damage = decoded.status();
      break;
    }
    state = std::move(decoded).value();
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::IoError("cannot open " + path_ + ": " + std::strerror(errno));
  if (reader.position() < content.size()) {
    LOG_WARN << "local log: commit log " << path_ << " cut at byte " << reader.position() << " of "
             << content.size() << " ("
             << (damage.ok() ? std::string("torn last record") : damage.message())
             << "); batches after the last whole commit record are dropped and read again "
                "from the source";
    if (::ftruncate(fd_, static_cast<off_t>(reader.position())) != 0) {
      return Status::IoError("cannot truncate " + path_ + ": " + std::strerror(errno));
    }
    VIMUR_RETURN_IF_ERROR(SyncFile(fd_, path_));
  }
  size_ = reader.position();
  VIMUR_RETURN_IF_ERROR(SyncDirectory(std::filesystem::path(path_).parent_path().string()));
  return state;
}

Status CommitLog::Append(const CommitState& state, bool sync) {
  std::string frame;
  AppendFrame(state.Encode(), &frame);
  if (size_ + frame.size() > kRotateBytes) {
    // A fresh file with only this record replaces the old one in one rename.
    VIMUR_RETURN_IF_ERROR(WriteFileAtomically(path_, frame));
    ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) return Status::IoError("cannot open " + path_ + ": " + std::strerror(errno));
    size_ = frame.size();
    return Status::Ok();
  }
  VIMUR_RETURN_IF_ERROR(WriteAll(fd_, frame, path_));
  size_ += frame.size();
  if (sync) VIMUR_RETURN_IF_ERROR(SyncFile(fd_, path_));
  return Status::Ok();
}

Result<bool> CommitLogFollower::Refresh() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    return Status::IoError("cannot stat " + path_ + ": " + std::strerror(errno));
  }
  if (st.st_ino != inode_ || static_cast<uint64_t>(st.st_size) < read_) {
    inode_ = st.st_ino;
    read_ = 0;
  }
  if (static_cast<uint64_t>(st.st_size) == read_) return false;
  VIMUR_ASSIGN_OR_RETURN(std::string bytes,
                         ReadFileRange(path_, read_, static_cast<size_t>(st.st_size) - read_));
  LogSegmentReader reader(bytes, path_, read_);
  bool changed = false;
  while (true) {
    std::string_view body;
    auto got = reader.NextFrame(&body);
    if (!got.ok() || !*got) break;  // a record still being written: read again next time
    auto decoded = CommitState::Decode(body);
    if (!decoded.ok()) break;
    state_ = std::move(decoded).value();
    changed = true;
  }
  read_ += reader.position();
  return changed;
}

}  // namespace vimur::local
