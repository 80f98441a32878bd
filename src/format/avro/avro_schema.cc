#include "format/avro/avro_schema.h"

#include <nlohmann/json.hpp>
#include <set>

#include "format/avro/avro_encoder.h"
#include "format/column_default.h"
#include "format/json_writer.h"
#include "format/source_block.h"

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

// `precision` 0: none declared (PostgreSQL money); Avro needs one, and gets Confluent's
// AvroData default, 64, with only the scale among the Connect parameters.
Json DecimalType(int precision, int scale) {
  Json j;
  j["type"] = "bytes";
  j["scale"] = scale;
  j["precision"] = precision > 0 ? precision : 64;
  j["connect.version"] = 1;
  j["connect.parameters"] = {{"scale", std::to_string(scale)}};
  if (precision > 0) {
    j["connect.parameters"]["connect.decimal.precision"] = std::to_string(precision);
  }
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

// Kafka Connect's own logical types as AvroData writes them (with Avro's logical type).
Json ConnectLogical(const char* avro_type, const char* connect_name, const char* logical) {
  Json j = Connect(avro_type, connect_name);
  j["logicalType"] = logical;
  return j;
}

Json ColumnType(const ColumnSchema& c, FieldRepr repr, NamedTypes& names) {
  switch (repr) {
    case FieldRepr::kBoolean: return "boolean";
    case FieldRepr::kInt16: return Json{{"type", "int"}, {"connect.type", "int16"}};
    case FieldRepr::kInt32: return "int";
    case FieldRepr::kInt64:
    case FieldRepr::kUnsignedLong: return "long";
    case FieldRepr::kUnsignedDecimal: return DecimalType(20, 0);
    case FieldRepr::kFloat: return "float";
    case FieldRepr::kDouble:
    case FieldRepr::kDecimalDouble: return "double";
    case FieldRepr::kDecimal: return DecimalType(c.precision, c.scale);
    case FieldRepr::kDecimalString:
    case FieldRepr::kString:
    case FieldRepr::kBytesBase64:
    case FieldRepr::kBytesHex: return "string";
    case FieldRepr::kBits:
      return Connect("bytes", "io.debezium.data.Bits", {{"length", std::to_string(c.precision)}});
    case FieldRepr::kDate: return Connect("int", "io.debezium.time.Date");
    case FieldRepr::kTimestamp: return Connect("long", "io.debezium.time.Timestamp");
    case FieldRepr::kMicroTimestamp: return Connect("long", "io.debezium.time.MicroTimestamp");
    case FieldRepr::kZonedTimestamp: return Connect("string", "io.debezium.time.ZonedTimestamp");
    case FieldRepr::kMicroTime: return Connect("long", "io.debezium.time.MicroTime");
    case FieldRepr::kYear: return Connect("int", "io.debezium.time.Year");
    case FieldRepr::kConnectDate:
      return ConnectLogical("int", "org.apache.kafka.connect.data.Date", "date");
    case FieldRepr::kConnectTime:
      return ConnectLogical("int", "org.apache.kafka.connect.data.Time", "time-millis");
    case FieldRepr::kConnectTimestamp:
    case FieldRepr::kConnectTimestampMicros:
      return ConnectLogical("long", "org.apache.kafka.connect.data.Timestamp", "timestamp-millis");
    case FieldRepr::kBytes: return "bytes";
    case FieldRepr::kEnum:
      return Connect("string", "io.debezium.data.Enum", {{"allowed", JoinEnum(c)}});
    case FieldRepr::kSet:
      return Connect("string", "io.debezium.data.EnumSet", {{"allowed", JoinEnum(c)}});
    case FieldRepr::kJson: return Connect("string", "io.debezium.data.Json");
    case FieldRepr::kUuid: return Connect("string", "io.debezium.data.Uuid");
    case FieldRepr::kXml: return Connect("string", "io.debezium.data.Xml");
    case FieldRepr::kZonedTime: return Connect("string", "io.debezium.time.ZonedTime");
    case FieldRepr::kMicroDuration: return Connect("long", "io.debezium.time.MicroDuration");
    case FieldRepr::kGeometry: {
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
    case FieldRepr::kVariableScaleDecimal: {
      const char* full = "io.debezium.data.VariableScaleDecimal";
      if (!names.defined.insert(full).second) return full;
      Json j;
      j["type"] = "record";
      j["name"] = "VariableScaleDecimal";
      j["namespace"] = "io.debezium.data";
      j["fields"] = Json::array(
          {Json{{"name", "scale"}, {"type", "int"}}, Json{{"name", "value"}, {"type", "bytes"}}});
      j["connect.doc"] = "Variable scaled decimal";
      j["connect.version"] = 1;
      j["connect.name"] = full;
      return j;
    }
  }
  return "string";
}

// Bytes as Avro's JSON encoding of `bytes` writes them: one char per byte (ISO-8859-1).
std::string Latin1(std::string_view bytes) {
  std::string out;
  for (const char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else {
      out.push_back(static_cast<char>(0xc0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3f)));
    }
  }
  return out;
}

// The column's default in Avro's JSON encoding of its type; null when it has none.
Json AvroDefault(const ColumnSchema& c, FieldRepr repr) {
  std::string storage;
  const std::optional<Value> source_value = ColumnDefaultValue(c, &storage);
  if (!source_value) return nullptr;
  const Value v = Converted(repr, *source_value);
  char bytes[kMaxDecimalBytes];
  switch (AvroKindOf(repr)) {
    case AvroKind::kInt:
    case AvroKind::kLong:
      if (v.kind == ValueKind::kInt) return v.i;
      return nullptr;
    case AvroKind::kFloat:
      if (v.kind == ValueKind::kFloat) return v.f;
      return nullptr;
    case AvroKind::kDouble:
      if (v.kind == ValueKind::kDouble) return v.d;
      if (v.kind == ValueKind::kFloat) return static_cast<double>(v.f);
      return nullptr;
    case AvroKind::kUnsignedDecimal:
      if (v.kind == ValueKind::kUInt) return Latin1(UnsignedUnscaledBytes(v.u, bytes));
      return nullptr;
    case AvroKind::kDecimal: {
      if (v.kind != ValueKind::kText) return nullptr;
      auto unscaled = DecimalUnscaledBytes(v.s, c.scale, bytes);
      if (!unscaled.ok()) return nullptr;
      return Latin1(*unscaled);
    }
    case AvroKind::kBytes:
      if (v.kind != ValueKind::kText && v.kind != ValueKind::kBytes) return nullptr;
      if (repr == FieldRepr::kBytes || repr == FieldRepr::kBits) return Latin1(v.s);
      if (repr == FieldRepr::kBytesHex) {
        std::string hex(2 * v.s.size(), '\0');
        WriteHex(v.s, hex.data());
        return hex;
      }
      if (repr == FieldRepr::kBytesBase64) {
        std::string b64((v.s.size() + 2) / 3 * 4, '\0');
        json_internal::WriteBase64(v.s, b64.data());
        return b64;
      }
      return std::string(v.s);
    case AvroKind::kBoolean:
    case AvroKind::kGeometry:
    case AvroKind::kVariableScaleDecimal: return nullptr;
  }
  return nullptr;
}

Json Field(const ColumnSchema& c, const ValueModes& modes, bool propagate, NamedTypes& names) {
  Json f;
  f["name"] = AvroName(c.name);
  const FieldRepr repr = ReprOf(c, modes);
  Json type = ColumnType(c, repr, names);
  if (c.is_array()) {
    // Confluent's AvroData: a Connect array of optional elements.
    type = Json{{"type", "array"}, {"items", Json::array({"null", std::move(type)})}};
  }
  Json default_value = AvroDefault(c, repr);
  if (propagate || !default_value.is_null()) {
    if (!type.is_object()) type = Json{{"type", std::move(type)}};
    if (propagate) {
      Json& parameters = type["connect.parameters"];
      for (auto& [key, value] : SourceTypeParameters(c)) parameters[key] = value;
      // connect.parameters before connect.name, as AvroData writes them.
      if (type.contains("connect.name")) {
        Json name = type["connect.name"];
        type.erase("connect.name");
        type["connect.name"] = std::move(name);
        if (type.contains("logicalType")) {
          Json logical = type["logicalType"];
          type.erase("logicalType");
          type["logicalType"] = std::move(logical);
        }
      }
    }
    if (!default_value.is_null()) type["connect.default"] = default_value;
  }
  if (!default_value.is_null()) {
    // Avro requires a union's default to be of its first branch: the type, then null.
    f["type"] = c.nullable ? Json::array({std::move(type), "null"}) : std::move(type);
    f["default"] = std::move(default_value);
  } else if (c.nullable) {
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
  Json type = Connect("string", "io.debezium.data.Enum", {{"allowed", kSnapshotAllowed}});
  // Optional with a non-null default: Connect puts the default's branch first.
  type["connect.default"] = "false";
  return Json{
      {"name", "snapshot"}, {"type", Json::array({std::move(type), "null"})}, {"default", "false"}};
}

// Debezium's `source` block: the common fields, then the connector's own.
Json SourceRecord(std::string_view connector) {
  const bool pg = connector == "postgresql";
  Json fields = Json::array({Required("version", "string"), Required("connector", "string"),
                             Required("name", "string"), Required("ts_ms", "long"), SnapshotField(),
                             Required("db", "string"), Optional("sequence", "string"),
                             Optional("ts_us", "long"), Optional("ts_ns", "long")});
  if (pg) {
    fields.push_back(Required("schema", "string"));
    fields.push_back(Required("table", "string"));
    fields.push_back(Optional("txId", "long"));
    fields.push_back(Optional("lsn", "long"));
    fields.push_back(Optional("xmin", "long"));
    fields.push_back(Optional("origin", "string"));
    fields.push_back(Optional("origin_lsn", "long"));
  } else {
    fields.push_back(Optional("table", "string"));
    fields.push_back(Required("server_id", "long"));
    fields.push_back(Optional("gtid", "string"));
    fields.push_back(Required("file", "string"));
    fields.push_back(Required("pos", "long"));
    fields.push_back(Required("row", "int"));
    fields.push_back(Optional("thread", "long"));
    fields.push_back(Optional("query", "string"));
  }
  const std::string full = SourceSchemaName(connector);
  Json j = Record("Source", full.substr(0, full.size() - std::string_view(".Source").size()),
                  std::move(fields));
  j.erase("connect.name");
  j["connect.version"] = 1;
  j["connect.name"] = full;
  return j;
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

bool AvroUnionNullSecond(const ColumnSchema& column, FieldRepr repr) {
  return column.nullable && !AvroDefault(column, repr).is_null();
}

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

std::string KeySchemaJson(std::string_view topic_prefix, const TableSchema& table,
                          const ValueModes& modes) {
  NamedTypes names;
  Json fields = Json::array();
  for (size_t i : table.key_columns) {
    if (i >= table.columns.size()) continue;
    fields.push_back(Field(table.columns[i], modes, false, names));
  }
  return Record("Key", TableNamespace(topic_prefix, table), std::move(fields)).dump();
}

std::string ValueSchemaJson(std::string_view topic_prefix, const TableSchema& table,
                            std::string_view connector, const ValueModes& modes,
                            const std::vector<std::string>& propagate_source_types) {
  NamedTypes names;
  std::string ns = TableNamespace(topic_prefix, table);
  Json columns = Json::array();
  for (const auto& c : table.columns) {
    columns.push_back(
        Field(c, modes, PropagatesSourceType(propagate_source_types, table, c), names));
  }
  Json value = Record("Value", ns, std::move(columns));
  // Debezium's envelope, version 2: before, after, source, transaction, op, ts_ms, ts_us, ts_ns.
  Json fields = Json::array({Optional("before", std::move(value)), Optional("after", ns + ".Value"),
                             Required("source", SourceRecord(connector)),
                             Optional("transaction", TransactionRecord()), Required("op", "string"),
                             Optional("ts_ms", "long"), Optional("ts_us", "long"),
                             Optional("ts_ns", "long")});
  Json envelope = Record("Envelope", ns, std::move(fields));
  envelope.erase("connect.name");
  envelope["connect.version"] = 2;
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

std::string MessageKeySchemaJson() {
  Json j = Record("MessageKey", "io.debezium.connector.postgresql",
                  Json::array({Optional("prefix", "string")}));
  j["connect.version"] = 1;
  return j.dump();
}

std::string MessageValueSchemaJson(bool content_as_string) {
  Json message = Record("Message", "io.debezium.connector.postgresql",
                        Json::array({Optional("prefix", "string"),
                                     Optional("content", content_as_string ? "string" : "bytes")}));
  message["connect.version"] = 1;
  Json fields = Json::array({Required("op", "string"), Optional("ts_ms", "long"),
                             Required("source", SourceRecord("postgresql")),
                             Optional("transaction", TransactionRecord()),
                             Required("message", std::move(message))});
  Json j = Record("MessageValue", "io.debezium.connector.postgresql", std::move(fields));
  j["connect.version"] = 1;
  return j.dump();
}

}  // namespace vimur::avro
