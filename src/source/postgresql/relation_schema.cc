#include "source/postgresql/relation_schema.h"

#include <set>

#include "source/postgresql/pg_types.h"

namespace vimur::postgresql {

std::shared_ptr<TableSchema> BuildRelationSchema(
    const CaptureFilter& filter, const RelationMessage& m, const RelationFacts* facts,
    const std::unordered_map<uint32_t, std::string>& type_names, std::vector<int>* kept,
    int money_fraction_digits) {
  const std::string nsp(m.nspname);
  const std::string name(m.relname);
  auto schema = std::make_shared<TableSchema>();
  schema->database = nsp;
  schema->table = name;
  schema->source_table_id = m.relation_id;
  kept->clear();
  std::set<std::string> not_null;
  if (facts != nullptr) not_null.insert(facts->not_null.begin(), facts->not_null.end());
  for (const RelationColumn& c : m.columns) {
    const std::string column_name(c.name);
    if (filter.ExcludesColumn(nsp, name, column_name)) {
      kept->push_back(-1);
      continue;
    }
    ColumnSchema col = ColumnForType(c.type_oid, c.type_modifier, money_fraction_digits);
    auto type_name = type_names.find(c.type_oid);
    if (type_name != type_names.end()) col.type_name = type_name->second;
    if (facts != nullptr) {
      if (auto base = facts->domain_base.find(column_name); base != facts->domain_base.end()) {
        const std::string domain = col.type_name;
        // As Debezium: the base type.
        col = ColumnForType(base->second.first, base->second.second, money_fraction_digits);
        if (!domain.empty()) col.type_name = domain;
      }
      if (auto element = facts->array_element.find(column_name);
          element != facts->array_element.end() && !col.is_array()) {
        const std::string array_type = col.type_name;
        col = ArrayColumnForType(element->second, c.type_modifier, money_fraction_digits);
        if (type_name != type_names.end()) col.type_name = array_type;
      }
      if (auto labels = facts->enum_labels.find(column_name); labels != facts->enum_labels.end()) {
        col.type = LogicalType::kEnum;
        col.enum_values = labels->second;
      }
    }
    col.name = column_name;
    col.nullable = not_null.count(column_name) == 0;
    kept->push_back(static_cast<int>(schema->columns.size()));
    schema->columns.push_back(std::move(col));
  }
  // The key: the primary key when the catalog names one; else the replica identity pgoutput
  // marks, unless that is the whole row (REPLICA IDENTITY FULL without a primary key: no key).
  auto index_of = [&](const std::string& column) -> int {
    for (size_t i = 0; i < schema->columns.size(); ++i) {
      if (schema->columns[i].name == column) return static_cast<int>(i);
    }
    return -1;
  };
  if (facts != nullptr && !facts->primary_key.empty()) {
    for (const std::string& k : facts->primary_key) {
      int i = index_of(k);
      if (i >= 0) schema->key_columns.push_back(static_cast<size_t>(i));
    }
  } else if (m.replica_identity != 'f') {
    for (size_t i = 0; i < m.columns.size(); ++i) {
      if (m.columns[i].key && (*kept)[i] >= 0) {
        schema->key_columns.push_back(static_cast<size_t>((*kept)[i]));
      }
    }
  }
  for (size_t k : schema->key_columns) {
    schema->columns[k].in_primary_key = true;
    schema->columns[k].nullable = false;
  }
  return schema;
}

namespace {

// A numeric NaN or Infinity, or a numeric without precision of more than 80 digits, which
// precise decimals cannot hold.
Status CheckPreciseDecimal(const TableSchema& t, const ColumnSchema& c, std::string_view text,
                           const std::string& source_name) {
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
    return Status::InvalidArgument(
        "column " + t.qualified_name() + "." + c.name + " holds " + std::string(text) +
        ", which decimal_handling_mode: precise cannot represent (as in Debezium); set "
        "decimal_handling_mode: string or double on source " +
        source_name);
  }
  // A numeric without precision holds up to 147455 digits; a Decimal's bytes hold 80.
  if (c.scale < 0 && text.size() > 82) {
    size_t digits = 0;
    for (char ch : text) digits += ch >= '0' && ch <= '9';
    if (digits > 80) {
      return Status::InvalidArgument(
          "column " + t.qualified_name() + "." + c.name + " holds a numeric of " +
          std::to_string(digits) +
          " digits; decimal_handling_mode: precise represents at most 80 (set "
          "decimal_handling_mode: string on source " +
          source_name + " for the exact text)");
    }
  }
  return Status::Ok();
}

}  // namespace

Status DecodeCell(const TableSchema& t, const ColumnSchema& c, uint32_t type_oid,
                  std::string_view text, bool precise_decimals, const std::string& source_name,
                  ByteArena* arena, Value* out) {
  Status s = DecodeText(c, type_oid, text, arena, out);
  if (!s.ok()) return s.WithContext("table " + t.qualified_name());
  if (c.type != LogicalType::kDecimal || !precise_decimals) return Status::Ok();
  if (out->kind == ValueKind::kArray) {
    for (uint32_t i = 0; i < out->size(); ++i) {
      if (out->items[i].kind != ValueKind::kText) continue;
      VIMUR_RETURN_IF_ERROR(CheckPreciseDecimal(t, c, out->items[i].s, source_name));
    }
    return Status::Ok();
  }
  return CheckPreciseDecimal(t, c, text, source_name);
}

}  // namespace vimur::postgresql
