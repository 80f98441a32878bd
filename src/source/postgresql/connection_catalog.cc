#include "source/postgresql/connection_catalog.h"

#include <string>

namespace vimur::postgresql {

Result<RelationFacts> ConnectionCatalog::Describe(uint32_t relation_id) {
  const std::string id = std::to_string(relation_id);
  RelationFacts facts;
  VIMUR_ASSIGN_OR_RETURN(auto not_null,
                         conn_->Query("SELECT attname FROM pg_attribute WHERE attrelid = $1::oid "
                                      "AND attnum > 0 AND NOT attisdropped AND attnotnull",
                                      {id}));
  for (const PgRow& r : not_null) facts.not_null.push_back(r[0].value_or(""));
  VIMUR_ASSIGN_OR_RETURN(
      auto key, conn_->Query("SELECT a.attname FROM pg_index i CROSS JOIN LATERAL "
                             "unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN "
                             "pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = "
                             "k.attnum WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY "
                             "k.ord",
                             {id}));
  for (const PgRow& r : key) facts.primary_key.push_back(r[0].value_or(""));
  VIMUR_ASSIGN_OR_RETURN(
      auto labels,
      conn_->Query("SELECT a.attname, e.enumlabel FROM pg_attribute a JOIN pg_type t ON t.oid = "
                   "a.atttypid JOIN pg_enum e ON e.enumtypid = a.atttypid OR (t.typcategory = "
                   "'A' AND e.enumtypid = t.typelem) WHERE a.attrelid = $1::oid AND "
                   "a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum, e.enumsortorder",
                   {id}));
  for (const PgRow& r : labels) {
    facts.enum_labels[r[0].value_or("")].push_back(r[1].value_or(""));
  }
  // Arrays of types that are not built in (16384: FirstNormalObjectId), one-dimensional by
  // declaration as every array type is; `box[]`-like delimiters other than ',' stay text.
  VIMUR_ASSIGN_OR_RETURN(
      auto arrays,
      conn_->Query("SELECT a.attname, t.typelem FROM pg_attribute a JOIN pg_type t ON t.oid = "
                   "a.atttypid JOIN pg_type e ON e.oid = t.typelem WHERE a.attrelid = $1::oid "
                   "AND a.attnum > 0 AND NOT a.attisdropped AND t.typcategory = 'A' AND "
                   "t.typelem >= 16384 AND e.typdelim = ','",
                   {id}));
  for (const PgRow& r : arrays) {
    facts.array_element[r[0].value_or("")] = static_cast<uint32_t>(std::stoul(r[1].value_or("0")));
  }
  // A domain over a domain is followed to the first type that is not one.
  VIMUR_ASSIGN_OR_RETURN(
      auto domains,
      conn_->Query("WITH RECURSIVE d(attname, oid, typmod, depth) AS ("
                   "SELECT a.attname, t.typbasetype, t.typtypmod, 1 FROM pg_attribute a JOIN "
                   "pg_type t ON t.oid = a.atttypid WHERE a.attrelid = $1::oid AND a.attnum > 0 "
                   "AND NOT a.attisdropped AND t.typtype = 'd' UNION ALL SELECT d.attname, "
                   "t.typbasetype, t.typtypmod, d.depth + 1 FROM d JOIN pg_type t ON t.oid = "
                   "d.oid WHERE t.typtype = 'd' AND d.depth < 16) "
                   "SELECT DISTINCT ON (attname) attname, oid, typmod FROM d "
                   "ORDER BY attname, depth DESC",
                   {id}));
  for (const PgRow& r : domains) {
    facts.domain_base[r[0].value_or("")] = {static_cast<uint32_t>(std::stoul(r[1].value_or("0"))),
                                            static_cast<int32_t>(std::stol(r[2].value_or("-1")))};
  }
  // Enum labels of a domain over an enum.
  for (const auto& [column, base] : facts.domain_base) {
    VIMUR_ASSIGN_OR_RETURN(auto base_labels,
                           conn_->Query("SELECT enumlabel FROM pg_enum WHERE enumtypid = $1::oid "
                                        "ORDER BY enumsortorder",
                                        {std::to_string(base.first)}));
    for (const PgRow& r : base_labels) facts.enum_labels[column].push_back(r[0].value_or(""));
  }
  return facts;
}

}  // namespace vimur::postgresql
