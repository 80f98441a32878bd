// The commit log of the local log (`__commits`): each record holds every source's resume
// position and every partition's next offset after a durable batch. Records past the last
// whole commit record do not exist: recovery truncates the partitions to it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "transport/local/file_io.h"

namespace vimur::local {

struct CommitState {
  int64_t sequence = 0;                                // 0: nothing committed yet
  std::map<std::string, std::string> positions;        // source name -> Position JSON
  std::map<std::string, std::vector<int64_t>> topics;  // topic -> next offset per partition

  std::string Encode() const;
  static Result<CommitState> Decode(std::string_view body);
  bool operator==(const CommitState&) const = default;
};

// The writer's side: opens (recovering a torn tail), appends, rotates when large.
class CommitLog {
 public:
  explicit CommitLog(std::string path) : path_(std::move(path)) {}
  ~CommitLog();
  CommitLog(const CommitLog&) = delete;
  CommitLog& operator=(const CommitLog&) = delete;

  // Reads the last whole record; a torn or damaged tail is cut off (LOG_WARN names the file
  // and the byte offset). An absent file is an empty state.
  Result<CommitState> Open();
  // Appends `state` and, when `sync`, makes it durable before returning.
  Status Append(const CommitState& state, bool sync);
  // Makes every appended record durable.
  Status Sync() { return fd_ < 0 ? Status::Ok() : SyncFile(fd_, path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// The readers' side: follows the file as it grows and is rotated, keeping its last state.
class CommitLogFollower {
 public:
  explicit CommitLogFollower(std::string path) : path_(std::move(path)) {}
  // Reads what was appended since the last call; true when the state changed.
  Result<bool> Refresh();
  const CommitState& state() const { return state_; }

 private:
  std::string path_;
  ino_t inode_ = 0;
  uint64_t read_ = 0;
  CommitState state_;
};

}  // namespace vimur::local
