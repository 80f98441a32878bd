#include "sink/sql/target_writer.h"

#include <algorithm>

#include "core/logging.h"
#include "sink/sql/type_mapping.h"

namespace vimur::sink {
namespace {

constexpr size_t kStatementBytes = 4 << 20;  // a statement is cut once it grows past this
// Fewer upserts of one column list than this go as one INSERT ... VALUES: a stage's COPY and
// INSERT ... SELECT pay off from about this many rows.
constexpr size_t kStageMinRows = 16;

std::string Join(SqlConnection& c, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + c.Name(n);
  return out;
}

// The value of `columns[i]` in `row` (NULL when it has none); rows of an upsert group usually
// have exactly the group's columns in order.
const SqlValue& ValueAt(const Row& row, const std::vector<std::string>& columns, size_t i) {
  static const SqlValue kNull = SqlValue::Null();
  if (i < row.names.size() && row.names[i] == columns[i]) return row.values[i];
  const SqlValue* v = row.Find(columns[i]);
  return v ? *v : kNull;
}

std::string Tuple(SqlConnection& c, const std::vector<SqlValue>& values) {
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + c.Literal(values[i]);
  return out + ")";
}

}  // namespace

TargetWriter::TargetWriter(std::string name, std::unique_ptr<SqlConnection> connection,
                           bool create_tables, bool add_columns)
    : name_(std::move(name)),
      connection_(std::move(connection)),
      create_tables_(create_tables),
      add_columns_(add_columns) {}

namespace {

// What an upsert does with a row whose key is there: MariaDB's ON DUPLICATE KEY UPDATE (or
// INSERT IGNORE when every column is in the key), PostgreSQL's ON CONFLICT.
std::string WithConflictClause(SqlConnection& c, std::string insert,
                               const std::vector<std::string>& columns,
                               const std::vector<std::string>& key) {
  std::vector<std::string> rest;
  for (const auto& col : columns) {
    if (std::find(key.begin(), key.end(), col) == key.end()) rest.push_back(col);
  }
  if (c.dialect() == Dialect::kMariaDb) {
    if (rest.empty()) return "INSERT IGNORE" + insert.substr(6);
    insert += " ON DUPLICATE KEY UPDATE ";
    for (size_t i = 0; i < rest.size(); ++i) {
      insert += (i ? ", " : "") + c.Name(rest[i]) + " = VALUES(" + c.Name(rest[i]) + ")";
    }
    return insert;
  }
  insert += " ON CONFLICT (" + Join(c, key) + ") DO ";
  if (rest.empty()) return insert + "NOTHING";
  insert += "UPDATE SET ";
  for (size_t i = 0; i < rest.size(); ++i) {
    insert += (i ? ", " : "") + c.Name(rest[i]) + " = EXCLUDED." + c.Name(rest[i]);
  }
  return insert;
}

}  // namespace

std::string TargetWriter::UpsertSql(SqlConnection& c, const std::string& table,
                                    const std::vector<std::string>& columns,
                                    const std::vector<std::string>& key,
                                    const std::vector<const Row*>& rows) {
  std::string sql = "INSERT INTO " + c.Name(table) + " (" + Join(c, columns) + ") VALUES ";
  for (size_t r = 0; r < rows.size(); ++r) {
    sql += r ? ", (" : "(";
    for (size_t i = 0; i < columns.size(); ++i) {
      sql += (i ? ", " : "") + c.Literal(ValueAt(*rows[r], columns, i));
    }
    sql += ")";
  }
  return WithConflictClause(c, std::move(sql), columns, key);
}

std::string TargetWriter::UpsertFromStageSql(SqlConnection& c, const std::string& table,
                                             const std::vector<std::string>& columns,
                                             const std::vector<std::string>& key,
                                             const std::string& stage) {
  std::string names = Join(c, columns);
  return WithConflictClause(
      c, "INSERT INTO " + c.Name(table) + " (" + names + ") SELECT " + names + " FROM " + stage,
      columns, key);
}

Result<std::string> TargetWriter::StageFor(const std::string& table,
                                           const std::vector<std::string>& columns) {
  auto found = stages_.find({table, columns});
  if (found != stages_.end()) return found->second;
  SqlConnection& c = *connection_;
  std::string stage = c.Name("vimur_stage_" + std::to_string(next_stage_++));
  // The stage's columns take the target's types (without its constraints).
  VIMUR_RETURN_IF_ERROR(c.Execute("DROP TABLE IF EXISTS pg_temp." + stage));
  VIMUR_RETURN_IF_ERROR(c.Execute("CREATE TEMPORARY TABLE " + stage +
                                  " ON COMMIT DELETE ROWS AS SELECT " + Join(c, columns) +
                                  " FROM " + c.Name(table) + " WITH NO DATA"));
  stages_.emplace(std::pair{table, columns}, stage);
  return stage;
}

Status TargetWriter::CopyToStage(const std::string& stage, const std::vector<std::string>& columns,
                                 const std::vector<const Row*>& rows) {
  SqlConnection& c = *connection_;
  const std::string copy = "COPY " + stage + " (" + Join(c, columns) + ") FROM STDIN";
  std::string data;
  for (const Row* row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) data += '\t';
      c.AppendCopyField(ValueAt(*row, columns, i), &data);
    }
    data += '\n';
    if (data.size() >= kStatementBytes) {
      VIMUR_RETURN_IF_ERROR(c.CopyIn(copy, data));
      data.clear();
    }
  }
  return data.empty() ? Status::Ok() : c.CopyIn(copy, data);
}

std::string TargetWriter::DeleteSql(SqlConnection& c, const std::string& table,
                                    const std::vector<std::string>& key,
                                    const std::vector<const std::vector<SqlValue>*>& keys) {
  std::string sql = "DELETE FROM " + c.Name(table) + " WHERE ";
  if (key.size() == 1) {
    sql += c.Name(key[0]) + " IN (";
    for (size_t i = 0; i < keys.size(); ++i) sql += (i ? ", " : "") + c.Literal((*keys[i])[0]);
    return sql + ")";
  }
  sql += "(" + Join(c, key) + ") IN (";
  for (size_t i = 0; i < keys.size(); ++i) sql += (i ? ", " : "") + Tuple(c, *keys[i]);
  return sql + ")";
}

std::string TargetWriter::CreateTableSql(SqlConnection& c, const std::string& table, const Row& row,
                                         const std::vector<std::string>& key) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + c.Name(table) + " (";
  for (size_t i = 0; i < row.names.size(); ++i) {
    bool is_key = std::find(key.begin(), key.end(), row.names[i]) != key.end();
    sql += (i ? ", " : "") + c.Name(row.names[i]) + " " +
           TargetType(c.dialect(), row.types[i], is_key);
    if (is_key || !row.types[i].optional) sql += " NOT NULL";
  }
  sql += ", PRIMARY KEY (" + Join(c, key) + "))";
  return sql;
}

Status TargetWriter::EnsureTable(const std::string& table, const WriteAction& sample,
                                 const std::set<std::string>& needed) {
  auto known = known_.find(table);
  if (known == known_.end()) {
    VIMUR_ASSIGN_OR_RETURN(std::vector<ColumnInfo> columns, connection_->Columns(table));
    if (columns.empty()) {
      if (!create_tables_) {
        return Status::FailedPrecondition("target " + name_ + " (" + connection_->url().Redacted() +
                                          ") has no table " + table +
                                          ": create it, or set create_tables: true");
      }
      if (sample.remove || sample.row.types.empty()) {
        return Status::FailedPrecondition(
            "target " + name_ + ": cannot create table " + table +
            (sample.remove ? " from a delete (no row image with types)"
                           : ": the events carry no schema; set format.schemas: true"));
      }
      std::string sql = CreateTableSql(*connection_, table, sample.row, sample.place.key_columns);
      VIMUR_RETURN_IF_ERROR(connection_->Execute(sql));
      LOG_INFO << "target " << name_ << ": created table " << table;
      VIMUR_ASSIGN_OR_RETURN(columns, connection_->Columns(table));
    }
    std::set<std::string> names;
    for (const auto& col : columns) names.insert(col.name);
    known = known_.emplace(table, std::move(names)).first;
  }
  for (const std::string& col : needed) {
    if (known->second.count(col)) continue;
    const ColumnType* type = sample.row.TypeOf(col);
    if (!add_columns_ || type == nullptr) {
      return Status::FailedPrecondition(
          "target " + name_ + ": table " + table + " has no column " + col + "; add it" +
          (type ? "" : " (the events carry no schema to add it from)"));
    }
    std::string sql = "ALTER TABLE " + connection_->Name(table) + " ADD COLUMN " +
                      connection_->Name(col) + " " +
                      TargetType(connection_->dialect(), *type, false);
    VIMUR_RETURN_IF_ERROR(connection_->Execute(sql));
    LOG_INFO << "target " << name_ << ": added column " << col << " to " << table;
    known->second.insert(col);
  }
  return Status::Ok();
}

Status TargetWriter::Apply(const std::vector<const WriteAction*>& actions) {
  if (actions.empty()) return Status::Ok();
  Status connected = connection_->Connect();
  if (!connected.ok()) return connected.WithContext("target " + name_);
  // Per table: deletes, and upserts grouped by their column list (a column added mid-batch
  // gives a second group).
  struct TableWork {
    const WriteAction* sample = nullptr;
    std::set<std::string> columns;
    std::vector<const std::vector<SqlValue>*> deletes;
    std::vector<std::string> key;
    std::map<SharedVector<std::string>, std::vector<const Row*>> upserts;
    SharedVector<std::string> last_names;  // rows of one schema share their names: one lookup
    std::vector<const Row*>* last_group = nullptr;
  };
  std::map<std::string, TableWork> tables;
  for (const WriteAction* a : actions) {
    TableWork& w = tables[a->place.table];
    if (w.sample == nullptr || (w.sample->remove && !a->remove)) w.sample = a;
    w.key = a->place.key_columns;
    if (a->remove) {
      w.deletes.push_back(&a->place.key);
    } else {
      if (w.last_group == nullptr || !(a->row.names == w.last_names)) {
        w.last_group = &w.upserts[a->row.names];
        w.last_names = a->row.names;
        w.columns.insert(a->row.names.begin(), a->row.names.end());
      }
      w.last_group->push_back(&a->row);
    }
  }
  // DDL first: MariaDB commits implicitly around it.
  for (auto& [table, w] : tables) {
    Status s = EnsureTable(table, *w.sample, w.columns);
    if (!s.ok()) {
      known_.erase(table);
      return s.message().rfind("target ", 0) == 0 ? s : s.WithContext("target " + name_);
    }
  }
  SqlConnection& c = *connection_;
  Status s = c.Execute(c.dialect() == Dialect::kMariaDb ? "START TRANSACTION" : "BEGIN");
  for (auto it = tables.begin(); s.ok() && it != tables.end(); ++it) {
    const std::string& table = it->first;
    TableWork& w = it->second;
    for (size_t i = 0; s.ok() && i < w.deletes.size();) {
      std::vector<const std::vector<SqlValue>*> part;
      size_t bytes = 0;
      for (; i < w.deletes.size() && bytes < kStatementBytes && part.size() < 5000; ++i) {
        part.push_back(w.deletes[i]);
        for (const auto& v : *w.deletes[i]) bytes += v.text.size() + 8;
      }
      s = c.Execute(DeleteSql(c, table, w.key, part));
    }
    for (auto g = w.upserts.begin(); s.ok() && g != w.upserts.end(); ++g) {
      const std::vector<std::string>& columns = g->first.view();
      const auto& rows = g->second;
      if (c.can_copy() && rows.size() >= kStageMinRows) {
        // (PostgreSQL's DDL is transactional: a stage created here goes with a rollback.)
        auto stage = StageFor(table, columns);
        s = stage.status();
        if (s.ok()) s = CopyToStage(*stage, columns, rows);
        if (s.ok()) s = c.Execute(UpsertFromStageSql(c, table, columns, w.key, *stage));
        continue;
      }
      for (size_t i = 0; s.ok() && i < rows.size();) {
        std::vector<const Row*> part;
        size_t bytes = 0;
        for (; i < rows.size() && bytes < kStatementBytes && part.size() < 2000; ++i) {
          part.push_back(rows[i]);
          for (const auto& v : rows[i]->values) bytes += v.text.size() * 2 + 8;
        }
        s = c.Execute(UpsertSql(c, table, columns, w.key, part));
      }
    }
  }
  if (s.ok()) s = c.Execute("COMMIT");
  if (!s.ok()) {
    (void)c.Execute("ROLLBACK");
    for (auto& [table, w] : tables) known_.erase(table);  // looked up again next time
    stages_.clear();  // created again (the session may be a new one)
    return s.WithContext("target " + name_);
  }
  return Status::Ok();
}

}  // namespace vimur::sink
