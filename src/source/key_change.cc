#include "source/key_change.h"

namespace vimur {
namespace {

bool SameValue(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::kNull: return true;
    case ValueKind::kBool: return a.b == b.b;
    case ValueKind::kInt: return a.i == b.i;
    case ValueKind::kUInt: return a.u == b.u;
    case ValueKind::kFloat: return a.f == b.f;
    case ValueKind::kDouble: return a.d == b.d;
    case ValueKind::kText:
    case ValueKind::kBytes:
    case ValueKind::kGeometry: return a.s == b.s && a.srid == b.srid;
    case ValueKind::kArray:
      if (a.size() != b.size()) return false;
      for (uint32_t i = 0; i < a.size(); ++i) {
        if (!SameValue(a.items[i], b.items[i])) return false;
      }
      return true;
  }
  return false;
}

bool SameKey(const TableSchema& table, const std::vector<Value>& before,
             const std::vector<Value>& after) {
  for (size_t k : table.key_columns) {
    if (k >= before.size() || k >= after.size() || !SameValue(before[k], after[k])) return false;
  }
  return true;
}

void AppendFingerprint(const Value& v, std::string* out) {
  out->push_back(static_cast<char>(v.kind));
  switch (v.kind) {
    case ValueKind::kNull: break;
    case ValueKind::kBool: out->push_back(v.b ? 1 : 0); break;
    case ValueKind::kInt:
    case ValueKind::kUInt:
    case ValueKind::kDouble: out->append(reinterpret_cast<const char*>(&v.i), sizeof(v.i)); break;
    case ValueKind::kFloat: out->append(reinterpret_cast<const char*>(&v.f), sizeof(v.f)); break;
    case ValueKind::kText:
    case ValueKind::kBytes:
    case ValueKind::kGeometry: {
      const uint32_t n = static_cast<uint32_t>(v.s.size());
      out->append(reinterpret_cast<const char*>(&n), sizeof(n));
      out->append(v.s);
      break;
    }
    case ValueKind::kArray: {
      const uint32_t n = v.size();
      out->append(reinterpret_cast<const char*>(&n), sizeof(n));
      for (uint32_t i = 0; i < n; ++i) AppendFingerprint(v.items[i], out);
      break;
    }
  }
}

}  // namespace

std::string KeyFingerprint(const TableSchema& table, const std::vector<Value>& row) {
  std::string out;
  for (size_t k : table.key_columns) {
    if (k >= row.size()) return out;
    AppendFingerprint(row[k], &out);
  }
  return out;
}

bool ChangesKey(const ChangeEvent& event) {
  return event.op == Op::kUpdate && event.table && !event.before.empty() && !event.after.empty() &&
         !SameKey(*event.table, event.before, event.after);
}

ChangeEvent SplitKeyChange(ChangeEvent* update) {
  ChangeEvent created = *update;
  update->op = Op::kDelete;
  update->after.clear();
  created.op = Op::kCreate;
  created.before.clear();
  return created;
}

}  // namespace vimur
