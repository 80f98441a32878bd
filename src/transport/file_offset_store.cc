#include "transport/file_offset_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vimur {
namespace {

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("writing " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IoError("opening " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError("fsync of " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

FileOffsetStore::FileOffsetStore(std::string state_dir, std::string pipeline)
    : dir_(std::move(state_dir) + "/" + std::move(pipeline) + "/offsets") {}

std::string FileOffsetStore::PathFor(const std::string& source_name) const {
  return dir_ + "/" + source_name + ".json";
}

Result<std::optional<Position>> FileOffsetStore::Load(const std::string& source_name) {
  std::string path = PathFor(source_name);
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::optional<Position>();
    return Status::IoError("cannot read offset file " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto position = Position::FromJson(text.str());
  if (!position.ok()) {
    return position.status().WithContext(
        "offset file " + path +
        " is damaged; restore it from a backup or remove it to start from the current end");
  }
  return std::optional<Position>(std::move(position).value());
}

Status FileOffsetStore::Commit(const std::string& source_name, const Position& position) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IoError("cannot create state directory " + dir_ + ": " + ec.message());
  std::string path = PathFor(source_name);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
  Status s = WriteAll(fd, position.ToJson() + "\n", tmp);
  if (s.ok() && ::fsync(fd) != 0) {
    s = Status::IoError("fsync of " + tmp + ": " + std::strerror(errno));
  }
  ::close(fd);
  VIMUR_RETURN_IF_ERROR(s);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("renaming " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return SyncDirectory(dir_);
}

}  // namespace vimur
