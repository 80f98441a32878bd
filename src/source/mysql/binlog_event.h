// Binlog events as plain structs: what BinlogEventParser produces from the bytes of one event
// (MySQL "Binary Log Event Structure", MariaDB "Replication Protocol"), with no interpretation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vimur::mysql {

// Event type codes from the MySQL and MariaDB sources (log_event.h / binlog_event.h).
enum class EventType : uint8_t {
  kUnknown = 0,
  kStart_v3 = 1,
  kQuery = 2,
  kStop = 3,
  kRotate = 4,
  kIntvar = 5,
  kSlave = 7,
  kAppendBlock = 9,
  kDeleteFile = 11,
  kRand = 13,
  kUserVar = 14,
  kFormatDescription = 15,
  kXid = 16,
  kBeginLoadQuery = 17,
  kExecuteLoadQuery = 18,
  kTableMap = 19,
  kWriteRowsV1 = 23,
  kUpdateRowsV1 = 24,
  kDeleteRowsV1 = 25,
  kIncident = 26,
  kHeartbeat = 27,
  kIgnorable = 28,
  kRowsQuery = 29,
  kWriteRowsV2 = 30,
  kUpdateRowsV2 = 31,
  kDeleteRowsV2 = 32,
  kGtid = 33,           // MySQL
  kAnonymousGtid = 34,  // MySQL
  kPreviousGtids = 35,  // MySQL
  kTransactionContext = 36,
  kViewChange = 37,
  kXaPrepare = 38,
  kPartialUpdateRows = 39,   // MySQL 8 partial JSON
  kTransactionPayload = 40,  // MySQL 8.0.20+ zstd
  kHeartbeatV2 = 41,
  kGtidTaggedLog = 42,
  // MariaDB
  kMariaAnnotateRows = 160,
  kMariaBinlogCheckpoint = 161,
  kMariaGtid = 162,
  kMariaGtidList = 163,
  kMariaStartEncryption = 164,
  kMariaQueryCompressed = 165,
  kMariaWriteRowsCompressedV1 = 166,
  kMariaUpdateRowsCompressedV1 = 167,
  kMariaDeleteRowsCompressedV1 = 168,
  kMariaWriteRowsCompressed = 169,
  kMariaUpdateRowsCompressed = 170,
  kMariaDeleteRowsCompressed = 171,
};

const char* EventTypeName(uint8_t type);

// The 19-byte common header of every v4 event.
struct EventHeader {
  uint32_t timestamp = 0;  // seconds since epoch at the source
  uint8_t type = 0;        // EventType code (kept raw so unknown codes survive)
  uint32_t server_id = 0;
  uint32_t event_size = 0;  // header + body + checksum
  uint32_t next_pos = 0;    // position of the next event (0 for artificial events)
  uint16_t flags = 0;
};

constexpr size_t kEventHeaderSize = 19;
constexpr uint16_t kLogEventArtificialFlag = 0x20;

enum class ChecksumAlgorithm : uint8_t { kOff = 0, kCrc32 = 1, kUndefined = 255 };

struct FormatDescriptionEvent {
  uint16_t binlog_version = 4;
  std::string server_version;  // "10.11.6-MariaDB-log", "8.0.36"
  uint32_t create_timestamp = 0;
  uint8_t header_length = 19;
  std::vector<uint8_t> post_header_lengths;  // index = type - 1
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kOff;
  bool is_mariadb() const { return server_version.find("MariaDB") != std::string::npos; }
};

struct RotateEvent {
  uint64_t position = 0;
  std::string next_file;
};

struct QueryEvent {
  uint32_t thread_id = 0;
  uint32_t exec_time = 0;
  uint16_t error_code = 0;
  std::string database;
  std::string query;
};

struct XidEvent {
  uint64_t xid = 0;
};

// XA_PREPARE_LOG_EVENT (MySQL 5.7.7+, MariaDB 10.5+): ends the event group of an XA
// transaction's rows at XA PREPARE (or, with one_phase, at XA COMMIT ... ONE PHASE).
struct XaPrepareEvent {
  bool one_phase = false;
  int32_t format_id = 0;
  std::string gtrid;  // global transaction id, raw bytes
  std::string bqual;  // branch qualifier, raw bytes
  // The XID as the server writes it in XA COMMIT/ROLLBACK statements: X'..',X'..',format_id.
  std::string ToSql() const;
};

// MySQL GTID_LOG_EVENT and ANONYMOUS_GTID_LOG_EVENT.
struct MySqlGtidEvent {
  uint8_t flags = 0;     // bit 0: may have been committed ("commit flag")
  uint8_t sid[16] = {};  // server UUID
  int64_t gno = 0;
  std::string tag;  // MySQL 8.4 GTID_TAGGED_LOG_EVENT: the tag ("" otherwise), lower case
  bool anonymous = false;
  int64_t last_committed = 0;
  int64_t sequence_number = 0;
  uint64_t immediate_commit_timestamp = 0;  // µs, when present
  uint64_t original_commit_timestamp = 0;   // µs; equals the immediate one unless replicated
  uint64_t transaction_length = 0;          // bytes of the whole transaction, when present
  uint32_t immediate_server_version = 0;    // e.g. 80036, when present
  uint32_t original_server_version = 0;     // equals the immediate one unless replicated
};

// MariaDB GTID_EVENT: starts a transaction group.
struct MariaGtidEvent {
  uint64_t sequence = 0;
  uint32_t domain_id = 0;
  uint32_t server_id = 0;  // from the event header
  uint8_t flags = 0;  // FL_STANDALONE = 1 (no BEGIN/COMMIT: a DDL), FL_GROUP_COMMIT_ID = 2, ...
  uint64_t commit_id = 0;
  std::string xid;  // of an XA group (prepared_xa or completed_xa), as XaPrepareEvent::ToSql
  bool standalone() const { return (flags & 1) != 0; }
  bool prepared_xa() const { return (flags & 64) != 0; }    // FL_PREPARED_XA: XA START..PREPARE
  bool completed_xa() const { return (flags & 128) != 0; }  // FL_COMPLETED_XA: XA COMMIT/ROLLBACK
};

struct MariaGtid {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t sequence = 0;
};

struct MariaGtidListEvent {
  std::vector<MariaGtid> gtids;
};

struct AnnotateRowsEvent {
  std::string query;
};

// TABLE_MAP_EVENT with its optional metadata (binlog_row_metadata=FULL).
struct TableMapEvent {
  uint64_t table_id = 0;
  uint16_t flags = 0;
  std::string database;
  std::string table;
  std::vector<uint8_t> column_types;  // binlog type codes per column
  std::vector<uint16_t> column_meta;  // per-column metadata, decoded to one number per type
  std::vector<bool> nullable;         // per column
  // Optional metadata; empty vectors when absent.
  std::vector<bool> is_unsigned;         // per numeric column, expanded to all columns
  std::vector<uint32_t> column_charset;  // collation id per column (0 when unknown/not a string)
  std::vector<std::string> column_names;
  std::vector<std::vector<std::string>> set_values;   // per column; empty when not SET
  std::vector<std::vector<std::string>> enum_values;  // per column; empty when not ENUM
  std::vector<uint32_t> geometry_types;               // per column (0 when not geometry)
  std::vector<uint32_t> primary_key;                  // column indexes in key order
  std::vector<uint32_t> primary_key_prefix;           // parallel to primary_key; 0 = whole column
  std::vector<bool> visibility;                       // MySQL 8 invisible columns
};

enum class RowsKind : uint8_t { kWrite, kUpdate, kDelete, kPartialUpdate };

// WRITE/UPDATE/DELETE_ROWS v1/v2 (and MariaDB compressed, once inflated). The row images are
// left encoded in `rows`; RowImageDecoder walks them with the table's TableMapEvent.
struct RowsEvent {
  RowsKind kind = RowsKind::kWrite;
  uint8_t version = 2;  // 1 or 2
  uint64_t table_id = 0;
  uint16_t flags = 0;  // bit 0: STMT_END_F (last rows event of the statement)
  uint32_t column_count = 0;
  std::vector<bool> columns_present_before;  // before image (delete/update) bitmap
  std::vector<bool> columns_present_after;   // after image (write/update) bitmap
  std::string_view rows;        // row images; views the event bytes (or the inflated buffer)
  std::string_view extra_data;  // v2 extra row info (without its 2-byte length); views the event
  bool statement_end() const { return (flags & 1) != 0; }
};

struct HeartbeatEvent {
  std::string log_file;
  uint64_t position = 0;
};

// MySQL 8 TRANSACTION_PAYLOAD_EVENT, after decompression: a run of complete events
// (without checksums) to parse as if they had been read from the stream.
struct TransactionPayloadEvent {
  uint64_t compression_type = 0;  // 0 zstd, 255 none
  uint64_t uncompressed_size = 0;
  std::string payload;          // decompressed bytes
  std::string_view compressed;  // the payload as in the event (views it)
};

}  // namespace vimur::mysql
