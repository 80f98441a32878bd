// BinlogFileReader: reads a binlog file (as written by MySQL/MariaDB or captured for tests) event
// by event, in large chunks, handing out views of each event's bytes with no per-event copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vimur::mysql {

class BinlogFileReader {
 public:
  static constexpr size_t kDefaultChunkSize = size_t{1} << 20;
  // Events larger than this are taken as corruption (MySQL's maximum is 1 GiB).
  static constexpr uint32_t kMaxEventSize = uint32_t{1} << 30;

  // Opens `path` and checks the 4-byte magic "\xfe" "bin". `chunk_size` is the read size (and
  // the initial buffer size; the buffer grows for larger events).
  static Result<std::unique_ptr<BinlogFileReader>> Open(const std::string& path,
                                                        size_t chunk_size = kDefaultChunkSize);
  ~BinlogFileReader();
  BinlogFileReader(const BinlogFileReader&) = delete;
  BinlogFileReader& operator=(const BinlogFileReader&) = delete;

  // The full bytes (header, body, checksum) of the next event, valid until the next call;
  // nullopt at the end of the file. A file that ends inside an event gives kUnderflow (a binlog
  // still being written can end that way: retry later from position()).
  Result<std::optional<std::string_view>> Next();

  // File offset of the event last returned by Next() (4 before the first).
  uint64_t position() const { return event_offset_; }
  // File offset just past the event last returned.
  uint64_t next_position() const { return file_offset_ - (end_ - begin_); }
  const std::string& path() const { return path_; }

 private:
  BinlogFileReader(int fd, std::string path, size_t chunk_size);
  // Reads until at least `n` unread bytes are buffered or the file ends.
  Status Fill(size_t n);

  int fd_ = -1;
  std::string path_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t begin_ = 0;          // first unread byte in buffer_
  size_t end_ = 0;            // one past the last buffered byte
  uint64_t file_offset_ = 0;  // file offset of buffer_[end_]
  uint64_t event_offset_ = 4;
  bool eof_ = false;
};

}  // namespace vimur::mysql
