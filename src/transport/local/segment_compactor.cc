#include "transport/local/segment_compactor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <vector>

#include "core/logging.h"
#include "transport/local/file_io.h"
#include "transport/local/log_record.h"
#include "transport/local/partition_log.h"
#include "transport/local/segment_reader.h"

namespace vimur::local {
namespace {

// Writes `bytes` as the new content of `path`, keeping its modification time `mtime`.
Status ReplaceSegment(const std::string& dir, const std::string& path, const std::string& bytes,
                      const struct timespec& mtime) {
  const std::string temp = path + kCompactingSuffix;
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot create " + temp + ": " + std::strerror(errno));
  Status s = WriteAll(fd, bytes, temp);
  if (s.ok()) s = SyncFile(fd, temp);
  if (s.ok()) {
    const struct timespec times[2] = {mtime, mtime};
    if (::futimens(fd, times) != 0) {
      s = Status::IoError("cannot set the time of " + temp + ": " + std::strerror(errno));
    }
  }
  ::close(fd);
  if (s.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    s = Status::IoError("cannot rename " + temp + " to " + path + ": " + std::strerror(errno));
  }
  if (!s.ok()) {
    ::unlink(temp.c_str());
    return s;
  }
  return SyncDirectory(dir);
}

}  // namespace

Status RemoveCompactionLeftovers(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> leftovers;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = kCompactingSuffix;
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      leftovers.push_back(entry.path());
    }
  }
  if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
  for (const auto& path : leftovers) {
    LOG_INFO << "local log: removing " << path.string()
             << " (a compaction interrupted before it replaced its segment)";
    std::filesystem::remove(path, ec);
    if (ec) return Status::IoError("cannot remove " + path.string() + ": " + ec.message());
  }
  return leftovers.empty() ? Status::Ok() : SyncDirectory(dir);
}

Result<CompactionResult> CompactPartition(const std::string& dir, const std::string& label,
                                          int64_t committed_next, int64_t now_ms,
                                          int64_t tombstone_retention_ms) {
  CompactionResult result;
  VIMUR_ASSIGN_OR_RETURN(auto segments, ListSegments(dir));
  // Closed and committed: a later segment exists, and it starts at or below committed_next.
  size_t closed = 0;
  while (closed + 1 < segments.size() && segments[closed + 1].first <= committed_next) ++closed;
  if (closed == 0) return result;

  // Pass 1: the newest offset of every key in the closed range.
  std::unordered_map<std::string, int64_t> newest;
  for (size_t i = 0; i < closed; ++i) {
    VIMUR_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(segments[i].second));
    LogSegmentReader reader(bytes, segments[i].second);
    LogRecordView r;
    while (true) {
      VIMUR_ASSIGN_OR_RETURN(bool got, reader.Next(&r));
      if (!got) break;
      if (r.key) newest[std::string(*r.key)] = r.offset;
    }
  }

  // Pass 2: rewrite the segments that lose records.
  for (size_t i = 0; i < closed; ++i) {
    const std::string& path = segments[i].second;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Status::IoError("cannot stat " + path + ": " + std::strerror(errno));
    }
    VIMUR_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
    LogSegmentReader reader(bytes, path);
    std::string kept;
    kept.reserve(bytes.size());
    int64_t removed = 0;
    LogRecordView r;
    while (true) {
      VIMUR_ASSIGN_OR_RETURN(bool got, reader.Next(&r));
      if (!got) break;
      bool keep = true;
      if (r.key) {
        auto it = newest.find(std::string(*r.key));
        const bool is_newest = it != newest.end() && it->second == r.offset;
        const bool expired_tombstone =
            !r.value && now_ms - r.timestamp_ms >= tombstone_retention_ms;
        keep = is_newest && !expired_tombstone;
      }
      if (keep) {
        AppendRecordFrame(r, &kept);
      } else {
        ++removed;
      }
    }
    if (reader.partial()) {
      return Status::Corruption("local log " + label + ": closed segment " + path +
                                " ends inside a record at byte " +
                                std::to_string(reader.position()) +
                                "; compaction leaves it as it is (restore it from a backup)");
    }
    if (removed == 0) continue;
    VIMUR_RETURN_IF_ERROR(ReplaceSegment(dir, path, kept, st.st_mtim));
    ++result.segments_rewritten;
    result.records_removed += removed;
    LOG_INFO << "local log: " << label << ": compacted " << path << " (" << removed
             << " record(s) removed, " << bytes.size() << " -> " << kept.size() << " bytes)";
  }
  return result;
}

}  // namespace vimur::local
