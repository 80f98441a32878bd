// ChangeEvent and Transaction: the unified, source-independent description of committed row
// changes that every source produces and every format serializes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/position.h"
#include "core/table_schema.h"
#include "core/value.h"

namespace vimur {

// kTruncate: a TRUNCATE of the table (PostgreSQL), an event with neither before nor after.
enum class Op : char { kCreate = 'c', kUpdate = 'u', kDelete = 'd', kRead = 'r', kTruncate = 't' };
// `source.snapshot` (Debezium's SnapshotRecord): false while streaming; true, first and last
// for a snapshot's reads; incremental for incremental-snapshot reads.
enum class SnapshotMarker : uint8_t { kFalse, kTrue, kFirst, kLast, kIncremental };
inline const char* SnapshotMarkerText(SnapshotMarker marker) {
  switch (marker) {
    case SnapshotMarker::kFalse: return "false";
    case SnapshotMarker::kTrue: return "true";
    case SnapshotMarker::kFirst: return "first";
    case SnapshotMarker::kLast: return "last";
    case SnapshotMarker::kIncremental: return "incremental";
  }
  return "false";
}

// Where an event came from, the Debezium `source` block (less the table, which is in schema).
struct SourceInfo {
  std::string connector;  // "mysql" | "mariadb" | "postgresql"
  std::string name;       // logical source name (topic prefix)
  int64_t ts_ms = 0;      // commit time at the source
  SnapshotMarker snapshot = SnapshotMarker::kFalse;
  uint32_t server_id = 0;
  std::string gtid;      // GTID of the transaction, empty when GTIDs are off
  std::string file;      // binlog file of the row event
  uint64_t pos = 0;      // position of the row event's transaction in `file`
  int64_t thread = -1;   // MySQL/MariaDB thread id of the transaction; -1: unknown (null)
  std::string schema;    // PostgreSQL schema
  std::string database;  // PostgreSQL database (source.db; TableSchema::database is the schema)
  uint64_t lsn = 0;      // PostgreSQL
  int64_t tx_id = -1;    // PostgreSQL
};

struct ChangeEvent {
  Op op = Op::kCreate;
  // The table's shape. Caches of per-table text may keep it: it must not own row bytes.
  TableSchemaPtr table;
  // Keeps alive the bytes the values' views point into (the MySQL source: its transaction's
  // row storage), or null. Released with the event; nothing else may keep it.
  std::shared_ptr<const void> storage;
  std::vector<Value> before;                 // empty when absent (insert)
  std::vector<Value> after;                  // empty when absent (delete)
  std::shared_ptr<const SourceInfo> source;  // shared by the events of one transaction
  uint32_t row = 0;                          // index of the row within its binlog row event
  uint64_t total_order = 0;                  // 1-based order within the transaction
  uint64_t data_collection_order = 0;        // 1-based order among this table's events in it
};

// A DDL statement seen in the stream, emitted on the schema-change topic.
struct SchemaChange {
  std::string database;
  std::string ddl;
  std::shared_ptr<const SourceInfo> source;
  std::vector<std::string> tables;  // tables the statement names, when known
};

// A message the source's log carries besides row changes (PostgreSQL's
// pg_logical_emit_message), published on the `<prefix>.message` topic as Debezium does.
struct SourceMessage {
  std::string prefix;
  std::string content;  // bytes, as the application wrote them
  std::shared_ptr<const SourceInfo> source;
};

// The topic of a source's messages: `{prefix}.message`, as Debezium names it. Records keep
// by time there (not compacted: the key, the prefix, is shared by many messages).
inline std::string MessageTopicName(const std::string& topic_prefix) {
  return topic_prefix + ".message";
}

// One committed source transaction: its changes, and the position right after it.
struct Transaction {
  std::string id;  // GTID, or file:pos of its BEGIN when GTIDs are off
  std::shared_ptr<const SourceInfo> source;
  std::vector<ChangeEvent> events;
  std::vector<SchemaChange> schema_changes;
  std::vector<SourceMessage> messages;  // in the order the log carried them
  Position end;                         // resume from here to continue after this transaction
  // False for the leading chunks of a transaction too large to hold in memory at once: the
  // chunks travel in order and only the last one (complete) carries a resume point.
  bool complete = true;
  size_t approx_bytes = 0;  // for byte-bounded queues
};

}  // namespace vimur
