// Builds pgoutput messages byte by byte, as the server sends them, for parser and assembler
// tests (and the fuzz target's seeds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vimur::postgresql::fixtures {

class Msg {
 public:
  explicit Msg(char type) { s_ += type; }
  Msg& U8(uint8_t v) { return s_ += static_cast<char>(v), *this; }
  Msg& U16(uint16_t v) { return Be(v, 2); }
  Msg& U32(uint32_t v) { return Be(v, 4); }
  Msg& U64(uint64_t v) { return Be(v, 8); }
  Msg& Str(const std::string& v) {
    s_ += v;
    s_ += '\0';
    return *this;
  }
  // TupleData: nullopt is a null, "\x01u" (kUnchanged) an unchanged TOASTed value.
  Msg& Tuple(const std::vector<std::optional<std::string>>& cols) {
    U16(static_cast<uint16_t>(cols.size()));
    for (const auto& c : cols) {
      if (!c) {
        U8('n');
      } else if (*c == kUnchanged) {
        U8('u');
      } else {
        U8('t');
        U32(static_cast<uint32_t>(c->size()));
        s_ += *c;
      }
    }
    return *this;
  }
  const std::string& bytes() const { return s_; }
  static inline const std::string kUnchanged = "\x01u";

 private:
  Msg& Be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) s_ += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  std::string s_;
};

struct Column {
  std::string name;
  uint32_t oid;
  int32_t typmod = -1;
  bool key = false;
};

inline std::string Begin(uint64_t final_lsn, int64_t commit_us, uint32_t xid) {
  return Msg('B').U64(final_lsn).U64(static_cast<uint64_t>(commit_us)).U32(xid).bytes();
}
inline std::string Commit(uint64_t commit_lsn, uint64_t end_lsn, int64_t commit_us) {
  return Msg('C').U8(0).U64(commit_lsn).U64(end_lsn).U64(static_cast<uint64_t>(commit_us)).bytes();
}
inline std::string Relation(uint32_t id, const std::string& nsp, const std::string& name,
                            char identity, const std::vector<Column>& cols) {
  Msg m('R');
  m.U32(id)
      .Str(nsp)
      .Str(name)
      .U8(static_cast<uint8_t>(identity))
      .U16(static_cast<uint16_t>(cols.size()));
  for (const Column& c : cols) {
    m.U8(c.key ? 1 : 0).Str(c.name).U32(c.oid).U32(static_cast<uint32_t>(c.typmod));
  }
  return m.bytes();
}
inline std::string Insert(uint32_t rel, const std::vector<std::optional<std::string>>& row) {
  return Msg('I').U32(rel).U8('N').Tuple(row).bytes();
}
inline std::string Update(uint32_t rel, char old_kind,
                          const std::vector<std::optional<std::string>>& old_row,
                          const std::vector<std::optional<std::string>>& row) {
  Msg m('U');
  m.U32(rel);
  if (old_kind != 0) m.U8(static_cast<uint8_t>(old_kind)).Tuple(old_row);
  return m.U8('N').Tuple(row).bytes();
}
inline std::string Delete(uint32_t rel, char old_kind,
                          const std::vector<std::optional<std::string>>& old_row) {
  return Msg('D').U32(rel).U8(static_cast<uint8_t>(old_kind)).Tuple(old_row).bytes();
}
inline std::string Truncate(const std::vector<uint32_t>& rels, uint8_t options) {
  Msg m('T');
  m.U32(static_cast<uint32_t>(rels.size())).U8(options);
  for (uint32_t r : rels) m.U32(r);
  return m.bytes();
}

}  // namespace vimur::postgresql::fixtures
