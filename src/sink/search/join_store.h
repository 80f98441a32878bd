// JoinStore: the search sink's local state in LMDB: the latest row of every root and related
// row by (role, id), the links a relation joins by, and a few markers; one write transaction
// per batch, committed before the batch is acknowledged.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

struct MDB_env;
struct MDB_txn;

namespace vimur::sink {

class JoinStore {
 public:
  // Opens (creating when missing) the store in directory `dir`; `*created` tells whether it
  // was made now (its contents must then be rebuilt from the topics).
  static Result<std::unique_ptr<JoinStore>> Open(const std::string& dir, bool* created);
  ~JoinStore();
  JoinStore(const JoinStore&) = delete;
  JoinStore& operator=(const JoinStore&) = delete;

  // One write transaction at a time; every call below runs inside it.
  Status Begin();
  Status Commit();
  void Abort();

  // The row (JSON text) of `role` with `id`; nullopt when absent.
  Result<std::optional<std::string>> GetRow(const std::string& role, const std::string& id);
  Status PutRow(const std::string& role, const std::string& id, const std::string& json);
  Status DeleteRow(const std::string& role, const std::string& id);

  // Links of relation `relation`: `value` -> ids (a set per value).
  Status AddLink(const std::string& relation, const std::string& value, const std::string& id);
  Status RemoveLink(const std::string& relation, const std::string& value, const std::string& id);
  // The ids linked to `value`, in byte order.
  Result<std::vector<std::string>> Linked(const std::string& relation, const std::string& value);

  // Markers (e.g. "rebuilding").
  Result<bool> HasMarker(const std::string& name);
  Status SetMarker(const std::string& name, bool set);

  // In a transaction of its own: whether the store must be filled from the start of the topics.
  // A store used for the first time (even when a kill interrupted its creation) is marked so,
  // until EndRebuild.
  Result<bool> Rebuilding();
  // The store caught up (the first batch after the rebuild began was acknowledged, moving the
  // offsets back), in a transaction of its own.
  Status EndRebuild();

  const std::string& dir() const { return dir_; }

 private:
  JoinStore(std::string dir, MDB_env* env, unsigned dbi);
  Result<std::optional<std::string>> Get(const std::string& key);
  Status Put(const std::string& key, const std::string& value);
  Status Delete(const std::string& key);
  Status Check(int rc, const std::string& what) const;

  std::string dir_;
  MDB_env* env_ = nullptr;
  unsigned dbi_ = 0;
  MDB_txn* txn_ = nullptr;
};

}  // namespace vimur::sink
