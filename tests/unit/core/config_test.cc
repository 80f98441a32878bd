#include "core/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace vimur {
namespace {

constexpr const char* kMinimal = R"(
name: shop
sources:
  - name: shop-db
    type: mysql
    user: vimur
    password: ${VIMUR_TEST_PASSWORD}
    include_tables: ['shop\.orders', 'shop\.order_item_\d+']
    exclude_columns: ['shop\.users\.password_hash']
transport:
  type: stdout
)";

TEST(ConfigTest, LoadsDesignExampleWithDefaults) {
  setenv("VIMUR_TEST_PASSWORD", "s3cret", 1);
  auto config = LoadConfigText(kMinimal, "pipeline.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->name, "shop");
  ASSERT_EQ(config->sources.size(), 1u);
  const SourceConfig& s = config->sources[0];
  EXPECT_EQ(s.password, "s3cret");
  EXPECT_EQ(s.port, 3306);
  EXPECT_EQ(s.topic_prefix, "shop");  // defaults to the pipeline name
  ASSERT_EQ(s.include_tables.size(), 2u);
  EXPECT_EQ(s.include_tables[1], "shop\\.order_item_\\d+");
  EXPECT_EQ(config->transport.type, "stdout");
  EXPECT_EQ(config->state_dir, "./vimur-state");
}

TEST(ConfigTest, DebeziumHandlingModesDefaultToDebeziumsAndAreChecked) {
  setenv("VIMUR_TEST_PASSWORD", "s3cret", 1);
  auto config = LoadConfigText(kMinimal, "pipeline.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const SourceConfig& d = config->sources[0];
  EXPECT_EQ(d.decimal_handling_mode, "precise");
  EXPECT_EQ(d.bigint_unsigned_handling_mode, "precise");
  EXPECT_EQ(d.time_precision_mode, "adaptive_time_microseconds");
  EXPECT_EQ(d.binary_handling_mode, "bytes");
  EXPECT_TRUE(d.propagate_source_types.empty());
  EXPECT_FALSE(d.include_query);
  const std::string with_modes = std::string(kMinimal) + R"(
    decimal_handling_mode: string
    bigint_unsigned_handling_mode: long
    time_precision_mode: connect
    binary_handling_mode: hex
    column_propagate_source_type: ['shop\.orders\..*']
    include_query: true
)";
  // The appended keys belong to the source: move them above `transport`.
  std::string text = with_modes;
  const size_t transport = text.find("transport:");
  const size_t extra = text.find("    decimal_handling_mode");
  text = text.substr(0, transport) + text.substr(extra) + text.substr(transport, extra - transport);
  config = LoadConfigText(text, "pipeline.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const SourceConfig& s = config->sources[0];
  EXPECT_EQ(s.decimal_handling_mode, "string");
  EXPECT_EQ(s.bigint_unsigned_handling_mode, "long");
  EXPECT_EQ(s.time_precision_mode, "connect");
  EXPECT_EQ(s.binary_handling_mode, "hex");
  ASSERT_EQ(s.propagate_source_types.size(), 1u);
  EXPECT_TRUE(s.include_query);

  std::string bad = text;
  bad.replace(bad.find("string"), 6, "exact");
  auto refused = LoadConfigText(bad, "pipeline.yaml");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("decimal_handling_mode"), std::string::npos);
  EXPECT_NE(refused.status().message().find("precise | string | double"), std::string::npos);
}

TEST(ConfigTest, ExpandsDefaults) {
  unsetenv("VIMUR_TEST_UNSET");
  auto v = ExpandEnvironment("a-${VIMUR_TEST_UNSET:-fallback}-b", "k");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "a-fallback-b");
  auto missing = ExpandEnvironment("${VIMUR_TEST_UNSET}", "pipeline.yaml:4 'password'");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("VIMUR_TEST_UNSET is not set"), std::string::npos);
  EXPECT_NE(missing.status().message().find("pipeline.yaml:4"), std::string::npos);
  EXPECT_FALSE(ExpandEnvironment("${unterminated", "k").ok());
}

TEST(ConfigTest, UnknownKeyNamesKeyAndLine) {
  auto config = LoadConfigText(
      "name: shop\nsources:\n  - name: a\n    type: mysql\n    user: u\n"
      "    prot: 3306\n",
      "p.yaml");
  ASSERT_FALSE(config.ok());
  const std::string& m = config.status().message();
  EXPECT_NE(m.find("p.yaml:6"), std::string::npos) << m;
  EXPECT_NE(m.find("sources[0].prot"), std::string::npos) << m;
  EXPECT_NE(m.find("port"), std::string::npos) << m;  // lists the known keys
}

TEST(ConfigTest, BadValuesAreRejectedWithExpectation) {
  auto bad_port = LoadConfigText(
      "name: shop\nsources:\n  - {name: a, type: mysql, user: u, port: 99999}\n", "p.yaml");
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.status().message().find("an integer from 1 to 65535"), std::string::npos);

  auto bad_type =
      LoadConfigText("name: shop\nsources:\n  - {name: a, type: oracle, user: u}\n", "p.yaml");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("mysql | postgresql | mariadb | postgres"),
            std::string::npos)
      << bad_type.status().message();

  auto bad_regex = LoadConfigText(
      "name: shop\nsources:\n  - {name: a, type: mysql, user: u, include_tables: ['(']}\n",
      "p.yaml");
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_NE(bad_regex.status().message().find("include_tables[0]"), std::string::npos);

  auto no_sources = LoadConfigText("name: shop\n", "p.yaml");
  ASSERT_FALSE(no_sources.ok());
  EXPECT_NE(no_sources.status().message().find("sources"), std::string::npos);

  auto kafka_without_servers = LoadConfigText(
      "name: shop\nsources:\n  - {name: a, type: mysql, user: u}\ntransport: {type: kafka}\n",
      "p.yaml");
  ASSERT_FALSE(kafka_without_servers.ok());
  EXPECT_NE(kafka_without_servers.status().message().find("bootstrap_servers"), std::string::npos);

  auto not_yaml = LoadConfigText("name: [unclosed\n", "p.yaml");
  ASSERT_FALSE(not_yaml.ok());
  EXPECT_NE(not_yaml.status().message().find("not valid YAML"), std::string::npos);
}

TEST(ConfigTest, RegistryAndFormatRegistryKeys) {
  const std::string base = "name: shop\nsources:\n  - {name: a, type: mysql, user: u}\n";
  auto defaults = LoadConfigText(base, "p.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->registry.listen, "127.0.0.1:8081");
  EXPECT_EQ(defaults->registry.topic, "_schemas");
  EXPECT_EQ(defaults->registry.compatibility, "BACKWARD");
  EXPECT_EQ(defaults->format.registry_ca, "");

  auto set = LoadConfigText(base +
                                "format: {type: avro, registry_url: 'https://r:8081', "
                                "registry_ca: /etc/ca.pem}\n"
                                "registry: {listen: '0.0.0.0:9081', topic: _vimur_schemas, "
                                "compatibility: FULL_TRANSITIVE}\n",
                            "p.yaml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->format.registry_ca, "/etc/ca.pem");
  EXPECT_EQ(set->registry.listen, "0.0.0.0:9081");
  EXPECT_EQ(set->registry.topic, "_vimur_schemas");
  EXPECT_EQ(set->registry.compatibility, "FULL_TRANSITIVE");

  auto bad = LoadConfigText(base + "registry: {compatibility: SIDEWAYS}\n", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("registry.compatibility"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("BACKWARD_TRANSITIVE"), std::string::npos);
}

TEST(ConfigTest, MissingFileSaysWhatToCheck) {
  auto config = LoadConfigFile("/nonexistent/vimur.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("--config"), std::string::npos);
}

constexpr const char* kBase = "name: shop\nsources:\n  - {name: a, type: mysql, user: u}\n";
// Lines appended to this one are keys of the source, from line 6.
constexpr const char* kSourceBase =
    "name: shop\nsources:\n  - name: a\n    type: mysql\n    user: u\n";

TEST(ConfigTest, NewKeysHaveTheSharedDefaults) {
  auto config = LoadConfigText(kBase, "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->shutdown_timeout_s, 30);
  const SourceConfig& s = config->sources[0];
  EXPECT_EQ(s.restart_max_attempts, 10);
  EXPECT_EQ(s.decimal_handling_mode, "precise");
  EXPECT_EQ(s.bigint_unsigned_handling_mode, "precise");
  EXPECT_EQ(s.time_precision_mode, "adaptive_time_microseconds");
  EXPECT_EQ(s.binary_handling_mode, "bytes");
  EXPECT_TRUE(s.propagate_source_types.empty());
  EXPECT_FALSE(s.include_query);
}

TEST(ConfigTest, NewKeysAreRead) {
  auto config = LoadConfigText(
      "name: shop\nshutdown_timeout_s: 5\nsources:\n"
      "  - name: a\n    type: mariadb\n    user: u\n    restart_max_attempts: 0\n"
      "    decimal_handling_mode: string\n    bigint_unsigned_handling_mode: long\n"
      "    time_precision_mode: connect\n    binary_handling_mode: hex\n"
      "    column_propagate_source_type: ['shop\\.orders\\..*']\n    include_query: true\n",
      "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->shutdown_timeout_s, 5);
  const SourceConfig& s = config->sources[0];
  EXPECT_EQ(s.type, "mysql");  // mariadb is an alias
  EXPECT_EQ(s.restart_max_attempts, 0);
  EXPECT_EQ(s.decimal_handling_mode, "string");
  EXPECT_EQ(s.bigint_unsigned_handling_mode, "long");
  EXPECT_EQ(s.time_precision_mode, "connect");
  EXPECT_EQ(s.binary_handling_mode, "hex");
  ASSERT_EQ(s.propagate_source_types.size(), 1u);
  EXPECT_EQ(s.propagate_source_types[0], "shop\\.orders\\..*");
  EXPECT_TRUE(s.include_query);

  auto bad =
      LoadConfigText(std::string(kSourceBase) + "    binary_handling_mode: base32\n", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("p.yaml:6"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("bytes | base64 | hex"), std::string::npos);
}

// Every unknown key is refused, at any depth, naming the key, its line and the valid keys.
TEST(ConfigTest, UnknownKeysAnywhereAreRefusedWithTheValidOnes) {
  struct Case {
    std::string yaml;
    std::string line, key, suggestion, listed;
  };
  const std::vector<Case> cases = {
      {"nmae: x\n" + std::string(kBase), "p.yaml:1", "'nmae'", "did you mean 'name'", "state_dir"},
      {std::string(kBase) + "transport: {type: stdout, exactly_one: true}\n", "p.yaml:4",
       "'transport.exactly_one'", "did you mean 'exactly_once'", "offsets_topic"},
      {std::string(kSourceBase) + "    tls: {mode: required, cafile: x}\n", "p.yaml:6",
       "'sources[0].tls.cafile'", "", "mode, ca, cert, key"},
      {std::string(kBase) + "transport:\n  topic_overrides:\n    t: {partition: 1}\n", "p.yaml:6",
       "'transport.topic_overrides.t.partition'", "did you mean 'partitions'",
       "replication_factor"},
      {std::string(kBase) + "format: {type: json, registy_url: x}\n", "p.yaml:4",
       "'format.registy_url'", "did you mean 'registry_url'", "on_incompatible_schema"},
      {std::string(kBase) + "registry: {listen: 'a:1', compat: FULL}\n", "p.yaml:4",
       "'registry.compat'", "", "compatibility"},
  };
  for (const Case& c : cases) {
    auto config = LoadConfigText(c.yaml, "p.yaml");
    ASSERT_FALSE(config.ok()) << c.yaml;
    const std::string& m = config.status().message();
    EXPECT_NE(m.find(c.line + ": unknown key " + c.key), std::string::npos) << m;
    EXPECT_NE(m.find(c.suggestion), std::string::npos) << m;
    EXPECT_NE(m.find(c.listed), std::string::npos) << m;
  }
}

TEST(ConfigTest, MetricsListenIsOffByDefaultAndLoads) {
  auto plain = LoadConfigText(kBase, "p.yaml");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->metrics_listen, "");
  EXPECT_FALSE(plain->metrics_allow_remote);
  auto set = LoadConfigText(
      std::string(kBase) + "metrics_listen: 127.0.0.1:9400\nmetrics_allow_remote: true\n",
      "p.yaml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->metrics_listen, "127.0.0.1:9400");
  EXPECT_TRUE(set->metrics_allow_remote);
}

// Keys and values of later versions are refused rather than loaded and ignored.
TEST(ConfigTest, WhatIsNotBuiltYetIsRefused) {
  struct Case {
    std::string yaml, line, names;
  };
  // Every key and value of the table is built now (the search sink was the last planned one).
  const std::vector<Case> cases = {};
  for (const Case& c : cases) {
    auto config = LoadConfigText(c.yaml, "p.yaml");
    ASSERT_FALSE(config.ok()) << c.yaml;
    const std::string& m = config.status().message();
    EXPECT_NE(m.find(c.line + ": " + c.names + " is not available in this version"),
              std::string::npos)
        << m;
  }
  for (const char* mode : {"never", "initial", "when_needed", "initial_only"}) {
    auto loaded =
        LoadConfigText(std::string(kSourceBase) + "    snapshot: " + mode + "\n", "p.yaml");
    ASSERT_TRUE(loaded.ok()) << mode << ": " << loaded.status().ToString();
    EXPECT_EQ(loaded->sources[0].snapshot, mode);
  }
  EXPECT_FALSE(LoadConfigText(std::string(kSourceBase) + "    snapshot: always\n", "p.yaml").ok());
}

// type: postgresql (alias postgres) takes port 5432 unless set, and names its slot and
// publication after the source (slot names allow only [a-z0-9_]).
TEST(ConfigTest, PostgresqlSourceDefaults) {
  auto config = LoadConfigText(
      "name: shop\nsources:\n  - {name: Orders-DB, type: postgres, user: u}\n"
      "  - {name: b, type: postgresql, user: u, port: 6543, slot: s1, publication: p1}\n",
      "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const SourceConfig& a = config->sources[0];
  EXPECT_EQ(a.type, "postgresql");
  EXPECT_EQ(a.port, 5432);
  EXPECT_EQ(a.slot, "vimur_orders_db");
  EXPECT_EQ(a.publication, "vimur_orders_db");
  const SourceConfig& b = config->sources[1];
  EXPECT_EQ(b.port, 6543);
  EXPECT_EQ(b.slot, "s1");
  EXPECT_EQ(b.publication, "p1");
  auto mysql =
      LoadConfigText("name: shop\nsources:\n  - {name: m, type: mysql, user: u}\n", "p.yaml");
  ASSERT_TRUE(mysql.ok()) << mysql.status().ToString();
  EXPECT_EQ(mysql->sources[0].port, 3306);
  EXPECT_EQ(mysql->sources[0].slot, "");
}

TEST(ConfigTest, TopicOverridesStartFromTheTopicSettings) {
  auto config = LoadConfigText(std::string(kBase) +
                                   "transport:\n  topic: {partitions: 6, replication_factor: 2}\n"
                                   "  topic_overrides:\n    big: {partitions: 12}\n",
                               "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const TopicConfig& big = config->transport.topic_overrides.at("big");
  EXPECT_EQ(big.partitions, 12);
  EXPECT_EQ(big.replication_factor, 2);
  EXPECT_EQ(config->transport.topic.partitions, 6);
}

TEST(ConfigTest, EmptyRequiredValueIsMissing) {
  auto config =
      LoadConfigText("name: shop\nsources:\n  - {name: '', type: mysql, user: u}\n", "p.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("missing key for 'sources[0].name'"), std::string::npos)
      << config.status().message();
  auto bad_name = LoadConfigText(
      "name: 'shop orders'\nsources:\n  - {name: a, type: mysql, user: u}\n", "p.yaml");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.status().message().find("p.yaml:1: invalid value for 'name'"),
            std::string::npos)
      << bad_name.status().message();
  auto duplicate = LoadConfigText(
      "name: shop\nsources:\n  - {name: a, type: mysql, user: u}\n"
      "  - {name: a, type: mysql, user: u}\n",
      "p.yaml");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.status().message().find("p.yaml:4: duplicate source name 'a'"),
            std::string::npos)
      << duplicate.status().message();
}

}  // namespace
}  // namespace vimur

namespace vimur {
namespace {

// Sinks: template keys are kept as written (not expanded from the environment), the rest is
// expanded; group and dead-letter topic get names from the pipeline and the sink.
TEST(ConfigTest, SinksKeepTemplatesAndGetDefaults) {
  setenv("VIMUR_TEST_SINK_PW", "secret", 1);
  auto config = LoadConfigText(std::string(kBase) +
                                   "sinks:\n"
                                   "  - name: split\n"
                                   "    type: sql\n"
                                   "    topics: ['shop\\.shop\\.orders']\n"
                                   "    targets: {db0: 'mariadb://u:${VIMUR_TEST_SINK_PW}@h/x'}\n"
                                   "    table: 'orders_${mod(user_id, 4)}'\n"
                                   "    add_columns: {src: '${table}'}\n",
                               "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->sinks.size(), 1u);
  const SinkConfig& s = config->sinks[0];
  EXPECT_EQ(s.targets.at("db0"), "mariadb://u:secret@h/x");
  EXPECT_EQ(s.table, "orders_${mod(user_id, 4)}");
  EXPECT_EQ(s.add_columns.at("src"), "${table}");
  EXPECT_EQ(s.group_id, "vimur-sink.shop.split");
  EXPECT_EQ(s.dead_letter_topic, "vimur-dead-letter.split");
  EXPECT_EQ(s.on_error, "stop");

  auto twice =
      LoadConfigText(std::string(kBase) +
                         "sinks:\n"
                         "  - {name: a, type: sql, topics: [x], targets: {t: 'mariadb://u@h/d'}}\n"
                         "  - {name: a, type: sql, topics: [y], targets: {t: 'mariadb://u@h/d'}}\n",
                     "p.yaml");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("duplicate sink name 'a'"), std::string::npos);
}

// Issue 15: stdout cannot feed sinks, so a file with sinks and no transport type gets the
// embedded local log; without sinks, or with a type written, nothing changes.
TEST(ConfigTest, SinksWithoutATransportGetTheLocalLog) {
  const std::string sink =
      "sinks:\n  - {name: a, type: sql, topics: [x], targets: {t: 'mariadb://u@h/d'}}\n";
  auto with_sinks = LoadConfigText(std::string(kBase) + sink, "p.yaml");
  ASSERT_TRUE(with_sinks.ok()) << with_sinks.status().message();
  EXPECT_EQ(with_sinks->transport.type, "local");
  EXPECT_EQ(with_sinks->transport.fsync, "batch");
  auto without = LoadConfigText(kBase, "p.yaml");
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without->transport.type, "stdout");
  auto written =
      LoadConfigText(std::string(kBase) + "transport: {type: stdout}\n" + sink, "p.yaml");
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->transport.type, "stdout");
  auto keys = LoadConfigText(std::string(kBase) +
                                 "transport: {type: local, fsync: never, segment_bytes: 8192, "
                                 "retention_ms: 0, retention_bytes: 100000}\n",
                             "p.yaml");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(keys->transport.fsync, "never");
  EXPECT_EQ(keys->transport.segment_bytes, 8192);
  EXPECT_EQ(keys->transport.retention_ms, 0);
  EXPECT_EQ(keys->transport.retention_bytes, 100000);
  EXPECT_FALSE(
      LoadConfigText(std::string(kBase) + "transport: {type: local, fsync: sometimes}\n", "p.yaml")
          .ok());
}

// The redis and http sinks: `key` is one template (kept as written), `url` is required, and a
// sql sink still needs its targets.
TEST(ConfigTest, RedisAndHttpSinks) {
  setenv("VIMUR_TEST_REDIS_PW", "pw", 1);
  auto config = LoadConfigText(std::string(kBase) +
                                   "sinks:\n"
                                   "  - name: cache\n"
                                   "    type: redis\n"
                                   "    topics: ['shop\\.shop\\.users']\n"
                                   "    url: 'redis://:${VIMUR_TEST_REDIS_PW}@127.0.0.1:6379'\n"
                                   "    key: 'user:${id}'\n"
                                   "    value: hash\n"
                                   "    ttl_seconds: 60\n"
                                   "  - name: hook\n"
                                   "    type: http\n"
                                   "    topics: ['shop\\.shop\\.users']\n"
                                   "    url: http://127.0.0.1:8080/events\n"
                                   "    flatten: true\n"
                                   "    max_in_flight: 2\n",
                               "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const SinkConfig& cache = config->sinks[0];
  EXPECT_EQ(cache.url, "redis://:pw@127.0.0.1:6379");
  EXPECT_EQ(cache.key, std::vector<std::string>{"user:${id}"});
  EXPECT_EQ(cache.value, "hash");
  EXPECT_EQ(cache.mode, "write");
  EXPECT_EQ(cache.ttl_seconds, 60);
  const SinkConfig& hook = config->sinks[1];
  EXPECT_TRUE(hook.flatten);
  EXPECT_EQ(hook.max_in_flight, 2);
  EXPECT_EQ(hook.max_attempts, 10);
  EXPECT_EQ(hook.timeout_ms, 10000);

  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {"  - {name: c, type: redis, topics: [x]}\n", "sinks[0].url"},
           {"  - {name: c, type: http, topics: [x]}\n", "sinks[0].url"},
           {"  - {name: c, type: sql, topics: [x]}\n", "sinks[0].targets"},
           {"  - {name: c, type: redis, topics: [x], url: 'redis://h:1', key: [a, b]}\n",
            "sinks[0].key"},
           {"  - {name: c, type: redis, topics: [x], url: 'redis://h:1', value: xml}\n",
            "sinks[0].value"},
       }) {
    auto bad = LoadConfigText(std::string(kBase) + "sinks:\n" + yaml, "p.yaml");
    ASSERT_FALSE(bad.ok()) << yaml;
    EXPECT_NE(bad.status().message().find(expected), std::string::npos) << bad.status().message();
  }
}

// A file holding `text`, removed with the test's temporary directory.
std::string WriteTempFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ConfigTest, SecretsComeFromFiles) {
  const std::string pw = WriteTempFile("vimur-source-pw", "fr0m-file\n");
  const std::string reg = WriteTempFile("vimur-registry-pw", "reg-pw\r\n");
  const std::string url = WriteTempFile("vimur-url-pw", "url-pw\n\n");
  const std::string base =
      "name: shop\nsources:\n  - {name: db, type: mysql, user: vimur, "
      "password_file: " +
      pw + "}\n";
  auto config =
      LoadConfigText(base + "format: {registry_password_file: " + reg +
                         "}\nmetrics_access: {username: ops, password: '${file:" + url + "}'}\n",
                     "pipeline.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->sources[0].password, "fr0m-file");  // the final line break dropped
  EXPECT_EQ(config->format.registry_password, "reg-pw");
  EXPECT_EQ(config->metrics_access.password, "url-pw\n");  // only the last one

  auto both = LoadConfigText(
      "name: shop\nsources:\n  - {name: db, type: mysql, user: vimur, password: x, "
      "password_file: " +
          pw + "}\n",
      "pipeline.yaml");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("not both"), std::string::npos) << both.status().message();
  auto missing = LoadConfigText(
      "name: shop\nsources:\n  - {name: db, type: mysql, user: vimur, "
      "password_file: /nonexistent/pw}\n",
      "pipeline.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'/nonexistent/pw'"), std::string::npos)
      << missing.status().message();
  // A secret read from a file never shows in an error.
  auto bad = LoadConfigText(base + "metrics_access: {tls_cert: c.pem}\n", "pipeline.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tls_cert and tls_key go together"), std::string::npos)
      << bad.status().message();
  auto no_password =
      LoadConfigText(base + "registry: {access: {username: ops}}\n", "pipeline.yaml");
  ASSERT_FALSE(no_password.ok());
  EXPECT_NE(no_password.status().message().find("registry.access.username"), std::string::npos)
      << no_password.status().message();
}

// tls_ca, tls_cert, tls_key and tls_verify of the http, search and redis sinks: files that
// exist, a client certificate with its key, only on those sink types (redis: with rediss://).
TEST(ConfigTest, SinkTlsKeys) {
  const std::string ca = WriteTempFile("vimur-sink-ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const std::string cert = WriteTempFile("vimur-sink-cert.pem", "-----BEGIN CERTIFICATE-----\n");
  const std::string key = WriteTempFile("vimur-sink-key.pem", "-----BEGIN PRIVATE KEY-----\n");
  const std::string search =
      "  - {name: d, type: search, topics: [x], url: 'https://h:9200', index: i, root: x";
  const std::string http = "  - {name: h, type: http, topics: [x], url: 'https://h/events'";
  auto config = LoadConfigText(std::string(kBase) + "sinks:\n" + search + ", tls_ca: " + ca +
                                   ", tls_cert: " + cert + ", tls_key: " + key +
                                   ", username: u, password: p}\n" + http +
                                   ", tls_verify: false, username: hook, password: pw}\n",
                               "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const SinkConfig& d = config->sinks[0];
  EXPECT_EQ(d.tls_ca, ca);
  EXPECT_EQ(d.tls_cert, cert);
  EXPECT_EQ(d.tls_key, key);
  EXPECT_TRUE(d.tls_verify);  // the default
  const SinkConfig& h = config->sinks[1];
  EXPECT_TRUE(h.tls_ca.empty());
  EXPECT_FALSE(h.tls_verify);
  EXPECT_EQ(h.username, "hook");
  EXPECT_EQ(h.password, "pw");

  // A redis sink takes them with a rediss:// url.
  auto redis = LoadConfigText(std::string(kBase) +
                                  "sinks:\n  - {name: c, type: redis, topics: [x], url: "
                                  "'rediss://:pw@127.0.0.1:6380', tls_ca: " +
                                  ca + ", tls_cert: " + cert + ", tls_key: " + key +
                                  ", tls_verify: false}\n",
                              "p.yaml");
  ASSERT_TRUE(redis.ok()) << redis.status().message();
  EXPECT_EQ(redis->sinks[0].tls_ca, ca);
  EXPECT_EQ(redis->sinks[0].tls_cert, cert);
  EXPECT_EQ(redis->sinks[0].tls_key, key);
  EXPECT_FALSE(redis->sinks[0].tls_verify);

  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {search + ", tls_ca: /nonexistent/ca.pem}\n",
            "no such file '/nonexistent/ca.pem' for 'sinks[0].tls_ca'"},
           {http + ", tls_cert: /nonexistent/c.pem, tls_key: " + key + "}\n",
            "no such file '/nonexistent/c.pem' for 'sinks[0].tls_cert'"},
           {http + ", tls_cert: " + cert + ", tls_key: /nonexistent/k.pem}\n",
            "no such file '/nonexistent/k.pem' for 'sinks[0].tls_key'"},
           {http + ", tls_ca: " + ::testing::TempDir() + "}\n", "cannot read"},
           {search + ", tls_cert: " + cert + "}\n", "only tls_cert for 'sinks[0].tls_cert'"},
           {http + ", tls_key: " + key + "}\n", "only tls_key for 'sinks[0].tls_key'"},
           {"  - {name: c, type: redis, topics: [x], url: 'redis://h:1', key: k, tls_ca: " + ca +
                "}\n",
            "with a url that is not rediss:// for 'sinks[0].tls_ca'"},
           {"  - {name: s, type: sql, topics: [x], targets: {t: 'mariadb://u@h/d'}, tls_ca: " + ca +
                "}\n",
            "no tls_* keys on a sql sink"},
           {"  - {name: c, type: redis, topics: [x], url: 'rediss://h:1', tls_cert: " + cert +
                "}\n",
            "only tls_cert for 'sinks[0].tls_cert'"},
           {search + ", tls_verify: maybe}\n", "sinks[0].tls_verify"},
       }) {
    auto bad = LoadConfigText(std::string(kBase) + "sinks:\n" + yaml, "p.yaml");
    ASSERT_FALSE(bad.ok()) << yaml;
    EXPECT_NE(bad.status().message().find(expected), std::string::npos) << bad.status().message();
  }
}

// The search sink: a root, relations with `key` or `on`, fields, rename and mappings; index and
// root are required, and a relation needs exactly one of `key` and `on`.
TEST(ConfigTest, SearchSink) {
  auto config = LoadConfigText(std::string(kBase) +
                                   "sinks:\n"
                                   "  - name: docs\n"
                                   "    type: search\n"
                                   "    topics: ['shop\\.shop\\.(orders|order_items|users)']\n"
                                   "    url: http://127.0.0.1:9200\n"
                                   "    index: orders\n"
                                   "    root: 'shop\\.shop\\.orders'\n"
                                   "    fields: [id, status]\n"
                                   "    rename: {status: state}\n"
                                   "    mappings: '{\"properties\": {}}'\n"
                                   "    relations:\n"
                                   "      - name: order_items\n"
                                   "        topic: 'shop\\.shop\\.order_items'\n"
                                   "        key: order_id\n"
                                   "      - name: user\n"
                                   "        topic: 'shop\\.shop\\.users'\n"
                                   "        on: user_id\n"
                                   "        fields: [name]\n",
                               "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const SinkConfig& docs = config->sinks[0];
  EXPECT_EQ(docs.type, "search");
  EXPECT_EQ(docs.index, "orders");
  EXPECT_EQ(docs.root, "shop\\.shop\\.orders");
  EXPECT_EQ(docs.fields, (std::vector<std::string>{"id", "status"}));
  EXPECT_EQ(docs.rename.at("status"), "state");
  EXPECT_EQ(docs.mappings, "{\"properties\": {}}");
  ASSERT_EQ(docs.relations.size(), 2u);
  EXPECT_EQ(docs.relations[0].name, "order_items");
  EXPECT_EQ(docs.relations[0].key, "order_id");
  EXPECT_EQ(docs.relations[1].on, "user_id");
  EXPECT_EQ(docs.relations[1].fields, std::vector<std::string>{"name"});

  const std::string base = "  - {name: d, type: search, topics: [x], url: 'http://h:9200'";
  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {base + ", root: x}\n", "sinks[0].index"},
           {base + ", index: i}\n", "sinks[0].root"},
           {base + ", index: Big, root: x}\n", "sinks[0].index"},
           {"  - {name: d, type: search, topics: [x], index: i, root: x}\n", "sinks[0].url"},
           {base + ", index: i, root: x, relations: [{name: a, topic: y}]}\n",
            "sinks[0].relations[0]"},
           {base + ", index: i, root: x, relations: [{name: a, topic: y, key: k, on: o}]}\n",
            "sinks[0].relations[0]"},
           {base + ", index: i, root: x, relations: [{topic: y, key: k}]}\n", "name"},
           {"  - {name: c, type: http, topics: [x], url: 'http://h', index: i}\n", "sinks[0].type"},
           {base + ", index: i, root: x, relations: [{name: a, topic: y, key: k, query: 'q ${x}', "
                   "fields: [f]}]}\n",
            "no url"},
           {base + ", index: i, root: x, relations: [{name: a, topic: y, key: k, query: 'q ${x}', "
                   "url: 'mariadb://h/d'}]}\n",
            "no fields"},
       }) {
    auto bad = LoadConfigText(std::string(kBase) + "sinks:\n" + yaml, "p.yaml");
    ASSERT_FALSE(bad.ok()) << yaml;
    EXPECT_NE(bad.status().message().find(expected), std::string::npos) << bad.status().message();
  }
}

// Enrichment: a back-query (`query` with `url` and `columns`) or a stream join (`join` with
// `on`), never both; templates in `query` are kept for the sink, not expanded.
TEST(ConfigTest, SinkEnrichment) {
  auto config = LoadConfigText(std::string(kBase) +
                                   "sinks:\n"
                                   "  - name: hook\n"
                                   "    type: http\n"
                                   "    topics: ['shop\\.shop\\.orders']\n"
                                   "    url: http://127.0.0.1:8080/\n"
                                   "    enrich:\n"
                                   "      - name: user\n"
                                   "        query: 'SELECT name FROM users WHERE id = ${user_id}'\n"
                                   "        url: mariadb://u:p@127.0.0.1:3306/shop\n"
                                   "        columns: [user_name]\n"
                                   "        ttl_ms: 5000\n"
                                   "        invalidate: 'shop\\.shop\\.users'\n"
                                   "      - name: crm\n"
                                   "        join: 'crm\\.crm\\.accounts'\n"
                                   "        on: account_id\n"
                                   "        prefix: acct_\n",
                               "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const std::vector<SinkEnrichConfig>& e = config->sinks[0].enrich;
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].query, "SELECT name FROM users WHERE id = ${user_id}");
  EXPECT_EQ(e[0].columns, std::vector<std::string>{"user_name"});
  EXPECT_EQ(e[0].ttl_ms, 5000);
  EXPECT_EQ(e[0].cache_max_entries, 100000);
  EXPECT_EQ(e[0].invalidate, "shop\\.shop\\.users");
  EXPECT_EQ(e[1].join, "crm\\.crm\\.accounts");
  EXPECT_EQ(e[1].on, "account_id");
  EXPECT_EQ(e[1].prefix, "acct_");
  EXPECT_TRUE(e[1].columns.empty());

  const std::string base = "  - {name: c, type: redis, topics: [x], url: 'redis://h:1', enrich: ";
  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {base + "[{name: a}]}\n", "neither"},
           {base + "[{name: a, query: 'q ${x}', join: y, on: z}]}\n", "both"},
           {base + "[{name: a, query: 'q ${x}', columns: [b]}]}\n", "no url"},
           {base + "[{name: a, query: 'q ${x}', url: 'mariadb://h/d'}]}\n", "no columns"},
           {base + "[{name: a, join: y}]}\n", "`on`"},
           {base + "[{name: a, join: y, on: z, invalidate: w}]}\n", "invalidate"},
           {base + "[{name: 'a b', join: y, on: z}]}\n", "name"},
       }) {
    auto bad = LoadConfigText(std::string(kBase) + "sinks:\n" + yaml, "p.yaml");
    ASSERT_FALSE(bad.ok()) << yaml;
    EXPECT_NE(bad.status().message().find(expected), std::string::npos) << bad.status().message();
  }
}

}  // namespace
}  // namespace vimur
