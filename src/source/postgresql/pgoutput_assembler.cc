#include "source/postgresql/pgoutput_assembler.h"

#include <chrono>
#include <new>

#include "core/logging.h"
#include "source/key_change.h"
#include "source/postgresql/pg_types.h"

namespace vimur::postgresql {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value a NOT NULL column gets when the server sent none (the non-key columns of a
// key-only old row), as Debezium's converters fall back to for required fields.
Value Fallback(const ColumnSchema& c) {
  if (c.is_array()) return Value::Array(nullptr, 0);
  switch (c.type) {
    case LogicalType::kBoolean: return Value::Bool(false);
    case LogicalType::kFloat: return Value::Float(0);
    case LogicalType::kDouble: return Value::Double(0);
    case LogicalType::kDecimal: return Value::Text("0");
    case LogicalType::kZonedTimestamp: return Value::Text("1970-01-01T00:00:00Z");
    case LogicalType::kBytes:
    case LogicalType::kBits: return Value::Bytes("");
    case LogicalType::kZonedTime: return Value::Text("00:00:00Z");
    case LogicalType::kString:
    case LogicalType::kJson:
    case LogicalType::kUuid:
    case LogicalType::kXml:
    case LogicalType::kEnum:
    case LogicalType::kSet: return Value::Text("");
    default: return Value::Int(0);
  }
}

// An unchanged TOASTed array the server did not send, as Debezium's placeholders: text-like
// elements a one-element array of the placeholder text, bytes the placeholder's bytes, int32
// and int64 elements one number per byte of the placeholder; null (or an empty array in a NOT
// NULL column) for other element types.
Value UnavailableArray(const ColumnSchema& c, ByteArena* arena) {
  switch (c.type) {
    case LogicalType::kString:
    case LogicalType::kJson:
    case LogicalType::kXml:
    case LogicalType::kEnum:
    case LogicalType::kUuid:
    case LogicalType::kBytes: {
      Value* item = arena->AllocateArray<Value>(1);
      *new (item) Value() = c.type == LogicalType::kBytes ? Value::Bytes(kUnavailableValue)
                                                          : Value::Text(kUnavailableValue);
      return Value::Array(item, 1);
    }
    case LogicalType::kInt32:
    case LogicalType::kInt64: {
      Value* items = arena->AllocateArray<Value>(kUnavailableValue.size());
      for (size_t i = 0; i < kUnavailableValue.size(); ++i) {
        new (&items[i]) Value(Value::Int(static_cast<unsigned char>(kUnavailableValue[i])));
      }
      return Value::Array(items, static_cast<uint32_t>(kUnavailableValue.size()));
    }
    default: return c.nullable ? Value::Null() : Value::Array(nullptr, 0);
  }
}

}  // namespace

// The bytes the events of one transaction (or chunk) point into.
struct PgOutputAssembler::TxnStorage {
  ByteArena arena{4096};
};

PgOutputAssembler::PgOutputAssembler(const SourceConfig& config, std::string database)
    : config_(config), database_(std::move(database)), filter_(config), spool_(config.spool_dir) {
  precise_decimals_ =
      config.decimal_handling_mode == "precise" || config.decimal_handling_mode.empty();
}

PgOutputAssembler::~PgOutputAssembler() = default;

void PgOutputAssembler::Reset(uint64_t lsn) {
  start_lsn_ = lsn;
  delivered_lsn_ = lsn;
  in_txn_ = false;
  skip_txn_ = false;
  in_stream_block_ = false;
  (void)spool_.Clear();  // a new stream sends transactions in progress again
  txn_ = Transaction();
  storage_.reset();
  txn_sources_.clear();
}

void PgOutputAssembler::StartStorage() { storage_ = std::make_shared<TxnStorage>(); }

std::shared_ptr<const SourceInfo> PgOutputAssembler::SourceFor(const std::string& schema) {
  auto it = txn_sources_.find(schema);
  if (it != txn_sources_.end()) return it->second;
  auto s = std::make_shared<SourceInfo>();
  s->connector = "postgresql";
  s->name = config_.topic_prefix;
  s->ts_ms = (begin_.commit_time_us + kPostgresEpochOffsetUs) / 1000;
  s->schema = schema;
  s->database = database_;
  s->lsn = begin_.final_lsn;
  s->tx_id = begin_.xid;
  txn_sources_.emplace(schema, s);
  return s;
}

Status PgOutputAssembler::Process(std::string_view message, const TransactionConsumer& emit,
                                  bool* stopped) {
  ++stats_.messages;
  if (in_stream_block_) {
    if (!message.empty() && message[0] == 'E') {  // Stream Stop
      in_stream_block_ = false;
      return Status::Ok();
    }
    uint32_t subxid = 0;
    if (!StreamedMessageXid(message, &subxid)) {
      return Status::Corruption(
          "pgoutput message type " + std::string(1, message.empty() ? '?' : message[0]) +
          " inside the stream block of transaction " + std::to_string(stream_xid_));
    }
    return spool_.Append(stream_xid_, subxid, message);
  }
  VIMUR_ASSIGN_OR_RETURN(PgOutputMessage parsed, ParsePgOutputMessage(message));
  if (auto* m = std::get_if<StreamStartMessage>(&parsed)) {
    if (in_txn_) {
      return Status::Corruption("Stream Start of transaction " + std::to_string(m->xid) +
                                " inside transaction " + std::to_string(begin_.xid));
    }
    in_stream_block_ = true;
    stream_xid_ = m->xid;
    return Status::Ok();
  }
  if (auto* m = std::get_if<StreamAbortMessage>(&parsed)) return spool_.Abort(m->xid, m->subxid);
  if (auto* m = std::get_if<StreamCommitMessage>(&parsed)) return CommitStreamed(*m, emit, stopped);
  return Apply(parsed, emit, stopped);
}

Status PgOutputAssembler::CommitStreamed(const StreamCommitMessage& m,
                                         const TransactionConsumer& emit, bool* stopped) {
  if (in_txn_) {
    return Status::Corruption("Stream Commit of transaction " + std::to_string(m.xid) +
                              " inside transaction " + std::to_string(begin_.xid));
  }
  if (m.end_lsn <= start_lsn_) {  // delivered before the stored position
    ++stats_.skipped;
    return spool_.Abort(m.xid, m.xid);
  }
  const uint64_t messages = spool_.messages(m.xid);
  const uint64_t bytes = spool_.bytes(m.xid);
  BeginMessage begin;
  begin.final_lsn = m.commit_lsn;
  begin.commit_time_us = m.commit_time_us;
  begin.xid = m.xid;
  VIMUR_RETURN_IF_ERROR(Apply(PgOutputMessage(begin), emit, stopped));
  // Relation and type descriptions stay even from an aborted subtransaction: the server
  // does not send them again for the rest of the transaction.
  auto keep_aborted = [](std::string_view message) {
    return message[0] == 'R' || message[0] == 'Y';
  };
  VIMUR_RETURN_IF_ERROR(spool_.Replay(m.xid, keep_aborted, [&](std::string_view message) -> Status {
    if (*stopped) return Status::Ok();  // the pipeline stops: the slot sends it again
    VIMUR_ASSIGN_OR_RETURN(PgOutputMessage parsed, ParsePgOutputMessage(message, true));
    return Apply(parsed, emit, stopped);
  }));
  if (*stopped) return Status::Ok();
  CommitMessage commit;
  commit.flags = m.flags;
  commit.commit_lsn = m.commit_lsn;
  commit.end_lsn = m.end_lsn;
  commit.commit_time_us = m.commit_time_us;
  VIMUR_RETURN_IF_ERROR(Apply(PgOutputMessage(commit), emit, stopped));
  ++stats_.streamed_transactions;
  LOG_INFO << "source " << config_.name << ": transaction " << m.xid
           << " arrived while in progress; its " << messages << " messages (" << (bytes >> 10)
           << " KiB) were spooled and handed on at its commit, lsn " << LsnText(m.commit_lsn);
  return Status::Ok();
}

Status PgOutputAssembler::Apply(const PgOutputMessage& parsed, const TransactionConsumer& emit,
                                bool* stopped) {
  if (auto* m = std::get_if<BeginMessage>(&parsed)) {
    if (in_txn_) {
      return Status::Corruption("BEGIN of transaction " + std::to_string(m->xid) +
                                " inside transaction " + std::to_string(begin_.xid));
    }
    in_txn_ = true;
    begin_ = *m;
    skip_txn_ = m->final_lsn < start_lsn_;
    txn_ = Transaction();
    txn_sources_.clear();
    txn_table_counts_.clear();
    txn_event_count_ = 0;
    StartStorage();
    return Status::Ok();
  }
  if (auto* m = std::get_if<CommitMessage>(&parsed)) {
    if (!in_txn_)
      return Status::Corruption("COMMIT at " + LsnText(m->commit_lsn) + " without BEGIN");
    in_txn_ = false;
    if (skip_txn_) {
      ++stats_.skipped;
      return Status::Ok();
    }
    txn_.id = std::to_string(begin_.xid) + ":" + std::to_string(m->commit_lsn);
    if (!txn_.source) txn_.source = SourceFor("");
    txn_.end.lsn = m->end_lsn;
    txn_.complete = true;
    storage_.reset();
    txn_sources_.clear();
    delivered_lsn_ = m->end_lsn;
    emitted_at_ms_ = NowMs();
    ++stats_.transactions;
    if (!emit(std::move(txn_))) *stopped = true;
    txn_ = Transaction();
    return Status::Ok();
  }
  if (auto* m = std::get_if<RelationMessage>(&parsed)) return HandleRelation(*m);
  if (auto* m = std::get_if<TypeMessage>(&parsed)) {
    // Sent before the relation message of a column of a type that is not built in (enums,
    // domains, composites): its name is the column's source type name.
    if (type_names_.size() >= kMaxTypeNames) type_names_.clear();
    type_names_[m->type_oid] = std::string(m->nspname) + "." + std::string(m->name);
    return Status::Ok();
  }
  if (skip_txn_ && in_txn_) {
    ++stats_.skipped;
    return Status::Ok();
  }
  if (auto* m = std::get_if<InsertMessage>(&parsed)) {
    return Row(Op::kCreate, m->relation_id, nullptr, 0, &m->new_tuple, emit, stopped);
  }
  if (auto* m = std::get_if<UpdateMessage>(&parsed)) {
    return Row(Op::kUpdate, m->relation_id, m->old_kind ? &m->old_tuple : nullptr, m->old_kind,
               &m->new_tuple, emit, stopped);
  }
  if (auto* m = std::get_if<DeleteMessage>(&parsed)) {
    return Row(Op::kDelete, m->relation_id, &m->old_tuple, m->old_kind, nullptr, emit, stopped);
  }
  if (auto* m = std::get_if<TruncateMessage>(&parsed)) {
    VIMUR_RETURN_IF_ERROR(Truncate(*m));
    MaybeChunk(emit, stopped);
    return Status::Ok();
  }
  if (auto* m = std::get_if<LogicalMessage>(&parsed)) {
    Message(*m, emit, stopped);
    return Status::Ok();
  }
  ++stats_.skipped;  // Origin, streaming control
  return Status::Ok();
}

void PgOutputAssembler::Message(const LogicalMessage& m, const TransactionConsumer& emit,
                                bool* stopped) {
  if (message_observer_ && message_observer_(m)) return;
  const bool in_txn = m.transactional && in_txn_;
  if (!in_txn && m.lsn < start_lsn_) {  // delivered before the stored position
    ++stats_.skipped;
    return;
  }
  auto source = std::make_shared<SourceInfo>();
  source->connector = "postgresql";
  source->name = config_.topic_prefix;
  source->database = database_;
  source->lsn = m.lsn;
  if (in_txn) {
    source->ts_ms = (begin_.commit_time_us + kPostgresEpochOffsetUs) / 1000;
    source->tx_id = begin_.xid;
  } else {
    source->ts_ms = NowMs();
  }
  SourceMessage message{std::string(m.prefix), std::string(m.content), std::move(source)};
  if (in_txn) {
    txn_.approx_bytes += message.prefix.size() + message.content.size() + 64;
    txn_.messages.push_back(std::move(message));
    MaybeChunk(emit, stopped);
    return;
  }
  Transaction own;  // no id: not a source transaction (no BEGIN/END metadata records)
  own.source = message.source;
  own.end.lsn = delivered_lsn_;
  own.approx_bytes = message.prefix.size() + message.content.size() + 64;
  own.messages.push_back(std::move(message));
  if (!emit(std::move(own))) *stopped = true;
}

Status PgOutputAssembler::HandleRelation(const RelationMessage& m) {
  Relation rel;
  rel.id = m.relation_id;
  const std::string nsp(m.nspname);
  const std::string name(m.relname);
  rel.captured = filter_.IncludesTable(nsp, name);
  RelationFacts facts;
  bool have_facts = false;
  if (rel.captured && catalog_ != nullptr) {
    Result<RelationFacts> described = catalog_->Describe(m.relation_id);
    if (!described.ok()) {
      return described.status().WithContext("reading the catalog entry of " + nsp + "." + name);
    }
    facts = std::move(*described);
    have_facts = true;
  }
  auto schema = BuildRelationSchema(filter_, m, have_facts ? &facts : nullptr, type_names_,
                                    &rel.kept, config_.money_fraction_digits);
  for (const RelationColumn& c : m.columns) rel.type_oids.push_back(c.type_oid);
  const std::string qualified = schema->qualified_name();
  auto last = last_shape_.find(qualified);
  if (last != last_shape_.end()) {
    if (last->second->SameShape(*schema)) {
      rel.schema = last->second;
    } else {
      schema->version = last->second->version + 1;
    }
  }
  if (!rel.schema) {
    rel.schema = schema;
    last_shape_[qualified] = rel.schema;
  }
  relations_[m.relation_id] = std::move(rel);
  return Status::Ok();
}

Status PgOutputAssembler::Decode(const Relation& rel, const TupleData& tuple,
                                 const TupleData* old_tuple, bool key_only,
                                 std::vector<Value>* out) {
  const TableSchema& t = *rel.schema;
  if (tuple.size() != rel.kept.size()) {
    return Status::Corruption("a row of " + t.qualified_name() + " has " +
                              std::to_string(tuple.size()) + " columns, its relation message " +
                              std::to_string(rel.kept.size()));
  }
  out->assign(t.columns.size(), Value::Null());
  for (size_t i = 0; i < tuple.size(); ++i) {
    if (rel.kept[i] < 0) continue;
    const ColumnSchema& c = t.columns[static_cast<size_t>(rel.kept[i])];
    Value& v = (*out)[static_cast<size_t>(rel.kept[i])];
    const TupleValue* tv = &tuple[i];
    if (tv->kind == TupleValue::Kind::kUnchangedToast && old_tuple != nullptr &&
        i < old_tuple->size() && (*old_tuple)[i].kind == TupleValue::Kind::kText) {
      tv = &(*old_tuple)[i];  // REPLICA IDENTITY FULL: the old row has it
    }
    switch (tv->kind) {
      case TupleValue::Kind::kNull:
        // A key-only old row leaves the other columns null: required ones get a fallback.
        if (!c.nullable && key_only) v = Fallback(c);
        if (!c.nullable && !key_only) {
          return Status::Corruption("column " + t.qualified_name() + "." + c.name +
                                    " is NOT NULL in the catalog but the server sent a null");
        }
        break;
      case TupleValue::Kind::kUnchangedToast:
        if (c.is_array()) {
          v = UnavailableArray(c, &storage_->arena);
        } else if (c.type == LogicalType::kString || c.type == LogicalType::kJson ||
                   c.type == LogicalType::kXml) {
          v = Value::Text(kUnavailableValue);
        } else if (c.type == LogicalType::kBytes) {
          v = Value::Bytes(kUnavailableValue);
        } else {
          v = c.nullable ? Value::Null() : Fallback(c);
        }
        break;
      case TupleValue::Kind::kBinary:
        return Status::Unsupported("column " + t.qualified_name() + "." + c.name +
                                   " came in binary form, which Vimur does not ask for");
      case TupleValue::Kind::kText: {
        VIMUR_RETURN_IF_ERROR(DecodeCell(t, c, rel.type_oids[i], tv->data, precise_decimals_,
                                         config_.name, &storage_->arena, &v));
        txn_.approx_bytes += tv->data.size();
        break;
      }
    }
  }
  txn_.approx_bytes += out->size() * sizeof(Value);
  return Status::Ok();
}

Status PgOutputAssembler::Row(Op op, uint32_t relation_id, const TupleData* before,
                              char before_kind, const TupleData* after,
                              const TransactionConsumer& emit, bool* stopped) {
  if (!in_txn_) return Status::Corruption("row change outside a transaction");
  auto it = relations_.find(relation_id);
  if (it == relations_.end()) {
    return Status::Corruption("row change of relation " + std::to_string(relation_id) +
                              " before its relation message");
  }
  const Relation& rel = it->second;
  if (!rel.captured) {
    ++stats_.skipped;
    return Status::Ok();
  }
  ChangeEvent event;
  event.op = op;
  event.table = rel.schema;
  event.storage = storage_;
  if (before != nullptr) {
    VIMUR_RETURN_IF_ERROR(Decode(rel, *before, nullptr, before_kind == 'K', &event.before));
  }
  if (after != nullptr) {
    VIMUR_RETURN_IF_ERROR(
        Decode(rel, *after, before_kind == 'O' ? before : nullptr, false, &event.after));
  }
  // The server sends the old key ('K') only when an update changed it; the old row ('O')
  // under REPLICA IDENTITY FULL. A changed key is a delete of the old and a create of the new.
  const bool key_changed = ChangesKey(event);
  if (op == Op::kUpdate && before_kind == 'K' && !key_changed) event.before.clear();
  event.source = SourceFor(rel.schema->database);
  if (!txn_.source) txn_.source = event.source;
  event.total_order = ++txn_event_count_;
  event.data_collection_order = ++txn_table_counts_[rel.schema.get()];
  txn_.approx_bytes += sizeof(ChangeEvent) + 64;
  txn_.events.push_back(std::move(event));
  if (key_changed) {
    ChangeEvent created = SplitKeyChange(&txn_.events.back());
    created.total_order = ++txn_event_count_;
    created.data_collection_order = ++txn_table_counts_[rel.schema.get()];
    txn_.approx_bytes += sizeof(ChangeEvent) + 64;
    txn_.events.push_back(std::move(created));
  }
  ++stats_.rows;
  MaybeChunk(emit, stopped);
  return Status::Ok();
}

Status PgOutputAssembler::Truncate(const TruncateMessage& m) {
  if (!in_txn_) return Status::Corruption("TRUNCATE outside a transaction");
  for (uint32_t id : m.relation_ids) {
    auto it = relations_.find(id);
    if (it == relations_.end()) {
      return Status::Corruption("TRUNCATE of relation " + std::to_string(id) +
                                " before its relation message");
    }
    if (!it->second.captured) continue;
    ChangeEvent event;
    event.op = Op::kTruncate;
    event.table = it->second.schema;
    event.source = SourceFor(event.table->database);
    if (!txn_.source) txn_.source = event.source;
    event.total_order = ++txn_event_count_;
    event.data_collection_order = ++txn_table_counts_[event.table.get()];
    txn_.approx_bytes += sizeof(ChangeEvent) + 64;
    txn_.events.push_back(std::move(event));
  }
  return Status::Ok();
}

void PgOutputAssembler::MaybeChunk(const TransactionConsumer& emit, bool* stopped) {
  if (txn_.approx_bytes < chunk_bytes_) return;
  // Too large to hold whole: hand over what is decoded so far, without a resume point.
  Transaction chunk = std::move(txn_);
  txn_ = Transaction();
  chunk.id = std::to_string(begin_.xid) + ":" + std::to_string(begin_.final_lsn);
  chunk.complete = false;
  StartStorage();
  if (!emit(std::move(chunk))) *stopped = true;
}

void PgOutputAssembler::Idle(uint64_t wal_end, const TransactionConsumer& emit, bool* stopped) {
  if (in_txn_ || wal_end <= delivered_lsn_) return;
  const int64_t now = NowMs();
  if (now - emitted_at_ms_ < config_.heartbeat_interval_ms) return;
  Transaction position_only;
  position_only.id = "heartbeat";
  position_only.end.lsn = wal_end;
  delivered_lsn_ = wal_end;
  emitted_at_ms_ = now;
  if (!emit(std::move(position_only))) *stopped = true;
}

}  // namespace vimur::postgresql
