#include "source/postgresql/snapshot_table.h"

#include <algorithm>
#include <unordered_map>

#include "source/postgresql/connection_catalog.h"
#include "source/postgresql/relation_schema.h"

namespace vimur::postgresql {
namespace {

using Q = PgConnection;

// pgoutput sends a Type message for each column whose type is not built in (OID from
// FirstGenbkiObjectId on) naming the column's base type (a domain's underlying type), its
// schema left empty for pg_catalog; the stream uses "schema.name" as the column's type name.
constexpr uint32_t kFirstGenbkiObjectId = 10000;

Result<std::string> PgOutputTypeName(PgConnection& conn, uint32_t type_oid) {
  uint32_t oid = type_oid;
  for (int depth = 0; depth < 32; ++depth) {
    VIMUR_ASSIGN_OR_RETURN(
        auto rows, conn.Query("SELECT CASE WHEN n.nspname = 'pg_catalog' THEN '' ELSE n.nspname "
                              "END, t.typname, t.typtype, t.typbasetype::int8 FROM pg_type t "
                              "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = "
                              "$1::oid",
                              {std::to_string(oid)}));
    if (rows.empty()) return Status::NotFound("type " + std::to_string(oid) + " not found");
    const PgRow& r = rows[0];
    if (r[2].value_or("") != "d") return r[0].value_or("") + "." + r[1].value_or("");
    oid = static_cast<uint32_t>(std::stoul(r[3].value_or("0")));
  }
  return Status::Internal("domain type " + std::to_string(type_oid) + " nests too deeply");
}

}  // namespace

Result<std::vector<PublishedTable>> PublishedTables(PgConnection& conn,
                                                    const SourceConfig& config) {
  VIMUR_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query("SELECT p.schemaname, p.tablename, c.oid::int8 FROM pg_publication_tables p "
                 "JOIN pg_namespace n ON n.nspname = p.schemaname JOIN pg_class c ON "
                 "c.relnamespace = n.oid AND c.relname = p.tablename WHERE p.pubname = $1",
                 {config.publication}));
  CaptureFilter filter(config);
  std::vector<PublishedTable> out;
  for (const PgRow& r : rows) {
    if (!r[0] || !r[1] || !r[2]) continue;
    if (!filter.IncludesTable(*r[0], *r[1])) continue;
    out.push_back({*r[0], *r[1], static_cast<uint32_t>(std::stoul(*r[2]))});
  }
  std::sort(out.begin(), out.end(), [](const PublishedTable& a, const PublishedTable& b) {
    return a.qualified() < b.qualified();
  });
  return out;
}

Result<SnapshotTable> DescribeSnapshotTable(PgConnection& conn, const CaptureFilter& filter,
                                            const PublishedTable& table,
                                            int money_fraction_digits) {
  const std::string id = std::to_string(table.relation_id);
  // The columns pgoutput sends (not dropped, not generated), with its replica identity flag:
  // the primary key (DEFAULT), the identity index (USING INDEX), all (FULL) or none.
  VIMUR_ASSIGN_OR_RETURN(
      auto columns,
      conn.Query(
          "SELECT a.attname, a.atttypid::int8, a.atttypmod, CASE c.relreplident WHEN 'f' THEN "
          "true WHEN 'n' THEN false ELSE EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = "
          "c.oid AND a.attnum = ANY (i.indkey) AND CASE c.relreplident WHEN 'i' THEN "
          "i.indisreplident ELSE i.indisprimary END) END, format_type(a.atttypid, NULL), "
          "c.relreplident FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE "
          "a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
          "ORDER BY a.attnum",
          {id}));
  if (columns.empty()) {
    return Status::NotFound("table " + table.qualified() + " has no columns or is gone");
  }
  ConnectionCatalog catalog(&conn);
  VIMUR_ASSIGN_OR_RETURN(RelationFacts facts, catalog.Describe(table.relation_id));

  RelationMessage relation;
  relation.relation_id = table.relation_id;
  relation.nspname = table.schema_name;
  relation.relname = table.table_name;
  relation.replica_identity = columns[0][5].value_or("d").front();
  std::unordered_map<uint32_t, std::string> type_names;
  SnapshotTable out;
  out.schema_name = table.schema_name;
  out.table_name = table.table_name;
  out.relation_id = table.relation_id;
  std::vector<std::string> type_casts;
  std::string select_list;
  for (const PgRow& c : columns) {
    RelationColumn rc;
    rc.name = *c[0];
    rc.type_oid = static_cast<uint32_t>(std::stoul(c[1].value_or("0")));
    rc.type_modifier = static_cast<int32_t>(std::stol(c[2].value_or("-1")));
    rc.key = c[3].value_or("f") == "t";
    if (rc.type_oid >= kFirstGenbkiObjectId && type_names.count(rc.type_oid) == 0) {
      VIMUR_ASSIGN_OR_RETURN(std::string name, PgOutputTypeName(conn, rc.type_oid));
      type_names[rc.type_oid] = std::move(name);
    }
    relation.columns.push_back(rc);
    out.type_oids.push_back(rc.type_oid);
    type_casts.push_back(c[4].value_or("text"));
    select_list += (select_list.empty() ? "" : ", ") + Q::QuoteIdent(*c[0]);
  }
  auto built =
      BuildRelationSchema(filter, relation, &facts, type_names, &out.kept, money_fraction_digits);
  out.schema = std::move(built);
  out.select = "SELECT " + select_list + " FROM " + Q::QuoteIdent(table.schema_name) + "." +
               Q::QuoteIdent(table.table_name);

  std::string names, params;
  for (const std::string& k : facts.primary_key) {
    size_t cell = columns.size();
    for (size_t i = 0; i < columns.size(); ++i) {
      if (*columns[i][0] == k) cell = i;
    }
    if (cell == columns.size()) {  // a generated key column: not sent, cannot page
      out.key_cells.clear();
      break;
    }
    out.key_cells.push_back(cell);
  }
  for (size_t n = 0; n < out.key_cells.size(); ++n) {
    const size_t cell = out.key_cells[n];
    names += (n ? ", " : "") + Q::QuoteIdent(*columns[cell][0]);
    params += (n ? ", $" : "$") + std::to_string(n + 1) + "::" + type_casts[cell];
  }
  if (!out.key_cells.empty()) {
    out.key_order = " ORDER BY " + names;
    out.key_after = " WHERE (" + names + ") > (" + params + ")";
  }
  return out;
}

Status DecodeSnapshotRow(const SnapshotTable& table, const PgCells& cells, bool precise_decimals,
                         const std::string& source_name, ByteArena* arena,
                         std::vector<Value>* after, size_t* text_bytes) {
  const TableSchema& schema = *table.schema;
  const std::string qualified = table.qualified();
  if (cells.size() != table.kept.size()) {
    return Status::Corruption("snapshot of " + qualified + " read " + std::to_string(cells.size()) +
                              " columns, expected " + std::to_string(table.kept.size()));
  }
  after->assign(schema.columns.size(), Value::Null());
  *text_bytes = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (table.kept[i] < 0) continue;
    const size_t c = static_cast<size_t>(table.kept[i]);
    if (!cells[i]) {
      if (!schema.columns[c].nullable) {
        return Status::Corruption("column " + qualified + "." + schema.columns[c].name +
                                  " is NOT NULL in the catalog but read as null");
      }
      continue;
    }
    VIMUR_RETURN_IF_ERROR(DecodeCell(schema, schema.columns[c], table.type_oids[i], *cells[i],
                                     precise_decimals, source_name, arena, &(*after)[c]));
    *text_bytes += cells[i]->size();
  }
  return Status::Ok();
}

}  // namespace vimur::postgresql
