#include "sink/sql/type_mapping.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

ColumnType T(std::string type, std::string logical = "", int precision = -1, int scale = -1) {
  return ColumnType{std::move(type), std::move(logical), precision, scale, true, "", {}};
}

// The table of docs/sinks.md.
TEST(TypeMappingTest, MariaDbToPostgres) {
  struct Case {
    ColumnType type;
    bool key;
    const char* mariadb;
    const char* postgres;
  };
  const Case cases[] = {
      {T("int16"), false, "SMALLINT", "smallint"},
      {T("int8"), false, "TINYINT", "smallint"},
      {T("int32"), false, "INT", "integer"},
      {T("int64"), false, "BIGINT", "bigint"},
      {T("float"), false, "FLOAT", "real"},
      {T("double"), false, "DOUBLE", "double precision"},
      {T("boolean"), false, "BOOLEAN", "boolean"},
      {T("bytes", "org.apache.kafka.connect.data.Decimal", 12, 2), false, "DECIMAL(12,2)",
       "numeric(12,2)"},
      // BIGINT UNSIGNED (precise): Decimal(20, 0).
      {T("bytes", "org.apache.kafka.connect.data.Decimal", 20, 0), true, "DECIMAL(20,0)",
       "numeric(20,0)"},
      {T("int32", "io.debezium.time.Date"), false, "DATE", "date"},
      {T("int64", "io.debezium.time.Timestamp"), false, "DATETIME(3)", "timestamp(3)"},
      {T("int64", "io.debezium.time.MicroTimestamp"), false, "DATETIME(6)", "timestamp(6)"},
      {T("string", "io.debezium.time.ZonedTimestamp"), false, "DATETIME(6)", "timestamptz(6)"},
      {T("int64", "io.debezium.time.MicroTime"), false, "TIME(6)", "time(6)"},
      {T("string", "io.debezium.data.Json"), false, "JSON", "jsonb"},
      {T("string", "io.debezium.data.Enum"), false, "TEXT", "text"},
      {T("string", "io.debezium.data.EnumSet"), false, "TEXT", "text"},
      {T("bytes"), false, "LONGBLOB", "bytea"},
      {T("bytes"), true, "VARBINARY(255)", "bytea"},
      {T("string"), false, "LONGTEXT", "text"},
      {T("string"), true, "VARCHAR(255)", "text"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TargetType(Dialect::kMariaDb, c.type, c.key), c.mariadb) << c.type.logical;
    EXPECT_EQ(TargetType(Dialect::kPostgres, c.type, c.key), c.postgres) << c.type.logical;
  }
}

// PostgreSQL arrays: the element's type as an array, or JSON where arrays do not exist.
TEST(TypeMappingTest, ArraysOfTheElementType) {
  ColumnType prices = T("array");
  prices.items.push_back(T("bytes", "org.apache.kafka.connect.data.Decimal", 6, 2));
  EXPECT_EQ(TargetType(Dialect::kPostgres, prices, false), "numeric(6,2)[]");
  EXPECT_EQ(TargetType(Dialect::kMariaDb, prices, false), "JSON");
  ColumnType tags = T("array");
  tags.items.push_back(T("string"));
  EXPECT_EQ(TargetType(Dialect::kPostgres, tags, true), "text[]");
}

}  // namespace
}  // namespace vimur::sink
