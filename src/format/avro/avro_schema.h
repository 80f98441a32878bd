// Avro schemas of change events: the key and envelope schemas of a captured table, derived from
// its TableSchema exactly as Debezium's MySQL connector + Confluent's AvroConverter write them.
#pragma once

#include <string>
#include <string_view>

#include "core/table_schema.h"

namespace vimur::avro {

// Returns `name` made a valid Avro name ([A-Za-z_][A-Za-z0-9_]*): every other character becomes
// '_', and a leading digit gets a '_' prefix (Debezium's SchemaNameAdjuster does the same).
std::string AvroName(std::string_view name);

// The namespace of a table's records: `{prefix}.{db}.{table}`, each part an AvroName.
std::string TableNamespace(std::string_view topic_prefix, const TableSchema& table);

// The key schema: record `{ns}.Key` of the primary-key columns in key order. Only meaningful
// when table.has_key().
std::string KeySchemaJson(std::string_view topic_prefix, const TableSchema& table);

// The value schema: record `{ns}.Envelope` with before/after (`{ns}.Value`, nullable), source
// (`io.debezium.connector.mysql.Source`, or the postgresql one when connector is
// "postgresql"), op, ts_ms and transaction (`event.block`).
std::string ValueSchemaJson(std::string_view topic_prefix, const TableSchema& table,
                            std::string_view connector);

// Schemas of the schema-change topic: `io.debezium.connector.mysql.SchemaChangeKey` and
// `io.debezium.connector.mysql.SchemaChangeValue`.
std::string SchemaChangeKeySchemaJson();
std::string SchemaChangeValueSchemaJson();

}  // namespace vimur::avro
