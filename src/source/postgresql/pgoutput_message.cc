#include "source/postgresql/pgoutput_message.h"

#include <cstdio>

#include "core/byte_reader.h"

namespace vimur::postgresql {
namespace {

// Network-order reads over ByteReader (the protocol is big-endian throughout).
class Reader {
 public:
  explicit Reader(std::string_view bytes) : r_(bytes) {}
  Status U8(uint8_t* out) { return r_.ReadU8(out); }
  Status U16(uint16_t* out) {
    uint64_t v = 0;
    VIMUR_RETURN_IF_ERROR(r_.ReadBE(2, &v));
    *out = static_cast<uint16_t>(v);
    return Status::Ok();
  }
  Status U32(uint32_t* out) {
    uint64_t v = 0;
    VIMUR_RETURN_IF_ERROR(r_.ReadBE(4, &v));
    *out = static_cast<uint32_t>(v);
    return Status::Ok();
  }
  Status I32(int32_t* out) {
    uint32_t v = 0;
    VIMUR_RETURN_IF_ERROR(U32(&v));
    *out = static_cast<int32_t>(v);
    return Status::Ok();
  }
  Status U64(uint64_t* out) { return r_.ReadBE(8, out); }
  Status I64(int64_t* out) {
    uint64_t v = 0;
    VIMUR_RETURN_IF_ERROR(U64(&v));
    *out = static_cast<int64_t>(v);
    return Status::Ok();
  }
  Status String(std::string_view* out) { return r_.ReadNulTerminated(out); }
  Status Bytes(size_t n, std::string_view* out) { return r_.ReadBytes(n, out); }
  size_t remaining() const { return r_.remaining(); }

 private:
  ByteReader r_;
};

Status ReadTuple(Reader& r, TupleData* out) {
  uint16_t n = 0;
  VIMUR_RETURN_IF_ERROR(r.U16(&n));
  // Each column takes at least one byte: a count beyond what is left is corrupt, and checking
  // it first keeps a bad count from reserving memory.
  if (n > r.remaining()) {
    return Status::Corruption("tuple of " + std::to_string(n) + " columns in " +
                              std::to_string(r.remaining()) + " bytes");
  }
  out->resize(n);
  for (uint16_t i = 0; i < n; ++i) {
    uint8_t kind = 0;
    VIMUR_RETURN_IF_ERROR(r.U8(&kind));
    TupleValue& v = (*out)[i];
    switch (kind) {
      case 'n': v.kind = TupleValue::Kind::kNull; break;
      case 'u': v.kind = TupleValue::Kind::kUnchangedToast; break;
      case 't':
      case 'b': {
        v.kind = kind == 't' ? TupleValue::Kind::kText : TupleValue::Kind::kBinary;
        uint32_t len = 0;
        VIMUR_RETURN_IF_ERROR(r.U32(&len));
        VIMUR_RETURN_IF_ERROR(r.Bytes(len, &v.data));
        break;
      }
      default:
        return Status::Corruption("tuple column " + std::to_string(i) + " has unknown kind byte " +
                                  std::to_string(kind));
    }
  }
  return Status::Ok();
}

Status ReadXid(Reader& r, bool in_stream, uint32_t* xid) {
  if (!in_stream) return Status::Ok();
  return r.U32(xid);
}

Result<PgOutputMessage> Parse(char type, Reader& r, bool in_stream) {
  switch (type) {
    case 'B': {
      BeginMessage m;
      VIMUR_RETURN_IF_ERROR(r.U64(&m.final_lsn));
      VIMUR_RETURN_IF_ERROR(r.I64(&m.commit_time_us));
      VIMUR_RETURN_IF_ERROR(r.U32(&m.xid));
      return PgOutputMessage(m);
    }
    case 'C': {
      CommitMessage m;
      VIMUR_RETURN_IF_ERROR(r.U8(&m.flags));
      VIMUR_RETURN_IF_ERROR(r.U64(&m.commit_lsn));
      VIMUR_RETURN_IF_ERROR(r.U64(&m.end_lsn));
      VIMUR_RETURN_IF_ERROR(r.I64(&m.commit_time_us));
      return PgOutputMessage(m);
    }
    case 'O': {
      OriginMessage m;
      VIMUR_RETURN_IF_ERROR(r.U64(&m.lsn));
      VIMUR_RETURN_IF_ERROR(r.String(&m.name));
      return PgOutputMessage(m);
    }
    case 'R': {
      RelationMessage m;
      VIMUR_RETURN_IF_ERROR(ReadXid(r, in_stream, &m.xid));
      VIMUR_RETURN_IF_ERROR(r.U32(&m.relation_id));
      VIMUR_RETURN_IF_ERROR(r.String(&m.nspname));
      VIMUR_RETURN_IF_ERROR(r.String(&m.relname));
      uint8_t identity = 0;
      VIMUR_RETURN_IF_ERROR(r.U8(&identity));
      m.replica_identity = static_cast<char>(identity);
      uint16_t n = 0;
      VIMUR_RETURN_IF_ERROR(r.U16(&n));
      if (n > r.remaining()) {
        return Status::Corruption("relation message of " + std::to_string(n) + " columns in " +
                                  std::to_string(r.remaining()) + " bytes");
      }
      m.columns.resize(n);
      for (RelationColumn& c : m.columns) {
        uint8_t flags = 0;
        VIMUR_RETURN_IF_ERROR(r.U8(&flags));
        c.key = (flags & 1) != 0;
        VIMUR_RETURN_IF_ERROR(r.String(&c.name));
        VIMUR_RETURN_IF_ERROR(r.U32(&c.type_oid));
        VIMUR_RETURN_IF_ERROR(r.I32(&c.type_modifier));
      }
      return PgOutputMessage(std::move(m));
    }
    case 'Y': {
      TypeMessage m;
      VIMUR_RETURN_IF_ERROR(ReadXid(r, in_stream, &m.xid));
      VIMUR_RETURN_IF_ERROR(r.U32(&m.type_oid));
      VIMUR_RETURN_IF_ERROR(r.String(&m.nspname));
      VIMUR_RETURN_IF_ERROR(r.String(&m.name));
      return PgOutputMessage(m);
    }
    case 'I': {
      InsertMessage m;
      VIMUR_RETURN_IF_ERROR(ReadXid(r, in_stream, &m.xid));
      VIMUR_RETURN_IF_ERROR(r.U32(&m.relation_id));
      uint8_t marker = 0;
      VIMUR_RETURN_IF_ERROR(r.U8(&marker));
      if (marker != 'N') return Status::Corruption("insert message without its new tuple ('N')");
      VIMUR_RETURN_IF_ERROR(ReadTuple(r, &m.new_tuple));
      return PgOutputMessage(std::move(m));
    }
    case 'U': {
      UpdateMessage m;
      VIMUR_RETURN_IF_ERROR(ReadXid(r, in_stream, &m.xid));
      VIMUR_RETURN_IF_ERROR(r.U32(&m.relation_id));
      uint8_t marker = 0;
      VIMUR_RETURN_IF_ERROR(r.U8(&marker));
      if (marker == 'K' || marker == 'O') {
        m.old_kind = static_cast<char>(marker);
        VIMUR_RETURN_IF_ERROR(ReadTuple(r, &m.old_tuple));
        VIMUR_RETURN_IF_ERROR(r.U8(&marker));
      }
      if (marker != 'N') return Status::Corruption("update message without its new tuple ('N')");
      VIMUR_RETURN_IF_ERROR(ReadTuple(r, &m.new_tuple));
      return PgOutputMessage(std::move(m));
    }
    case 'D': {
      DeleteMessage m;
      VIMUR_RETURN_IF_ERROR(ReadXid(r, in_stream, &m.xid));
      VIMUR_RETURN_IF_ERROR(r.U32(&m.relation_id));
      uint8_t marker = 0;
      VIMUR_RETURN_IF_ERROR(r.U8(&marker));
      if (marker != 'K' && marker != 'O') {
        return Status::Corruption("delete message without its old tuple ('K' or 'O')");
      }
      m.old_kind = static_cast<char>(marker);
      VIMUR_RETURN_IF_ERROR(ReadTuple(r, &m.old_tuple));
      return PgOutputMessage(std::move(m));
    }
    case 'T': {
      TruncateMessage m;
      VIMUR_RETURN_IF_ERROR(ReadXid(r, in_stream, &m.xid));
      uint32_t n = 0;
      VIMUR_RETURN_IF_ERROR(r.U32(&n));
      VIMUR_RETURN_IF_ERROR(r.U8(&m.options));
      if (n > r.remaining() / 4) {
        return Status::Corruption("truncate message of " + std::to_string(n) + " relations in " +
                                  std::to_string(r.remaining()) + " bytes");
      }
      m.relation_ids.resize(n);
      for (uint32_t& id : m.relation_ids) VIMUR_RETURN_IF_ERROR(r.U32(&id));
      return PgOutputMessage(std::move(m));
    }
    case 'M': {
      LogicalMessage m;
      VIMUR_RETURN_IF_ERROR(ReadXid(r, in_stream, &m.xid));
      uint8_t flags = 0;
      VIMUR_RETURN_IF_ERROR(r.U8(&flags));
      m.transactional = (flags & 1) != 0;
      VIMUR_RETURN_IF_ERROR(r.U64(&m.lsn));
      VIMUR_RETURN_IF_ERROR(r.String(&m.prefix));
      uint32_t len = 0;
      VIMUR_RETURN_IF_ERROR(r.U32(&len));
      VIMUR_RETURN_IF_ERROR(r.Bytes(len, &m.content));
      return PgOutputMessage(m);
    }
    case 'S': {
      StreamStartMessage m;
      uint8_t first = 0;
      VIMUR_RETURN_IF_ERROR(r.U32(&m.xid));
      VIMUR_RETURN_IF_ERROR(r.U8(&first));
      m.first_segment = first == 1;
      return PgOutputMessage(m);
    }
    case 'E': return PgOutputMessage(StreamStopMessage{});
    case 'c': {
      StreamCommitMessage m;
      VIMUR_RETURN_IF_ERROR(r.U32(&m.xid));
      VIMUR_RETURN_IF_ERROR(r.U8(&m.flags));
      VIMUR_RETURN_IF_ERROR(r.U64(&m.commit_lsn));
      VIMUR_RETURN_IF_ERROR(r.U64(&m.end_lsn));
      VIMUR_RETURN_IF_ERROR(r.I64(&m.commit_time_us));
      return PgOutputMessage(m);
    }
    case 'A': {
      StreamAbortMessage m;
      VIMUR_RETURN_IF_ERROR(r.U32(&m.xid));
      VIMUR_RETURN_IF_ERROR(r.U32(&m.subxid));
      return PgOutputMessage(m);
    }
    case 'P':  // Begin Prepare and the other two-phase messages (protocol 3)
    case 'K':
    case 'r':
    case 'p': return PgOutputMessage(OtherMessage{type});
    default: break;
  }
  return Status::Corruption("unknown pgoutput message type byte " +
                            std::to_string(static_cast<unsigned char>(type)));
}

}  // namespace

Result<PgOutputMessage> ParsePgOutputMessage(std::string_view bytes, bool in_stream) {
  if (bytes.empty()) return Status::Underflow("empty pgoutput message");
  Reader r(bytes.substr(1));
  return Parse(bytes[0], r, in_stream);
}

bool StreamedMessageXid(std::string_view bytes, uint32_t* xid) {
  if (bytes.size() < 5) return false;
  switch (bytes[0]) {
    case 'I':
    case 'U':
    case 'D':
    case 'T':
    case 'R':
    case 'Y':
    case 'M': break;
    default: return false;
  }
  *xid = 0;
  for (size_t i = 1; i < 5; ++i) *xid = (*xid << 8) | static_cast<unsigned char>(bytes[i]);
  return true;
}

std::string LsnText(uint64_t lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

bool ParseLsn(std::string_view text, uint64_t* out) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return false;
  uint64_t hi = 0, lo = 0;
  auto hex = [](std::string_view s, uint64_t* v) {
    if (s.size() > 8) return false;
    for (char c : s) {
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                     : -1;
      if (d < 0) return false;
      *v = *v * 16 + static_cast<uint64_t>(d);
    }
    return true;
  };
  if (!hex(text.substr(0, slash), &hi) || !hex(text.substr(slash + 1), &lo)) return false;
  *out = (hi << 32) | lo;
  return true;
}

}  // namespace vimur::postgresql
