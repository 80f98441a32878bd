// PipelineConfig: the YAML configuration file of DESIGN.md, loaded, expanded (${VAR},
// ${VAR:-default}) and validated, with errors that name the key, the line and what is expected.
// Keys, defaults and checks are declared in config_table.cc; the defaults here must match it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace vimur {

struct TlsConfig {
  std::string mode = "preferred";  // disabled | preferred | required | verify_ca | verify_identity
  std::string ca;
  std::string cert;
  std::string key;
};

// Debezium's outbox event router for the rows of outbox tables (`outbox` of a source).
struct OutboxConfig {
  std::vector<std::string> tables;                      // regexes on db.table; empty: no outbox
  std::string id = "id";                                // the event id: the `id` header
  std::string key = "aggregateid";                      // the record key
  std::string payload = "payload";                      // the record value
  std::string route_by = "aggregatetype";               // names the topic
  std::string topic = "outbox.event.${routedByValue}";  // the topic, from route_by's value
  bool expand_json_payload = false;  // JSON format: a JSON payload as itself, not as a string

  bool enabled() const { return !tables.empty(); }
  // What every outbox topic starts with: `topic` up to its placeholder (all of it without one).
  std::string TopicPrefix() const { return topic.substr(0, topic.find("${")); }
};

struct SourceConfig {
  std::string name;
  std::string type;  // mysql | postgresql
  std::string host = "127.0.0.1";
  int port = 3306;  // 5432 for postgresql when not set (config.cc)
  std::string user;
  std::string password;       // never logged
  std::string password_file;  // read into password at load
  std::string database;       // postgresql: the database to capture (default: the user name)
  std::string publication;    // postgresql: default vimur_{name}
  std::string slot;           // postgresql: replication slot, default vimur_{name}
  uint32_t server_id = 5400;
  std::vector<std::string> include_tables;   // regexes on db.table
  std::vector<std::string> exclude_tables;   // regexes on db.table
  std::vector<std::string> exclude_columns;  // regexes on db.table.column
  std::string snapshot = "never";            // never | initial | when_needed | initial_only
  int snapshot_chunk_rows = 10000;           // rows per primary-key range query of a snapshot
  int snapshot_workers = 1;                  // MariaDB: parallel snapshot connections
  std::string binlog_archive;                // MySQL/MariaDB: copies of purged binlogs
  std::string topic_prefix;                  // default: pipeline name
  // Not a key: where `vimur snapshot` leaves requests for this source
  // (STATE_DIR/NAME/snapshot-requests/SOURCE), set when the file is read.
  std::string snapshot_requests_dir;
  // Not a key: where a PostgreSQL source spools transactions received in progress
  // (STATE_DIR/NAME/spool/SOURCE), set when the file is read.
  std::string spool_dir;
  bool stream_in_progress = true;  // PostgreSQL: pgoutput streaming of large transactions
  TlsConfig tls;
  OutboxConfig outbox;
  int heartbeat_interval_ms = 5000;
  int connect_timeout_s = 10;
  int reconnect_max_backoff_ms = 30000;
  int restart_max_attempts = 10;  // restarts of a failed source before the pipeline stops
  bool transaction_metadata = false;
  // Debezium's value handling modes (see docs/configuration.md).
  std::string decimal_handling_mode = "precise";                   // precise | string | double
  std::string bigint_unsigned_handling_mode = "precise";           // precise | long
  std::string time_precision_mode = "adaptive_time_microseconds";  // ... | connect
  std::string binary_handling_mode = "bytes";                      // bytes | base64 | hex
  int money_fraction_digits = 2;                    // PostgreSQL money: the Decimal's scale
  std::vector<std::string> propagate_source_types;  // column_propagate_source_type: regexes
  bool include_query = false;                       // source.query from the logged statement
};

struct TopicConfig {
  int partitions = 3;
  int replication_factor = 1;
  int min_insync_replicas = 0;  // 0: broker default
  // Further topic configs Vimur creates topics with (max.message.bytes, compression.type, ...).
  std::map<std::string, std::string> config;
};

struct TransportConfig {
  // kafka | local | stdout; when not set: local if the file has sinks, else stdout.
  std::string type = "stdout";
  std::string bootstrap_servers;
  bool exactly_once = false;
  TopicConfig topic;
  std::map<std::string, TopicConfig> topic_overrides;  // by topic name
  std::string offsets_topic = "vimur-offsets";
  std::map<std::string, std::string> client_config;  // extra client properties (TLS, SASL)
  int64_t max_in_flight_bytes = 64ll << 20;
  // kafka: an event larger than its topic takes: stop | dead_letter | truncate.
  std::string on_oversized_event = "stop";
  int64_t oversized_max_message_bytes = 64ll << 20;  // the dead-letter topic's limit
  // local: the embedded log under state_dir (docs/local-log.md).
  std::string fsync = "batch";  // batch | interval | never
  int fsync_interval_ms = 1000;
  int64_t segment_bytes = 64ll << 20;
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;  // 0: keep forever
  int64_t retention_bytes = 0;                    // per partition; 0: no limit
  bool compaction = true;                         // of the data topics (by key)
  int64_t compaction_interval_ms = 60000;
  int64_t compaction_tombstone_retention_ms = 24ll * 3600 * 1000;
  std::string slow_consumer = "wait";   // wait | drop
  int64_t slow_consumer_max_bytes = 0;  // 0: 4 x segment_bytes, or retention_bytes if larger
};

struct FormatConfig {
  std::string type = "json";  // avro | json
  bool schemas = false;       // json: embed Debezium's JSON schema
  std::string registry_url;
  std::string registry_user;
  std::string registry_password;       // never logged
  std::string registry_password_file;  // read into registry_password at load
  std::string registry_ca;             // https registry: CA bundle file (default: system CAs)
  // What to do when a DDL gives a schema the subject's compatibility level refuses:
  // `stop` (the pipeline stops, naming table, DDL, subject and rule) or `continue` (the
  // subject's level is set to NONE and the schema registered as its next version).
  std::string on_incompatible_schema = "stop";
};

// Who may reach an HTTP listener of Vimur's (metrics, registry): TLS and basic auth.
struct ListenerAccessConfig {
  std::string tls_cert;       // PEM certificate (chain) served; empty: plain HTTP
  std::string tls_key;        // its PEM private key
  std::string username;       // basic auth; empty: none
  std::string password;       // never logged
  std::string password_file;  // read into password at load
};

struct RegistryConfig {
  std::string listen = "127.0.0.1:8081";
  ListenerAccessConfig access;
  std::string topic = "_schemas";  // compacted Kafka topic holding the schemas
  std::string compatibility =
      "BACKWARD";                 // default level: NONE, BACKWARD, FORWARD, FULL[_TRANSITIVE]
  int follow_interval_ms = 1000;  // how often records others appended to `topic` are read
};

// How a sql sink writes one source column (docs/configuration.md, `sinks[].columns`).
struct SinkColumnConfig {
  std::string rename;  // target column name; "" keeps the source's
  bool drop = false;   // never written (nor created, nor compared by verify)
  std::string type;    // target column type used as written by create_tables / ADD COLUMN
};

// One consumer of the stream (docs/configuration.md, `sinks[]`). Template keys (target,
// table, add_columns) are kept as written; the sink compiles them (sink/sql/template.h).
// search: rows of other topics joined into the root's documents.
struct SinkRelationConfig {
  std::string name;   // the member of the document that holds them
  std::string topic;  // regex over topic names
  std::string key;    // child column equal to the root's key -> an array of child rows
  std::string on;     // root column equal to the related row's key -> one object
  std::vector<std::string> fields;            // kept columns; empty: all
  std::map<std::string, std::string> rename;  // column -> name in the document
  std::string query;               // back-query mode: SELECT with ${root column}, not the store
  std::string url;                 // back-query mode: mariadb:// or postgresql:// database
  int64_t ttl_ms = 60000;          // back-query mode: how long an answer is reused
  int cache_max_entries = 100000;  // back-query mode
};

// Columns added to every event a sink reads (docs/sinks.md, "Enrichment"): by a query of a
// database (`query`, cached) or by a join against the latest rows of another topic (`join`).
struct SinkEnrichConfig {
  std::string name;
  std::vector<std::string> topics;   // regexes of the enriched topics; empty: all of the sink's
  std::string query;                 // back-query: SELECT with ${column} of the row
  std::string url;                   // back-query: mariadb:// or postgresql:// database
  std::vector<std::string> columns;  // back-query: names of the result columns, in order;
                                     // join: the related columns added (empty: all)
  int64_t ttl_ms = 60000;            // back-query: how long a cached answer is used
  std::string invalidate;            // back-query: regex of the topic whose changes drop answers
  int cache_max_entries = 100000;    // back-query
  std::string join;                  // stream join: regex of the related rows' topic
  std::string on;                    // stream join: column of the row equal to the related key
  std::string prefix;                // stream join: prepended to the added columns' names
};

struct SinkConfig {
  std::string name;
  std::string type;                                // sql | redis | http | search
  std::vector<std::string> topics;                 // regexes over topic names
  std::map<std::string, std::string> targets;      // name -> mariadb:// or postgresql:// URL
  std::string target;                              // template -> target name ("" = the only one)
  std::string table = "${table}";                  // template -> table name
  std::map<std::string, std::string> add_columns;  // column -> template
  std::vector<std::string> key;  // sql: target key columns (default: source key); redis: template
  std::map<std::string, SinkColumnConfig> columns;  // sql: by source column name
  std::string filter;          // sql: row filter expression (sink/sql/row_filter.h); "" = every row
  std::string url;             // redis: redis://...; http: http(s)://...
  std::string value = "json";  // redis: json | hash
  std::string mode = "write";  // redis: write | invalidate
  int ttl_seconds = 0;         // redis: 0 = no expiry
  bool flatten = false;        // http: rows instead of Debezium envelopes
  std::string hmac_secret;     // http: signs each body (X-Vimur-Signature)
  int max_in_flight = 4;       // http: concurrent requests
  int max_attempts = 10;       // http: attempts of a batch before on_error
  int timeout_ms = 10000;      // redis, http, search: per request
  std::string index;           // search: the index name
  std::string root;            // search: regex of the root topic (one document per row)
  std::vector<SinkRelationConfig> relations;  // search
  std::vector<SinkEnrichConfig> enrich;       // any sink: columns added to each event
  std::vector<std::string> fields;            // search: kept root columns; empty: all
  std::map<std::string, std::string> rename;  // search: root column -> name in the document
  std::string mappings;                       // search: JSON mappings used to create the index
  std::string username;                       // http, search: basic auth
  std::string password;                       // http, search: basic auth; never logged
  std::string tls_ca;      // http, search: PEM CA file trusted instead of the system store
  std::string tls_cert;    // http, search: PEM client certificate (with tls_key)
  std::string tls_key;     // http, search: its PEM key
  bool tls_verify = true;  // http, search: false skips certificate and host checks (tests)
  bool create_tables = false;
  std::string schema_evolution = "basic";  // basic (add new columns) | none
  std::string on_error = "stop";           // stop | dead_letter
  std::string dead_letter_topic;           // default: vimur-dead-letter.{sink name}
  std::string group_id;                    // default: vimur-sink.{pipeline}.{sink name}
  int batch_max_records = 2000;
  int batch_max_ms = 200;
  int retry_max_backoff_ms = 30000;
  int lag_log_interval_s = 10;
};

// `vimur run` processes with the same file share the work through a Kafka consumer group on a
// control topic (docs/operations.md, "High availability"). Kafka transport only.
struct HighAvailabilityConfig {
  bool enabled = false;
  std::string group;               // default: vimur-ha.{name}
  std::string topic;               // the control topic; default: {name}.vimur-ha
  int session_timeout_ms = 10000;  // a member silent this long loses its units
  int heartbeat_interval_ms = 1000;
};

struct PipelineConfig {
  std::string name;
  std::string state_dir = "./vimur-state";
  std::string log_level = "info";
  int64_t queue_max_bytes = 64ll << 20;  // bound on captured-but-unpublished bytes
  int shutdown_timeout_s = 30;           // wait for outstanding acknowledgements on stop
  std::string metrics_listen;            // host:port of /metrics and /health; empty: off
  bool metrics_allow_remote = false;     // allow a non-loopback metrics_listen
  ListenerAccessConfig metrics_access;   // TLS and basic auth of metrics_listen
  int metrics_history_interval_s = 10;   // the status page's chart resolution (one hour kept)
  std::vector<SourceConfig> sources;
  TransportConfig transport;
  FormatConfig format;
  RegistryConfig registry;
  std::vector<SinkConfig> sinks;
  HighAvailabilityConfig high_availability;
};

// Expands ${VAR}, ${VAR:-default} and ${file:PATH} (the file's text without its final line
// break: a secret kept out of the configuration) in `text`. `where` names the key for errors.
Result<std::string> ExpandEnvironment(const std::string& text, const std::string& where);

Result<PipelineConfig> LoadConfigFile(const std::string& path);
Result<PipelineConfig> LoadConfigText(const std::string& yaml_text, const std::string& origin);

}  // namespace vimur
