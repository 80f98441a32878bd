#include "format/avro/avro_schema.h"

#include <nlohmann/json.hpp>
#include <set>

namespace vimur::avro {
namespace {

using Json = nlohmann::ordered_json;

// A Kafka Connect logical type as Confluent's AvroData writes it: connect.version, optional
// connect.parameters, connect.name.
Json Connect(const char* avro_type, const char* connect_name, Json parameters = nullptr) {
  Json j;
  j["type"] = avro_type;
  j["connect.version"] = 1;
  if (!parameters.is_null()) j["connect.parameters"] = std::move(parameters);
  j["connect.name"] = connect_name;
  return j;
}

Json DecimalType(int precision, int scale) {
  Json j;
  j["type"] = "bytes";
  j["scale"] = scale;
  j["precision"] = precision;
  j["connect.version"] = 1;
  j["connect.parameters"] = {{"scale", std::to_string(scale)},
                             {"connect.decimal.precision", std::to_string(precision)}};
  j["connect.name"] = "org.apache.kafka.connect.data.Decimal";
  j["logicalType"] = "decimal";
  return j;
}

std::string JoinEnum(const ColumnSchema& c) {
  std::string allowed;
  for (const auto& e : c.enum_values) allowed += (allowed.empty() ? "" : ",") + e;
  return allowed;
}

// Named types may be defined once per schema; later uses refer to them by full name.
struct NamedTypes {
  std::set<std::string> defined;
};

Json ColumnType(const ColumnSchema& c, NamedTypes& names) {
  switch (c.type) {
    case LogicalType::kBoolean: return "boolean";
    case LogicalType::kInt16: return Json{{"type", "int"}, {"connect.type", "int16"}};
    case LogicalType::kInt32: return "int";
    case LogicalType::kInt64: return "long";
    case LogicalType::kUInt64: return DecimalType(20, 0);
    case LogicalType::kFloat: return "float";
    case LogicalType::kDouble: return "double";
    case LogicalType::kDecimal: return DecimalType(c.precision, c.scale);
    case LogicalType::kBits:
      return Connect("bytes", "io.debezium.data.Bits", {{"length", std::to_string(c.precision)}});
    case LogicalType::kDate: return Connect("int", "io.debezium.time.Date");
    case LogicalType::kTimestampMillis: return Connect("long", "io.debezium.time.Timestamp");
    case LogicalType::kTimestampMicros: return Connect("long", "io.debezium.time.MicroTimestamp");
    case LogicalType::kZonedTimestamp: return Connect("string", "io.debezium.time.ZonedTimestamp");
    case LogicalType::kMicroTime: return Connect("long", "io.debezium.time.MicroTime");
    case LogicalType::kYear: return Connect("int", "io.debezium.time.Year");
    case LogicalType::kString: return "string";
    case LogicalType::kBytes: return "bytes";
    case LogicalType::kEnum:
      return Connect("string", "io.debezium.data.Enum", {{"allowed", JoinEnum(c)}});
    case LogicalType::kSet:
      return Connect("string", "io.debezium.data.EnumSet", {{"allowed", JoinEnum(c)}});
    case LogicalType::kJson: return Connect("string", "io.debezium.data.Json");
    case LogicalType::kGeometry: {
      const char* full = "io.debezium.data.geometry.Geometry";
      if (!names.defined.insert(full).second) return full;
      Json j;
      j["type"] = "record";
      j["name"] = "Geometry";
      j["namespace"] = "io.debezium.data.geometry";
      j["fields"] = Json::array(
          {Json{{"name", "wkb"}, {"type", "bytes"}},
           Json{{"name", "srid"}, {"type", Json::array({"null", "int"})}, {"default", nullptr}}});
      j["connect.doc"] = "Geometry";
      j["connect.version"] = 1;
      j["connect.name"] = full;
      return j;
    }
  }
  return "string";
}

Json Field(const ColumnSchema& c, NamedTypes& names) {
  Json f;
  f["name"] = AvroName(c.name);
  Json type = ColumnType(c, names);
  if (c.nullable) {
    f["type"] = Json::array({"null", std::move(type)});
    f["default"] = nullptr;
  } else {
    f["type"] = std::move(type);
  }
  return f;
}

Json Record(const std::string& name, const std::string& ns, Json fields) {
  Json j;
  j["type"] = "record";
  j["name"] = name;
  j["namespace"] = ns;
  j["fields"] = std::move(fields);
  j["connect.name"] = ns + "." + name;
  return j;
}

Json Optional(const char* name, Json type) {
  return Json{
      {"name", name}, {"type", Json::array({"null", std::move(type)})}, {"default", nullptr}};
}

Json Required(const char* name, Json type) {
  return Json{{"name", name}, {"type", std::move(type)}};
}

Json SnapshotField() {
  Json type =
      Connect("string", "io.debezium.data.Enum", {{"allowed", "true,last,false,incremental"}});
  // Optional with a non-null default: Connect puts the default's branch first.
  type["connect.default"] = "false";
  return Json{
      {"name", "snapshot"}, {"type", Json::array({std::move(type), "null"})}, {"default", "false"}};
}

Json SourceRecord(std::string_view connector) {
  bool pg = connector == "postgresql";
  Json fields = Json::array({Required("version", "string"), Required("connector", "string"),
                             Required("name", "string"), Required("ts_ms", "long"), SnapshotField(),
                             Required("db", "string"), Optional("table", "string")});
  if (pg) {
    fields.push_back(Required("schema", "string"));
    fields.push_back(Optional("txId", "long"));
    fields.push_back(Optional("lsn", "long"));
  } else {
    fields.push_back(Required("server_id", "long"));
    fields.push_back(Optional("gtid", "string"));
    fields.push_back(Required("file", "string"));
    fields.push_back(Required("pos", "long"));
    fields.push_back(Required("row", "int"));
  }
  return Record("Source", pg ? "io.debezium.connector.postgresql" : "io.debezium.connector.mysql",
                std::move(fields));
}

Json TransactionRecord() {
  Json j = Record("block", "event",
                  Json::array({Required("id", "string"), Required("total_order", "long"),
                               Required("data_collection_order", "long")}));
  j.erase("connect.name");
  j["connect.version"] = 1;
  j["connect.name"] = "event.block";
  return j;
}

}  // namespace

std::string AvroName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) out.push_back('_');
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_';
    out.push_back(ok ? ch : '_');
  }
  return out;
}

std::string TableNamespace(std::string_view topic_prefix, const TableSchema& table) {
  std::string ns;
  size_t start = 0;
  // The prefix may itself be dotted (e.g. "eu.shop"): keep its dots, adjust each part.
  while (true) {
    size_t dot = topic_prefix.find('.', start);
    ns += AvroName(topic_prefix.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    ns += '.';
    start = dot + 1;
  }
  return ns + "." + AvroName(table.database) + "." + AvroName(table.table);
}

std::string KeySchemaJson(std::string_view topic_prefix, const TableSchema& table) {
  NamedTypes names;
  Json fields = Json::array();
  for (size_t i : table.key_columns) {
    if (i < table.columns.size()) fields.push_back(Field(table.columns[i], names));
  }
  return Record("Key", TableNamespace(topic_prefix, table), std::move(fields)).dump();
}

std::string ValueSchemaJson(std::string_view topic_prefix, const TableSchema& table,
                            std::string_view connector) {
  NamedTypes names;
  std::string ns = TableNamespace(topic_prefix, table);
  Json columns = Json::array();
  for (const auto& c : table.columns) columns.push_back(Field(c, names));
  Json value = Record("Value", ns, std::move(columns));
  Json fields =
      Json::array({Optional("before", std::move(value)), Optional("after", ns + ".Value"),
                   Required("source", SourceRecord(connector)), Required("op", "string"),
                   Optional("ts_ms", "long"), Optional("transaction", TransactionRecord())});
  Json envelope = Record("Envelope", ns, std::move(fields));
  envelope.erase("connect.name");
  envelope["connect.version"] = 1;
  envelope["connect.name"] = ns + ".Envelope";
  return envelope.dump();
}

std::string SchemaChangeKeySchemaJson() {
  return Record("SchemaChangeKey", "io.debezium.connector.mysql",
                Json::array({Required("databaseName", "string")}))
      .dump();
}

std::string SchemaChangeValueSchemaJson() {
  Json source = Record(
      "Source", "io.debezium.connector.mysql.SchemaChange",
      Json::array({Required("version", "string"), Required("connector", "string"),
                   Required("name", "string"), Required("ts_ms", "long"), Required("db", "string"),
                   Required("server_id", "long"), Optional("gtid", "string"),
                   Required("file", "string"), Required("pos", "long")}));
  Json change =
      Record("Change", "io.debezium.connector.schema", Json::array({Required("id", "string")}));
  Json fields = Json::array(
      {Required("source", std::move(source)), Required("ts_ms", "long"),
       Required("databaseName", "string"), Required("ddl", "string"),
       Required("tableChanges", Json{{"type", "array"}, {"items", std::move(change)}})});
  return Record("SchemaChangeValue", "io.debezium.connector.mysql", std::move(fields)).dump();
}

}  // namespace vimur::avro
