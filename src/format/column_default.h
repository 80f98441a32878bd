// Column defaults and source types in schemas: a column's default (ColumnSchema::default_value)
// as a value of the column's representation, and the source-type parameters Debezium's
// column.propagate.source.type adds to a field's schema.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/table_schema.h"
#include "core/value.h"
#include "format/field_repr.h"

namespace vimur {

// The default of `column` as the Value its rows carry (text, bytes and numbers as the MySQL
// source decodes them), viewing `storage`; nullopt when it has none or it does not convert.
std::optional<Value> ColumnDefaultValue(const ColumnSchema& column, std::string* storage);

// Debezium's schema parameters of a propagated source type, in Debezium's order:
// __debezium.source.column.type, ...length, ...scale (when known), ...name.
std::vector<std::pair<std::string, std::string>> SourceTypeParameters(const ColumnSchema& column);

// True when `column` of `table` matches one of `patterns` (regexes on db.table.column).
bool PropagatesSourceType(const std::vector<std::string>& patterns, const TableSchema& table,
                          const ColumnSchema& column);

}  // namespace vimur
