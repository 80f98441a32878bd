#include "transport/local/partition_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/logging.h"
#include "transport/local/file_io.h"
#include "transport/local/log_record.h"
#include "transport/local/segment_compactor.h"
#include "transport/local/segment_reader.h"

namespace vimur::local {

SegmentFile::~SegmentFile() {
  if (fd >= 0) ::close(fd);
}

std::string SegmentFileName(int64_t base) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020lld.log", static_cast<long long>(base));
  return name;
}

Result<std::vector<std::pair<int64_t, std::string>>> ListSegments(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 24 || name.substr(20) != ".log") continue;
    if (!std::all_of(name.begin(), name.begin() + 20,
                     [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    out.emplace_back(std::stoll(name.substr(0, 20)), entry.path().string());
  }
  if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Status PartitionLog::OpenSegment(int64_t base, uint64_t size) {
  const std::string path = dir_ + "/" + SegmentFileName(base);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot open segment " + path + ": " + std::strerror(errno));
  active_ = std::make_shared<SegmentFile>(path, base, fd, size);
  return Status::Ok();
}

Status PartitionLog::Recover(int64_t committed_next) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IoError("cannot create " + dir_ + ": " + ec.message());
  VIMUR_RETURN_IF_ERROR(RemoveCompactionLeftovers(dir_));
  VIMUR_ASSIGN_OR_RETURN(auto segments, ListSegments(dir_));
  bool removed = false;
  int64_t removed_base = -1;  // the first offset of the oldest segment removed
  while (!segments.empty() && segments.back().first >= committed_next &&
         !(segments.size() == 1 && segments.back().first == committed_next)) {
    LOG_INFO << "local log: " << label_ << ": removing " << segments.back().second
             << " (records of batches that were never committed)";
    std::filesystem::remove(segments.back().second, ec);
    if (ec) return Status::IoError("cannot remove " + segments.back().second + ": " + ec.message());
    removed_base = segments.back().first;
    segments.pop_back();
    removed = true;
  }
  if (segments.empty()) {
    next_ = committed_next;
    VIMUR_RETURN_IF_ERROR(OpenSegment(committed_next, 0));
    return SyncDirectory(dir_);
  }
  const auto& [base, path] = segments.back();
  VIMUR_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  LogSegmentReader reader(bytes, path);
  int64_t last = base - 1;  // the last whole committed record
  size_t keep = 0;          // where it ends
  Status damage;
  bool uncommitted = false;
  while (true) {
    LogRecordView r;
    auto got = reader.Next(&r);
    if (!got.ok()) {
      damage = got.status();
      break;
    }
    if (!*got) break;
    if (r.offset >= committed_next) {
      uncommitted = true;
      break;
    }
    last = r.offset;
    keep = reader.position();
  }
  if (keep < bytes.size()) {
    if (!damage.ok() || (reader.partial() && !uncommitted)) {
      LOG_WARN << "local log: " << label_ << ": segment " << path << " cut at byte " << keep
               << " of " << bytes.size() << " ("
               << (damage.ok() ? std::string("torn last record") : damage.message())
               << "); the partition continues after offset " << last;
    } else {
      LOG_INFO << "local log: " << label_ << ": dropping " << bytes.size() - keep
               << " bytes of records past the last commit at offset " << committed_next;
    }
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      return Status::IoError("cannot truncate " + path + ": " + std::strerror(errno));
    }
  }
  next_ = last + 1;
  if (next_ < committed_next && removed_base == committed_next && damage.ok() &&
      !reader.partial()) {
    // A closed segment, whole up to where the next one started: compaction removed its
    // last records, nothing is missing.
    next_ = committed_next;
  }
  if (next_ < committed_next) {
    LOG_ERROR << "local log: " << label_ << ": records " << next_ << " to " << committed_next - 1
              << " were committed but are damaged or missing in " << path
              << "; consumers skip them (restore the state directory from a backup to keep them)";
    next_ = committed_next;
  }
  VIMUR_RETURN_IF_ERROR(OpenSegment(base, keep));
  {
    Status s = SyncFile(active_->fd, path);
    if (!s.ok()) return s;
  }
  if (removed) VIMUR_RETURN_IF_ERROR(SyncDirectory(dir_));
  return Status::Ok();
}

int64_t PartitionLog::Stage(int64_t timestamp_ms, const std::optional<std::string_view>& key,
                            const std::optional<std::string_view>& value) {
  if (staged_.empty()) staged_first_ = next_;
  LogRecordView r;
  r.offset = next_++;
  r.timestamp_ms = timestamp_ms;
  r.key = key;
  r.value = value;
  AppendRecordFrame(r, &staged_);
  return r.offset;
}

Status PartitionLog::WriteStaged(uint64_t segment_bytes, bool sync_on_roll) {
  if (staged_.empty()) return Status::Ok();
  if (active_->size > 0 && active_->size >= segment_bytes) {
    if (sync_on_roll) VIMUR_RETURN_IF_ERROR(SyncFile(active_->fd, active_->path));
    VIMUR_RETURN_IF_ERROR(OpenSegment(staged_first_, 0));
    VIMUR_RETURN_IF_ERROR(SyncDirectory(dir_));
  }
  Status s = WriteAll(active_->fd, staged_, active_->path);
  if (!s.ok()) {
    // Whatever part was written lies past the next commit and is cut off on the next start.
    return s.WithContext("local log " + label_);
  }
  active_->size += staged_.size();
  staged_.clear();
  return Status::Ok();
}

Result<bool> PartitionLog::ApplyRetention(int64_t now_ms, int64_t retention_ms,
                                          int64_t retention_bytes, int64_t committed_next,
                                          int64_t read_next, uint64_t max_unread) {
  if (retention_ms <= 0 && retention_bytes <= 0) return false;
  VIMUR_ASSIGN_OR_RETURN(auto segments, ListSegments(dir_));
  uint64_t total = 0;
  std::vector<uint64_t> sizes;
  std::vector<int64_t> mtimes;
  for (const auto& [base, path] : segments) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      sizes.push_back(0);
      mtimes.push_back(now_ms);
      continue;
    }
    sizes.push_back(static_cast<uint64_t>(st.st_size));
    mtimes.push_back(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000);
    total += static_cast<uint64_t>(st.st_size);
  }
  bool removed = false;
  bool held = false;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i].first == active_->base) break;
    if (segments[i + 1].first > committed_next) break;  // holds records not yet committed
    const bool too_old = retention_ms > 0 && now_ms - mtimes[i] > retention_ms;
    const bool too_big = retention_bytes > 0 && total > static_cast<uint64_t>(retention_bytes);
    if (!too_old && !too_big) break;
    if (segments[i + 1].first > read_next) {
      // A consumer group has not read all of it: kept; too much unread holds the writer.
      uint64_t unread = 0;
      for (size_t j = i; j < sizes.size(); ++j) unread += sizes[j];
      held = unread > max_unread;
      break;
    }
    std::error_code ec;
    std::filesystem::remove(segments[i].second, ec);
    if (ec) return Status::IoError("cannot remove " + segments[i].second + ": " + ec.message());
    LOG_INFO << "local log: " << label_ << ": retention removed " << segments[i].second << " ("
             << (too_old ? "older than retention_ms" : "over retention_bytes") << ")";
    total -= sizes[i];
    removed = true;
  }
  if (removed) VIMUR_RETURN_IF_ERROR(SyncDirectory(dir_));
  return held;
}

}  // namespace vimur::local
