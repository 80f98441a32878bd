#include "source/mysql/mysql_source.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/logging.h"
#include "core/metrics_probes.h"
#include "core/row_vector_pool.h"
#include "source/key_change.h"
#include "source/mysql/binlog_archive.h"
#include "source/mysql/binlog_retention.h"
#include "source/mysql/ddl_targets.h"
#include "source/mysql/mysql_checks.h"
#include "source/mysql/mysql_snapshot.h"
#include "source/mysql/table_schema_builder.h"
#include "source/mysql/xa_statement.h"

namespace vimur::mysql {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Trimmed(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  size_t e = s.size();
  while (e > b && (std::isspace(static_cast<unsigned char>(s[e - 1])) || s[e - 1] == ';')) --e;
  return std::string(s.substr(b, e - b));
}

bool StartsWithWord(const std::string& text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) return false;
  }
  return text.size() == word.size() || !std::isalnum(static_cast<unsigned char>(text[word.size()]));
}

}  // namespace

BinlogTransactionAssembler::BinlogTransactionAssembler(const SourceConfig& config,
                                                       ChecksumAlgorithm checksum)
    : config_(config), filter_(config), parser_(checksum) {}

Status BinlogTransactionAssembler::Reset(const Position& start) {
  file_ = start.file;
  published_ = start;
  published_.source_state.clear();
  pending_xa_.clear();
  pending_xa_bytes_ = 0;
  replay_until_.reset();
  if (!start.source_state.empty()) {
    auto until = Position::FromJson(start.source_state);
    if (!until.ok()) {
      return until.status().WithContext("the stored position " + start.Describe() +
                                        " (its source_state names where a restart at a prepared "
                                        "XA transaction had published up to)");
    }
    replay_until_ = std::move(until).value();
  }
  UpdateDelivered();
  emitted_ = delivered_;
  stream_position_ = published_;
  in_txn_ = false;
  txn_ = Transaction();
  txn_storage_.reset();
  has_gtids_ = !start.gtid_set.empty();
  if (has_gtids_) {
    if (start.gtid_set.find(':') != std::string::npos) {
      VIMUR_ASSIGN_OR_RETURN(mysql_gtids_, MySqlGtidSet::Parse(start.gtid_set));
    } else {
      VIMUR_ASSIGN_OR_RETURN(maria_gtids_, MariaGtidState::Parse(start.gtid_set));
    }
  }
  return Status::Ok();
}

std::string BinlogTransactionAssembler::CurrentGtidSetText() const {
  if (!has_gtids_) return "";
  return parser_.is_mariadb() ? maria_gtids_.ToString() : mysql_gtids_.ToString();
}

Status BinlogTransactionAssembler::Process(std::string_view event_bytes,
                                           const TransactionConsumer& emit, bool* stopped) {
  VIMUR_ASSIGN_OR_RETURN(FramedEvent event, parser_.Frame(event_bytes));
  ++stats_.events;
  VIMUR_RETURN_IF_ERROR(Handle(event, event.header.next_pos, emit, stopped));
  if (!in_txn_) {
    if (event.header.type == static_cast<uint8_t>(EventType::kRotate)) {
      stream_position_ = published_;  // (the rotation's own offset is in the previous file)
    } else if (event.header.next_pos != 0) {
      stream_position_.file = file_;
      stream_position_.pos = event.header.next_pos;
    }
  }
  return Status::Ok();
}

std::shared_ptr<SourceInfo> BinlogTransactionAssembler::MakeSourceInfo() {
  auto s = std::make_shared<SourceInfo>();
  s->connector = parser_.is_mariadb() ? "mariadb" : "mysql";
  s->name = config_.topic_prefix;
  s->ts_ms = txn_ts_ms_;
  s->server_id = txn_server_id_;
  s->gtid = txn_gtid_;
  s->file = file_;
  s->pos = txn_pos_;
  s->thread = txn_thread_;
  return s;
}

void BinlogTransactionAssembler::UpdateDelivered() {
  const Position& done = replay_until_ ? *replay_until_ : published_;
  Position resume = pending_xa_.empty() ? published_ : pending_xa_.front().start;
  if (!(resume == done)) resume.source_state = done.ToJson();
  delivered_ = std::move(resume);
}

bool BinlogTransactionAssembler::GroupPublishedBefore() const {
  if (!replay_until_) return false;
  const Position& until = *replay_until_;
  if (!until.gtid_set.empty()) {
    if (txn_maria_gtid_ && until.gtid_set.find(':') == std::string::npos) {
      auto state = MariaGtidState::Parse(until.gtid_set);
      if (!state.ok()) return false;
      auto last = state->Get(txn_maria_gtid_->domain_id);
      return last && txn_maria_gtid_->sequence <= last->sequence;
    }
    if (txn_mysql_gtid_ && !txn_mysql_gtid_->anonymous &&
        until.gtid_set.find(':') != std::string::npos) {
      auto set = MySqlGtidSet::Parse(until.gtid_set);
      return set.ok() &&
             set->Contains(Tsid{Sid::FromBytes(txn_mysql_gtid_->sid), txn_mysql_gtid_->tag},
                           txn_mysql_gtid_->gno);
    }
  }
  // Without GTIDs: binlog file names of one server sort in the order they were written.
  return file_ < until.file || (file_ == until.file && txn_pos_ < until.pos);
}

Status BinlogTransactionAssembler::ConsumeGroup(uint64_t next_pos) {
  if (txn_maria_gtid_) {
    maria_gtids_.Update(*txn_maria_gtid_);
    has_gtids_ = true;
  }
  if (txn_mysql_gtid_ && !txn_mysql_gtid_->anonymous) {
    VIMUR_RETURN_IF_ERROR(mysql_gtids_.Add(*txn_mysql_gtid_));
    has_gtids_ = true;
  }
  txn_maria_gtid_.reset();
  txn_mysql_gtid_.reset();
  published_.gtid_set = CurrentGtidSetText();
  published_.file = file_;
  published_.pos = next_pos;
  in_txn_ = false;
  txn_is_xa_ = false;
  ++stats_.transactions;
  // Every event group maps the tables it uses before their rows, so between groups the map
  // may be forgotten: it is, when table ids changed so often that it grew past its bound.
  if (tables_.size() > kMaxTableIds) tables_.clear();
  return Status::Ok();
}

void BinlogTransactionAssembler::MaybeEmitPosition(const TransactionConsumer& emit, bool* stopped) {
  if (in_txn_ || delivered_ == emitted_) return;
  int64_t now = NowMs();
  if (now - emitted_at_ms_ < config_.heartbeat_interval_ms) return;
  Transaction position_only;
  position_only.id = "heartbeat";
  position_only.end = delivered_;
  emitted_ = delivered_;
  emitted_at_ms_ = now;
  if (!emit(std::move(position_only))) *stopped = true;
}

std::string BinlogTransactionAssembler::TransactionId() const {
  return txn_gtid_.empty() ? file_ + ":" + std::to_string(txn_pos_) : txn_gtid_;
}

void BinlogTransactionAssembler::BeginTransaction(std::string gtid, uint64_t pos,
                                                  uint32_t timestamp, uint32_t server_id) {
  in_txn_ = true;
  saw_begin_ = false;
  txn_gtid_ = std::move(gtid);
  txn_pos_ = pos;
  txn_ts_ms_ = int64_t{timestamp} * 1000;
  txn_server_id_ = server_id;
  txn_thread_ = -1;
  txn_ = Transaction();
  txn_storage_.reset();
  txn_table_counts_.clear();
  txn_event_count_ = 0;
  txn_source_.reset();
  group_start_ = published_;
  txn_is_xa_ = false;
  txn_xid_.clear();
  txn_xa_evicted_ = false;
  txn_xa_reread_ = false;
}

Status BinlogTransactionAssembler::EndTransaction(uint64_t next_pos,
                                                  const TransactionConsumer& emit, bool* stopped) {
  // An XA transaction re-read for its rows is published at its prepare, before the point.
  const bool published_before = GroupPublishedBefore() && !txn_xa_reread_;
  if (!GroupPublishedBefore()) replay_until_.reset();  // the replay after a restart is over
  VIMUR_RETURN_IF_ERROR(ConsumeGroup(next_pos));
  UpdateDelivered();
  const Position& end = delivered_;
  if (published_before || (txn_.events.empty() && txn_.schema_changes.empty())) {
    txn_ = Transaction();
    txn_storage_.reset();
    MaybeEmitPosition(emit, stopped);
    return Status::Ok();
  }
  emitted_ = end;
  emitted_at_ms_ = NowMs();
  txn_.id = TransactionId();
  txn_.source = txn_source_ ? txn_source_ : MakeSourceInfo();
  txn_.end = end;
  txn_.complete = true;
  last_txn_events_ = std::min<size_t>(txn_.events.size(), 4096);
  if (!emit(std::move(txn_))) *stopped = true;
  txn_ = Transaction();
  txn_storage_.reset();
  return Status::Ok();
}

Status BinlogTransactionAssembler::Handle(const FramedEvent& event, uint64_t next_pos,
                                          const TransactionConsumer& emit, bool* stopped) {
  const EventHeader& h = event.header;
  switch (static_cast<EventType>(h.type)) {
    case EventType::kFormatDescription: {
      VIMUR_ASSIGN_OR_RETURN(auto fde, parser_.ParseFormatDescription(event));
      parser_.Apply(fde);
      return Status::Ok();
    }
    case EventType::kRotate: {
      VIMUR_ASSIGN_OR_RETURN(auto rotate, parser_.ParseRotate(event));
      file_ = rotate.next_file;
      if (!in_txn_) {
        published_.file = file_;
        published_.pos = rotate.position;
        UpdateDelivered();
      }
      return Status::Ok();
    }
    case EventType::kMariaGtid: {
      VIMUR_ASSIGN_OR_RETURN(auto gtid, parser_.ParseMariaGtid(event));
      gtid.server_id = h.server_id;
      BeginTransaction(std::to_string(gtid.domain_id) + "-" + std::to_string(h.server_id) + "-" +
                           std::to_string(gtid.sequence),
                       next_pos - h.event_size, h.timestamp, h.server_id);
      saw_begin_ = !gtid.standalone();
      txn_is_xa_ = gtid.prepared_xa();
      if (txn_is_xa_) {
        txn_xid_ = gtid.xid;
        txn_xa_reread_ = reread_xids_.count(txn_xid_) > 0;
      }
      txn_maria_gtid_ = gtid;
      return Status::Ok();
    }
    case EventType::kGtid:
    case EventType::kAnonymousGtid:
    case EventType::kGtidTaggedLog: {
      VIMUR_ASSIGN_OR_RETURN(auto gtid, h.type == static_cast<uint8_t>(EventType::kGtidTaggedLog)
                                            ? parser_.ParseMySqlGtidTagged(event)
                                            : parser_.ParseMySqlGtid(event));
      std::string text = gtid.anonymous ? std::string()
                                        : Sid::FromBytes(gtid.sid).ToString() +
                                              (gtid.tag.empty() ? "" : ":" + gtid.tag) + ":" +
                                              std::to_string(gtid.gno);
      BeginTransaction(std::move(text), next_pos - h.event_size, h.timestamp, h.server_id);
      if (gtid.immediate_commit_timestamp != 0) {
        txn_ts_ms_ = static_cast<int64_t>(gtid.immediate_commit_timestamp / 1000);
      }
      txn_mysql_gtid_ = gtid;
      return Status::Ok();
    }
    case EventType::kQuery:
    case EventType::kMariaQueryCompressed: return HandleQuery(event, next_pos, emit, stopped);
    case EventType::kXid:
      if (!in_txn_) return Status::Ok();
      return EndTransaction(next_pos, emit, stopped);
    case EventType::kXaPrepare: {
      VIMUR_ASSIGN_OR_RETURN(auto prepare, parser_.ParseXaPrepare(event));
      if (!in_txn_) return Status::Ok();
      // XA COMMIT ... ONE PHASE ends its group with this event too: a plain commit.
      if (prepare.one_phase) return EndTransaction(next_pos, emit, stopped);
      return PrepareXa(prepare.ToSql(), next_pos, emit, stopped);
    }
    case EventType::kTableMap: return HandleTableMap(event);
    case EventType::kTransactionPayload: {
      // Inflated an event at a time: memory holds one inner event, not the whole transaction.
      VIMUR_ASSIGN_OR_RETURN(auto payload, parser_.ParseTransactionPayloadHeader(event));
      PayloadEventStream it(payload, size_t{1} << 34);
      while (true) {
        VIMUR_ASSIGN_OR_RETURN(auto inner, it.Next());
        if (!inner) break;
        // Inner events carry no positions of their own: they are at the payload's position.
        VIMUR_RETURN_IF_ERROR(Handle(*inner, next_pos, emit, stopped));
      }
      return Status::Ok();
    }
    case EventType::kHeartbeat:
    case EventType::kHeartbeatV2: MaybeEmitPosition(emit, stopped); return Status::Ok();
    case EventType::kMariaAnnotateRows:
    case EventType::kRowsQuery:
    case EventType::kPreviousGtids:
    case EventType::kMariaGtidList:
    case EventType::kMariaBinlogCheckpoint:
    case EventType::kStop:
    case EventType::kIntvar:
    case EventType::kRand:
    case EventType::kUserVar: return Status::Ok();
    default: break;
  }
  if (BinlogEventParser::IsRowsEvent(h.type))
    return HandleRows(event, next_pos - h.event_size, emit, stopped);
  ++stats_.skipped_unknown;
  LOG_DEBUG << "skipping binlog event type " << int{h.type} << " (" << EventTypeName(h.type)
            << ") at " << file_ << ":" << next_pos;
  return Status::Ok();
}

Status BinlogTransactionAssembler::HandleQuery(const FramedEvent& event, uint64_t next_pos,
                                               const TransactionConsumer& emit, bool* stopped) {
  VIMUR_ASSIGN_OR_RETURN(auto query, parser_.ParseQuery(event));
  std::string sql = Trimmed(query.query);
  if (StartsWithWord(sql, "BEGIN") || StartsWithWord(sql, "START TRANSACTION") ||
      StartsWithWord(sql, "XA START")) {
    if (!in_txn_) {
      BeginTransaction("", next_pos - event.header.event_size, event.header.timestamp,
                       event.header.server_id);
    }
    saw_begin_ = true;
    // MySQL's BEGIN names the client's thread (Debezium's source.thread); MariaDB writes a
    // GTID event instead, and the thread stays unknown (null), as with Debezium.
    if (!txn_source_) txn_thread_ = query.thread_id;
    if (StartsWithWord(sql, "XA START")) {
      txn_is_xa_ = true;
      auto xid = CanonicalXid(std::string_view(sql).substr(8));
      txn_xid_ = xid ? *xid : "";
      txn_xa_reread_ = xid && reread_xids_.count(*xid) > 0;
    }
    return Status::Ok();
  }
  if (StartsWithWord(sql, "XA END")) return Status::Ok();
  if (StartsWithWord(sql, "COMMIT")) {
    if (!in_txn_) return Status::Ok();
    return EndTransaction(next_pos, emit, stopped);
  }
  for (const bool commit : {true, false}) {
    const std::string_view verb = commit ? "XA COMMIT" : "XA ROLLBACK";
    if (StartsWithWord(sql, verb)) {
      if (!in_txn_) {
        BeginTransaction("", next_pos - event.header.event_size, event.header.timestamp,
                         event.header.server_id);
      }
      return CompleteXa(std::string_view(sql).substr(verb.size()), commit, next_pos, emit, stopped);
    }
  }
  if (StartsWithWord(sql, "XA PREPARE")) {  // logged as a statement by some servers
    if (!in_txn_) return Status::Ok();
    auto xid = CanonicalXid(std::string_view(sql).substr(10));
    return PrepareXa(xid ? *xid : sql, next_pos, emit, stopped);
  }
  if (StartsWithWord(sql, "ROLLBACK")) {
    if (StartsWithWord(sql, "ROLLBACK TO")) return Status::Ok();
    in_txn_ = false;
    txn_ = Transaction();
    txn_storage_.reset();
    return Status::Ok();
  }
  if (StartsWithWord(sql, "SAVEPOINT") || StartsWithWord(sql, "FLUSH") || sql.empty()) {
    return Status::Ok();
  }
  // A DDL statement (or another statement logged as text). It changes table shapes: the next
  // TABLE_MAP of each table carries the new one, so cached maps of this database are dropped.
  if (!in_txn_) {
    BeginTransaction("", next_pos - event.header.event_size, event.header.timestamp,
                     event.header.server_id);
  }
  if (IsAccountStatement(query.query)) {
    // Accounts, roles and privileges are not data, and the text may hold a password: it never
    // leaves Vimur, not even in a log line. Table shapes are unchanged.
    ++stats_.skipped_account_statements;
    if (!saw_begin_) return EndTransaction(next_pos, emit, stopped);
    return Status::Ok();
  }
  DdlTargets targets = ExtractDdlTargets(query.query, query.database);
  tables_.clear();
  if (PublishesDdl(targets)) {
    SchemaChange change;
    change.database = std::move(targets.database);
    change.tables = std::move(targets.tables);
    for (const std::string& table : change.tables) last_ddl_[table] = query.query;
    change.ddl = query.query;
    if (!txn_source_) txn_source_ = MakeSourceInfo();
    change.source = txn_source_;
    txn_.schema_changes.push_back(std::move(change));
    txn_.approx_bytes += query.query.size();
  } else {
    ++stats_.skipped_ddl;
  }
  if (!saw_begin_) return EndTransaction(next_pos, emit, stopped);
  return Status::Ok();
}

Status BinlogTransactionAssembler::PrepareXa(std::string xid, uint64_t next_pos,
                                             const TransactionConsumer& emit, bool* stopped) {
  if (txn_xa_reread_ || reread_xids_.count(xid) > 0) {
    // Committed, as a stream before this one saw: published here, at its prepare.
    emitted_at_prepare_.insert(xid);
    txn_xa_reread_ = true;
    return EndTransaction(next_pos, emit, stopped);
  }
  // The rows are published at XA COMMIT, in its place in the stream; until then they are held
  // here and the resume position stays at this group, so a restart reads them again.
  PendingXa pending;
  pending.xid = std::move(xid);
  pending.start = group_start_;
  pending.evicted = txn_xa_evicted_;
  pending.txn = std::move(txn_);
  pending.txn.source = txn_source_ ? txn_source_ : MakeSourceInfo();
  txn_ = Transaction();
  txn_storage_.reset();
  for (auto it = pending_xa_.begin(); it != pending_xa_.end(); ++it) {
    if (it->xid == pending.xid) {  // the same XID prepared again: the older one ended unseen
      pending_xa_bytes_ -= it->txn.approx_bytes;
      pending_xa_.erase(it);
      break;
    }
  }
  pending_xa_bytes_ += pending.txn.approx_bytes;
  pending_xa_.push_back(std::move(pending));
  if (!GroupPublishedBefore()) replay_until_.reset();
  VIMUR_RETURN_IF_ERROR(ConsumeGroup(next_pos));
  UpdateDelivered();
  MaybeEmitPosition(emit, stopped);
  return Status::Ok();
}

Status BinlogTransactionAssembler::CompleteXa(std::string_view rest, bool commit, uint64_t next_pos,
                                              const TransactionConsumer& emit, bool* stopped) {
  std::optional<std::string> xid = CanonicalXid(rest);
  auto it = pending_xa_.end();
  if (xid) {
    it = std::find_if(pending_xa_.begin(), pending_xa_.end(),
                      [&](const PendingXa& p) { return p.xid == *xid; });
  }
  if (it != pending_xa_.end() && it->evicted && commit && !GroupPublishedBefore()) {
    // Its rows were over the bound and not held: read them again from the prepare. The resume
    // position is at or before it; this commit is not consumed, so it comes again.
    reread_xids_.insert(it->xid);
    reread_requested_ = true;
    return Status::Unavailable(
        "source " + config_.name + ": XA transaction " + it->xid + " committed at " + file_ + ":" +
        std::to_string(txn_pos_) + "; its prepared rows, over the " +
        std::to_string(max_pending_xa_bytes_ >> 20) +
        " MiB held for prepared XA transactions, are read again from " + delivered_.Describe());
  }
  if (it == pending_xa_.end()) {
    if (xid && (emitted_at_prepare_.erase(*xid) > 0 || reread_xids_.count(*xid) > 0)) {
      reread_xids_.erase(*xid);  // published at its prepare: the commit adds nothing
      txn_ = Transaction();
      txn_storage_.reset();
      return EndTransaction(next_pos, emit, stopped);
    }
    // XA COMMIT ... ONE PHASE written as a statement after the rows: a plain commit.
    if (commit && (!txn_.events.empty() || !txn_.schema_changes.empty())) {
      return EndTransaction(next_pos, emit, stopped);
    }
    if (commit && !GroupPublishedBefore()) {
      LOG_WARN << "source " << config_.name << ": XA COMMIT at " << file_ << ":" << txn_pos_
               << " of a transaction prepared before the position this stream started from; "
                  "its rows were not read and are not published (take a snapshot of its tables "
                  "if they matter)";
    }
    txn_ = Transaction();
    txn_storage_.reset();
    return EndTransaction(next_pos, emit, stopped);
  }
  Transaction held = std::move(it->txn);
  pending_xa_bytes_ -= held.approx_bytes;
  pending_xa_.erase(it);
  txn_ = Transaction();
  txn_storage_.reset();
  if (commit) {
    txn_.events = std::move(held.events);
    txn_.schema_changes = std::move(held.schema_changes);
    txn_.approx_bytes = held.approx_bytes;
    txn_source_ = std::const_pointer_cast<SourceInfo>(held.source);
  }
  return EndTransaction(next_pos, emit, stopped);
}

bool BinlogTransactionAssembler::PublishesDdl(const DdlTargets& targets) const {
  // As Debezium does: the schema-change topic carries DDL of captured tables, and DDL that
  // names no table (CREATE DATABASE, views, routines) of databases that hold captured tables.
  if (!targets.tables.empty()) {
    for (const std::string& name : targets.tables) {
      const size_t dot = name.find('.');
      if (dot != std::string::npos &&
          filter_.IncludesTable(name.substr(0, dot), name.substr(dot + 1))) {
        return true;
      }
    }
    return false;
  }
  return !targets.database.empty() && filter_.IncludesDatabase(targets.database);
}

Status BinlogTransactionAssembler::HandleTableMap(const FramedEvent& event) {
  VIMUR_ASSIGN_OR_RETURN(TableMapEvent map, parser_.ParseTableMap(event));
  auto existing = tables_.find(map.table_id);
  if (existing != tables_.end() && existing->second.map.database == map.database &&
      existing->second.map.table == map.table &&
      existing->second.map.column_types == map.column_types &&
      existing->second.map.column_meta == map.column_meta &&
      existing->second.map.column_names == map.column_names) {
    return Status::Ok();  // same table, same shape: keep the cached schema
  }
  TableEntry entry;
  entry.captured = filter_.IncludesTable(map.database, map.table);
  if (entry.captured) {
    auto built = BuildTableSchema(map);
    if (!built.ok()) {
      return built.status().WithContext("table " + map.database + "." + map.table + " at " + file_ +
                                        ":" + std::to_string(event.header.next_pos));
    }
    TableSchema schema = std::move(built).value();
    std::string qualified = schema.qualified_name();
    auto& last = last_shape_[qualified];
    if (last && last->SameShape(schema)) {
      entry.full = last;
    } else {
      schema.version = last ? last->version + 1 : 1;
      if (auto ddl = last_ddl_.find(qualified); ddl != last_ddl_.end()) {
        schema.last_ddl = ddl->second;
      }
      if (defaults_ != nullptr) AddColumnDefaults(*defaults_, parser_.is_mariadb(), &schema);
      last = std::make_shared<const TableSchema>(std::move(schema));
      entry.full = last;
    }
    entry.projected = ProjectedSchema(filter_, entry.full, &entry.kept);
  }
  entry.map = std::move(map);
  tables_[entry.map.table_id] = std::move(entry);
  return Status::Ok();
}

std::vector<Value> BinlogTransactionAssembler::SpareRow() {
  return RowVectorPool::Shared().TakeRow(&spare_events_);
}

// The bytes of a transaction's (or chunk's) rows events and the text decoded from them, which
// its events' values view. Each event holds it (ChangeEvent::storage), so it lives as long as
// any of them: one allocation per few rows events, freed once, instead of a buffer per rows
// event freed by the publishing thread. Not the events' table pointer: serializers cache
// those per table, which would keep up to one transaction's storage per cached table.
struct RowsStorage {
  ByteArena bytes{4096};  // the rows events' row images, copied from the connection's buffer
  ByteArena arena{1024};  // decimals and other formatted text; grows when needed
  // The full and projected schemas of the rows events: ENUM values view the member strings of
  // the full schema; the projected one is the events' table.
  std::vector<TableSchemaPtr> schemas;
};

Status BinlogTransactionAssembler::HandleRows(const FramedEvent& event, uint64_t event_pos,
                                              const TransactionConsumer& emit, bool* stopped) {
  VIMUR_ASSIGN_OR_RETURN(RowsEvent rows, parser_.ParseRows(event, &inflate_buffer_));
  ++stats_.row_events;
  auto it = tables_.find(rows.table_id);
  if (it == tables_.end()) {
    return Status::Corruption("row event for table id " + std::to_string(rows.table_id) +
                              " with no TABLE_MAP before it at " + file_ + ":" +
                              std::to_string(event_pos));
  }
  TableEntry& table = it->second;
  if (!table.captured || txn_xa_evicted_) return Status::Ok();
  // Re-read after a restart and published before: not decoded again (XA prepares were not).
  if (in_txn_ && !txn_is_xa_ && GroupPublishedBefore()) return Status::Ok();
  if (!in_txn_) BeginTransaction("", event_pos, event.header.timestamp, event.header.server_id);
  if (!txn_source_) txn_source_ = MakeSourceInfo();

  if (!txn_storage_) txn_storage_ = std::make_shared<RowsStorage>();
  RowsStorage* storage = txn_storage_.get();
  // What this event adds to the memory the transaction holds until it is published, counted
  // for the queue's byte bound: bytes and text in the storage, events and their values.
  const size_t storage_before = storage->bytes.capacity() + storage->arena.capacity();
  const std::string_view row_bytes = storage->bytes.Copy(rows.rows);
  if (storage->schemas.empty() || storage->schemas.back() != table.projected) {
    storage->schemas.push_back(table.full);
    storage->schemas.push_back(table.projected);
  }
  const TableSchemaPtr& event_table = table.projected;
  ByteReader reader(row_bytes);
  const TableSchema& full = *table.full;
  const bool projected = table.projected != table.full;
  // The image layouts, worked out once for all rows of the event.
  const bool has_before = rows.kind != RowsKind::kWrite;
  const bool has_after = rows.kind != RowsKind::kDelete;
  if (has_before) {
    VIMUR_RETURN_IF_ERROR(
        RowImageDecoder::Prepare(table.map, full, rows.columns_present_before, &before_plan_));
  }
  if (has_after) {
    VIMUR_RETURN_IF_ERROR(
        RowImageDecoder::Prepare(table.map, full, rows.columns_present_after, &after_plan_));
  }
  if (txn_.events.empty()) txn_.events.reserve(last_txn_events_);
  const size_t events_before = txn_.events.size();
  size_t values = 0;
  // Every row of the event belongs to one table: its per-transaction counter is looked up once.
  uint64_t& table_count = txn_table_counts_[table.projected.get()];
  uint32_t row_index = 0;
  while (!reader.empty()) {
    // Built in place; removed again if the row does not decode.
    ChangeEvent& ev = txn_.events.emplace_back();
    // Row images decode into vectors of events already published, when the pipeline hands
    // them back (no allocation per row).
    if (has_before) ev.before = SpareRow();
    if (has_after) ev.after = SpareRow();
    ev.table = event_table;
    ev.storage = txn_storage_;
    ev.source = txn_source_;
    ev.row = row_index++;
    // Without excluded columns the images are decoded straight into the event (no copy).
    std::vector<Value>* before = projected ? &row_before_ : &ev.before;
    std::vector<Value>* after = projected ? &row_after_ : &ev.after;
    Status s;
    switch (rows.kind) {
      case RowsKind::kWrite:
        ev.op = Op::kCreate;
        s = decoder_.DecodeRow(after_plan_, &reader, &storage->arena, after);
        break;
      case RowsKind::kDelete:
        ev.op = Op::kDelete;
        s = decoder_.DecodeRow(before_plan_, &reader, &storage->arena, before);
        break;
      case RowsKind::kUpdate:
      case RowsKind::kPartialUpdate:
        ev.op = Op::kUpdate;
        s = decoder_.DecodeRow(before_plan_, &reader, &storage->arena, before);
        if (s.ok() && rows.kind == RowsKind::kPartialUpdate) {
          s = decoder_.DecodePartialUpdateAfterRow(after_plan_, *before, &reader, &storage->arena,
                                                   after);
        } else if (s.ok()) {
          s = decoder_.DecodeRow(after_plan_, &reader, &storage->arena, after);
        }
        break;
    }
    if (!s.ok()) {
      const uint32_t row = ev.row;
      txn_.events.pop_back();
      return s.WithContext("decoding row " + std::to_string(row) + " of " + full.qualified_name() +
                           " at " + file_ + ":" + std::to_string(event_pos) +
                           "; the binlog event does not match the table map (report this with "
                           "the binlog file)");
    }
    if (projected) {
      auto take = [&](const std::vector<Value>& decoded, std::vector<Value>* into) {
        into->reserve(table.kept.size());
        for (size_t k : table.kept) into->push_back(decoded[k]);
      };
      if (ev.op != Op::kCreate) take(row_before_, &ev.before);
      if (ev.op != Op::kDelete) take(row_after_, &ev.after);
    }
    ev.total_order = ++txn_event_count_;
    ev.data_collection_order = ++table_count;
    ++stats_.rows;
    values += ev.before.size() + ev.after.size();
    if (ChangesKey(ev)) {
      ChangeEvent created = SplitKeyChange(&txn_.events.back());
      created.total_order = ++txn_event_count_;
      created.data_collection_order = ++table_count;
      txn_.events.push_back(std::move(created));
    }
  }
  txn_.approx_bytes += storage->bytes.capacity() + storage->arena.capacity() - storage_before +
                       (txn_.events.size() - events_before) * sizeof(ChangeEvent) +
                       values * sizeof(Value) + 64;
  if (txn_is_xa_ && !txn_xa_reread_ &&
      txn_.approx_bytes + pending_xa_bytes_ > max_pending_xa_bytes_) {
    // Not held: at its XA COMMIT the rows are read again from the prepare (see the bound).
    LOG_INFO << "source " << config_.name << ": the XA transaction " << TransactionId() << " at "
             << file_ << ":" << txn_pos_ << " holds more than the " << (max_pending_xa_bytes_ >> 20)
             << " MiB kept for prepared XA transactions; its rows are read again at its commit";
    txn_ = Transaction();
    txn_storage_.reset();
    txn_xa_evicted_ = true;
    return Status::Ok();
  }
  // A prepared XA transaction is held whole until XA COMMIT (its rows must not be published
  // earlier); one re-read after its commit is published like any large transaction.
  if ((!txn_is_xa_ || txn_xa_reread_) && txn_.approx_bytes >= chunk_bytes_) {
    // Too large to hold whole: hand over what is decoded so far, without a resume point.
    Transaction chunk = std::move(txn_);
    txn_ = Transaction();
    txn_storage_.reset();
    chunk.id = TransactionId();
    chunk.source = txn_source_;
    chunk.complete = false;
    if (!emit(std::move(chunk))) *stopped = true;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------

MySqlSource::MySqlSource(SourceConfig config) : config_(std::move(config)) {}

MySqlConnectOptions MySqlSource::ConnectOptions() const {
  MySqlConnectOptions o;
  o.host = config_.host;
  o.port = static_cast<uint16_t>(config_.port);
  o.user = config_.user;
  o.password = config_.password;
  auto mode = ParseSslMode(config_.tls.mode);
  o.ssl_mode = mode.ok() ? *mode : SslMode::kPreferred;
  o.ssl_ca = config_.tls.ca;
  o.ssl_cert = config_.tls.cert;
  o.ssl_key = config_.tls.key;
  o.connect_timeout_s = static_cast<uint32_t>(config_.connect_timeout_s);
  // The stream sees a heartbeat at least every heartbeat interval; allow for three missed.
  o.read_timeout_s = static_cast<uint32_t>(std::max(10, config_.heartbeat_interval_ms * 3 / 1000));
  return o;
}

Result<Position> MySqlSource::CurrentEnd() {
  VIMUR_ASSIGN_OR_RETURN(MySqlConnection conn, MySqlConnection::Connect(ConnectOptions()));
  VIMUR_ASSIGN_OR_RETURN(ServerBinlogStatus status, QueryBinlogStatus(conn));
  if (status.file.empty()) {
    return Status::FailedPrecondition(
        "the server at " + ConnectOptions().Endpoint() +
        " has binary logging off; enable it with log_bin and binlog_format=ROW (see vimur check)");
  }
  Position p;
  p.gtid_set = status.gtid_set;
  p.file = status.file;
  p.pos = status.pos;
  return p;
}

Result<Position> MySqlSource::Snapshot(const Position& resume, const TransactionConsumer& consumer,
                                       const std::atomic<bool>& stop) {
  ServerColumnDefaults defaults(ConnectOptions());
  MySqlConnectOptions options = ConnectOptions();
  // A chunk query on a large table may take long before its first row (a table without a
  // primary key is one sorted scan): the stream's heartbeat-based timeout does not apply.
  options.read_timeout_s = std::max<uint32_t>(options.read_timeout_s, 3600);
  MySqlSnapshot snapshot(config_, std::move(options), &defaults);
  return snapshot.Run(resume, consumer, stop);
}

void MySqlSource::Acknowledged(const Position& position) {
  std::lock_guard<std::mutex> lock(acknowledged_mu_);
  acknowledged_ = position;
}

void MySqlSource::MeasureRetention(const Position& before_any) {
  Position at;
  {
    std::lock_guard<std::mutex> lock(acknowledged_mu_);
    at = acknowledged_.file.empty() ? before_any : acknowledged_;
  }
  if (at.file.empty()) return;
  auto conn = MySqlConnection::Connect(ConnectOptions());
  if (!conn.ok()) return;  // the stream itself reports a server that went away
  auto logs = conn->QueryWithColumns("SHOW BINARY LOGS");
  if (!logs.ok()) {
    LOG_WARN << "source " << config_.name
             << ": cannot measure the binlog the server keeps: " << logs.status().message();
    return;
  }
  const int name = logs->ColumnIndex("Log_name");
  const int size = logs->ColumnIndex("File_size");
  if (name < 0 || size < 0) return;
  std::vector<std::pair<std::string, uint64_t>> files;
  for (const SqlRow& row : logs->rows) {
    if (static_cast<size_t>(std::max(name, size)) >= row.size()) continue;
    const auto& n = row[static_cast<size_t>(name)];
    const auto& z = row[static_cast<size_t>(size)];
    if (n && z) files.emplace_back(*n, std::strtoull(z->c_str(), nullptr, 10));
  }
  const BinlogRetention retained = RetainedFrom(files, at.file, at.pos);
  metrics::SourceProbe& probe = metrics::SourceProbe::For(config_.name);
  probe.retained_bytes.Set(static_cast<double>(retained.bytes));
  probe.retained_files.Set(static_cast<double>(retained.files));
}

Result<bool> MySqlSource::PositionAvailable(const Position& position) {
  if (position.file.empty()) return true;
  VIMUR_ASSIGN_OR_RETURN(MySqlConnection conn, MySqlConnection::Connect(ConnectOptions()));
  VIMUR_ASSIGN_OR_RETURN(std::vector<SqlRow> logs, conn.Query("SHOW BINARY LOGS"));
  for (const SqlRow& row : logs) {
    if (!row.empty() && row[0] && *row[0] == position.file) return true;
  }
  // Purged from the server but archived: read from there (the archive's gaps show when read).
  std::error_code ec;
  return !config_.binlog_archive.empty() &&
         std::filesystem::exists(config_.binlog_archive + "/" + position.file, ec);
}

std::vector<vimur::CheckResult> MySqlSource::Check() {
  auto conn = MySqlConnection::Connect(ConnectOptions());
  if (!conn.ok()) {
    return {vimur::CheckResult{"connect to " + ConnectOptions().Endpoint(), false,
                               conn.status().message(),
                               "check host, port, user and password of this source, and that the "
                               "server is running and reachable"}};
  }
  std::vector<vimur::CheckResult> results = {
      vimur::CheckResult{"connect to " + ConnectOptions().Endpoint(), true, "", ""}};
  for (auto& r : CheckMySqlSource(*conn, config_.server_id)) {
    results.push_back(vimur::CheckResult{r.name, r.ok, r.detail, r.fix});
  }
  return results;
}

Status MySqlSource::StreamOnce(BinlogTransactionAssembler& assembler,
                               IncrementalSnapshot& incremental,
                               const TransactionConsumer& consumer, const std::atomic<bool>& stop) {
  VIMUR_ASSIGN_OR_RETURN(MySqlConnection conn, MySqlConnection::Connect(ConnectOptions()));
  BinlogClientOptions options;
  options.server_id = config_.server_id;
  // At least every second: between heartbeats an idle stream cannot take snapshot requests.
  options.heartbeat_period_ms =
      static_cast<uint32_t>(std::min(config_.heartbeat_interval_ms, 1000));
  BinlogClient client(std::move(conn), options);
  VIMUR_ASSIGN_OR_RETURN(std::string checksum, client.BinlogChecksum());
  const Position& from = assembler.delivered();
  // Every transaction passes the incremental snapshot on its way (progress, changed keys);
  // between event groups it may hand on a chunk of a table being read.
  const TransactionConsumer observed = [&](Transaction&& txn) {
    incremental.Observe(txn);
    return consumer(std::move(txn));
  };
  if (!config_.binlog_archive.empty() && !from.file.empty()) {
    VIMUR_ASSIGN_OR_RETURN(auto binlogs, client.AvailableBinlogs());
    if (std::find(binlogs.begin(), binlogs.end(), from.file) == binlogs.end()) {
      LOG_INFO << "source " << config_.name << ": the stored position " << from.Describe()
               << " was purged from the server; reading binlog_archive " << config_.binlog_archive;
      bool stopped = false;
      VIMUR_ASSIGN_OR_RETURN(
          ArchiveCatchUp read,
          CatchUpFromArchive(config_.binlog_archive, binlogs, assembler, observed, stop, &stopped));
      if (stop.load() || stopped) return Status::Ok();
      std::string files;
      for (const std::string& f : read.files) files += (files.empty() ? "" : ", ") + f;
      LOG_INFO << "source " << config_.name << ": read " << read.events << " events from "
               << read.files.size() << " archived binlogs (" << files
               << "); continuing on the server from " << from.Describe();
    }
  }

  StartPosition start;
  if (!from.gtid_set.empty()) {
    std::string encoded;
    if (from.gtid_set.find(':') != std::string::npos) {
      VIMUR_ASSIGN_OR_RETURN(auto set, MySqlGtidSet::Parse(from.gtid_set));
      encoded = set.EncodeForDump();
    }
    start = StartPosition::Gtid(from.gtid_set, encoded);
  } else {
    VIMUR_ASSIGN_OR_RETURN(auto binlogs, client.AvailableBinlogs());
    if (std::find(binlogs.begin(), binlogs.end(), from.file) == binlogs.end()) {
      return Status::FailedPrecondition(
          "source " + config_.name + ": the stored position " + from.Describe() +
          " is no longer on the server (binlog purged); changes since then cannot be read. "
          "Remove the stored offset to start again (with snapshot: initial, from a new "
          "snapshot), or set snapshot: when_needed to take a new snapshot in such a case");
    }
    start = StartPosition::FilePos(from.file, from.pos);
  }
  Status started = client.Start(start);
  if (!started.ok()) {
    if (started.code() == StatusCode::kFailedPrecondition) {
      return Status::FailedPrecondition(
          "source " + config_.name + ": the server cannot stream from the stored position " +
          from.Describe() + ": " + started.message() +
          ". Remove the stored offset to start again (with snapshot: initial, from a new "
          "snapshot), or set snapshot: when_needed to take a new snapshot in such a case");
    }
    return started;
  }
  LOG_INFO << "source " << config_.name << ": streaming from " << from.Describe();
  metrics::SourceProbe::For(config_.name).up.Set(1);
  // The parser needs to know whether events before the first FDE carry checksums.
  (void)checksum;
  const unsigned long dump_connection = client.connection().thread_id();

  // Wakes a blocked read when the pipeline stops, and measures the binlog the server keeps
  // for this source every minute.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  const Position streamed_from = from;  // `from` moves on with the stream
  std::thread watcher([&] {
    std::unique_lock<std::mutex> lock(mu);
    auto measure_at = std::chrono::steady_clock::now();
    while (!done && !stop.load()) {
      if (std::chrono::steady_clock::now() >= measure_at) {
        measure_at += std::chrono::minutes(1);
        lock.unlock();
        MeasureRetention(streamed_from);
        lock.lock();
        continue;
      }
      cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (!done) client.Interrupt();
  });
  Status result;
  bool stopped = false;
  while (!stop.load() && !stopped) {
    auto event = client.NextEvent();
    if (!event.ok()) {
      result = stop.load() ? Status::Ok() : event.status();
      break;
    }
    result = assembler.Process(*event, observed, &stopped);
    if (!result.ok()) break;
    if (!stopped && !assembler.in_transaction() && assembler.pending_xa() == 0) {
      result = incremental.AtBoundary(assembler.stream_position(), assembler.delivered(), consumer,
                                      stop, &stopped);
      if (!result.ok()) break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  watcher.join();
  if (stop.load() || stopped) EndDumpThread(dump_connection);
  return result;
}

void MySqlSource::EndDumpThread(unsigned long connection_id) {
  // The server keeps the dump thread of a closed replica connection until it next writes to
  // it (the next heartbeat or change), and until then a new stream from it runs slower (about
  // 0.1 s per 100 MB in tests); a restart with the same server_id waits for it. A user may
  // end its own connections.
  if (connection_id == 0) return;
  MySqlConnectOptions options = ConnectOptions();  // briefly: this only tidies up on the way out
  options.connect_timeout_s = std::min<uint32_t>(options.connect_timeout_s, 2);
  options.read_timeout_s = 2;
  options.write_timeout_s = 2;
  auto conn = MySqlConnection::Connect(options);
  Status ended =
      conn.ok() ? conn->Execute("KILL CONNECTION " + std::to_string(connection_id)) : conn.status();
  if (!ended.ok() && ended.message().find("[1094]") == std::string::npos) {  // 1094: gone
    LOG_WARN << "source " << config_.name << ": could not end the server's binlog dump thread "
             << connection_id << " (it ends by itself at the next heartbeat): " << ended.ToString();
  }
}

Status MySqlSource::Run(const Position& start, const TransactionConsumer& consumer,
                        const std::atomic<bool>& stop) {
  int backoff_ms = 100;
  Position resume = start;
  resume.incremental_snapshot.clear();  // (the snapshots' progress lives in `incremental`)
  int checksum_failures = 0;            // consecutive, without a transaction in between
  std::set<std::string> reread_xids;    // see BinlogTransactionAssembler::reread_xids
  ServerColumnDefaults defaults(ConnectOptions());
  MySqlConnectOptions snapshot_options = ConnectOptions();
  snapshot_options.read_timeout_s = std::max<uint32_t>(snapshot_options.read_timeout_s, 3600);
  IncrementalSnapshot incremental(config_, std::move(snapshot_options), &defaults);
  VIMUR_RETURN_IF_ERROR(incremental.Restore(start.incremental_snapshot));
  while (!stop.load()) {
    BinlogTransactionAssembler assembler(config_, ChecksumAlgorithm::kUndefined);
    assembler.set_column_defaults(&defaults);
    VIMUR_RETURN_IF_ERROR(assembler.Reset(resume));
    assembler.set_reread_xids(reread_xids);
    Status s = StreamOnce(assembler, incremental, consumer, stop);
    const bool reread = assembler.reread_requested();
    reread_xids = assembler.reread_xids();
    if (assembler.stats().transactions > 0) {
      backoff_ms = 100;
      checksum_failures = 0;
    }
    resume = assembler.delivered();
    if (stop.load()) return Status::Ok();
    if (s.ok()) continue;
    if (reread) {
      LOG_INFO << s.message();
      continue;  // at once: nothing failed
    }
    if (IsChecksumMismatch(s)) {
      // Damaged on the way (network, a proxy, a page read while written): read it again from
      // the last position, a few times, before taking the binlog itself as damaged.
      if (++checksum_failures > kMaxChecksumRereads) {
        return s.WithContext("source " + config_.name + ": still after " +
                             std::to_string(kMaxChecksumRereads) + " re-reads from " +
                             resume.Describe() +
                             "; the binlog on the server may be damaged: check it with "
                             "mariadb-binlog/mysqlbinlog --verify-binlog-checksum");
      }
      LOG_WARN << "source " << config_.name << ": " << s.message() << "; re-reading (attempt "
               << checksum_failures << " of " << kMaxChecksumRereads << ") in " << backoff_ms
               << " ms from " << resume.Describe();
    } else if (!s.retriable()) {
      return s;
    } else {
      LOG_WARN << "source " << config_.name << ": " << s.message() << "; reconnecting in "
               << backoff_ms << " ms from " << resume.Describe();
    }
    metrics::SourceProbe& probe = metrics::SourceProbe::For(config_.name);
    probe.up.Set(0);
    probe.reconnects.Add();
    for (int waited = 0; waited < backoff_ms && !stop.load(); waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff_ms = std::min(backoff_ms * 2, config_.reconnect_max_backoff_ms);
  }
  return Status::Ok();
}

}  // namespace vimur::mysql
