// Reads a YAML mapping into a struct by the rules of a config::Section (config_table.h):
// refuses unknown and not-yet-available keys, applies defaults, expands ${VAR}, checks values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/config_table.h"
#include "core/status.h"

namespace vimur::config {

class Reader {
 public:
  // `origin` names the file in errors ("pipeline.yaml").
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  // Reads `node` into `object` (a struct of `section`'s type). `path` names the node in
  // errors ("sources[0]", "" at the top level). Defaults are applied first.
  Status Read(const Section& section, const YAML::Node& node, const std::string& path,
              void* object) const {
    return ReadSection(section, node, path, object, /*apply_defaults=*/true);
  }

  // "origin:line: problem for 'key': expected what"
  Status Error(const std::string& key, const YAML::Node& at, const std::string& expected,
               const std::string& problem = "invalid value") const;
  // "origin:line: message"
  Status Fail(const YAML::Node& at, const std::string& message) const;

 private:
  Status ReadSection(const Section& section, const YAML::Node& node, const std::string& path,
                     void* object, bool apply_defaults) const;
  Status CheckKeyNames(const Section& section, const YAML::Node& node,
                       const std::string& path) const;
  Status ReadKey(const Key& k, const YAML::Node& v, const std::string& key, void* object) const;
  Result<std::string> ScalarText(const Key& k, const YAML::Node& v, const std::string& key) const;
  std::string Where(const std::string& key, const YAML::Node& v) const;

  std::string origin_;
};

// Sets every key of `section` that has a default to it (the values a missing key gets).
Status ApplyDefaults(const Section& section, void* object);

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string JoinKey(const std::string& path, const std::string& key);

}  // namespace vimur::config
