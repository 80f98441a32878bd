#include "sink/sql/type_mapping.h"

namespace vimur::sink {
namespace {

std::string Decimal(const char* name, const ColumnType& t) {
  int precision = t.precision > 0 ? t.precision : 65;
  int scale = t.scale >= 0 ? t.scale : 0;
  return std::string(name) + "(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
}

}  // namespace

std::string TargetType(Dialect dialect, const ColumnType& t, bool key) {
  if (!t.sql_type.empty()) return t.sql_type;
  const bool pg = dialect == Dialect::kPostgres;
  // Arrays: PostgreSQL's array of the element type; MariaDB/MySQL have none, a JSON array.
  if (t.connect_type == "array" && !t.items.empty()) {
    return pg ? TargetType(dialect, t.items[0], false) + "[]" : "JSON";
  }
  const std::string& l = t.logical;
  if (l == "org.apache.kafka.connect.data.Decimal") return Decimal(pg ? "numeric" : "DECIMAL", t);
  // Each value has its own scale: PostgreSQL's unconstrained numeric; MariaDB's widest.
  if (l == "io.debezium.data.VariableScaleDecimal") return pg ? "numeric" : "DECIMAL(65,30)";
  if (l == "io.debezium.time.Date" || l == "org.apache.kafka.connect.data.Date") {
    return pg ? "date" : "DATE";
  }
  if (l == "io.debezium.time.Timestamp" || l == "org.apache.kafka.connect.data.Timestamp") {
    return pg ? "timestamp(3)" : "DATETIME(3)";
  }
  if (l == "io.debezium.time.MicroTimestamp") return pg ? "timestamp(6)" : "DATETIME(6)";
  if (l == "io.debezium.time.ZonedTimestamp") return pg ? "timestamptz(6)" : "DATETIME(6)";
  if (l == "io.debezium.time.MicroTime" || l == "org.apache.kafka.connect.data.Time") {
    return pg ? "time(6)" : "TIME(6)";
  }
  if (l == "io.debezium.time.Year") return pg ? "smallint" : "YEAR";
  if (l == "io.debezium.data.Json") return pg ? "jsonb" : "JSON";
  if (l == "io.debezium.data.Enum" || l == "io.debezium.data.EnumSet") {
    return pg || !key ? (pg ? "text" : "TEXT") : "VARCHAR(255)";
  }
  if (l == "io.debezium.data.Bits") return pg ? "bytea" : "VARBINARY(255)";
  const std::string& c = t.connect_type;
  if (c == "int8") return pg ? "smallint" : "TINYINT";
  if (c == "int16") return pg ? "smallint" : "SMALLINT";
  if (c == "int32") return pg ? "integer" : "INT";
  if (c == "int64") return pg ? "bigint" : "BIGINT";
  if (c == "float" || c == "float32") return pg ? "real" : "FLOAT";
  if (c == "double" || c == "float64") return pg ? "double precision" : "DOUBLE";
  if (c == "boolean") return pg ? "boolean" : "BOOLEAN";
  if (c == "bytes") return pg ? "bytea" : (key ? "VARBINARY(255)" : "LONGBLOB");
  return pg ? "text" : (key ? "VARCHAR(255)" : "LONGTEXT");
}

}  // namespace vimur::sink
