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

}  // namespace

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
