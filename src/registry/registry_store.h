// RegistryStore: the state of the embedded schema registry (subjects, versions, global ids,
// compatibility config), persisted as Confluent-style records in an append-only, compacted log
// (the `_schemas` Kafka topic) and rebuilt from it at start, so ids never change.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
#include "registry/compatibility.h"

namespace vimur::registry {

// Where registry records live. Keys and values are JSON text as Confluent writes them; a
// nullopt value is a tombstone.
class RegistryLog {
 public:
  virtual ~RegistryLog() = default;
  // Appends one record and returns once it is durable.
  virtual Status Append(const std::string& key, const std::optional<std::string>& value) = 0;
  // Calls `fn` for every record from the start of the log, in order.
  using Visitor =
      std::function<void(const std::string& key, const std::optional<std::string>& value)>;
  virtual Status ReadAll(const Visitor& fn) = 0;
  // Calls `fn` for every record from position `from` (the count of records read before) to the
  // log's current end and returns the position after the last; reads nothing when the log has
  // no newer records. For following a log that others write (a mirrored `_schemas`).
  virtual Result<int64_t> ReadFrom(int64_t from, const Visitor& fn) = 0;
};

// A log in memory, for tests (and shared between two stores to simulate a restart).
class MemoryRegistryLog : public RegistryLog {
 public:
  Status Append(const std::string& key, const std::optional<std::string>& value) override {
    if (fail_appends) return Status::Unavailable("log unavailable");
    records.emplace_back(key, value);
    return Status::Ok();
  }
  Status ReadAll(const Visitor& fn) override { return ReadFrom(0, fn).status(); }
  Result<int64_t> ReadFrom(int64_t from, const Visitor& fn) override {
    for (size_t i = static_cast<size_t>(from); i < records.size(); ++i) {
      fn(records[i].first, records[i].second);
    }
    return static_cast<int64_t>(records.size());
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> records;
  bool fail_appends = false;
};

// An error as the Confluent REST API reports it: HTTP status, error_code, message.
struct ApiError {
  int http_status = 500;
  int error_code = 50001;
  std::string message;
};

template <typename T>
class ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  ApiResult(ApiError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  const T& value() const { return std::get<0>(v_); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

struct SchemaVersion {
  std::string subject;
  int version = 0;
  int32_t id = 0;
  std::string schema;  // compact text
  bool deleted = false;
};

struct CompatibilityResult {
  bool compatible = true;
  std::vector<std::string> messages;
};

// Thread-safe. Every change is appended to the log before it is applied in memory.
class RegistryStore {
 public:
  RegistryStore(std::shared_ptr<RegistryLog> log, CompatibilityLevel default_level);

  // Replays the log into memory. Call once before serving.
  Status Load();
  // Applies the records others appended to the log since Load or the last CatchUp (another
  // registry writing the same topic, or MirrorMaker copying it). SchemaById catches up by
  // itself on an unknown id; `vimur registry` also calls this periodically.
  Status CatchUp();

  ApiResult<SchemaVersion> Register(const std::string& subject, const std::string& schema);
  ApiResult<SchemaVersion> Lookup(const std::string& subject, const std::string& schema,
                                  bool include_deleted);
  ApiResult<SchemaVersion> SchemaById(int32_t id);
  std::vector<std::string> Subjects(bool include_deleted);
  // Subjects and versions that use schema `id`.
  ApiResult<std::vector<std::pair<std::string, int>>> UsesOfId(int32_t id);
  ApiResult<std::vector<int>> Versions(const std::string& subject, bool include_deleted);
  // `version` is a number or "latest" (or -1).
  ApiResult<SchemaVersion> Version(const std::string& subject, const std::string& version,
                                   bool include_deleted);
  ApiResult<std::vector<int>> DeleteSubject(const std::string& subject, bool permanent);
  ApiResult<int> DeleteVersion(const std::string& subject, const std::string& version,
                               bool permanent);
  ApiResult<CompatibilityResult> TestCompatibility(const std::string& subject,
                                                   const std::string& version,
                                                   const std::string& schema);

  // Compatibility config; an empty subject means the global level.
  ApiResult<CompatibilityLevel> GetConfig(const std::string& subject, bool default_to_global);
  ApiResult<CompatibilityLevel> SetConfig(const std::string& subject, const std::string& level);
  ApiResult<CompatibilityLevel> DeleteConfig(const std::string& subject);

 private:
  struct Subject {
    std::map<int, SchemaVersion> versions;  // by version number
  };

  void Apply(const std::string& key, const std::optional<std::string>& value);
  CompatibilityLevel EffectiveLevel(const std::string& subject) const;
  // Parsed schemas of the live versions of `subject`, oldest first.
  std::vector<std::shared_ptr<const AvroSchema>> LiveSchemas(const Subject& s) const;
  ApiResult<int> ResolveVersion(const Subject& s, const std::string& version,
                                bool include_deleted) const;
  Status WriteSchema(const SchemaVersion& v);

  std::shared_ptr<RegistryLog> log_;
  CompatibilityLevel default_level_;
  std::mutex mu_;
  std::map<std::string, Subject> subjects_;
  std::map<int32_t, std::string> schemas_by_id_;  // compact text
  std::map<std::string, int32_t> ids_by_canonical_;
  std::map<std::string, std::shared_ptr<const AvroSchema>> parsed_;  // by compact text
  std::optional<CompatibilityLevel> global_level_;
  std::map<std::string, CompatibilityLevel> subject_levels_;
  int32_t next_id_ = 1;
  int64_t log_position_ = 0;  // records of the log applied so far
};

}  // namespace vimur::registry
