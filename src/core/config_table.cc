// The configuration table. Every key Vimur reads is declared here, once: the loader
// (config_reader.cc) validates and defaults from it and the reference part of
// docs/configuration.md is generated from it (`vimur config-reference --write`).
// The structs in config.h keep the same defaults for code that builds a config by hand; a
// unit test fails when they differ from the table, or when the document does.
#include "core/config_table.h"

#include "core/config.h"

namespace vimur::config {
namespace {

const Section& TlsTable() {
  static const Section s = MakeSection<TlsConfig>(
      "sources[].tls", "", "",
      {
          Choice("mode", &TlsConfig::mode,
                 {"disabled", "preferred", "required", "verify_ca", "verify_identity"})
              .Default("preferred")
              .Doc("TLS to the server: `preferred` uses it when the server offers it; "
                   "`verify_ca` and `verify_identity` also check the certificate (and host name)"),
          Text("ca", &TlsConfig::ca).Doc("PEM file of the CA that signed the server's certificate"),
          Text("cert", &TlsConfig::cert).Doc("PEM file of the client certificate"),
          Text("key", &TlsConfig::key).Doc("PEM file of the client certificate's key"),
      });
  return s;
}

const Section& OutboxTable() {
  static const Section s = MakeSection<OutboxConfig>(
      "sources[].outbox", "", "",
      {
          List("tables", &OutboxConfig::tables)
              .Regexes()
              .DefaultDoc("none")
              .Doc("regexes on `db.table` of outbox tables: their inserted rows are published as "
                   "events on the topic `topic` names, keyed by `key`, the `payload` as the "
                   "value and the event id in the header `id` (Debezium's outbox event router); "
                   "their deletes are not published, updates are skipped with a warning, and no "
                   "change event of theirs goes to `{topic_prefix}.{db}.{table}`"),
          Text("id", &OutboxConfig::id).Default("id").Doc("column of the event id"),
          Text("key", &OutboxConfig::key)
              .Default("aggregateid")
              .Doc("column whose value is the record key (per-aggregate order)"),
          Text("payload", &OutboxConfig::payload)
              .Default("payload")
              .Doc("column whose value is the record value"),
          Text("route_by", &OutboxConfig::route_by)
              .Default("aggregatetype")
              .Doc("column whose value replaces `${routedByValue}` in `topic`"),
          Text("topic", &OutboxConfig::topic)
              .Verbatim()
              .Default("outbox.event.${routedByValue}")
              .Doc("the topic of an event; created with cleanup.policy=delete (events of one "
                   "aggregate share a key)"),
          Flag("expand_json_payload", &OutboxConfig::expand_json_payload)
              .Default("false")
              .Doc("JSON format without schemas: a payload that is JSON text is the record value "
                   "itself rather than a JSON string holding it"),
      });
  return s;
}

// TLS and basic auth of one of Vimur's HTTP listeners (`metrics_access`, `registry.access`).
Section ListenerAccessSection(const char* path) {
  return MakeSection<ListenerAccessConfig>(
      path, "", "",
      {
          Text("tls_cert", &ListenerAccessConfig::tls_cert)
              .DefaultDoc("plain HTTP")
              .Doc("PEM file of the certificate (chain) the listener serves: HTTPS"),
          Text("tls_key", &ListenerAccessConfig::tls_key)
              .Doc("PEM file of its private key (required with `tls_cert`)"),
          Text("username", &ListenerAccessConfig::username)
              .DefaultDoc("no authentication")
              .Doc("basic auth: requests without this user and `password` get 401"),
          Text("password", &ListenerAccessConfig::password)
              .Doc("basic auth password; never logged"),
          Text("password_file", &ListenerAccessConfig::password_file)
              .Doc("file holding the password (its final line break dropped), instead of "
                   "`password`"),
      });
}

const Section& MetricsAccessTable() {
  static const Section s = ListenerAccessSection("metrics_access");
  return s;
}

const Section& RegistryAccessTable() {
  static const Section s = ListenerAccessSection("registry.access");
  return s;
}

const Section& SourceTable() {
  static const Section s = MakeSection<SourceConfig>(
      "sources[]", "`sources[]`", "",
      {
          Text("name", &SourceConfig::name)
              .Required("a source name (e.g. shop-db)")
              .Doc("source name, unique in the file; names its offset"),
          Choice("type", &SourceConfig::type, {"mysql", "postgresql"})
              .Alias("mariadb", "mysql")
              .Alias("postgres", "postgresql")
              .Required("mysql (MySQL 8.0+, MariaDB 10.5+; mariadb is an alias) or postgresql")
              .Doc("`mysql` (MySQL 8.0+, MariaDB 10.5+; `mariadb` is accepted as an alias) or "
                   "`postgresql` (PostgreSQL 10+ through logical replication with `pgoutput`; "
                   "`postgres` is accepted as an alias)"),
          Text("host", &SourceConfig::host).Default("127.0.0.1").Doc("server address"),
          Int("port", &SourceConfig::port, 1, 65535)
              .Default("3306")
              .DefaultDoc("3306; 5432 for postgresql")
              .Doc("server port"),
          Text("user", &SourceConfig::user)
              .Required("the database user to connect as")
              .Doc("capture account"),
          Text("password", &SourceConfig::password).Doc("its password; never logged"),
          Text("password_file", &SourceConfig::password_file)
              .Doc("file holding the password (its final line break dropped), instead of "
                   "`password`; any value can also read a file with `${file:PATH}`"),
          Text("database", &SourceConfig::database)
              .DefaultDoc("the user name")
              .Doc("postgresql: the database whose changes are captured (`source.db`)"),
          Text("publication", &SourceConfig::publication)
              .DefaultDoc("vimur_{name}")
              .Doc("postgresql: the publication pgoutput reads; created when missing: `FOR TABLE` "
                   "the existing tables `include_tables` matches (the user must own them), or "
                   "`FOR ALL TABLES` without include_tables (needs a superuser). `vimur check` "
                   "prints the statement"),
          Text("slot", &SourceConfig::slot)
              .DefaultDoc("vimur_{name}")
              .Doc("postgresql: the logical replication slot (plugin `pgoutput`); created when "
                   "missing on the first start, which then streams from the slot's start. Vimur "
                   "confirms it only up to transactions the transport acknowledged; drop it "
                   "(`SELECT pg_drop_replication_slot('...')`) when the source is retired, or "
                   "the server keeps WAL for it"),
          Text("binlog_archive", &SourceConfig::binlog_archive)
              .DefaultDoc("none")
              .Doc("mysql: a directory of binlog file copies (e.g. kept by `mariadb-binlog "
                   "--read-from-remote-server --raw --stop-never`, or a backup tool). When the "
                   "stored position was purged from the server, the missing transactions are "
                   "read from there, file after file as the rotations name them, until a file "
                   "the server still has; a gap (a file in neither place) stops with its name"),
          Flag("stream_in_progress", &SourceConfig::stream_in_progress)
              .Default("true")
              .Doc("postgresql 14+: receive large transactions while they are still in progress "
                   "(pgoutput streaming, past the server's logical_decoding_work_mem), spooled "
                   "to files under state_dir and handed on only once committed (dropped on "
                   "abort): memory stays bounded and the server spills nothing for Vimur"),
          Int("server_id", &SourceConfig::server_id, 1, 4294967295ll)
              .Default("5400")
              .Doc("mysql: replica id, unique among the server's replicas"),
          List("include_tables", &SourceConfig::include_tables)
              .Regexes()
              .DefaultDoc("all")
              .Doc("regexes matched against the whole `db.table`"),
          List("exclude_tables", &SourceConfig::exclude_tables)
              .Regexes()
              .Doc("regexes on `db.table`, applied after `include_tables`"),
          List("exclude_columns", &SourceConfig::exclude_columns)
              .Regexes()
              .Doc("regexes on `db.table.column`; excluded columns never leave Vimur"),
          Choice("snapshot", &SourceConfig::snapshot,
                 {"never", "initial", "when_needed", "initial_only"})
              .Default("never")
              .Doc("what happens to the rows that exist before streaming starts (see "
                   "docs/snapshots.md): `never`: streaming starts at the current end of the "
                   "binlog on the first start; `initial`: on the first start every included "
                   "table is read (op `r` events) from one consistent, lock-free read view, then "
                   "streaming continues from exactly that view's position; `when_needed`: as "
                   "`initial`, and a snapshot is taken again when the stored position was purged "
                   "from the server (the others stop with an error then); `initial_only`: the "
                   "snapshot, then exit 0 without streaming. MariaDB and PostgreSQL "
                   "(PostgreSQL: the slot is created exporting the read view; see "
                   "docs/snapshots.md); MySQL: `never` only"),
          Int("snapshot_chunk_rows", &SourceConfig::snapshot_chunk_rows, 1, 100000000)
              .Default("10000")
              .Doc("a snapshot reads each table in primary-key order, this many rows per "
                   "query; its progress (last key read) is stored with the offsets, so a "
                   "restart continues after it"),
          Int("snapshot_workers", &SourceConfig::snapshot_workers, 1, 64)
              .Default("1")
              .Doc("MariaDB: connections that read the initial snapshot in parallel, sharing "
                   "one read view (several tables at once, and ranges of a large table with a "
                   "single integer primary key); memory grows by about 4 MiB per worker "
                   "(see docs/snapshots.md)"),
          Text("topic_prefix", &SourceConfig::topic_prefix)
              .DefaultDoc("pipeline `name`")
              .Doc("topics are `{topic_prefix}.{db}.{table}`; DDL goes to `{topic_prefix}`"),
          Nested("tls", &SourceConfig::tls, TlsTable())
              .Doc("TLS to the source server (keys below)"),
          Nested("outbox", &SourceConfig::outbox, OutboxTable())
              .Doc("the outbox pattern: rows of outbox tables become business events (keys "
                   "below; docs/event-format.md)"),
          Int("heartbeat_interval_ms", &SourceConfig::heartbeat_interval_ms, 100, 3600 * 1000)
              .Default("5000")
              .Doc("how often positions of a quiet or filtered database are handed on; the "
                   "server is asked for a heartbeat this often, or every second when this is "
                   "longer (an idle stream takes `vimur snapshot` requests at heartbeats); a "
                   "connection silent for three intervals (at least 10 s) is declared lost"),
          Int("connect_timeout_s", &SourceConfig::connect_timeout_s, 1, 3600)
              .Default("10")
              .Doc("TCP connect and handshake timeout"),
          Int("reconnect_max_backoff_ms", &SourceConfig::reconnect_max_backoff_ms, 100, 3600 * 1000)
              .Default("30000")
              .Doc("longest wait between reconnection attempts (starts at 100 ms, doubles)"),
          Int("restart_max_attempts", &SourceConfig::restart_max_attempts, 0, 1000000)
              .Default("10")
              .Doc("a source that fails with a retriable error (its own reconnects gave up, e.g. "
                   "the server stayed unreachable) is restarted this often, with backoff from 1 s "
                   "doubling to 60 s, from the end of the last transaction it delivered; past "
                   "that the pipeline stops with exit 1. A source that delivered something since "
                   "its last restart starts counting again; 0 stops at the first failure"),
          Flag("transaction_metadata", &SourceConfig::transaction_metadata)
              .Default("false")
              .Doc("fill the envelope's `transaction` block (`id`, `total_order`, "
                   "`data_collection_order`)"),
          Choice("decimal_handling_mode", &SourceConfig::decimal_handling_mode,
                 {"precise", "string", "double"})
              .Default("precise")
              .Doc("DECIMAL values, as Debezium's `decimal.handling.mode`: `precise` (Connect "
                   "Decimal: the unscaled value's bytes, base64 in JSON, Avro `decimal`), "
                   "`string` (exact text with the column's scale) or `double` (may round)"),
          Choice("bigint_unsigned_handling_mode", &SourceConfig::bigint_unsigned_handling_mode,
                 {"precise", "long"})
              .Default("precise")
              .Doc("BIGINT UNSIGNED values, as Debezium's `bigint.unsigned.handling.mode`: "
                   "`precise` (Connect Decimal(20,0)) or `long` (a signed 64-bit number; values "
                   "above 9223372036854775807 do not fit)"),
          Choice("time_precision_mode", &SourceConfig::time_precision_mode,
                 {"adaptive_time_microseconds", "connect"})
              .Default("adaptive_time_microseconds")
              .Doc("DATE, DATETIME and TIME values, as Debezium's `time.precision.mode`: "
                   "`adaptive_time_microseconds` (`io.debezium.time.*` types, milliseconds or "
                   "microseconds by the column's precision, TIME in microseconds) or `connect` "
                   "(Kafka Connect's `Date`, `Time`, `Timestamp` in milliseconds; finer digits "
                   "are lost)"),
          Choice("binary_handling_mode", &SourceConfig::binary_handling_mode,
                 {"bytes", "base64", "hex"})
              .Default("bytes")
              .Doc("BINARY, VARBINARY and BLOB values, as Debezium's `binary.handling.mode`: "
                   "`bytes` (base64 in JSON, Avro `bytes`), `base64` or `hex` (a string)"),
          Int("money_fraction_digits", &SourceConfig::money_fraction_digits, 0, 60)
              .Default("2")
              .Doc("postgresql: `money` values, as Debezium's `money.fraction.digits`: the scale "
                   "of their Decimal (`decimal_handling_mode` applies); more digits than the "
                   "server's 2 are zeros, fewer round half up"),
          List("column_propagate_source_type", &SourceConfig::propagate_source_types)
              .Regexes()
              .Doc("regexes on `db.table.column`; the schemas of matching columns carry the "
                   "source column's type, length and scale as parameters "
                   "(`__debezium.source.column.type`, ...), as Debezium's "
                   "`column.propagate.source.type`"),
          Flag("include_query", &SourceConfig::include_query)
              .Default("false")
              .Doc("reserved for `source.query` (Debezium's `include.query`); `query` is null "
                   "for now"),
      });
  return s;
}

const Section& TopicTable() {
  static const Section s = MakeSection<TopicConfig>(
      "transport.topic", "", "",
      {
          Int("partitions", &TopicConfig::partitions, 1, 100000)
              .Default("3")
              .Doc("partitions of topics Vimur creates"),
          Int("replication_factor", &TopicConfig::replication_factor, 1, 100)
              .Default("1")
              .Doc("replicas of topics Vimur creates"),
          Int("min_insync_replicas", &TopicConfig::min_insync_replicas, 0, 100)
              .Default("0")
              .DefaultDoc("broker default")
              .Doc("`min.insync.replicas` of topics Vimur creates; 0 keeps the broker's"),
          Map("config", &TopicConfig::config)
              .Doc("further Kafka topic configs of topics Vimur creates, e.g. "
                   "`max.message.bytes: 67108864`, `compression.type: zstd`, `retention.ms`; "
                   "the producer's `message.max.bytes` is raised to the largest "
                   "`max.message.bytes` unless `client_config` sets it"),
      });
  return s;
}

const Section& TransportTable() {
  static const Section s = MakeSection<TransportConfig>(
      "transport", "`transport`", "",
      {
          Choice("type", &TransportConfig::type, {"stdout", "kafka", "local"})
              .Default("stdout")
              .DefaultDoc("`local` when the file has sinks, else `stdout`")
              .Doc("`stdout` (one JSON object per line: `{\"topic\", \"key\", \"value\"}`), "
                   "`kafka`, or `local`: the embedded durable log under `state_dir` that sinks "
                   "in the same file read (docs/local-log.md)"),
          Text("bootstrap_servers", &TransportConfig::bootstrap_servers)
              .DefaultDoc("required for kafka")
              .Doc("`host:port[,host:port]`"),
          Flag("exactly_once", &TransportConfig::exactly_once)
              .Default("false")
              .Doc("Kafka transactions: events and offsets of a source transaction commit "
                   "together, one source transaction in one Kafka transaction however large; "
                   "refused with `type: stdout`"),
          Nested("topic", &TransportConfig::topic, TopicTable())
              .Doc("settings of the topics Vimur creates (keys below)"),
          Entries("topic_overrides", &TransportConfig::topic_overrides, &TransportConfig::topic,
                  TopicTable())
              .Doc("per topic name: `{partitions, replication_factor, min_insync_replicas, "
                   "config}`; keys left out keep the values of `topic` (`config` entries are "
                   "added to those of `topic`)"),
          Text("offsets_topic", &TransportConfig::offsets_topic)
              .Default("vimur-offsets")
              .Doc("compacted topic holding positions (kafka)"),
          Map("client_config", &TransportConfig::client_config)
              .Doc("extra client properties, e.g. `security.protocol: SASL_SSL`, "
                   "`sasl.mechanism`, `sasl.username`, `ssl.ca.location`"),
          Int("max_in_flight_bytes", &TransportConfig::max_in_flight_bytes, 1 << 20,
              int64_t{1} << 40)
              .Default("67108864")
              .Doc("unacknowledged bytes before sending waits (local: appended bytes not yet "
                   "committed)"),
          Choice("fsync", &TransportConfig::fsync, {"batch", "interval", "never"})
              .Default("batch")
              .Doc("local: when appended records reach the disk. `batch`: before a batch is "
                   "acknowledged (survives power loss); `interval`: every `fsync_interval_ms`; "
                   "`never`: left to the OS (both survive kill -9, not power loss)"),
          Int("fsync_interval_ms", &TransportConfig::fsync_interval_ms, 1, 3600000)
              .Default("1000")
              .Doc("local: the period of `fsync: interval`"),
          Int("segment_bytes", &TransportConfig::segment_bytes, 1 << 12, int64_t{1} << 34)
              .Default("67108864")
              .Doc("local: a partition's segment file is rolled over past this size; retention "
                   "deletes whole segments"),
          Int("retention_ms", &TransportConfig::retention_ms, 0, int64_t{1} << 50)
              .Default("604800000")
              .Doc("local: segments whose last record is older than this are deleted, read or "
                   "not (0: keep forever)"),
          Int("retention_bytes", &TransportConfig::retention_bytes, 0, int64_t{1} << 50)
              .Default("0")
              .Doc("local: oldest segments of a partition are deleted while it is larger than "
                   "this (0: no limit)"),
          Flag("compaction", &TransportConfig::compaction)
              .Default("true")
              .Doc("local: compact the data topics by key, as Kafka does with "
                   "cleanup.policy=compact: closed segments keep only the newest record per "
                   "key, a tombstone removes its key (schema-change and dead-letter topics and "
                   "records without a key are kept whole)"),
          Int("compaction_interval_ms", &TransportConfig::compaction_interval_ms, 100,
              int64_t{1} << 40)
              .Default("60000")
              .Doc("local: how often the compaction pass runs over the closed segments"),
          Int("compaction_tombstone_retention_ms",
              &TransportConfig::compaction_tombstone_retention_ms, 0, int64_t{1} << 50)
              .Default("86400000")
              .Doc("local: a tombstone stays this long after its segment was closed, so "
                   "consumers see the delete (Kafka's delete.retention.ms)"),
          Choice("on_oversized_event", &TransportConfig::on_oversized_event,
                 {"stop", "dead_letter", "truncate"})
              .Default("stop")
              .Doc("kafka: an event whose record (key and value, before compression) is larger "
                   "than its topic's `max.message.bytes` (1048588 unless set in `topic.config` "
                   "or `topic_overrides`) or the producer's `message.max.bytes`: `stop` stops "
                   "the pipeline naming table, position, size and limit; `dead_letter` sends the "
                   "whole record to `{topic_prefix}.oversized` (created with "
                   "`oversized_max_message_bytes`); `truncate` replaces its largest text and "
                   "binary values (never key columns) by `__vimur_truncated__` until it fits, "
                   "naming them in the record header `vimur.truncated`"),
          Int("oversized_max_message_bytes", &TransportConfig::oversized_max_message_bytes, 1024,
              int64_t{1} << 30)
              .Default("67108864")
              .Doc("kafka: `max.message.bytes` of the `{topic_prefix}.oversized` topic "
                   "(on_oversized_event: dead_letter); the producer's limit is raised to it"),
          Choice("slow_consumer", &TransportConfig::slow_consumer, {"wait", "drop"})
              .Default("wait")
              .Doc("local: when retention would delete records a sink's consumer group has "
                   "not read: `wait` holds the source (back-pressure) until the group catches "
                   "up; `drop` deletes them and the group logs an error naming the skipped "
                   "offsets"),
          Int("slow_consumer_max_bytes", &TransportConfig::slow_consumer_max_bytes, 0,
              int64_t{1} << 50)
              .Default("0")
              .DefaultDoc("4 x `segment_bytes`, or `retention_bytes` if larger")
              .Doc("local, `slow_consumer: wait`: the unread bytes of a partition above which "
                   "the writer waits, while retention wants to delete unread segments"),
      });
  return s;
}

const Section& FormatTable() {
  static const Section s = MakeSection<FormatConfig>(
      "format", "`format`", "",
      {
          Choice("type", &FormatConfig::type, {"json", "avro"})
              .Default("json")
              .Doc("`json` (Debezium JSON) or `avro` (Confluent wire format; needs a registry)"),
          Flag("schemas", &FormatConfig::schemas)
              .Default("false")
              .Doc("json: wrap as `{\"schema\", \"payload\"}` like Kafka Connect's "
                   "JsonConverter with schemas enabled"),
          Text("registry_url", &FormatConfig::registry_url)
              .Doc("schema registry URL for avro (required for avro unless the transport is "
                   "stdout)"),
          Text("registry_user", &FormatConfig::registry_user)
              .Doc("basic auth user for the registry"),
          Text("registry_password", &FormatConfig::registry_password)
              .Doc("basic auth password for the registry; never logged"),
          Text("registry_password_file", &FormatConfig::registry_password_file)
              .Doc("file holding `registry_password` (its final line break dropped)"),
          Text("registry_ca", &FormatConfig::registry_ca)
              .DefaultDoc("system CAs")
              .Doc("CA bundle to verify an `https://` registry"),
          Choice("on_incompatible_schema", &FormatConfig::on_incompatible_schema,
                 {"stop", "continue"})
              .Default("stop")
              .Doc("a DDL whose new schema the subject's compatibility level refuses: `stop` "
                   "(the pipeline stops before publishing it, naming the table, the DDL, the "
                   "subject and the registry's reason) or `continue` (the subject's level is set "
                   "to `NONE` and the schema registered as the next version; consumers still "
                   "reading with the old schema may fail on newer records)"),
      });
  return s;
}

const Section& RegistryTable() {
  static const Section s = MakeSection<RegistryConfig>(
      "registry", "`registry` (used by `vimur registry`)", "",
      {
          Text("listen", &RegistryConfig::listen)
              .Default("127.0.0.1:8081")
              .Doc("address of the REST API (loopback unless configured)"),
          Nested("access", &RegistryConfig::access, RegistryAccessTable())
              .Doc("TLS and basic auth of the REST API (keys below; default: plain HTTP, no "
                   "authentication)"),
          Text("topic", &RegistryConfig::topic)
              .Default("_schemas")
              .Doc("compacted Kafka topic holding the schemas (through `transport`)"),
          Choice("compatibility", &RegistryConfig::compatibility,
                 {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
                  "FULL", "FULL_TRANSITIVE"})
              .Default("BACKWARD")
              .Doc("global compatibility level until changed with `PUT /config`"),
          Int("follow_interval_ms", &RegistryConfig::follow_interval_ms, 100, 3600 * 1000)
              .Default("1000")
              .Doc("how often the registry reads records that others appended to `topic` "
                   "(another registry on the same topic, or MirrorMaker copying it to a second "
                   "site); an unknown schema id is looked for in the topic at once"),
      });
  return s;
}

const Section& SinkColumnTable() {
  static const Section s = MakeSection<SinkColumnConfig>(
      "sinks[].columns", "", "",
      {
          Text("rename", &SinkColumnConfig::rename)
              .DefaultDoc("the source's name")
              .Doc("(sql) the column's name in the target: rows, the key, create_tables, "
                   "schema_evolution and `vimur verify` use it"),
          Flag("drop", &SinkColumnConfig::drop)
              .Default("false")
              .Doc("(sql) `true`: the column is never written, created or compared (it may "
                   "not be a key column unless `key` names other columns)"),
          Text("type", &SinkColumnConfig::type)
              .DefaultDoc("the mapped type (docs/sinks.md)")
              .Doc("(sql) the column's type, as written, when the sink creates the table or "
                   "adds the column, e.g. `NUMERIC(20,4)`; values still go through the normal "
                   "conversion"),
      });
  return s;
}

const Section& SinkRelationTable() {
  static const Section s = MakeSection<SinkRelationConfig>(
      "sinks[].relations[]", "", "",
      {
          Text("name", &SinkRelationConfig::name)
              .Required("the document member that holds the related rows, e.g. order_items")
              .Pattern("[A-Za-z0-9_]+", "letters, digits or '_' only")
              .Doc("the member of the document that holds the related rows"),
          Text("topic", &SinkRelationConfig::topic)
              .Verbatim()
              .Required("a regex over topic names, e.g. 'shop\\.shop\\.order_items'")
              .Doc("regex of the related rows' topic (also listed in `topics`)"),
          Text("key", &SinkRelationConfig::key)
              .DefaultDoc("set `key` or `on`")
              .Doc("a column of the related rows equal to the root row's key: the member is the "
                   "array of those rows (e.g. an order's items)"),
          Text("on", &SinkRelationConfig::on)
              .DefaultDoc("set `key` or `on`")
              .Doc("a column of the root row equal to the related row's key: the member is that "
                   "row as an object, or null (e.g. an order's user)"),
          List("fields", &SinkRelationConfig::fields)
              .DefaultDoc("every column")
              .Doc("the related rows' columns kept in the document"),
          Map("rename", &SinkRelationConfig::rename).Doc("column -> its name in the document"),
          Text("query", &SinkRelationConfig::query)
              .Verbatim()
              .DefaultDoc("none: rows from the join store")
              .Doc("back-query mode: the related rows are not kept but read with this SELECT, "
                   "`${column}` being the root row's value, e.g. `SELECT id, sku, qty FROM "
                   "order_items WHERE order_id = ${id}`; `fields` names its result columns in "
                   "order; changes on `topic` still re-index the roots and drop cached answers"),
          Text("url", &SinkRelationConfig::url)
              .DefaultDoc("required with `query`")
              .Doc("back-query mode: the `mariadb://` or `postgresql://` database queried"),
          Int("ttl_ms", &SinkRelationConfig::ttl_ms, 0, 365ll * 86400 * 1000)
              .Default("60000")
              .Doc("back-query mode: how long an answer is reused; 0: never cached"),
          Int("cache_max_entries", &SinkRelationConfig::cache_max_entries, 0, 100000000)
              .Default("100000")
              .Doc("back-query mode: answers kept at most"),
      });
  return s;
}

const Section& SinkEnrichTable() {
  static const Section s = MakeSection<SinkEnrichConfig>(
      "sinks[].enrich[]", "", "",
      {
          Text("name", &SinkEnrichConfig::name)
              .Required("a name for logs and the join store, e.g. user")
              .Pattern("[A-Za-z0-9_]+", "letters, digits or '_' only")
              .Doc("names the enrichment in logs and errors"),
          List("topics", &SinkEnrichConfig::topics)
              .ScalarAsList()
              .Verbatim()
              .DefaultDoc("every topic of the sink's `topics`")
              .Doc("regexes of the topics whose events get the columns"),
          Text("query", &SinkEnrichConfig::query)
              .Verbatim()
              .DefaultDoc("set `query` or `join`")
              .Doc("back-query: a SELECT run against `url` for each row, `${column}` replaced "
                   "by the row's value as a SQL literal, e.g. `SELECT name, email FROM users "
                   "WHERE id = ${user_id}`; the first row answered gives the columns (none: "
                   "nulls)"),
          Text("url", &SinkEnrichConfig::url)
              .DefaultDoc("required with `query`")
              .Doc("back-query: the `mariadb://` or `postgresql://` database (as in `targets`)"),
          List("columns", &SinkEnrichConfig::columns)
              .DefaultDoc("required with `query`; with `join`: every column")
              .Doc("back-query: the names the query's result columns get in the event, in "
                   "order; join: the related row's columns added"),
          Int("ttl_ms", &SinkEnrichConfig::ttl_ms, 0, 365ll * 86400 * 1000)
              .Default("60000")
              .Doc("back-query: how long an answer is reused for the same values; 0: never "
                   "cached"),
          Text("invalidate", &SinkEnrichConfig::invalidate)
              .Verbatim()
              .DefaultDoc("none")
              .Doc("back-query: regex of the queried table's own topic: a change of its row "
                   "drops the cached answer whose `${...}` values equal that row's key (read "
                   "from the topic without being applied)"),
          Int("cache_max_entries", &SinkEnrichConfig::cache_max_entries, 0, 100000000)
              .Default("100000")
              .Doc("back-query: answers kept at most (the oldest are dropped first)"),
          Text("join", &SinkEnrichConfig::join)
              .Verbatim()
              .DefaultDoc("set `query` or `join`")
              .Doc("stream join: regex of the related rows' topic; their latest rows are kept "
                   "in a local LMDB store (rebuilt from the topics when missing) and read "
                   "without being applied"),
          Text("on", &SinkEnrichConfig::on)
              .DefaultDoc("required with `join`")
              .Doc("stream join: the row's column equal to the related row's key"),
          Text("prefix", &SinkEnrichConfig::prefix)
              .Doc("stream join: prepended to the added columns' names, e.g. `user_`"),
      });
  return s;
}

const Section& SinkTable() {
  static const Section s = MakeSection<SinkConfig>(
      "sinks[]", "`sinks[]`",
      "A sink reads Vimur's topics through `transport` (a Kafka consumer group, "
      "`read_committed`; or the local log up to its last commit) and applies them to a target, "
      "committing its consumer offsets only after "
      "the target committed. `vimur run` runs the sinks next to the sources (`--only sinks` or "
      "`--only sources` runs one half). Templates (keys marked as kept as written) are evaluated "
      "per row: `${column}` (the after-image; the before-image for deletes), `${db}`, "
      "`${table}`, `${topic}` (these three win over columns of the same name), and the "
      "functions `mod(col, n)` (the integer value modulo n, from 0 to n-1 also for negative "
      "values), `hash(col, n)` (FNV-1a 64 of the value's text, modulo n; docs/sinks.md "
      "defines it) and `range(col, b1, b2, ...)` (0 below b1, i when b_i <= value < b_i+1, "
      "k at or above the last bound b_k), e.g. `orders_${mod(user_id, 4)}`. "
      "Types: `sql` (tables), `redis` (cache refresh), `http` (business events) and `search` "
      "(joined documents in OpenSearch); keys marked (sql), (redis), (http) or (search) apply "
      "to that type only. docs/sinks.md describes each "
      "sink, the `sql` sink's type mapping and `vimur verify`.",
      {
          Text("name", &SinkConfig::name)
              .Required("a sink name (e.g. orders-split)")
              .Pattern("[A-Za-z0-9._-]+", "letters, digits, '.', '_' or '-' only")
              .Doc("sink name, unique in the file; names its consumer group and `vimur verify "
                   "--sink`"),
          Choice("type", &SinkConfig::type, {"sql", "redis", "http", "search"})
              .Required("sql, redis, http or search")
              .Doc("`sql`: upserts and deletes into MariaDB/MySQL or PostgreSQL tables; "
                   "`redis`: keys kept equal to rows (or deleted on change); `http`: batches of "
                   "events POSTed to a URL; `search`: documents joined from a root table and "
                   "related rows, kept in an OpenSearch index"),
          List("topics", &SinkConfig::topics)
              .Regexes()
              .Required("a list of regexes over topic names, e.g. ['shop\\.shop\\.orders']")
              .Doc("regexes matched against whole topic names"),
          Map("targets", &SinkConfig::targets)
              .DefaultDoc("required for `sql`")
              .Doc("(sql) target name -> `mariadb://USER:PASSWORD@HOST:PORT/DB` (also `mysql://`) "
                   "or "
                   "`postgresql://USER:PASSWORD@HOST:PORT/DB` (also `postgres://`); "
                   "percent-escapes are decoded in the user and password. TLS: "
                   "`?tls=disabled|preferred|required|verify_ca|verify_identity` with "
                   "`&tls_ca=FILE&tls_cert=FILE&tls_key=FILE` (the source's `tls` modes; "
                   "MariaDB uses TLS from `required` on or when files are given)"),
          Text("target", &SinkConfig::target)
              .Verbatim()
              .DefaultDoc("the only target")
              .Doc("template giving the target name of a row, e.g. `db${mod(user_id, 2)}`"),
          Text("table", &SinkConfig::table)
              .Verbatim()
              .Default("${table}")
              .Doc("template giving the target table of a row, e.g. `orders_${mod(user_id, 4)}`"),
          Map("add_columns", &SinkConfig::add_columns)
              .Verbatim()
              .Doc("column -> template written into every row, e.g. `{src_table: '${table}'}` "
                   "when many tables are aggregated into one"),
          List("key", &SinkConfig::key)
              .ScalarAsList()
              .Verbatim()
              .DefaultDoc("sql: the source's primary key; redis: `${db}.${table}:` and the key "
                          "columns' values joined by `:`")
              .Doc("(sql) the target table's key columns, e.g. `[src_table, id]` when keys of "
                   "aggregated tables could collide; (redis) template of the Redis key of a row, "
                   "e.g. `'user:${id}'` (use `${table}` when the sink reads several tables)"),
          Named("columns", &SinkConfig::columns, "COLUMN", SinkColumnTable())
              .DefaultDoc("none")
              .Doc("(sql) per source column: `rename`, `drop`, `type` (below); columns not "
                   "named are copied as they are. A column no table has yet is a warning. "
                   "Templates and `filter` read the source's names, `key` the target's"),
          Text("filter", &SinkConfig::filter)
              .Verbatim()
              .DefaultDoc("every row")
              .Doc("(sql) only rows for which this is true are kept in the targets (the "
                   "after-image; the before-image of a delete), e.g. `status != 'deleted' and "
                   "amount >= 10`: `= != < <= > >=` between a column and a literal, `in (...)`, "
                   "`not in (...)`, `is null`, `is not null`, `and`, `or`, `not`, parentheses. An "
                   "update that leaves the filter deletes the row from the target. "
                   "docs/sinks.md defines it; a malformed filter stops the start naming the "
                   "position"),
          Text("url", &SinkConfig::url)
              .DefaultDoc("required for `redis` and `http`")
              .Doc("(redis) `redis://[:PASSWORD@]HOST:PORT[/DB]` (also `redis://USER:PASSWORD@`, "
                   "AUTH with an ACL user; percent-escapes decoded); `rediss://...` the same over "
                   "TLS (the server's certificate and host name checked, see `tls_ca`). (http) "
                   "the `http://` or `https://` URL the batches are POSTed to. (search) the "
                   "OpenSearch base URL, `http://HOST:9200` or `https://...`"),
          Choice("value", &SinkConfig::value, {"json", "hash"})
              .Default("json")
              .Doc("(redis) `json`: `SET` the row (after-image) as a JSON object; `hash`: the "
                   "key becomes a hash of column -> value (`DEL` + `HSET`, null columns left out)"),
          Choice("mode", &SinkConfig::mode, {"write", "invalidate"})
              .Default("write")
              .Doc("(redis) `write`: keys hold the rows, a delete `DEL`s its key; `invalidate`: "
                   "every change only `DEL`s its key(s), for caches filled on read"),
          Int("ttl_seconds", &SinkConfig::ttl_seconds, 0, 10 * 365 * 86400)
              .Default("0")
              .Doc("(redis) expiry of every written key in seconds; 0: none"),
          Flag("flatten", &SinkConfig::flatten)
              .Default("false")
              .Doc("(http) `false`: each event is the record's value as Vimur wrote it (the "
                   "Debezium envelope); `true`: the row itself, like Debezium's "
                   "`ExtractNewRecordState`, with `__op`, `__db`, `__table`, `__source_ts_ms` and "
                   "`__deleted` added (a delete gives its before-image with `__deleted: true`)"),
          Text("hmac_secret", &SinkConfig::hmac_secret)
              .Doc("(http) when set, every request carries `X-Vimur-Signature: sha256=HEX`, the "
                   "HMAC-SHA256 of the body with this secret; never logged"),
          Int("max_in_flight", &SinkConfig::max_in_flight, 1, 64)
              .Default("4")
              .Doc("(http) requests sent at once; a batch is split by record key into this many "
                   "requests, so the events of one key stay in one request, in order"),
          Int("max_attempts", &SinkConfig::max_attempts, 0, 1000000)
              .Default("10")
              .Doc("(http, search) attempts of a request answered with 5xx, 408, 429 or not at all "
                   "(backoff as `retry_max_backoff_ms`) before its records go to `on_error`; 0: "
                   "retry forever. Other 4xx answers go to `on_error` at once"),
          Text("index", &SinkConfig::index)
              .DefaultDoc("required for `search`")
              .Pattern("[a-z0-9][a-z0-9._-]*", "a lowercase OpenSearch index name")
              .Doc("(search) the index holding the documents; created with `mappings` when "
                   "missing"),
          Text("root", &SinkConfig::root)
              .Verbatim()
              .DefaultDoc("required for `search`")
              .Doc("(search) regex of the root topic: one document per root row, its id the "
                   "row's key (a composite key's values joined by `|`)"),
          Items("relations", &SinkConfig::relations, SinkRelationTable())
              .DefaultDoc("none")
              .Doc("(search) rows of other topics joined into each document: `name`, `topic` "
                   "(regex), `key` (a child column equal to the root's key: an array of the "
                   "child rows) or `on` (a root column equal to the related row's key: one "
                   "object), optional `fields` and `rename`; a change of a related row "
                   "re-indexes the documents that hold it"),
          Items("enrich", &SinkConfig::enrich, SinkEnrichTable())
              .DefaultDoc("none")
              .Doc("(any sink) columns added to each event before the sink sees it: by a "
                   "cached back-query (`query`, `url`, `columns`, `ttl_ms`, `invalidate`) or by "
                   "a stream join against the latest rows of another topic (`join`, `on`, "
                   "`columns`, `prefix`); docs/sinks.md, \"Enrichment\""),
          List("fields", &SinkConfig::fields)
              .DefaultDoc("every column")
              .Doc("(search) the root row's columns kept in the document"),
          Map("rename", &SinkConfig::rename)
              .Doc("(search) root column -> its name in the document"),
          Text("mappings", &SinkConfig::mappings)
              .Verbatim()
              .DefaultDoc("dynamic mappings")
              .Doc("(search) JSON object sent as `mappings` when the sink creates the index, "
                   "e.g. `'{\"properties\": {\"status\": {\"type\": \"keyword\"}}}'`"),
          Text("username", &SinkConfig::username)
              .DefaultDoc("no authentication")
              .Doc("(http, search) HTTP basic authentication user"),
          Text("password", &SinkConfig::password)
              .Doc("(http, search) HTTP basic authentication password; never logged"),
          Text("tls_ca", &SinkConfig::tls_ca)
              .DefaultDoc("the system's CAs")
              .Doc("(http, search, redis) `https://` or `rediss://` URL: PEM file of the CA(s) "
                   "that signed the server's certificate, trusted instead of the system's store "
                   "(e.g. OpenSearch's own CA, Redis's `tls-ca-cert-file`); the file must exist"),
          Text("tls_cert", &SinkConfig::tls_cert)
              .DefaultDoc("none")
              .Doc("(http, search, redis) PEM file of a client certificate presented to the "
                   "server (requires `tls_key`), e.g. for Redis's `tls-auth-clients yes`"),
          Text("tls_key", &SinkConfig::tls_key)
              .Doc("(http, search, redis) PEM file of the client certificate's private key "
                   "(requires `tls_cert`)"),
          Flag("tls_verify", &SinkConfig::tls_verify)
              .Default("true")
              .Doc("(http, search, redis) `false` skips the check of the server's certificate "
                   "and host name: for tests only, it lets anyone in the middle read and change "
                   "the traffic"),
          Int("timeout_ms", &SinkConfig::timeout_ms, 100, 600000)
              .Default("10000")
              .Doc("(redis, http, search) how long one request (or pipeline) may take before it "
                   "counts "
                   "as failed and is retried"),
          Flag("create_tables", &SinkConfig::create_tables)
              .Default("false")
              .Doc("create missing target tables with their primary key from the event's schema "
                   "(needs `format.schemas: true`; the type mapping is in docs/sinks.md)"),
          Choice("schema_evolution", &SinkConfig::schema_evolution, {"basic", "none"})
              .Default("basic")
              .Doc("`basic`: a column that appears in the events (added at the source) is added "
                   "to the target table with the mapped type (needs `format.schemas: true`); "
                   "`none`: such a row fails (`on_error`)"),
          Choice("on_error", &SinkConfig::on_error, {"stop", "dead_letter"})
              .Default("stop")
              .Doc("a row the target refuses for good (constraint, value out of range, no route): "
                   "`stop` stops the sink (nothing after it is acknowledged) or `dead_letter` "
                   "writes the original record with the error in header `vimur.error` (local log: "
                   "a JSON envelope, docs/local-log.md) to `dead_letter_topic` and goes on. A "
                   "target that is down is retried, never "
                   "dead-lettered"),
          Text("dead_letter_topic", &SinkConfig::dead_letter_topic)
              .DefaultDoc("`vimur-dead-letter.{name}`")
              .Doc("topic of the records `on_error: dead_letter` gives up"),
          Text("group_id", &SinkConfig::group_id)
              .DefaultDoc("`vimur-sink.{pipeline}.{name}`")
              .Doc("consumer group (Kafka; local log: offsets in "
                   "`STATE_DIR/NAME/consumers/GROUP.json`); its committed offsets are the "
                   "sink's resume point"),
          Int("batch_max_records", &SinkConfig::batch_max_records, 1, 1000000)
              .Default("2000")
              .Doc("records applied in one target transaction at most"),
          Int("batch_max_ms", &SinkConfig::batch_max_ms, 1, 600000)
              .Default("200")
              .Doc("longest wait to fill a batch before applying what arrived"),
          Int("retry_max_backoff_ms", &SinkConfig::retry_max_backoff_ms, 100, 3600 * 1000)
              .Default("30000")
              .Doc("a target that is down (or a batch rolled back by a deadlock) is retried from "
                   "100 ms, doubling up "
                   "to this; nothing is acknowledged meanwhile"),
          Int("lag_log_interval_s", &SinkConfig::lag_log_interval_s, 1, 86400)
              .Default("10")
              .Doc("how often the sink logs records applied and its lag (ms from source commit "
                   "to target commit)"),
      });
  return s;
}

const Section& HighAvailabilityTable() {
  static const Section s = MakeSection<HighAvailabilityConfig>(
      "high_availability", "`high_availability`",
      "Several `vimur run` processes with the same file share the work through a Kafka consumer "
      "group on a small control topic: the group's assignment decides which process runs the "
      "sources, the others wait as standbys and one of them takes over within "
      "`session_timeout_ms` when the owner dies or is cut off (docs/operations.md, \"High "
      "availability\"). Kafka transport only.",
      {
          Flag("enabled", &HighAvailabilityConfig::enabled)
              .Default("false")
              .Doc("`true`: join the group; the sources run only in the process the group "
                   "assigns them to (sinks run in every process: their own consumer groups "
                   "share the topics' partitions)"),
          Text("group", &HighAvailabilityConfig::group)
              .DefaultDoc("vimur-ha.{name}")
              .Doc("consumer group id of the processes that share this pipeline"),
          Text("topic", &HighAvailabilityConfig::topic)
              .DefaultDoc("__vimur-ha.{name}")
              .Doc("the control topic the group subscribes to (created when missing, one "
                   "partition per unit; nothing is ever written to it)"),
          Int("session_timeout_ms", &HighAvailabilityConfig::session_timeout_ms, 1000, 3600000)
              .Default("10000")
              .Doc("a process that has not reached the group coordinator for this long loses "
                   "its units (it stops them at once) and another takes over; within the "
                   "broker's `group.min.session.timeout.ms` .. `group.max.session.timeout.ms` "
                   "(6000 .. 1800000 by default)"),
          Int("heartbeat_interval_ms", &HighAvailabilityConfig::heartbeat_interval_ms, 100, 3600000)
              .Default("1000")
              .Doc("how often each process tells the coordinator it is alive; at most a third "
                   "of `session_timeout_ms`"),
      });
  return s;
}

}  // namespace

const Section& PipelineTable() {
  static const Section s = MakeSection<PipelineConfig>(
      "", "Top level", "",
      {
          Text("name", &PipelineConfig::name)
              .Required("a pipeline name (used as the default topic prefix)")
              .Pattern("[A-Za-z0-9._-]+", "letters, digits, '.', '_' or '-' only")
              .Doc("pipeline name: letters, digits, `.`, `_`, `-`; the default topic prefix"),
          Text("state_dir", &PipelineConfig::state_dir)
              .Default("./vimur-state")
              .Doc("local state; offsets live in `STATE_DIR/NAME/offsets/SOURCE.json`, the local "
                   "log in `STATE_DIR/NAME/log`"),
          Choice("log_level", &PipelineConfig::log_level, {"debug", "info", "warn", "error"})
              .Default("info")
              .Doc("logs go to stderr"),
          Int("queue_max_bytes", &PipelineConfig::queue_max_bytes, 1 << 20, int64_t{1} << 40)
              .Default("67108864")
              .Doc("bound on captured but not yet published bytes; capture pauses when full"),
          Int("shutdown_timeout_s", &PipelineConfig::shutdown_timeout_s, 1, 24 * 3600)
              .Default("30")
              .Doc("on SIGINT or SIGTERM, how long to wait for outstanding acknowledgements; "
                   "when they do not all arrive in time Vimur stores the positions of what was "
                   "acknowledged and exits 1, saying how much was not (the rest is sent again on "
                   "the next start)"),
          Items("sources", &PipelineConfig::sources, SourceTable())
              .Required("a list with at least one source")
              .Doc("list of sources (below)"),
          Nested("transport", &PipelineConfig::transport, TransportTable())
              .DefaultDoc("stdout")
              .Doc("where events go (below)"),
          Nested("format", &PipelineConfig::format, FormatTable())
              .DefaultDoc("json")
              .Doc("how events are encoded (below)"),
          Nested("registry", &PipelineConfig::registry, RegistryTable())
              .Doc("the schema registry that `vimur registry` serves (below)"),
          Text("metrics_listen", &PipelineConfig::metrics_listen)
              .Doc("`host:port` where `vimur run` serves Prometheus metrics at `/metrics`, "
                   "`/health` (200 when every source and sink runs, 503 naming what does not) "
                   "and a status page at `/`, "
                   "e.g. `127.0.0.1:9400`; empty: not served. `vimur status` reads it. A "
                   "non-loopback address is refused unless `metrics_allow_remote: true`"),
          Flag("metrics_allow_remote", &PipelineConfig::metrics_allow_remote)
              .Default("false")
              .Doc("allow `metrics_listen` on an address other than loopback (set "
                   "`metrics_access` for TLS and basic auth, or put it behind a proxy)"),
          Nested("metrics_access", &PipelineConfig::metrics_access, MetricsAccessTable())
              .Doc("TLS and basic auth of `metrics_listen` (keys below; default: plain HTTP, no "
                   "authentication); `vimur status` uses them too"),
          Int("metrics_history_interval_s", &PipelineConfig::metrics_history_interval_s, 1, 3600)
              .Default("10")
              .Doc("the status page at `/` of `metrics_listen` charts the last hour from "
                   "samples taken this often"),
          Items("sinks", &PipelineConfig::sinks, SinkTable())
              .Doc("list of sinks that apply the topics to targets (below)"),
          Nested("high_availability", &PipelineConfig::high_availability, HighAvailabilityTable())
              .DefaultDoc("off")
              .Doc("several processes share the pipeline through a Kafka consumer group "
                   "(below)"),
      });
  return s;
}

}  // namespace vimur::config
