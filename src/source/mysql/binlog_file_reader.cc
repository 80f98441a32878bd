#include "source/mysql/binlog_file_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "source/mysql/binlog_event.h"

namespace vimur::mysql {
namespace {

constexpr char kMagic[4] = {'\xfe', 'b', 'i', 'n'};

uint32_t LoadLE32(const char* p) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

}  // namespace

Result<std::unique_ptr<BinlogFileReader>> BinlogFileReader::Open(const std::string& path,
                                                                 size_t chunk_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "cannot open binlog file " + path + ": " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(msg);
    if (err == EACCES || err == EPERM) return Status::PermissionDenied(msg);
    return Status::IoError(msg);
  }
  std::unique_ptr<BinlogFileReader> reader(
      new BinlogFileReader(fd, path, chunk_size < 64 ? 64 : chunk_size));
  VIMUR_RETURN_IF_ERROR(reader->Fill(sizeof(kMagic)));
  if (reader->end_ - reader->begin_ < sizeof(kMagic) ||
      std::memcmp(reader->buffer_.get() + reader->begin_, kMagic, sizeof(kMagic)) != 0) {
    return Status::Corruption(path + " is not a binlog file (no \\xfebin magic)");
  }
  reader->begin_ += sizeof(kMagic);
  return reader;
}

BinlogFileReader::BinlogFileReader(int fd, std::string path, size_t chunk_size)
    : fd_(fd), path_(std::move(path)), buffer_(new char[chunk_size]), capacity_(chunk_size) {}

BinlogFileReader::~BinlogFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status BinlogFileReader::Fill(size_t n) {
  if (end_ - begin_ >= n) return Status::Ok();
  // Make room: move the unread bytes to the front, growing the buffer if one event needs it.
  size_t unread = end_ - begin_;
  if (n > capacity_) {
    size_t capacity = capacity_;
    while (capacity < n) capacity *= 2;
    std::unique_ptr<char[]> bigger(new char[capacity]);
    std::memcpy(bigger.get(), buffer_.get() + begin_, unread);
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  } else if (begin_ != 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, unread);
  }
  begin_ = 0;
  end_ = unread;
  eof_ = false;  // a file still being written may have grown since the last read
  while (end_ < n && !eof_) {
    ssize_t got = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("reading binlog file " + path_ + ": " + std::strerror(errno));
    }
    if (got == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(got);
    file_offset_ += static_cast<uint64_t>(got);
  }
  return Status::Ok();
}

Result<std::optional<std::string_view>> BinlogFileReader::Next() {
  uint64_t offset = next_position();
  VIMUR_RETURN_IF_ERROR(Fill(kEventHeaderSize));
  size_t available = end_ - begin_;
  if (available == 0) return std::optional<std::string_view>();
  if (available < kEventHeaderSize) {
    return Status::Underflow(path_ + " ends inside the header of the event at position " +
                             std::to_string(offset));
  }
  uint32_t size = LoadLE32(buffer_.get() + begin_ + 9);
  if (size < kEventHeaderSize || size > kMaxEventSize) {
    return Status::Corruption(path_ + ": event at position " + std::to_string(offset) +
                              " declares an impossible size of " + std::to_string(size) + " bytes");
  }
  VIMUR_RETURN_IF_ERROR(Fill(size));
  if (end_ - begin_ < size) {
    return Status::Underflow(path_ + " ends inside the event at position " +
                             std::to_string(offset) + " (" + std::to_string(end_ - begin_) +
                             " of " + std::to_string(size) + " bytes present)");
  }
  std::string_view event(buffer_.get() + begin_, size);
  begin_ += size;
  event_offset_ = offset;
  return std::optional<std::string_view>(event);
}

}  // namespace vimur::mysql
