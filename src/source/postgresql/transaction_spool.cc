#include "source/postgresql/transaction_spool.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vimur::postgresql {
namespace {

// A spooled message: u32 length, u32 subtransaction id (little-endian), the message.
constexpr size_t kFrameHeader = 8;

void PutU32(uint32_t v, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetU32(const char* in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

TransactionSpool::~TransactionSpool() {
  for (auto& [xid, t] : txns_) Close(t);
}

void TransactionSpool::Close(Spooled& t) {
  if (t.file != nullptr) std::fclose(t.file);
  t.file = nullptr;
  std::error_code ec;
  std::filesystem::remove(t.path, ec);
}

Status TransactionSpool::Clear() {
  for (auto& [xid, t] : txns_) Close(t);
  txns_.clear();
  std::error_code ec;
  if (std::filesystem::exists(dir_, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
      if (entry.path().extension() == ".spool") std::filesystem::remove(entry.path(), ec);
    }
  }
  return Status::Ok();
}

Result<TransactionSpool::Spooled*> TransactionSpool::Open(uint32_t xid) {
  auto it = txns_.find(xid);
  if (it != txns_.end()) return &it->second;
  if (!dir_ready_) {
    if (dir_.empty()) {
      return Status::FailedPrecondition(
          "a transaction arrived in progress but no spool "
          "directory is set; set stream_in_progress: false");
    }
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
      return Status::IoError("cannot create the spool directory " + dir_ + ": " + ec.message() +
                             "; check that state_dir is writable");
    }
    dir_ready_ = true;
  }
  Spooled t;
  t.path = dir_ + "/" + std::to_string(xid) + ".spool";
  t.file = std::fopen(t.path.c_str(), "w+b");
  if (t.file == nullptr) {
    return Status::IoError("cannot create " + t.path + ": " + std::strerror(errno));
  }
  std::setvbuf(t.file, nullptr, _IOFBF, kBufferBytes);
  return &txns_.emplace(xid, std::move(t)).first->second;
}

Status TransactionSpool::Append(uint32_t xid, uint32_t subxid, std::string_view message) {
  VIMUR_ASSIGN_OR_RETURN(Spooled * t, Open(xid));
  char header[kFrameHeader];
  PutU32(static_cast<uint32_t>(message.size()), header);
  PutU32(subxid, header + 4);
  if (std::fwrite(header, 1, kFrameHeader, t->file) != kFrameHeader ||
      std::fwrite(message.data(), 1, message.size(), t->file) != message.size()) {
    return Status::IoError("cannot write " + t->path + ": " + std::strerror(errno) +
                           "; free disk space under state_dir");
  }
  t->bytes += kFrameHeader + message.size();
  ++t->messages;
  return Status::Ok();
}

Status TransactionSpool::Abort(uint32_t xid, uint32_t subxid) {
  auto it = txns_.find(xid);
  if (it == txns_.end()) return Status::Ok();
  if (subxid == xid) {
    Close(it->second);
    txns_.erase(it);
  } else {
    it->second.aborted.insert(subxid);
  }
  return Status::Ok();
}

Status TransactionSpool::Replay(uint32_t xid,
                                const std::function<bool(std::string_view)>& keep_aborted,
                                const std::function<Status(std::string_view)>& each) {
  auto it = txns_.find(xid);
  if (it == txns_.end()) return Status::Ok();
  Spooled t = std::move(it->second);
  txns_.erase(it);
  struct Forget {
    TransactionSpool* spool;
    Spooled* t;
    ~Forget() { spool->Close(*t); }
  } forget{this, &t};
  if (std::fflush(t.file) != 0 || std::fseek(t.file, 0, SEEK_SET) != 0) {
    return Status::IoError("cannot read back " + t.path + ": " + std::strerror(errno));
  }
  std::string message;
  char header[kFrameHeader];
  for (uint64_t n = 0; n < t.messages; ++n) {
    if (std::fread(header, 1, kFrameHeader, t.file) != kFrameHeader) {
      return Status::IoError("spool file " + t.path + " ends early (message " + std::to_string(n) +
                             " of " + std::to_string(t.messages) + ")");
    }
    message.resize(GetU32(header));
    if (std::fread(message.data(), 1, message.size(), t.file) != message.size()) {
      return Status::IoError("spool file " + t.path + " ends inside message " + std::to_string(n));
    }
    const uint32_t subxid = GetU32(header + 4);
    if (t.aborted.count(subxid) > 0 && !keep_aborted(message)) continue;
    VIMUR_RETURN_IF_ERROR(each(message));
  }
  return Status::Ok();
}

uint64_t TransactionSpool::bytes(uint32_t xid) const {
  auto it = txns_.find(xid);
  return it == txns_.end() ? 0 : it->second.bytes;
}

uint64_t TransactionSpool::messages(uint32_t xid) const {
  auto it = txns_.find(xid);
  return it == txns_.end() ? 0 : it->second.messages;
}

}  // namespace vimur::postgresql
