// ConnectionCatalog: the RelationCatalog read over a normal connection (NOT NULL columns and
// primary key of a relation from pg_attribute and pg_index). The stream and the snapshot use
// it alike; inside a transaction it reads that transaction's view of the catalog.
#pragma once

#include "source/postgresql/pg_connection.h"
#include "source/postgresql/pgoutput_assembler.h"

namespace vimur::postgresql {

class ConnectionCatalog : public RelationCatalog {
 public:
  explicit ConnectionCatalog(PgConnection* conn) : conn_(conn) {}
  Result<RelationFacts> Describe(uint32_t relation_id) override;

 private:
  PgConnection* conn_;
};

}  // namespace vimur::postgresql
