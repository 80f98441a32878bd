// File helpers of the local log: whole writes, fsync of files and directories, atomic
// replacement (temp file, fsync, rename, fsync of the directory), and whole-file reads.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace vimur::local {

// Writes every byte of `data` to `fd` (retrying short writes); `path` names it in errors.
Status WriteAll(int fd, std::string_view data, const std::string& path);
// fdatasync of `fd`.
Status SyncFile(int fd, const std::string& path);
// fsync of the directory `dir`, so created, renamed and removed entries are durable.
Status SyncDirectory(const std::string& dir);
// Replaces `path` with `data` so that a crash leaves either the old or the new content.
Status WriteFileAtomically(const std::string& path, std::string_view data);
// The whole content of `path`; kNotFound when it does not exist.
Result<std::string> ReadWholeFile(const std::string& path);
// Reads up to `size` bytes at `offset` of `path` (fewer at its end). With `inode`, sets it to
// the inode of the file read (a segment compaction replaced has a new one).
Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t size,
                                  uint64_t* inode = nullptr);

}  // namespace vimur::local
