#include "source/postgresql/connection_catalog.h"

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
  return facts;
}

}  // namespace vimur::postgresql
