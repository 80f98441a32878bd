#include "transport/local/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vimur::local {

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("writing " + path + ": " + std::strerror(errno) +
                             " (is the disk full?)");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncFile(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) {
    return Status::IoError("fdatasync of " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("opening directory " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError("fsync of directory " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
  Status s = WriteAll(fd, data, tmp);
  if (s.ok()) s = SyncFile(fd, tmp);
  ::close(fd);
  VIMUR_RETURN_IF_ERROR(s);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("renaming " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return SyncDirectory(std::filesystem::path(path).parent_path().string());
}

Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t size,
                                  uint64_t* inode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  }
  if (inode != nullptr) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return Status::IoError("cannot stat " + path + ": " + std::strerror(errno));
    }
    *inode = static_cast<uint64_t>(st.st_ino);
  }
  std::string out(size, '\0');
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return Status::IoError("reading " + path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (!std::filesystem::exists(path)) return Status::NotFound(path + " does not exist");
    return Status::IoError("cannot stat " + path + ": " + ec.message());
  }
  return ReadFileRange(path, 0, static_cast<size_t>(size));
}

}  // namespace vimur::local
