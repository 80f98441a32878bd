#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace vimur {
namespace {

// Reads one section of the file, checking every key against the ones it knows.
class SectionReader {
 public:
  SectionReader(const YAML::Node& node, std::string path, std::string origin)
      : node_(node), path_(std::move(path)), origin_(std::move(origin)) {}

  Status CheckIsMap() const {
    if (!node_.IsMap()) return Error(path_, node_, "a mapping of keys to values");
    return Status::Ok();
  }

  Status String(const char* key, std::string* out) {
    YAML::Node v = Get(key);
    if (!v) return Status::Ok();
    if (!v.IsScalar()) return Error(Key(key), v, "a single value");
    VIMUR_ASSIGN_OR_RETURN(*out, ExpandEnvironment(v.Scalar(), Where(key, v)));
    return Status::Ok();
  }

  Status Bool(const char* key, bool* out) {
    std::string text;
    YAML::Node v = Get(key);
    if (!v) return Status::Ok();
    VIMUR_RETURN_IF_ERROR(String(key, &text));
    if (text == "true" || text == "yes" || text == "on")
      *out = true;
    else if (text == "false" || text == "no" || text == "off")
      *out = false;
    else
      return Error(Key(key), v, "true or false, got '" + text + "'");
    return Status::Ok();
  }

  template <typename Int>
  Status Integer(const char* key, Int* out, int64_t min, int64_t max) {
    std::string text;
    YAML::Node v = Get(key);
    if (!v) return Status::Ok();
    VIMUR_RETURN_IF_ERROR(String(key, &text));
    char* end = nullptr;
    errno = 0;
    long long parsed = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || parsed < min || parsed > max) {
      return Error(Key(key), v,
                   "an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                       ", got '" + text + "'");
    }
    *out = static_cast<Int>(parsed);
    return Status::Ok();
  }

  Status OneOf(const char* key, std::string* out, const std::vector<std::string>& allowed) {
    YAML::Node v = Get(key);
    VIMUR_RETURN_IF_ERROR(String(key, out));
    if (!v) return Status::Ok();
    for (const auto& a : allowed) {
      if (*out == a) return Status::Ok();
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
    return Error(Key(key), v, "one of " + list + ", got '" + *out + "'");
  }

  Status StringList(const char* key, std::vector<std::string>* out, bool regexes) {
    YAML::Node v = Get(key);
    if (!v) return Status::Ok();
    if (!v.IsSequence()) return Error(Key(key), v, "a list, e.g. ['a', 'b']");
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      std::string where = Key(key) + "[" + std::to_string(i) + "]";
      if (!v[i].IsScalar()) return Error(where, v[i], "a single value");
      VIMUR_ASSIGN_OR_RETURN(std::string item, ExpandEnvironment(v[i].Scalar(), where));
      if (regexes) {
        try {
          std::regex re(item, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return Error(where, v[i], std::string("a valid regular expression (") + e.what() + ")");
        }
      }
      out->push_back(item);
    }
    return Status::Ok();
  }

  Status StringMap(const char* key, std::map<std::string, std::string>* out) {
    YAML::Node v = Get(key);
    if (!v) return Status::Ok();
    if (!v.IsMap()) return Error(Key(key), v, "a mapping of names to values");
    for (const auto& kv : v) {
      std::string name = kv.first.as<std::string>();
      std::string where = Key(key) + "." + name;
      if (!kv.second.IsScalar()) return Error(where, kv.second, "a single value");
      VIMUR_ASSIGN_OR_RETURN((*out)[name], ExpandEnvironment(kv.second.Scalar(), where));
    }
    return Status::Ok();
  }

  YAML::Node Child(const char* key) { return Get(key); }
  std::string Key(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const std::string& origin() const { return origin_; }

  // Fails on any key that no reader asked for: a typo must not be silently ignored.
  Status RejectUnknownKeys() const {
    for (const auto& kv : node_) {
      std::string name = kv.first.Scalar();
      if (!known_.count(name)) {
        std::string list;
        for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
        return Error(Key(name), kv.first, "one of the known keys here (" + list + ")",
                     "unknown key '" + name + "'");
      }
    }
    return Status::Ok();
  }

  Status Error(const std::string& key, const YAML::Node& at, const std::string& expected,
               const std::string& problem = "invalid value") const {
    std::ostringstream msg;
    msg << origin_;
    if (at.Mark().line >= 0) msg << ":" << at.Mark().line + 1;
    msg << ": " << problem << " for '" << key << "': expected " << expected;
    return Status::InvalidArgument(msg.str());
  }

 private:
  YAML::Node Get(const char* key) {
    known_.insert(key);
    YAML::Node v = node_[key];
    if (v && v.IsNull()) return YAML::Node();
    return v;
  }
  std::string Where(const char* key, const YAML::Node& v) const {
    std::string w = origin_;
    if (v.Mark().line >= 0) w += ":" + std::to_string(v.Mark().line + 1);
    return w + " '" + Key(key) + "'";
  }

  YAML::Node node_;
  std::string path_;
  std::string origin_;
  std::set<std::string> known_;
};

Status ReadTls(SectionReader& parent, const char* key, TlsConfig* tls) {
  YAML::Node node = parent.Child(key);
  if (!node) return Status::Ok();
  SectionReader r(node, parent.Key(key), parent.origin());
  VIMUR_RETURN_IF_ERROR(r.CheckIsMap());
  VIMUR_RETURN_IF_ERROR(r.OneOf(
      "mode", &tls->mode, {"disabled", "preferred", "required", "verify_ca", "verify_identity"}));
  VIMUR_RETURN_IF_ERROR(r.String("ca", &tls->ca));
  VIMUR_RETURN_IF_ERROR(r.String("cert", &tls->cert));
  VIMUR_RETURN_IF_ERROR(r.String("key", &tls->key));
  return r.RejectUnknownKeys();
}

Status ReadTopic(SectionReader& r, TopicConfig* t) {
  VIMUR_RETURN_IF_ERROR(r.CheckIsMap());
  VIMUR_RETURN_IF_ERROR(r.Integer("partitions", &t->partitions, 1, 100000));
  VIMUR_RETURN_IF_ERROR(r.Integer("replication_factor", &t->replication_factor, 1, 100));
  VIMUR_RETURN_IF_ERROR(r.Integer("min_insync_replicas", &t->min_insync_replicas, 0, 100));
  return r.RejectUnknownKeys();
}

Status ReadSource(const YAML::Node& node, const std::string& path, const std::string& origin,
                  SourceConfig* s) {
  SectionReader r(node, path, origin);
  VIMUR_RETURN_IF_ERROR(r.CheckIsMap());
  VIMUR_RETURN_IF_ERROR(r.String("name", &s->name));
  VIMUR_RETURN_IF_ERROR(r.OneOf("type", &s->type, {"mysql", "mariadb", "postgres"}));
  if (s->type == "mariadb") s->type = "mysql";
  VIMUR_RETURN_IF_ERROR(r.String("host", &s->host));
  VIMUR_RETURN_IF_ERROR(r.Integer("port", &s->port, 1, 65535));
  VIMUR_RETURN_IF_ERROR(r.String("user", &s->user));
  VIMUR_RETURN_IF_ERROR(r.String("password", &s->password));
  VIMUR_RETURN_IF_ERROR(r.Integer("server_id", &s->server_id, 1, 4294967295ll));
  VIMUR_RETURN_IF_ERROR(r.StringList("include_tables", &s->include_tables, true));
  VIMUR_RETURN_IF_ERROR(r.StringList("exclude_tables", &s->exclude_tables, true));
  VIMUR_RETURN_IF_ERROR(r.StringList("exclude_columns", &s->exclude_columns, true));
  VIMUR_RETURN_IF_ERROR(r.OneOf("snapshot", &s->snapshot, {"initial", "never", "when_needed"}));
  VIMUR_RETURN_IF_ERROR(r.String("topic_prefix", &s->topic_prefix));
  VIMUR_RETURN_IF_ERROR(ReadTls(r, "tls", &s->tls));
  VIMUR_RETURN_IF_ERROR(
      r.Integer("heartbeat_interval_ms", &s->heartbeat_interval_ms, 100, 3600 * 1000));
  VIMUR_RETURN_IF_ERROR(r.Integer("connect_timeout_s", &s->connect_timeout_s, 1, 3600));
  VIMUR_RETURN_IF_ERROR(
      r.Integer("reconnect_max_backoff_ms", &s->reconnect_max_backoff_ms, 100, 3600 * 1000));
  VIMUR_RETURN_IF_ERROR(r.Bool("transaction_metadata", &s->transaction_metadata));
  VIMUR_RETURN_IF_ERROR(
      r.OneOf("decimal_handling_mode", &s->decimal_handling_mode, {"precise", "string", "double"}));
  VIMUR_RETURN_IF_ERROR(r.OneOf("bigint_unsigned_handling_mode", &s->bigint_unsigned_handling_mode,
                                {"precise", "long"}));
  VIMUR_RETURN_IF_ERROR(r.OneOf("time_precision_mode", &s->time_precision_mode,
                                {"adaptive_time_microseconds", "connect"}));
  VIMUR_RETURN_IF_ERROR(
      r.OneOf("binary_handling_mode", &s->binary_handling_mode, {"bytes", "base64", "hex"}));
  VIMUR_RETURN_IF_ERROR(
      r.StringList("column_propagate_source_type", &s->propagate_source_types, true));
  VIMUR_RETURN_IF_ERROR(r.Bool("include_query", &s->include_query));
  VIMUR_RETURN_IF_ERROR(r.RejectUnknownKeys());
  if (s->name.empty())
    return r.Error(path + ".name", node, "a source name (e.g. shop-db)", "missing key");
  if (s->type.empty()) return r.Error(path + ".type", node, "mysql or postgres", "missing key");
  if (s->user.empty())
    return r.Error(path + ".user", node, "the database user to connect as", "missing key");
  return Status::Ok();
}

Status ReadTransport(SectionReader& r, TransportConfig* t) {
  VIMUR_RETURN_IF_ERROR(r.CheckIsMap());
  VIMUR_RETURN_IF_ERROR(r.OneOf("type", &t->type, {"kafka", "local", "stdout"}));
  VIMUR_RETURN_IF_ERROR(r.String("bootstrap_servers", &t->bootstrap_servers));
  VIMUR_RETURN_IF_ERROR(r.Bool("exactly_once", &t->exactly_once));
  if (YAML::Node topic = r.Child("topic")) {
    SectionReader tr(topic, r.Key("topic"), r.origin());
    VIMUR_RETURN_IF_ERROR(ReadTopic(tr, &t->topic));
  }
  if (YAML::Node overrides = r.Child("topic_overrides")) {
    if (!overrides.IsMap()) {
      return r.Error(r.Key("topic_overrides"), overrides, "a mapping of topic names to settings");
    }
    for (const auto& kv : overrides) {
      std::string name = kv.first.as<std::string>();
      TopicConfig tc = t->topic;
      SectionReader tr(kv.second, r.Key("topic_overrides." + name), r.origin());
      VIMUR_RETURN_IF_ERROR(ReadTopic(tr, &tc));
      t->topic_overrides[name] = tc;
    }
  }
  VIMUR_RETURN_IF_ERROR(r.String("offsets_topic", &t->offsets_topic));
  VIMUR_RETURN_IF_ERROR(r.StringMap("client_config", &t->client_config));
  VIMUR_RETURN_IF_ERROR(
      r.Integer("max_in_flight_bytes", &t->max_in_flight_bytes, 1 << 20, int64_t{1} << 40));
  VIMUR_RETURN_IF_ERROR(r.RejectUnknownKeys());
  if (t->type == "kafka" && t->bootstrap_servers.empty()) {
    return r.Error(r.Key("bootstrap_servers"), r.Child("type"), "host:port of a Kafka broker",
                   "missing key");
  }
  return Status::Ok();
}

Status ReadFormat(SectionReader& r, FormatConfig* f) {
  VIMUR_RETURN_IF_ERROR(r.CheckIsMap());
  VIMUR_RETURN_IF_ERROR(r.OneOf("type", &f->type, {"avro", "json"}));
  VIMUR_RETURN_IF_ERROR(r.Bool("schemas", &f->schemas));
  VIMUR_RETURN_IF_ERROR(r.String("registry_url", &f->registry_url));
  VIMUR_RETURN_IF_ERROR(r.String("registry_user", &f->registry_user));
  VIMUR_RETURN_IF_ERROR(r.String("registry_password", &f->registry_password));
  VIMUR_RETURN_IF_ERROR(r.String("registry_ca", &f->registry_ca));
  VIMUR_RETURN_IF_ERROR(
      r.OneOf("on_incompatible_schema", &f->on_incompatible_schema, {"stop", "continue"}));
  return r.RejectUnknownKeys();
}

Status ReadSink(const YAML::Node& node, const std::string& path, const std::string& origin,
                SinkConfig* s) {
  SectionReader r(node, path, origin);
  VIMUR_RETURN_IF_ERROR(r.CheckIsMap());
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (key == "name" || key == "type" || key == "topics") continue;
    if (kv.second.IsScalar()) {
      VIMUR_ASSIGN_OR_RETURN(s->settings[key],
                             ExpandEnvironment(kv.second.Scalar(), path + "." + key));
    } else {
      YAML::Emitter out;
      out << YAML::Flow << kv.second;
      s->settings[key] = out.c_str();
    }
  }
  VIMUR_RETURN_IF_ERROR(r.String("name", &s->name));
  VIMUR_RETURN_IF_ERROR(r.OneOf("type", &s->type, {"sql", "redis", "search", "http"}));
  VIMUR_RETURN_IF_ERROR(r.StringList("topics", &s->topics, true));
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
      std::string name = inner;
      std::optional<std::string> fallback;
      size_t dash = inner.find(":-");
      if (dash != std::string::npos) {
        name = inner.substr(0, dash);
        fallback = inner.substr(dash + 2);
      }
      static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
      if (!std::regex_match(name, kName)) {
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
    SectionReader r(root, "", origin);
    if (!root.IsMap()) {
      return Status::InvalidArgument(origin + ": expected a YAML mapping at the top level");
    }
    VIMUR_RETURN_IF_ERROR(r.String("name", &config.name));
    VIMUR_RETURN_IF_ERROR(r.String("state_dir", &config.state_dir));
    VIMUR_RETURN_IF_ERROR(
        r.OneOf("log_level", &config.log_level, {"debug", "info", "warn", "error"}));
    VIMUR_RETURN_IF_ERROR(
        r.Integer("queue_max_bytes", &config.queue_max_bytes, 1 << 20, int64_t{1} << 40));
    YAML::Node sources = r.Child("sources");
    if (!sources || !sources.IsSequence() || sources.size() == 0) {
      return r.Error("sources", sources ? sources : root, "a list with at least one source",
                     sources ? "invalid value" : "missing key");
    }
    std::set<std::string> names;
    for (size_t i = 0; i < sources.size(); ++i) {
      SourceConfig s;
      VIMUR_RETURN_IF_ERROR(
          ReadSource(sources[i], "sources[" + std::to_string(i) + "]", origin, &s));
      if (!names.insert(s.name).second) {
        return r.Error("sources[" + std::to_string(i) + "].name", sources[i],
                       "a name no other source uses", "duplicate source name '" + s.name + "'");
      }
      config.sources.push_back(std::move(s));
    }
    if (YAML::Node t = r.Child("transport")) {
      SectionReader tr(t, "transport", origin);
      VIMUR_RETURN_IF_ERROR(ReadTransport(tr, &config.transport));
    }
    if (YAML::Node f = r.Child("format")) {
      SectionReader fr(f, "format", origin);
      VIMUR_RETURN_IF_ERROR(ReadFormat(fr, &config.format));
    }
    if (YAML::Node g = r.Child("registry")) {
      SectionReader gr(g, "registry", origin);
      VIMUR_RETURN_IF_ERROR(gr.CheckIsMap());
      VIMUR_RETURN_IF_ERROR(gr.String("listen", &config.registry.listen));
      VIMUR_RETURN_IF_ERROR(gr.String("topic", &config.registry.topic));
      VIMUR_RETURN_IF_ERROR(gr.OneOf("compatibility", &config.registry.compatibility,
                                     {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
                                      "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}));
      VIMUR_RETURN_IF_ERROR(gr.RejectUnknownKeys());
    }
    if (YAML::Node sinks = r.Child("sinks")) {
      if (!sinks.IsSequence()) return r.Error("sinks", sinks, "a list of sinks");
      for (size_t i = 0; i < sinks.size(); ++i) {
        SinkConfig s;
        VIMUR_RETURN_IF_ERROR(ReadSink(sinks[i], "sinks[" + std::to_string(i) + "]", origin, &s));
        config.sinks.push_back(std::move(s));
      }
    }
    VIMUR_RETURN_IF_ERROR(r.RejectUnknownKeys());
    if (config.name.empty()) {
      return r.Error("name", root, "a pipeline name (used as the default topic prefix)",
                     "missing key");
    }
    static const std::regex kTopicSafe("[A-Za-z0-9._-]+");
    if (!std::regex_match(config.name, kTopicSafe)) {
      return r.Error("name", root["name"], "letters, digits, '.', '_' or '-' only");
    }
    for (auto& s : config.sources) {
      if (s.topic_prefix.empty()) s.topic_prefix = config.name;
    }
    if (config.format.type == "avro" && config.format.registry_url.empty() &&
        config.transport.type != "stdout") {
      return r.Error("format.registry_url", root["format"],
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
