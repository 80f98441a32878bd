#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config_reader.h"
#include "core/config_table.h"

namespace vimur {
namespace {

// [A-Za-z_][A-Za-z0-9_]*: the names `${NAME}` may refer to.
bool IsEnvironmentName(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!letter && !(c >= '0' && c <= '9') && c != '_') return false;
  }
  return true;
}

// The text of the secret file `path` without its final line break. `where` names the key.
Result<std::string> ReadSecretFile(const std::string& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(where + ": cannot read the file '" + path +
                                   "': check the path and that this user may read it");
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string out = text.str();
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

// `password_file` of `key`: read into `*password`, which must not be set as well.
Status ResolvePasswordFile(const std::string& key, const std::string& file, std::string* password) {
  if (file.empty()) return Status::Ok();
  if (!password->empty()) {
    return Status::InvalidArgument(key + ": set either the password or " + key + ", not both");
  }
  VIMUR_ASSIGN_OR_RETURN(*password, ReadSecretFile(file, key));
  return Status::Ok();
}

Status ResolveListenerAccess(const std::string& key, ListenerAccessConfig& access) {
  VIMUR_RETURN_IF_ERROR(
      ResolvePasswordFile(key + ".password_file", access.password_file, &access.password));
  if (access.tls_cert.empty() != access.tls_key.empty()) {
    return Status::InvalidArgument(key +
                                   ": tls_cert and tls_key go together: set both or "
                                   "neither");
  }
  if (!access.username.empty() && access.password.empty()) {
    return Status::InvalidArgument(key + ".username is set without a password: set " + key +
                                   ".password or " + key + ".password_file");
  }
  return Status::Ok();
}

// The tls_* keys of sink `s` (at `at`, read from `node`): http, search and redis (with a
// rediss:// url) only, files that exist, and a client certificate with its key.
Status CheckSinkTls(const config::Reader& r, const SinkConfig& s, const std::string& at,
                    const YAML::Node& node) {
  const std::pair<const char*, const std::string*> files[] = {
      {"tls_ca", &s.tls_ca}, {"tls_cert", &s.tls_cert}, {"tls_key", &s.tls_key}};
  for (const auto& [key, path] : files) {
    if (path->empty()) continue;
    if (s.type != "http" && s.type != "search" && s.type != "redis") {
      return r.Error(at + "." + key, node[key],
                     "no tls_* keys on a " + s.type +
                         " sink (they belong to http, search and redis; a sql target takes "
                         "?tls_ca=FILE in its URL)",
                     "'" + *path + "'");
    }
    if (s.type == "redis" && s.url.rfind("rediss://", 0) != 0) {
      return r.Error(at + "." + key, node[key], "a rediss:// url (TLS), or no tls_* keys",
                     "'" + *path + "' with a url that is not rediss://");
    }
    std::error_code ec;
    if (!std::filesystem::exists(*path, ec)) {
      return r.Error(at + "." + key, node[key], "an existing PEM file",
                     "no such file '" + *path + "'");
    }
    if (std::filesystem::is_directory(*path, ec) || !std::ifstream(*path)) {
      return r.Error(at + "." + key, node[key], "a PEM file this user may read",
                     "cannot read '" + *path + "'");
    }
  }
  if (s.tls_cert.empty() != s.tls_key.empty()) {
    const char* set = s.tls_cert.empty() ? "tls_key" : "tls_cert";
    return r.Error(at + "." + set, node[set],
                   "tls_cert and tls_key together (the client certificate and its key): set "
                   "both or neither",
                   std::string("only ") + set);
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> ExpandEnvironment(const std::string& text, const std::string& where) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string::npos) {
        return Status::InvalidArgument(where + ": unterminated '${' in value");
      }
      std::string inner = text.substr(i + 2, close - i - 2);
      if (inner.rfind("file:", 0) == 0) {
        VIMUR_ASSIGN_OR_RETURN(std::string secret, ReadSecretFile(inner.substr(5), where));
        out += secret;
        i = close + 1;
        continue;
      }
      std::string name = inner;
      std::optional<std::string> fallback;
      size_t dash = inner.find(":-");
      if (dash != std::string::npos) {
        name = inner.substr(0, dash);
        fallback = inner.substr(dash + 2);
      }
      if (!IsEnvironmentName(name)) {
        return Status::InvalidArgument(where + ": '${" + inner +
                                       "}' is not a valid environment variable reference");
      }
      const char* value = std::getenv(name.c_str());
      if (value != nullptr && (*value != '\0' || !fallback)) {
        out += value;
      } else if (fallback) {
        out += *fallback;
      } else {
        return Status::InvalidArgument(where + ": environment variable " + name +
                                       " is not set; export it or write ${" + name + ":-default}");
      }
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

Result<PipelineConfig> LoadConfigText(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) +
                                   ": not valid YAML: " + e.msg);
  }
  PipelineConfig config;
  try {
    if (!root.IsMap()) {
      return Status::InvalidArgument(origin + ": expected a YAML mapping at the top level");
    }
    config::Reader r(origin);
    VIMUR_RETURN_IF_ERROR(r.Read(config::PipelineTable(), root, "", &config));

    // Rules that span keys; everything about a single key is in the table.
    const YAML::Node& top = root;
    std::set<std::string> names;
    for (size_t i = 0; i < config.sources.size(); ++i) {
      const std::string& name = config.sources[i].name;
      if (!names.insert(name).second) {
        return r.Error("sources[" + std::to_string(i) + "].name", top["sources"][i],
                       "a name no other source uses", "duplicate source name '" + name + "'");
      }
    }
    std::set<std::string> sink_names;
    for (size_t i = 0; i < config.sinks.size(); ++i) {
      const std::string& name = config.sinks[i].name;
      if (!sink_names.insert(name).second) {
        return r.Error("sinks[" + std::to_string(i) + "].name", top["sinks"][i],
                       "a name no other sink uses", "duplicate sink name '" + name + "'");
      }
      const SinkConfig& s = config.sinks[i];
      const std::string at = "sinks[" + std::to_string(i) + "]";
      if (s.type == "sql" && s.targets.empty()) {
        return r.Error(at + ".targets", top["sinks"][i], "a mapping of target names to URLs",
                       "missing key");
      }
      if (s.type != "sql" && s.url.empty()) {
        return r.Error(at + ".url", top["sinks"][i],
                       s.type == "redis"    ? "redis://HOST:PORT (rediss:// for TLS)"
                       : s.type == "search" ? "the OpenSearch URL, e.g. http://127.0.0.1:9200"
                                            : "the http(s):// URL to POST to",
                       "missing key");
      }
      if (s.type == "search") {
        if (s.index.empty()) {
          return r.Error(at + ".index", top["sinks"][i], "the OpenSearch index name, e.g. orders",
                         "missing key");
        }
        if (s.root.empty()) {
          return r.Error(at + ".root", top["sinks"][i],
                         "a regex of the root topic, e.g. 'shop\\.shop\\.orders'", "missing key");
        }
        for (size_t j = 0; j < s.relations.size(); ++j) {
          const SinkRelationConfig& rel = s.relations[j];
          if (rel.key.empty() == rel.on.empty()) {
            return r.Error(at + ".relations[" + std::to_string(j) + "]",
                           top["sinks"][i]["relations"][j],
                           "either `key` (a child column equal to the root's key) or `on` (a "
                           "root column equal to the related row's key)",
                           rel.key.empty() ? "neither" : "both");
          }
          if (!rel.query.empty() && (rel.url.empty() || rel.fields.empty())) {
            return r.Error(at + ".relations[" + std::to_string(j) + "]",
                           top["sinks"][i]["relations"][j],
                           "`url` and `fields` (the names of the query's columns) with `query`",
                           rel.url.empty() ? "no url" : "no fields");
          }
        }
      } else if (!s.index.empty() || !s.root.empty() || !s.relations.empty()) {
        return r.Error(at + ".type", top["sinks"][i]["type"],
                       "search (index, root and relations belong to the search sink)",
                       "'" + s.type + "'");
      }
      for (size_t j = 0; j < s.enrich.size(); ++j) {
        const SinkEnrichConfig& e = s.enrich[j];
        const std::string where = at + ".enrich[" + std::to_string(j) + "]";
        const YAML::Node& node = top["sinks"][i]["enrich"][j];
        if (e.query.empty() == e.join.empty()) {
          return r.Error(where, node,
                         "either `query` (a back-query with `url` and `columns`) or `join` (a "
                         "topic regex with `on`)",
                         e.query.empty() ? "neither" : "both");
        }
        if (!e.query.empty() && (e.url.empty() || e.columns.empty())) {
          return r.Error(where, node, "`url` and `columns` with `query`",
                         e.url.empty() ? "no url" : "no columns");
        }
        if (!e.join.empty() && e.on.empty()) {
          return r.Error(where, node, "`on` (the row's column equal to the related key)",
                         "missing key");
        }
        if (!e.join.empty() && !e.invalidate.empty()) {
          return r.Error(where + ".invalidate", node["invalidate"],
                         "no `invalidate` with `join` (the join store follows its topic)",
                         "'" + e.invalidate + "'");
        }
      }
      if (s.type == "redis" && s.key.size() > 1) {
        return r.Error(at + ".key", top["sinks"][i]["key"],
                       "one template such as 'user:${id}' for a redis sink", "a list");
      }
      VIMUR_RETURN_IF_ERROR(CheckSinkTls(r, s, at, top["sinks"][i]));
    }
    // stdout cannot feed sinks: a file with sinks and no transport type gets the local log.
    if (!config.sinks.empty() && (!top["transport"] || !top["transport"]["type"])) {
      config.transport.type = "local";
    }
    if (config.transport.type == "kafka" && config.transport.bootstrap_servers.empty()) {
      return r.Error("transport.bootstrap_servers", top["transport"]["type"],
                     "host:port of a Kafka broker", "missing key");
    }
    for (size_t i = 0; i < config.sources.size(); ++i) {
      SourceConfig& s = config.sources[i];
      if (s.topic_prefix.empty()) s.topic_prefix = config.name;
      s.snapshot_requests_dir =
          config.state_dir + "/" + config.name + "/snapshot-requests/" + s.name;
      s.spool_dir = config.state_dir + "/" + config.name + "/spool/" + s.name;
      if (s.type == "postgresql") {
        if (!top["sources"][i]["port"]) s.port = 5432;
        // Slot names allow only lower-case letters, digits and underscores.
        std::string suffix;
        for (char c : s.name) {
          suffix += std::isalnum(static_cast<unsigned char>(c))
                        ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                        : '_';
        }
        if (s.slot.empty()) s.slot = "vimur_" + suffix;
        if (s.publication.empty()) s.publication = "vimur_" + suffix;
      }
    }
    for (size_t i = 0; i < config.sources.size(); ++i) {
      const OutboxConfig& o = config.sources[i].outbox;
      if (o.expand_json_payload && (config.format.type != "json" || config.format.schemas)) {
        return r.Error("sources[" + std::to_string(i) + "].outbox.expand_json_payload",
                       top["sources"][i]["outbox"],
                       "false with format avro or `schemas: true` (the payload then has a "
                       "schema: a string)",
                       "true");
      }
    }
    for (SourceConfig& s : config.sources) {
      VIMUR_RETURN_IF_ERROR(ResolvePasswordFile("sources." + s.name + ".password_file",
                                                s.password_file, &s.password));
    }
    VIMUR_RETURN_IF_ERROR(ResolvePasswordFile("format.registry_password_file",
                                              config.format.registry_password_file,
                                              &config.format.registry_password));
    VIMUR_RETURN_IF_ERROR(ResolveListenerAccess("metrics_access", config.metrics_access));
    VIMUR_RETURN_IF_ERROR(ResolveListenerAccess("registry.access", config.registry.access));
    for (auto& s : config.sinks) {
      if (s.group_id.empty()) s.group_id = "vimur-sink." + config.name + "." + s.name;
      if (s.dead_letter_topic.empty()) s.dead_letter_topic = "vimur-dead-letter." + s.name;
    }
    HighAvailabilityConfig& ha = config.high_availability;
    if (ha.enabled) {
      if (config.transport.type != "kafka") {
        return r.Error("high_availability.enabled", top["high_availability"]["enabled"],
                       "transport.type: kafka (the processes meet in a Kafka consumer group "
                       "and resume from the Kafka offsets topic)",
                       "transport.type: " + config.transport.type);
      }
      if (int64_t{ha.heartbeat_interval_ms} * 3 > ha.session_timeout_ms) {
        return r.Error(
            "high_availability.heartbeat_interval_ms",
            top["high_availability"]["heartbeat_interval_ms"],
            "at most a third of session_timeout_ms (" + std::to_string(ha.session_timeout_ms) + ")",
            std::to_string(ha.heartbeat_interval_ms));
      }
    }
    if (ha.group.empty()) ha.group = "vimur-ha." + config.name;
    if (ha.topic.empty()) ha.topic = "__vimur-ha." + config.name;
    if (config.format.type == "avro" && config.format.registry_url.empty() &&
        config.transport.type != "stdout") {
      return r.Error("format.registry_url", top["format"],
                     "the schema registry URL (e.g. http://127.0.0.1:8081) for avro",
                     "missing key");
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return config;
}

Result<PipelineConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::InvalidArgument("cannot read configuration file '" + path +
                                   "': check the path given to --config");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadConfigText(buffer.str(), path);
}

}  // namespace vimur
