// SnapshotTable: what the PostgreSQL snapshot needs to read one table the way the stream
// sees it: its relation as a Relation message would describe it (columns, type OIDs and
// modifiers, replica identity, the names of types that are not built in), read from the
// catalog in the snapshot's own transaction, the schema BuildRelationSchema makes of it, and
// the statements that read it whole or in primary-key chunks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/config.h"
#include "core/status.h"
#include "core/table_schema.h"
#include "core/value.h"
#include "source/capture_filter.h"
#include "source/postgresql/pg_connection.h"

namespace vimur::postgresql {

struct SnapshotTable {
  std::string schema_name;
  std::string table_name;
  uint32_t relation_id = 0;
  TableSchemaPtr schema;            // the captured columns, as the stream builds it
  std::vector<int> kept;            // per selected column: index in `schema`, or -1
  std::vector<uint32_t> type_oids;  // per selected column
  std::vector<size_t> key_cells;    // the primary key: indexes of the selected columns
  std::string select;               // SELECT of every replicated column, in the stream's order
  std::string key_order;            // " ORDER BY k1, k2" (empty without a primary key)
  std::string key_after;            // " WHERE (k1, k2) > ($1::t1, $2::t2)"

  std::string qualified() const { return schema_name + "." + table_name; }
  bool keyset() const { return !key_cells.empty(); }
};

// The tables of the source's publication that its include/exclude filter selects, by
// "schema.table" in name order (the order the snapshot reads and records progress in).
struct PublishedTable {
  std::string schema_name;
  std::string table_name;
  uint32_t relation_id = 0;
  std::string qualified() const { return schema_name + "." + table_name; }
};
Result<std::vector<PublishedTable>> PublishedTables(PgConnection& conn, const SourceConfig& config);

// Reads `table`'s relation from the catalog (kNotFound when it is gone); `money` gets
// `money_fraction_digits` digits, as in the stream.
Result<SnapshotTable> DescribeSnapshotTable(PgConnection& conn, const CaptureFilter& filter,
                                            const PublishedTable& table,
                                            int money_fraction_digits = 2);

// Decodes one row read with `table.select` (text cells, in the stream's column order) into
// `*after` (one Value per column of `table.schema`) as the stream's decoder does; the values'
// bytes go to `arena`, and *text_bytes gets the size of the text read. Used by the initial
// and the incremental snapshot alike, so a row reads the same whichever way it came.
Status DecodeSnapshotRow(const SnapshotTable& table, const PgCells& cells, bool precise_decimals,
                         const std::string& source_name, ByteArena* arena,
                         std::vector<Value>* after, size_t* text_bytes);

}  // namespace vimur::postgresql
