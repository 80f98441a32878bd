#include "registry/registry_store.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "core/logging.h"

namespace vimur::registry {
namespace {

using Json = nlohmann::ordered_json;

ApiError SubjectNotFound(const std::string& subject) {
  return {404, 40401, "Subject '" + subject + "' not found."};
}
ApiError SchemaNotFound() { return {404, 40403, "Schema not found"}; }
ApiError StoreError(const Status& s) {
  return {500, 50001, "Error in the backend data store: " + s.message()};
}
ApiError InvalidSchema(const Status& s) { return {422, 42201, "Invalid schema: " + s.message()}; }

std::string SchemaKey(const std::string& subject, int version) {
  Json k;
  k["keytype"] = "SCHEMA";
  k["subject"] = subject;
  k["version"] = version;
  k["magic"] = 1;
  return k.dump();
}

std::string ConfigKey(const std::string& subject) {
  Json k;
  k["keytype"] = "CONFIG";
  k["subject"] = subject.empty() ? Json(nullptr) : Json(subject);
  k["magic"] = 0;
  return k.dump();
}

}  // namespace

RegistryStore::RegistryStore(std::shared_ptr<RegistryLog> log, CompatibilityLevel default_level)
    : log_(std::move(log)), default_level_(default_level) {}

Status RegistryStore::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  subjects_.clear();
  schemas_by_id_.clear();
  ids_by_canonical_.clear();
  global_level_.reset();
  subject_levels_.clear();
  next_id_ = 1;
  VIMUR_ASSIGN_OR_RETURN(
      log_position_,
      log_->ReadFrom(
          0, [this](const std::string& k, const std::optional<std::string>& v) { Apply(k, v); }));
  size_t versions = 0;
  for (const auto& [name, s] : subjects_) versions += s.versions.size();
  LOG_INFO << "registry: loaded " << subjects_.size() << " subjects, " << versions
           << " schema versions, " << schemas_by_id_.size() << " schema ids";
  return Status::Ok();
}

Status RegistryStore::CatchUp() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t applied = 0;
  VIMUR_ASSIGN_OR_RETURN(
      log_position_,
      log_->ReadFrom(log_position_, [&](const std::string& k, const std::optional<std::string>& v) {
        Apply(k, v);
        ++applied;
      }));
  if (applied > 0) {
    LOG_INFO << "registry: applied " << applied << " new records from the log";
  }
  return Status::Ok();
}

// Applies one log record; records this registry does not know (NOOP, modes...) are skipped.
void RegistryStore::Apply(const std::string& key, const std::optional<std::string>& value) {
  Json k;
  Json v;
  try {
    k = Json::parse(key);
    if (value) v = Json::parse(*value);
  } catch (const nlohmann::json::exception& e) {
    LOG_WARN << "registry: skipping a log record that is not JSON: " << e.what();
    return;
  }
  if (!k.is_object()) return;
  std::string type = k.value("keytype", "");
  try {
    if (type == "SCHEMA") {
      std::string subject = k.at("subject").get<std::string>();
      int version = k.at("version").get<int>();
      if (!value) {
        auto it = subjects_.find(subject);
        if (it != subjects_.end()) {
          it->second.versions.erase(version);
          if (it->second.versions.empty()) subjects_.erase(it);
        }
        return;
      }
      SchemaVersion sv;
      sv.subject = subject;
      sv.version = version;
      sv.id = v.at("id").get<int32_t>();
      sv.schema = v.at("schema").get<std::string>();
      sv.deleted = v.value("deleted", false);
      auto parsed = AvroSchema::Parse(sv.schema);
      if (parsed.ok()) {
        parsed_[sv.schema] = *parsed;
        ids_by_canonical_.emplace((*parsed)->canonical(), sv.id);
      }
      schemas_by_id_[sv.id] = sv.schema;
      next_id_ = std::max(next_id_, sv.id + 1);
      subjects_[subject].versions[version] = std::move(sv);
    } else if (type == "CONFIG") {
      std::string subject = k.contains("subject") && k["subject"].is_string()
                                ? k["subject"].get<std::string>()
                                : std::string();
      std::optional<CompatibilityLevel> level;
      if (value) level = ParseCompatibilityLevel(v.value("compatibilityLevel", ""));
      if (subject.empty()) {
        global_level_ = level;
      } else if (level) {
        subject_levels_[subject] = *level;
      } else {
        subject_levels_.erase(subject);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    LOG_WARN << "registry: skipping a malformed " << type << " record: " << e.what();
  }
}

CompatibilityLevel RegistryStore::EffectiveLevel(const std::string& subject) const {
  auto it = subject_levels_.find(subject);
  if (it != subject_levels_.end()) return it->second;
  return global_level_.value_or(default_level_);
}

std::vector<std::shared_ptr<const AvroSchema>> RegistryStore::LiveSchemas(const Subject& s) const {
  std::vector<std::shared_ptr<const AvroSchema>> out;
  for (const auto& [n, v] : s.versions) {
    if (v.deleted) continue;
    auto it = parsed_.find(v.schema);
    if (it != parsed_.end()) out.push_back(it->second);
  }
  return out;
}

Status RegistryStore::WriteSchema(const SchemaVersion& v) {
  Json value;
  value["subject"] = v.subject;
  value["version"] = v.version;
  value["id"] = v.id;
  value["schema"] = v.schema;
  value["deleted"] = v.deleted;
  return log_->Append(SchemaKey(v.subject, v.version), value.dump());
}

ApiResult<SchemaVersion> RegistryStore::Register(const std::string& subject,
                                                 const std::string& schema) {
  auto parsed = AvroSchema::Parse(schema);
  if (!parsed.ok()) return InvalidSchema(parsed.status());
  std::lock_guard<std::mutex> lock(mu_);
  Subject& s = subjects_[subject];
  int max_version = 0;
  for (const auto& [n, v] : s.versions) {
    max_version = std::max(max_version, n);
    auto p = parsed_.find(v.schema);
    if (!v.deleted && p != parsed_.end() && p->second->canonical() == (*parsed)->canonical()) {
      return v;  // already registered: same id and version
    }
  }
  auto live = LiveSchemas(s);
  std::vector<const AvroSchema*> existing;
  for (const auto& p : live) existing.push_back(p.get());
  auto problems = CheckCompatibility(EffectiveLevel(subject), **parsed, existing);
  if (!problems.empty()) {
    if (s.versions.empty()) subjects_.erase(subject);
    std::string message =
        "Schema being registered is incompatible with an earlier schema for "
        "subject \"" +
        subject + "\", details: [";
    for (size_t i = 0; i < problems.size(); ++i) message += (i ? ", " : "") + problems[i];
    return ApiError{409, 409, message + "]"};
  }
  SchemaVersion v;
  v.subject = subject;
  v.version = max_version + 1;
  auto known = ids_by_canonical_.find((*parsed)->canonical());
  v.id = known != ids_by_canonical_.end() ? known->second : next_id_;
  v.schema = (*parsed)->compact();
  Status st = WriteSchema(v);
  if (!st.ok()) {
    if (s.versions.empty()) subjects_.erase(subject);
    return StoreError(st);
  }
  parsed_[v.schema] = *parsed;
  ids_by_canonical_.emplace((*parsed)->canonical(), v.id);
  schemas_by_id_[v.id] = v.schema;
  next_id_ = std::max(next_id_, v.id + 1);
  s.versions[v.version] = v;
  LOG_INFO << "registry: registered " << subject << " version " << v.version << " id " << v.id;
  return v;
}

ApiResult<SchemaVersion> RegistryStore::Lookup(const std::string& subject,
                                               const std::string& schema, bool include_deleted) {
  auto parsed = AvroSchema::Parse(schema);
  if (!parsed.ok()) return InvalidSchema(parsed.status());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) return SubjectNotFound(subject);
  bool any_live = false;
  for (auto v = it->second.versions.rbegin(); v != it->second.versions.rend(); ++v) {
    if (v->second.deleted && !include_deleted) continue;
    any_live = true;
    auto p = parsed_.find(v->second.schema);
    if (p != parsed_.end() && p->second->canonical() == (*parsed)->canonical()) return v->second;
  }
  if (!any_live) return SubjectNotFound(subject);
  return SchemaNotFound();
}

ApiResult<SchemaVersion> RegistryStore::SchemaById(int32_t id) {
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    known = schemas_by_id_.count(id) > 0;
  }
  // An id this registry has not seen may have been written by another one since.
  if (!known) {
    Status s = CatchUp();
    if (!s.ok()) {
      LOG_WARN << "registry: reading new records of the log: " << s.message();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = schemas_by_id_.find(id);
  if (it == schemas_by_id_.end()) return SchemaNotFound();
  SchemaVersion v;
  v.id = id;
  v.schema = it->second;
  return v;
}

std::vector<std::string> RegistryStore::Subjects(bool include_deleted) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, s] : subjects_) {
    bool live = include_deleted;
    for (const auto& [n, v] : s.versions) live = live || !v.deleted;
    if (live) out.push_back(name);
  }
  return out;
}

ApiResult<std::vector<std::pair<std::string, int>>> RegistryStore::UsesOfId(int32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!schemas_by_id_.count(id)) return SchemaNotFound();
  std::vector<std::pair<std::string, int>> out;
  for (const auto& [name, s] : subjects_) {
    for (const auto& [n, v] : s.versions) {
      if (v.id == id && !v.deleted) out.emplace_back(name, n);
    }
  }
  return out;
}

ApiResult<std::vector<int>> RegistryStore::Versions(const std::string& subject,
                                                    bool include_deleted) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subjects_.find(subject);
  std::vector<int> out;
  if (it != subjects_.end()) {
    for (const auto& [n, v] : it->second.versions) {
      if (include_deleted || !v.deleted) out.push_back(n);
    }
  }
  if (out.empty()) return SubjectNotFound(subject);
  return out;
}

ApiResult<int> RegistryStore::ResolveVersion(const Subject& s, const std::string& version,
                                             bool include_deleted) const {
  if (version == "latest" || version == "-1") {
    for (auto v = s.versions.rbegin(); v != s.versions.rend(); ++v) {
      if (include_deleted || !v->second.deleted) return v->first;
    }
    return ApiError{404, 40402, "Version latest not found."};
  }
  int n = 0;
  auto r = std::from_chars(version.data(), version.data() + version.size(), n);
  if (r.ec != std::errc() || r.ptr != version.data() + version.size() || n < 1) {
    return ApiError{422, 42202,
                    "The specified version '" + version +
                        "' is not a valid version id. Allowed values are between [1, " +
                        "2^31-1] and the string \"latest\""};
  }
  auto it = s.versions.find(n);
  if (it == s.versions.end() || (it->second.deleted && !include_deleted)) {
    return ApiError{404, 40402, "Version " + version + " not found."};
  }
  return n;
}

ApiResult<SchemaVersion> RegistryStore::Version(const std::string& subject,
                                                const std::string& version, bool include_deleted) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) return SubjectNotFound(subject);
  bool any = include_deleted;
  for (const auto& [n, v] : it->second.versions) any = any || !v.deleted;
  if (!any) return SubjectNotFound(subject);
  auto n = ResolveVersion(it->second, version, include_deleted);
  if (!n.ok()) return n.error();
  return it->second.versions.at(n.value());
}

ApiResult<std::vector<int>> RegistryStore::DeleteSubject(const std::string& subject,
                                                         bool permanent) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) return SubjectNotFound(subject);
  Subject& s = it->second;
  std::vector<int> out;
  bool any_live = false;
  for (const auto& [n, v] : s.versions) any_live = any_live || !v.deleted;
  if (permanent) {
    if (any_live) {
      return ApiError{
          404, 40405,
          "Subject '" + subject + "' was not deleted first before being permanently deleted"};
    }
    for (const auto& [n, v] : s.versions) {
      Status st = log_->Append(SchemaKey(subject, n), std::nullopt);
      if (!st.ok()) return StoreError(st);
      out.push_back(n);
    }
    subjects_.erase(it);
    if (subject_levels_.count(subject)) {
      Status st = log_->Append(ConfigKey(subject), std::nullopt);
      if (!st.ok()) return StoreError(st);
      subject_levels_.erase(subject);
    }
    return out;
  }
  if (!any_live) {
    return ApiError{
        404, 40404,
        "Subject '" + subject + "' was soft deleted. Set permanent=true to delete permanently"};
  }
  for (auto& [n, v] : s.versions) {
    if (v.deleted) continue;
    SchemaVersion d = v;
    d.deleted = true;
    Status st = WriteSchema(d);
    if (!st.ok()) return StoreError(st);
    v.deleted = true;
    out.push_back(n);
  }
  return out;
}

ApiResult<int> RegistryStore::DeleteVersion(const std::string& subject, const std::string& version,
                                            bool permanent) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) return SubjectNotFound(subject);
  auto n = ResolveVersion(it->second, version, permanent);
  if (!n.ok()) return n.error();
  SchemaVersion& v = it->second.versions.at(n.value());
  if (permanent) {
    if (!v.deleted) {
      return ApiError{404, 40407,
                      "Subject '" + subject + "' Version " + std::to_string(n.value()) +
                          " was not deleted first before being permanently deleted"};
    }
    Status st = log_->Append(SchemaKey(subject, n.value()), std::nullopt);
    if (!st.ok()) return StoreError(st);
    it->second.versions.erase(n.value());
    if (it->second.versions.empty()) subjects_.erase(it);
    return n.value();
  }
  SchemaVersion d = v;
  d.deleted = true;
  Status st = WriteSchema(d);
  if (!st.ok()) return StoreError(st);
  v.deleted = true;
  return n.value();
}

ApiResult<CompatibilityResult> RegistryStore::TestCompatibility(const std::string& subject,
                                                                const std::string& version,
                                                                const std::string& schema) {
  auto parsed = AvroSchema::Parse(schema);
  if (!parsed.ok()) return InvalidSchema(parsed.status());
  std::lock_guard<std::mutex> lock(mu_);
  CompatibilityLevel level = EffectiveLevel(subject);
  auto it = subjects_.find(subject);
  std::vector<std::shared_ptr<const AvroSchema>> against;
  if (it != subjects_.end()) {
    if (version == "latest" || version == "-1" || version.empty()) {
      against = LiveSchemas(it->second);
    } else {
      auto n = ResolveVersion(it->second, version, false);
      if (!n.ok()) return n.error();
      auto p = parsed_.find(it->second.versions.at(n.value()).schema);
      if (p != parsed_.end()) against.push_back(p->second);
    }
  } else if (!(version == "latest" || version == "-1" || version.empty())) {
    return SubjectNotFound(subject);
  }
  std::vector<const AvroSchema*> existing;
  for (const auto& p : against) existing.push_back(p.get());
  CompatibilityResult r;
  r.messages = CheckCompatibility(level, **parsed, existing);
  r.compatible = r.messages.empty();
  return r;
}

ApiResult<CompatibilityLevel> RegistryStore::GetConfig(const std::string& subject,
                                                       bool default_to_global) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!subject.empty()) {
    auto it = subject_levels_.find(subject);
    if (it != subject_levels_.end()) return it->second;
    if (!default_to_global) {
      return ApiError{404, 40408,
                      "Subject '" + subject +
                          "' does not have subject-level compatibility "
                          "configured"};
    }
  }
  return global_level_.value_or(default_level_);
}

ApiResult<CompatibilityLevel> RegistryStore::SetConfig(const std::string& subject,
                                                       const std::string& level_text) {
  auto level = ParseCompatibilityLevel(level_text);
  if (!level) {
    return ApiError{422, 42203,
                    "Invalid compatibility level. Valid values are none, backward, "
                    "forward, full, backward_transitive, forward_transitive, and "
                    "full_transitive"};
  }
  std::lock_guard<std::mutex> lock(mu_);
  Json value;
  value["compatibilityLevel"] = CompatibilityLevelName(*level);
  Status st = log_->Append(ConfigKey(subject), value.dump());
  if (!st.ok()) return StoreError(st);
  if (subject.empty()) {
    global_level_ = *level;
  } else {
    subject_levels_[subject] = *level;
  }
  return *level;
}

ApiResult<CompatibilityLevel> RegistryStore::DeleteConfig(const std::string& subject) {
  std::lock_guard<std::mutex> lock(mu_);
  CompatibilityLevel previous;
  if (subject.empty()) {
    previous = global_level_.value_or(default_level_);
  } else {
    auto it = subject_levels_.find(subject);
    if (it == subject_levels_.end()) return SubjectNotFound(subject);
    previous = it->second;
  }
  Status st = log_->Append(ConfigKey(subject), std::nullopt);
  if (!st.ok()) return StoreError(st);
  if (subject.empty()) {
    global_level_.reset();
  } else {
    subject_levels_.erase(subject);
  }
  return previous;
}

}  // namespace vimur::registry
