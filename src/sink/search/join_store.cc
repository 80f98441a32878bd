#include "sink/search/join_store.h"

#include <lmdb.h>

#include <filesystem>
#include <system_error>

namespace vimur::sink {
namespace {

// The map is a sparse file; this bounds the store, not what it takes on disk.
constexpr size_t kMapSize = size_t{16} << 30;

// Keys: 'r' role \0 id (rows), 'l' relation \0 value \0 id (links), 'm' name (markers).
std::string RowKey(const std::string& role, const std::string& id) {
  std::string k = "r";
  k += role;
  k += '\0';
  k += id;
  return k;
}

std::string LinkPrefix(const std::string& relation, const std::string& value) {
  std::string k = "l";
  k += relation;
  k += '\0';
  k += value;
  k += '\0';
  return k;
}

MDB_val Val(const std::string& s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};  // LMDB does not write through it
}

}  // namespace

JoinStore::JoinStore(std::string dir, MDB_env* env, unsigned dbi)
    : dir_(std::move(dir)), env_(env), dbi_(dbi) {}

JoinStore::~JoinStore() {
  Abort();
  if (env_ != nullptr) mdb_env_close(env_);
}

Status JoinStore::Check(int rc, const std::string& what) const {
  if (rc == MDB_SUCCESS) return Status::Ok();
  std::string m = "join store " + dir_ + ": " + what + ": " + mdb_strerror(rc);
  if (rc == MDB_MAP_FULL) m += " (the store is full: it holds at most 16 GiB)";
  if (rc == MDB_BAD_VALSIZE) {
    m += " (a key of the store is longer than LMDB's 511 bytes: a row id or join value is too "
         "long)";
    return Status::InvalidArgument(m);
  }
  return Status::IoError(m);
}

Result<std::unique_ptr<JoinStore>> JoinStore::Open(const std::string& dir, bool* created) {
  std::error_code ec;
  *created = !std::filesystem::exists(dir + "/data.mdb", ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::IoError("cannot create the join store directory " + dir + ": " + ec.message());
  }
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != MDB_SUCCESS) return Status::IoError(std::string("mdb_env_create: ") + mdb_strerror(rc));
  auto store = std::unique_ptr<JoinStore>(new JoinStore(dir, env, 0));
  VIMUR_RETURN_IF_ERROR(store->Check(mdb_env_set_mapsize(env, kMapSize), "set the map size"));
  VIMUR_RETURN_IF_ERROR(store->Check(mdb_env_open(env, dir.c_str(), 0, 0644), "open"));
  MDB_txn* txn = nullptr;
  VIMUR_RETURN_IF_ERROR(store->Check(mdb_txn_begin(env, nullptr, 0, &txn), "begin"));
  MDB_dbi dbi = 0;
  rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
  if (rc != MDB_SUCCESS) {
    mdb_txn_abort(txn);
    return store->Check(rc, "open the database");
  }
  VIMUR_RETURN_IF_ERROR(store->Check(mdb_txn_commit(txn), "commit"));
  store->dbi_ = dbi;
  return store;
}

Status JoinStore::Begin() {
  if (txn_ != nullptr) return Status::Internal("join store " + dir_ + ": a transaction is open");
  return Check(mdb_txn_begin(env_, nullptr, 0, &txn_), "begin a transaction");
}

Status JoinStore::Commit() {
  if (txn_ == nullptr) return Status::Internal("join store " + dir_ + ": no transaction");
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  return Check(rc, "commit");
}

void JoinStore::Abort() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

Result<std::optional<std::string>> JoinStore::Get(const std::string& key) {
  if (txn_ == nullptr) return Status::Internal("join store " + dir_ + ": no transaction");
  MDB_val k = Val(key), v{};
  int rc = mdb_get(txn_, dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  VIMUR_RETURN_IF_ERROR(Check(rc, "read"));
  return std::optional<std::string>(std::string(static_cast<const char*>(v.mv_data), v.mv_size));
}

Status JoinStore::Put(const std::string& key, const std::string& value) {
  if (txn_ == nullptr) return Status::Internal("join store " + dir_ + ": no transaction");
  MDB_val k = Val(key), v = Val(value);
  return Check(mdb_put(txn_, dbi_, &k, &v, 0), "write");
}

Status JoinStore::Delete(const std::string& key) {
  if (txn_ == nullptr) return Status::Internal("join store " + dir_ + ": no transaction");
  MDB_val k = Val(key);
  int rc = mdb_del(txn_, dbi_, &k, nullptr);
  if (rc == MDB_NOTFOUND) return Status::Ok();
  return Check(rc, "delete");
}

Result<std::optional<std::string>> JoinStore::GetRow(const std::string& role,
                                                     const std::string& id) {
  return Get(RowKey(role, id));
}

Status JoinStore::PutRow(const std::string& role, const std::string& id, const std::string& json) {
  return Put(RowKey(role, id), json);
}

Status JoinStore::DeleteRow(const std::string& role, const std::string& id) {
  return Delete(RowKey(role, id));
}

Status JoinStore::AddLink(const std::string& relation, const std::string& value,
                          const std::string& id) {
  return Put(LinkPrefix(relation, value) + id, "");
}

Status JoinStore::RemoveLink(const std::string& relation, const std::string& value,
                             const std::string& id) {
  return Delete(LinkPrefix(relation, value) + id);
}

Result<std::vector<std::string>> JoinStore::Linked(const std::string& relation,
                                                   const std::string& value) {
  if (txn_ == nullptr) return Status::Internal("join store " + dir_ + ": no transaction");
  const std::string prefix = LinkPrefix(relation, value);
  MDB_cursor* cursor = nullptr;
  VIMUR_RETURN_IF_ERROR(Check(mdb_cursor_open(txn_, dbi_, &cursor), "open a cursor"));
  std::vector<std::string> ids;
  MDB_val k = Val(prefix), v{};
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
    if (key.substr(0, prefix.size()) != prefix) break;
    ids.emplace_back(key.substr(prefix.size()));
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) VIMUR_RETURN_IF_ERROR(Check(rc, "scan links"));
  return ids;
}

Result<bool> JoinStore::HasMarker(const std::string& name) {
  VIMUR_ASSIGN_OR_RETURN(auto v, Get("m" + name));
  return v.has_value();
}

Status JoinStore::SetMarker(const std::string& name, bool set) {
  return set ? Put("m" + name, "1") : Delete("m" + name);
}

namespace {
constexpr const char* kRebuilding = "rebuilding";
constexpr const char* kInitialized = "initialized";
}  // namespace

Result<bool> JoinStore::Rebuilding() {
  VIMUR_RETURN_IF_ERROR(Begin());
  auto marked = [&]() -> Result<bool> {
    VIMUR_ASSIGN_OR_RETURN(bool initialized, HasMarker(kInitialized));
    if (!initialized) {
      VIMUR_RETURN_IF_ERROR(SetMarker(kInitialized, true));
      VIMUR_RETURN_IF_ERROR(SetMarker(kRebuilding, true));
    }
    return HasMarker(kRebuilding);
  }();
  if (!marked.ok()) {
    Abort();
    return marked.status();
  }
  VIMUR_RETURN_IF_ERROR(Commit());
  return marked;
}

Status JoinStore::EndRebuild() {
  VIMUR_RETURN_IF_ERROR(Begin());
  Status s = SetMarker(kRebuilding, false);
  if (!s.ok()) {
    Abort();
    return s;
  }
  return Commit();
}

}  // namespace vimur::sink
