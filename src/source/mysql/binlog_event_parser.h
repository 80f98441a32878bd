// BinlogEventParser: turns the bytes of one binlog event (from the replica stream or a binlog
// file) into the plain structs of binlog_event.h. It knows nothing of sockets or files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "source/mysql/binlog_event.h"
#include "source/mysql/gtid_set.h"

namespace vimur::mysql {

// One event split into its common header and its body. `body` excludes the 19-byte header and
// the CRC32 trailer; it views the bytes given to Frame (which must outlive it).
struct FramedEvent {
  EventHeader header;
  std::string_view body;
  EventType type() const { return static_cast<EventType>(header.type); }
};

// Parses events of MySQL 5.6+/8.x and MariaDB 10.x binlogs ("Binary Log Event Structure" of the
// MySQL source documentation; MariaDB KB "Replication Protocol"). The only state is what the
// last FORMAT_DESCRIPTION_EVENT said: the checksum algorithm, the post-header lengths and the
// server flavour. Parse* functions never read past the body they are given and report
// kUnderflow / kCorruption errors that name the event being parsed.
//
// Typical use:
//   VIMUR_ASSIGN_OR_RETURN(FramedEvent ev, parser.Frame(bytes));
//   switch (ev.type()) {
//     case EventType::kFormatDescription: {
//       VIMUR_ASSIGN_OR_RETURN(auto fde, parser.ParseFormatDescription(ev));
//       parser.Apply(fde);
//       break;
//     }
//     case EventType::kTableMap: ... parser.ParseTableMap(ev) ...
//     default: break;  // unknown or uninteresting events are skipped
//   }
class BinlogEventParser {
 public:
  // Decompressed events larger than this are refused (MySQL's own maximum event size is 1 GiB).
  static constexpr size_t kDefaultMaxDecompressedSize = size_t{1} << 30;

  explicit BinlogEventParser(ChecksumAlgorithm initial = ChecksumAlgorithm::kUndefined)
      : checksum_(initial) {}

  // Sets the checksum algorithm of the events that follow (e.g. from @@binlog_checksum when the
  // client announced @master_binlog_checksum). Apply() overrides it from each FDE.
  void set_checksum(ChecksumAlgorithm algorithm) { checksum_ = algorithm; }
  ChecksumAlgorithm checksum() const { return checksum_; }
  // Upper bound for MariaDB compressed events (query and rows) once inflated.
  void set_max_decompressed_size(size_t bytes) { max_decompressed_size_ = bytes; }

  bool has_format_description() const { return has_fde_; }
  bool is_mariadb() const { return is_mariadb_; }
  const std::string& server_version() const { return server_version_; }

  // Splits `event_bytes` (exactly one event: header, body and CRC when checksums are on) into
  // header and body, checking the sizes and verifying the CRC32 trailer.
  //  - FORMAT_DESCRIPTION_EVENT: the checksum algorithm is read from the event itself (a
  //    checksum-aware server, MySQL >= 5.6.1 / MariaDB >= 5.3, always appends the algorithm byte
  //    and 4 checksum bytes); the body keeps the algorithm byte, drops the 4 checksum bytes.
  //  - While the algorithm is still kUndefined (before the first FDE), a ROTATE_EVENT (the fake
  //    rotate a server sends first on COM_BINLOG_DUMP) is taken to carry a CRC32 exactly when
  //    its last 4 bytes are the CRC32 of the rest; every other event is taken to have none.
  // Unknown event types frame like any other.
  Result<FramedEvent> Frame(std::string_view event_bytes) const;
  // Frames an event known to carry no checksum (the inner events of TRANSACTION_PAYLOAD).
  static Result<FramedEvent> FrameWithoutChecksum(std::string_view event_bytes);

  Result<FormatDescriptionEvent> ParseFormatDescription(const FramedEvent& event) const;
  // Adopts the FDE: checksum algorithm, post-header lengths and flavour for what follows.
  void Apply(const FormatDescriptionEvent& fde);

  Result<RotateEvent> ParseRotate(const FramedEvent& event) const;
  // QUERY_EVENT and MariaDB QUERY_COMPRESSED_EVENT (165; the query is inflated).
  Result<QueryEvent> ParseQuery(const FramedEvent& event) const;
  Result<XidEvent> ParseXid(const FramedEvent& event) const;
  Result<XaPrepareEvent> ParseXaPrepare(const FramedEvent& event) const;
  // GTID_LOG_EVENT and ANONYMOUS_GTID_LOG_EVENT.
  Result<MySqlGtidEvent> ParseMySqlGtid(const FramedEvent& event) const;
  // MySQL 8.4 GTID_TAGGED_LOG_EVENT: the same fields in MySQL's binary serialization (a size,
  // then numbered fields of variable-length integers), with the tag.
  Result<MySqlGtidEvent> ParseMySqlGtidTagged(const FramedEvent& event) const;
  // MySQL PREVIOUS_GTIDS_LOG_EVENT: the GTID set executed before this binlog file.
  Result<MySqlGtidSet> ParsePreviousGtids(const FramedEvent& event) const;
  Result<MariaGtidEvent> ParseMariaGtid(const FramedEvent& event) const;
  Result<MariaGtidListEvent> ParseMariaGtidList(const FramedEvent& event) const;
  Result<AnnotateRowsEvent> ParseAnnotateRows(const FramedEvent& event) const;
  // MySQL ROWS_QUERY_LOG_EVENT (binlog_rows_query_log_events=ON); the query goes in `query`.
  Result<AnnotateRowsEvent> ParseRowsQuery(const FramedEvent& event) const;
  // HEARTBEAT_LOG_EVENT (the position comes from the header) and HEARTBEAT_LOG_EVENT_V2.
  Result<HeartbeatEvent> ParseHeartbeat(const FramedEvent& event) const;
  Result<TableMapEvent> ParseTableMap(const FramedEvent& event) const;
  // WRITE/UPDATE/DELETE_ROWS v1 and v2, PARTIAL_UPDATE_ROWS, and MariaDB's compressed rows
  // events (166..171), whose row images are inflated into `*inflate_buffer`; `rows` then views
  // that buffer, so it must outlive the result. `inflate_buffer` may be null for other types.
  Result<RowsEvent> ParseRows(const FramedEvent& event, std::string* inflate_buffer) const;
  // The same into a caller-owned event, reusing its vectors' memory (no allocation per event
  // once warmed up); the hot path of the stream uses this one.
  Status ParseRowsInto(const FramedEvent& event, std::string* inflate_buffer, RowsEvent* out) const;
  // TRANSACTION_PAYLOAD_EVENT: decodes the field header and decompresses the payload (zstd or
  // none), refusing payloads larger than `max_uncompressed_size`. Iterate the inner events with
  // PayloadEventIterator.
  Result<TransactionPayloadEvent> ParseTransactionPayload(const FramedEvent& event,
                                                          size_t max_uncompressed_size) const;
  // Its fields only, `payload` left empty and `compressed` viewing the event: for
  // PayloadEventStream, which inflates the events one at a time.
  Result<TransactionPayloadEvent> ParseTransactionPayloadHeader(const FramedEvent& event) const;

  // True for the event types ParseRows accepts.
  static bool IsRowsEvent(uint8_t type);

 private:
  // Post-header length of `type` from the FDE, or the usual value when there is none.
  uint8_t PostHeaderLength(uint8_t type) const;
  Status Inflate(std::string_view compressed, std::string* out, const char* what) const;

  ChecksumAlgorithm checksum_;
  bool has_fde_ = false;
  bool is_mariadb_ = false;
  std::string server_version_;
  std::vector<uint8_t> post_header_lengths_;
  size_t max_decompressed_size_ = kDefaultMaxDecompressedSize;
};

// Decompresses the events of a TRANSACTION_PAYLOAD_EVENT (its `compressed` bytes, from
// ParseTransactionPayloadHeader) as they are read, holding only the event being handed out and
// one chunk of output: a large compressed transaction is never inflated whole. The events view
// the stream's buffer and are valid until the next call.
class PayloadEventStream {
 public:
  static constexpr size_t kChunkSize = size_t{64} << 10;

  PayloadEventStream(const TransactionPayloadEvent& header, size_t max_uncompressed_size);
  ~PayloadEventStream();
  PayloadEventStream(const PayloadEventStream&) = delete;
  PayloadEventStream& operator=(const PayloadEventStream&) = delete;

  // The next inner event; nullopt after the last one; an error for damaged or truncated data.
  Result<std::optional<FramedEvent>> Next();
  // Bytes the stream holds now (for tests of its bound).
  size_t buffer_capacity() const { return buffer_.capacity(); }

 private:
  // Decompresses until `n` unread bytes are buffered or the payload ends.
  Status Fill(size_t n);

  uint64_t compression_type_;
  uint64_t uncompressed_size_;
  size_t max_uncompressed_size_;
  std::string_view input_;
  size_t input_pos_ = 0;
  void* zstd_ = nullptr;  // ZSTD_DCtx
  std::string buffer_;
  size_t begin_ = 0;  // first unread byte of buffer_
  uint64_t produced_ = 0;
  bool done_ = false;
};

// The start of the error an event whose CRC32 trailer does not match its bytes gives.
inline constexpr std::string_view kChecksumMismatch = "CRC32 mismatch";
// True for that error (also with context added): bytes damaged on the way, which a source
// re-reads from its last position rather than stopping at once.
bool IsChecksumMismatch(const Status& status);

// Walks the events inside a decompressed TRANSACTION_PAYLOAD (they carry no checksums).
// The returned events view `payload`, which must outlive them.
class PayloadEventIterator {
 public:
  explicit PayloadEventIterator(std::string_view payload) : rest_(payload) {}
  // The next inner event; nullopt after the last one; an error for a truncated event.
  Result<std::optional<FramedEvent>> Next();

 private:
  std::string_view rest_;
};

}  // namespace vimur::mysql
