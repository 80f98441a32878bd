// Avro schemas of change events: the key and envelope schemas of a captured table, derived from
// its TableSchema exactly as Debezium's MySQL connector + Confluent's AvroConverter write them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/table_schema.h"
#include "format/field_repr.h"

namespace vimur::avro {

// Returns `name` made a valid Avro name ([A-Za-z_][A-Za-z0-9_]*): every other character becomes
// '_', and a leading digit gets a '_' prefix (Debezium's SchemaNameAdjuster does the same).
std::string AvroName(std::string_view name);

// The namespace of a table's records: `{prefix}.{db}.{table}`, each part an AvroName.
std::string TableNamespace(std::string_view topic_prefix, const TableSchema& table);

// The key schema: record `{ns}.Key` of the primary-key columns in key order. Only meaningful
// when table.has_key(). Like Debezium's, its fields carry no source column type parameters.
std::string KeySchemaJson(std::string_view topic_prefix, const TableSchema& table,
                          const ValueModes& modes = ValueModes());

// The value schema: record `{ns}.Envelope` (Debezium's envelope version 2) with before/after
// (`{ns}.Value`, nullable), source (`io.debezium.connector.{connector}.Source`), transaction
// (`event.block`), op, ts_ms, ts_us and ts_ns. Columns follow `modes`.
std::string ValueSchemaJson(std::string_view topic_prefix, const TableSchema& table,
                            std::string_view connector, const ValueModes& modes = ValueModes(),
                            const std::vector<std::string>& propagate_source_types = {});

// True when the nullable `column` has a default in representation `repr`: its union is then
// [type, null] (Avro wants the default's branch first), not [null, type].
bool AvroUnionNullSecond(const ColumnSchema& column, FieldRepr repr);

// Schemas of the schema-change topic: `io.debezium.connector.mysql.SchemaChangeKey` and
// `io.debezium.connector.mysql.SchemaChangeValue`.
std::string SchemaChangeKeySchemaJson();
std::string SchemaChangeValueSchemaJson();
// Schemas of the `<prefix>.message` topic (PostgreSQL logical decoding messages), as Debezium's
// PostgreSQL connector names them: `io.debezium.connector.postgresql.MessageKey` and
// `...MessageValue`; `content` is bytes, or a string under binary_handling_mode base64/hex.
std::string MessageKeySchemaJson();
std::string MessageValueSchemaJson(bool content_as_string);

}  // namespace vimur::avro
