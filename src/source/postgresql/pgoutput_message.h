// pgoutput messages: the logical replication protocol's message formats (PostgreSQL
// documentation, "Logical Replication Message Formats", protocol versions 1 and 2), parsed
// from one XLogData payload into plain structs whose views point into that payload.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace vimur::postgresql {

// Microseconds from the Unix epoch to PostgreSQL's epoch (2000-01-01 00:00:00 UTC).
constexpr int64_t kPostgresEpochOffsetUs = 946684800LL * 1000000;

// One column of a TupleData: null, an unchanged TOASTed value the server did not send, or
// its value in the type's text (or binary) output form.
struct TupleValue {
  enum class Kind : char { kNull = 'n', kUnchangedToast = 'u', kText = 't', kBinary = 'b' };
  Kind kind = Kind::kNull;
  std::string_view data;
};
using TupleData = std::vector<TupleValue>;

struct BeginMessage {  // 'B'
  uint64_t final_lsn = 0;
  int64_t commit_time_us = 0;  // since 2000-01-01 UTC
  uint32_t xid = 0;
};

struct CommitMessage {  // 'C'
  uint8_t flags = 0;
  uint64_t commit_lsn = 0;
  uint64_t end_lsn = 0;  // the transaction's end: resume after it from here
  int64_t commit_time_us = 0;
};

struct OriginMessage {  // 'O'
  uint64_t lsn = 0;
  std::string_view name;
};

struct RelationColumn {
  bool key = false;  // part of the replica identity
  std::string_view name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
};

struct RelationMessage {  // 'R'
  uint32_t xid = 0;       // streamed transactions only
  uint32_t relation_id = 0;
  std::string_view nspname;
  std::string_view relname;
  char replica_identity = 'd';  // d default, n nothing, f full, i index
  std::vector<RelationColumn> columns;
};

struct TypeMessage {  // 'Y'
  uint32_t xid = 0;
  uint32_t type_oid = 0;
  std::string_view nspname;
  std::string_view name;
};

struct InsertMessage {  // 'I'
  uint32_t xid = 0;
  uint32_t relation_id = 0;
  TupleData new_tuple;
};

struct UpdateMessage {  // 'U'
  uint32_t xid = 0;
  uint32_t relation_id = 0;
  char old_kind = 0;  // 0 (none), 'K' (key columns only) or 'O' (the whole old row)
  TupleData old_tuple;
  TupleData new_tuple;
};

struct DeleteMessage {  // 'D'
  uint32_t xid = 0;
  uint32_t relation_id = 0;
  char old_kind = 'K';  // 'K' or 'O'
  TupleData old_tuple;
};

struct TruncateMessage {  // 'T'
  uint32_t xid = 0;
  uint8_t options = 0;  // 1: CASCADE, 2: RESTART IDENTITY
  std::vector<uint32_t> relation_ids;
};

struct LogicalMessage {  // 'M' (pg_logical_emit_message)
  uint32_t xid = 0;
  bool transactional = false;
  uint64_t lsn = 0;
  std::string_view prefix;
  std::string_view content;
};

// Protocol 2 with `streaming`: a transaction still in progress arrives in blocks between
// Stream Start and Stream Stop, then ends with Stream Commit or Stream Abort.
struct StreamStartMessage {  // 'S'
  uint32_t xid = 0;
  bool first_segment = false;
};

struct StreamStopMessage {};  // 'E'

struct StreamCommitMessage {  // 'c'
  uint32_t xid = 0;
  uint8_t flags = 0;
  uint64_t commit_lsn = 0;
  uint64_t end_lsn = 0;
  int64_t commit_time_us = 0;
};

struct StreamAbortMessage {  // 'A': the transaction (subxid == xid) or one subtransaction
  uint32_t xid = 0;
  uint32_t subxid = 0;
};

// Two-phase commit messages (protocol 3): recognised and skipped (Vimur does not ask for them).
struct OtherMessage {
  char type = 0;
};

using PgOutputMessage =
    std::variant<BeginMessage, CommitMessage, OriginMessage, RelationMessage, TypeMessage,
                 InsertMessage, UpdateMessage, DeleteMessage, TruncateMessage, LogicalMessage,
                 StreamStartMessage, StreamStopMessage, StreamCommitMessage, StreamAbortMessage,
                 OtherMessage>;

// Parses one message. `in_stream`: inside Stream Start..Stop, where change messages carry the
// transaction id first (protocol 2). Every read is bounds-checked: truncated or malformed
// input fails with kUnderflow or kCorruption, never reads past `bytes`.
Result<PgOutputMessage> ParsePgOutputMessage(std::string_view bytes, bool in_stream = false);

// The (sub)transaction id a message inside a Stream Start..Stop block starts with (changes,
// relations, types, transactional messages); false for other messages or when too short.
bool StreamedMessageXid(std::string_view bytes, uint32_t* xid);

// PostgreSQL's text form of an LSN, "16/B374D848".
std::string LsnText(uint64_t lsn);
// Parses "16/B374D848"; false when malformed.
bool ParseLsn(std::string_view text, uint64_t* out);

}  // namespace vimur::postgresql
