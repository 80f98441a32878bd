// Position: where in a source's change log a pipeline stands, the value the OffsetStore
// persists and a source resumes from. Serialized as a small JSON object.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace vimur {

struct Position {
  // MySQL/MariaDB: the executed GTID set after the last committed transaction, in the
  // server's own notation (MariaDB "0-1-100,1-2-7", MySQL "uuid:1-10:12,uuid2:1-3").
  // Empty when the server has GTIDs off; file:pos is then authoritative.
  std::string gtid_set;
  std::string file;  // binlog file name of the next event to read
  uint64_t pos = 0;  // byte offset of the next event to read in `file`
  uint64_t lsn = 0;  // PostgreSQL: confirmed flush LSN
  // Source-specific detail, opaque to the engine, stored and handed back with the position.
  // MySQL/MariaDB: while an XA transaction is prepared but not committed, gtid_set/file/pos
  // stay at its prepare (re-read on a restart) and this holds, as JSON, the position up to
  // which later transactions were already published (skipped when re-read).
  std::string source_state = {};
  bool snapshot_done = false;
  // Non-empty while an initial snapshot is in progress: the source's record, as JSON, of
  // what it has read (tables done, last primary key read). gtid_set/file/pos are then the
  // snapshot's own position, where streaming starts once the snapshot ends. Opaque to the
  // engine, which only tells "snapshot in progress" from "streaming".
  std::string snapshot_progress = {};
  // Non-empty while incremental snapshots requested with `vimur snapshot` are queued or being
  // read next to the stream: the source's record, as JSON, of the requests and how far each
  // got. gtid_set/file/pos stay the streaming position. Opaque to the engine.
  std::string incremental_snapshot = {};

  bool empty() const { return gtid_set.empty() && file.empty() && lsn == 0; }
  std::string ToJson() const;
  static Result<Position> FromJson(const std::string& text);
  // Human-readable form for logs: "gtid 0-1-100 (mysql-bin.000003:1234)".
  std::string Describe() const;
  bool operator==(const Position&) const = default;
};

}  // namespace vimur
