// TransactionSpool: the pgoutput messages of PostgreSQL transactions received while still in
// progress (protocol 2 streaming), one file per transaction until it commits or aborts, so a
// transaction of any size costs a bounded amount of memory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vimur::postgresql {

class TransactionSpool {
 public:
  // Files go to `dir` (created on first use). Each open transaction buffers this many bytes
  // in memory before writing.
  static constexpr size_t kBufferBytes = 256 << 10;

  explicit TransactionSpool(std::string dir) : dir_(std::move(dir)) {}
  ~TransactionSpool();
  TransactionSpool(const TransactionSpool&) = delete;
  TransactionSpool& operator=(const TransactionSpool&) = delete;

  // Drops every spooled transaction and any file a previous process left in `dir`: a new
  // replication stream sends transactions in progress again from their start.
  Status Clear();
  // Adds one message of transaction `xid`, written by its subtransaction `subxid` (== xid
  // for the transaction itself).
  Status Append(uint32_t xid, uint32_t subxid, std::string_view message);
  // Stream Abort: forgets the whole transaction when subxid == xid, else the messages of
  // that subtransaction (dropped when replayed).
  Status Abort(uint32_t xid, uint32_t subxid);
  // Calls `each` with every message of `xid` in the order received, but those of aborted
  // subtransactions unless `keep_aborted(message)` (e.g. relation descriptions), then
  // forgets the transaction. A transaction never spooled has no messages.
  Status Replay(uint32_t xid, const std::function<bool(std::string_view)>& keep_aborted,
                const std::function<Status(std::string_view)>& each);

  uint64_t bytes(uint32_t xid) const;
  uint64_t messages(uint32_t xid) const;

 private:
  struct Spooled {
    std::FILE* file = nullptr;
    std::string path;
    std::set<uint32_t> aborted;  // subtransactions
    uint64_t bytes = 0;
    uint64_t messages = 0;
  };
  Result<Spooled*> Open(uint32_t xid);
  void Close(Spooled& t);

  const std::string dir_;
  bool dir_ready_ = false;
  std::map<uint32_t, Spooled> txns_;
};

}  // namespace vimur::postgresql
