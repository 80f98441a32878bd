// The TableSchema of a captured PostgreSQL relation and the decoding of its cells, shared by
// the pgoutput stream (from Relation messages) and the snapshot (from the same facts read
// from the catalog), so both produce the same schema and Values for the same row.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/arena.h"
#include "core/status.h"
#include "core/table_schema.h"
#include "core/value.h"
#include "source/capture_filter.h"
#include "source/postgresql/pgoutput_message.h"

namespace vimur::postgresql {

// What pgoutput does not say about a relation and the catalog does: which columns are NOT
// NULL and which form the primary key (pgoutput marks the replica identity, which is every
// column under REPLICA IDENTITY FULL).
struct RelationFacts {
  std::vector<std::string> not_null;
  std::vector<std::string> primary_key;  // in key order
  // Columns of an enum type: its labels in their sort order (io.debezium.data.Enum).
  std::map<std::string, std::vector<std::string>> enum_labels;
  // Columns of a domain: the domain's base type OID and modifier (represented as the base).
  std::map<std::string, std::pair<uint32_t, int32_t>> domain_base;
  // Array columns whose element type is not built in (an array of an enum): the element's OID.
  std::map<std::string, uint32_t> array_element;
};

// The schema of relation `m` (version 0) with the columns `filter` keeps; `kept` gets, per
// column of `m`, its index in the schema or -1. `facts`: from the catalog, or nullptr when
// unknown (the key is then the replica identity pgoutput marks). `type_names`: "nsp.name" of
// the types that are not built in, by OID. `money_fraction_digits`: the scale of `money`.
std::shared_ptr<TableSchema> BuildRelationSchema(
    const CaptureFilter& filter, const RelationMessage& m, const RelationFacts* facts,
    const std::unordered_map<uint32_t, std::string>& type_names, std::vector<int>* kept,
    int money_fraction_digits = 2);

// Decodes `text`, a cell of column `c` of table `t` in its type's text output form, as the
// stream does. A numeric NaN or Infinity is refused under precise decimals (as in Debezium),
// and so is a numeric without precision of more than 80 digits, the message naming source
// `source_name` and the setting that allows it.
Status DecodeCell(const TableSchema& t, const ColumnSchema& c, uint32_t type_oid,
                  std::string_view text, bool precise_decimals, const std::string& source_name,
                  ByteArena* arena, Value* out);

}  // namespace vimur::postgresql
