// Change events covering every value kind, escaping, odd shapes (short rows, keyless tables,
// empty tables), MySQL and PostgreSQL sources, for the Debezium JSON golden test.
#pragma once

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/change_event.h"

namespace vimur::testing {

inline std::shared_ptr<TableSchema> CaseTable(std::string db, std::string name,
                                              std::vector<std::string> columns,
                                              std::vector<size_t> key) {
  auto t = std::make_shared<TableSchema>();
  t->database = std::move(db);
  t->table = std::move(name);
  for (auto& c : columns) {
    ColumnSchema col;
    col.name = std::move(c);
    col.type = LogicalType::kString;
    t->columns.push_back(std::move(col));
  }
  t->key_columns = std::move(key);
  return t;
}

// The text values: plain, empty, every escape, escapes at every offset of a long run.
inline std::vector<std::string> CaseTexts() {
  std::vector<std::string> texts = {
      "",
      "plain",
      "exactly8",
      "h\xC3\xA9llo \"q\"\n\xF0\x9F\x98\x80",
      std::string("nul\0byte", 8),
      "tab\tnew\nline\rcr\bbs\fff",
      "quote \" and \\ backslash",
      std::string("\x01\x1f\x7f\x20\x80\xff", 6),
      "ends with quote\"",
      "\\starts with backslash",
  };
  for (size_t len : {7u, 8u, 9u, 15u, 16u, 17u, 40u}) {
    for (size_t at = 0; at < len; at += 3) {
      std::string s(len, 'x');
      s[at] = at % 2 == 0 ? '"' : '\x05';
      texts.push_back(s);
    }
  }
  return texts;
}

inline std::vector<Value> CaseValues(const std::vector<std::string>& texts) {
  std::vector<Value> v = {
      Value::Null(),
      Value::Bool(true),
      Value::Bool(false),
      Value::Int(0),
      Value::Int(-1),
      Value::Int(std::numeric_limits<int64_t>::min()),
      Value::Int(std::numeric_limits<int64_t>::max()),
      Value::UInt(0),
      Value::UInt(std::numeric_limits<uint64_t>::max()),
      Value::Float(1.5f),
      Value::Float(-0.1f),
      Value::Float(std::numeric_limits<float>::infinity()),
      Value::Float(-std::numeric_limits<float>::infinity()),
      Value::Float(std::nanf("")),
      Value::Double(0.1),
      Value::Double(-1e300),
      Value::Double(5e-324),
      Value::Double(1501.5),
      Value::Double(std::numeric_limits<double>::infinity()),
      Value::Double(-std::numeric_limits<double>::infinity()),
      Value::Double(std::nan("")),
      Value::Bytes(""),
      Value::Bytes(std::string_view("\x00", 1)),
      Value::Bytes(std::string_view("\x00\xff", 2)),
      Value::Bytes(std::string_view("\x00\xff\x10", 3)),
      Value::Bytes(std::string_view("\xfb\xff\xbf\x01", 4)),
      Value::Geometry(std::string_view("\x01\x01\x00\x00\x00", 5), 4326),
      Value::Geometry("", 0),
  };
  for (const auto& t : texts) v.push_back(Value::Text(t));
  return v;
}

// Events over the values above, `width` columns per row, several tables and sources. `texts`
// must outlive the events.
inline std::vector<ChangeEvent> CaseEvents(const std::vector<std::string>& texts) {
  const std::vector<Value> values = CaseValues(texts);
  auto mysql = std::make_shared<SourceInfo>();
  mysql->connector = "mariadb";
  mysql->name = "shop";
  mysql->ts_ms = 1714557600000;
  mysql->server_id = 7;
  mysql->gtid = "0-1-42";
  mysql->file = "mysql-bin.000001";
  mysql->pos = 1234;
  auto no_gtid = std::make_shared<SourceInfo>(*mysql);
  no_gtid->connector = "mysql";
  no_gtid->gtid.clear();
  no_gtid->snapshot = SnapshotMarker::kLast;
  no_gtid->name = "we\"ird\\name";
  auto pg = std::make_shared<SourceInfo>();
  pg->connector = "postgresql";
  pg->name = "pg";
  pg->ts_ms = 5;
  pg->schema = "public";
  pg->lsn = 99999;
  pg->tx_id = 12;
  pg->snapshot = SnapshotMarker::kTrue;
  auto pg_no_tx = std::make_shared<SourceInfo>(*pg);
  pg_no_tx->tx_id = -1;

  const std::vector<std::shared_ptr<const TableSchema>> tables = {
      CaseTable("shop", "orders", {"id", "a", "b", "c", "d"}, {0}),
      CaseTable("shop", "two_keys", {"x", "k2", "y", "k1"}, {3, 1}),
      CaseTable("shop", "keyless", {"p", "q", "r"}, {}),
      CaseTable("odd \"db\"", "t\\able", {"na\"me", "tab\tcol", "\xC3\xA9t\xC3\xA9"}, {0}),
      CaseTable("shop", "empty", {}, {}),
  };
  const std::vector<std::shared_ptr<const SourceInfo>> sources = {mysql, no_gtid, pg, pg_no_tx};
  std::vector<ChangeEvent> events;
  size_t next = 0;
  uint32_t n = 0;
  for (const auto& table : tables) {
    for (const auto& source : sources) {
      for (Op op : {Op::kCreate, Op::kUpdate, Op::kDelete, Op::kRead}) {
        ChangeEvent e;
        e.op = op;
        e.table = table;
        e.source = source;
        e.row = n % 3;
        e.total_order = n + 1;
        e.data_collection_order = n / 2 + 1;
        ++n;
        // Rows as wide as the table, one column short, and (for updates) one column longer.
        auto row = [&](size_t width) {
          std::vector<Value> r;
          for (size_t i = 0; i < width; ++i) r.push_back(values[next++ % values.size()]);
          return r;
        };
        const size_t width = table->columns.size();
        if (op != Op::kCreate && op != Op::kRead)
          e.before = row(n % 4 == 0 && width > 0 ? width - 1 : width);
        if (op != Op::kDelete) e.after = row(op == Op::kUpdate ? width + 1 : width);
        events.push_back(std::move(e));
      }
    }
  }
  // Every value at least once in a single-column key and row.
  auto one = CaseTable("shop", "one", {"v"}, {0});
  for (const Value& v : values) {
    ChangeEvent e;
    e.op = Op::kCreate;
    e.table = one;
    e.source = mysql;
    e.after = {v};
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace vimur::testing
