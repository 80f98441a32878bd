#include "format/debezium_json.h"

#include "format/json_writer.h"

#ifndef VIMUR_VERSION
#define VIMUR_VERSION "0.0.0"
#endif

namespace vimur {
namespace {

void WriteValue(JsonWriter& w, const ColumnSchema& column, const Value& v) {
  switch (v.kind) {
    case ValueKind::kNull: w.Null(); return;
    case ValueKind::kBool: w.Bool(v.b); return;
    case ValueKind::kInt: w.Int(v.i); return;
    case ValueKind::kUInt: w.UInt(v.u); return;
    case ValueKind::kFloat: w.Float(v.f); return;
    case ValueKind::kDouble: w.Double(v.d); return;
    case ValueKind::kText: w.String(v.s); return;
    case ValueKind::kBytes: w.Base64(v.s); return;
    case ValueKind::kGeometry:
      w.BeginObject();
      w.Key("wkb");
      w.Base64(v.s);
      w.Key("srid");
      w.Int(v.srid);
      w.EndObject();
      return;
  }
  w.Null();
}

void WriteRow(JsonWriter& w, const TableSchema& table, const std::vector<Value>& row) {
  w.BeginObject();
  for (size_t i = 0; i < table.columns.size() && i < row.size(); ++i) {
    w.Key(table.columns[i].name);
    WriteValue(w, table.columns[i], row[i]);
  }
  w.EndObject();
}

const char* SnapshotText(SnapshotMarker m) {
  switch (m) {
    case SnapshotMarker::kFalse: return "false";
    case SnapshotMarker::kTrue: return "true";
    case SnapshotMarker::kLast: return "last";
  }
  return "false";
}

// Kafka Connect schema of one column, as Debezium's MySQL connector declares it.
void WriteFieldSchema(JsonWriter& w, const ColumnSchema& c) {
  const char* type = "string";
  const char* name = nullptr;
  switch (c.type) {
    case LogicalType::kBoolean: type = "boolean"; break;
    case LogicalType::kInt16: type = "int16"; break;
    case LogicalType::kInt32: type = "int32"; break;
    case LogicalType::kInt64: type = "int64"; break;
    case LogicalType::kUInt64: type = "int64"; break;
    case LogicalType::kFloat: type = "float"; break;
    case LogicalType::kDouble: type = "double"; break;
    case LogicalType::kDecimal: type = "string"; break;
    case LogicalType::kBits:
      type = "bytes";
      name = "io.debezium.data.Bits";
      break;
    case LogicalType::kDate:
      type = "int32";
      name = "io.debezium.time.Date";
      break;
    case LogicalType::kTimestampMillis:
      type = "int64";
      name = "io.debezium.time.Timestamp";
      break;
    case LogicalType::kTimestampMicros:
      type = "int64";
      name = "io.debezium.time.MicroTimestamp";
      break;
    case LogicalType::kZonedTimestamp:
      type = "string";
      name = "io.debezium.time.ZonedTimestamp";
      break;
    case LogicalType::kMicroTime:
      type = "int64";
      name = "io.debezium.time.MicroTime";
      break;
    case LogicalType::kYear:
      type = "int32";
      name = "io.debezium.time.Year";
      break;
    case LogicalType::kString: type = "string"; break;
    case LogicalType::kBytes: type = "bytes"; break;
    case LogicalType::kEnum:
      type = "string";
      name = "io.debezium.data.Enum";
      break;
    case LogicalType::kSet:
      type = "string";
      name = "io.debezium.data.EnumSet";
      break;
    case LogicalType::kJson:
      type = "string";
      name = "io.debezium.data.Json";
      break;
    case LogicalType::kGeometry:
      type = "struct";
      name = "io.debezium.data.geometry.Geometry";
      break;
  }
  w.BeginObject();
  w.Key("type");
  w.String(type);
  if (c.type == LogicalType::kGeometry) {
    w.Key("fields");
    w.Raw(
        R"([{"type":"bytes","optional":false,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}])");
  }
  w.Key("optional");
  w.Bool(c.nullable);
  if (name != nullptr) {
    w.Key("name");
    w.String(name);
    w.Key("version");
    w.Int(1);
  }
  if (c.type == LogicalType::kBits || c.type == LogicalType::kEnum || c.type == LogicalType::kSet) {
    w.Key("parameters");
    w.BeginObject();
    if (c.type == LogicalType::kBits) {
      w.Key("length");
      w.String(std::to_string(c.precision));
    } else {
      std::string allowed;
      for (const auto& e : c.enum_values) allowed += (allowed.empty() ? "" : ",") + e;
      w.Key("allowed");
      w.String(allowed);
    }
    w.EndObject();
  }
  w.Key("field");
  w.String(c.name);
  w.EndObject();
}

void WriteRowSchema(JsonWriter& w, const TableSchema& t, const std::vector<size_t>* only,
                    const std::string& record_name, bool optional, const char* field) {
  w.BeginObject();
  w.Key("type");
  w.String("struct");
  w.Key("fields");
  w.BeginArray();
  if (only != nullptr) {
    for (size_t i : *only) WriteFieldSchema(w, t.columns[i]);
  } else {
    for (const auto& c : t.columns) WriteFieldSchema(w, c);
  }
  w.EndArray();
  w.Key("optional");
  w.Bool(optional);
  w.Key("name");
  w.String(record_name);
  if (field != nullptr) {
    w.Key("field");
    w.String(field);
  }
  w.EndObject();
}

std::string RecordPrefix(const JsonFormatOptions& o, const TableSchema& t) {
  return o.topic_prefix + "." + t.database + "." + t.table;
}

void WriteSourceSchema(JsonWriter& w, const SourceInfo& s) {
  bool pg = s.connector == "postgresql";
  std::string fields =
      std::string(R"([{"type":"string","optional":false,"field":"version"},)") +
      R"({"type":"string","optional":false,"field":"connector"},)" +
      R"({"type":"string","optional":false,"field":"name"},)" +
      R"({"type":"int64","optional":false,"field":"ts_ms"},)" +
      R"({"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,last,false,incremental"},"default":"false","field":"snapshot"},)" +
      R"({"type":"string","optional":false,"field":"db"},)" +
      R"({"type":"string","optional":true,"field":"table"},)";
  if (pg) {
    fields += R"({"type":"string","optional":false,"field":"schema"},)"
              R"({"type":"int64","optional":true,"field":"txId"},)"
              R"({"type":"int64","optional":true,"field":"lsn"}])";
  } else {
    fields += R"({"type":"int64","optional":false,"field":"server_id"},)"
              R"({"type":"string","optional":true,"field":"gtid"},)"
              R"({"type":"string","optional":false,"field":"file"},)"
              R"({"type":"int64","optional":false,"field":"pos"},)"
              R"({"type":"int32","optional":false,"field":"row"}])";
  }
  w.BeginObject();
  w.Key("type");
  w.String("struct");
  w.Key("fields");
  w.Raw(fields);
  w.Key("optional");
  w.Bool(false);
  w.Key("name");
  w.String(pg ? "io.debezium.connector.postgresql.Source" : "io.debezium.connector.mysql.Source");
  w.Key("field");
  w.String("source");
  w.EndObject();
}

constexpr const char* kTransactionSchema =
    R"({"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},)"
    R"({"type":"int64","optional":false,"field":"total_order"},)"
    R"({"type":"int64","optional":false,"field":"data_collection_order"}],)"
    R"("optional":true,"name":"event.block","version":1,"field":"transaction"})";

}  // namespace

bool DebeziumJsonSerializer::SerializeKey(const ChangeEvent& event, std::string* out) const {
  const TableSchema& t = *event.table;
  if (!t.has_key()) return false;
  const std::vector<Value>& row = event.after.empty() ? event.before : event.after;
  JsonWriter w(out);
  if (options_.schemas) {
    w.BeginObject();
    w.Key("schema");
    WriteRowSchema(w, t, &t.key_columns, RecordPrefix(options_, t) + ".Key", false, nullptr);
    w.Key("payload");
  }
  w.BeginObject();
  for (size_t i : t.key_columns) {
    w.Key(t.columns[i].name);
    if (i < row.size()) {
      WriteValue(w, t.columns[i], row[i]);
    } else {
      w.Null();
    }
  }
  w.EndObject();
  if (options_.schemas) w.EndObject();
  return true;
}

void DebeziumJsonSerializer::SerializeValue(const ChangeEvent& event, int64_t ts_ms,
                                            std::string* out) const {
  const TableSchema& t = *event.table;
  const SourceInfo& s = *event.source;
  JsonWriter w(out);
  if (options_.schemas) {
    std::string prefix = RecordPrefix(options_, t);
    w.BeginObject();
    w.Key("schema");
    w.BeginObject();
    w.Key("type");
    w.String("struct");
    w.Key("fields");
    w.BeginArray();
    WriteRowSchema(w, t, nullptr, prefix + ".Value", true, "before");
    WriteRowSchema(w, t, nullptr, prefix + ".Value", true, "after");
    WriteSourceSchema(w, s);
    w.Raw(R"({"type":"string","optional":false,"field":"op"})");
    w.Raw(R"({"type":"int64","optional":true,"field":"ts_ms"})");
    w.Raw(kTransactionSchema);
    w.EndArray();
    w.Key("optional");
    w.Bool(false);
    w.Key("name");
    w.String(prefix + ".Envelope");
    w.Key("version");
    w.Int(1);
    w.EndObject();
    w.Key("payload");
  }
  w.BeginObject();
  w.Key("before");
  if (event.before.empty()) {
    w.Null();
  } else {
    WriteRow(w, t, event.before);
  }
  w.Key("after");
  if (event.after.empty()) {
    w.Null();
  } else {
    WriteRow(w, t, event.after);
  }
  w.Key("source");
  w.BeginObject();
  w.Key("version");
  w.String(VIMUR_VERSION);
  w.Key("connector");
  w.String(s.connector);
  w.Key("name");
  w.String(s.name);
  w.Key("ts_ms");
  w.Int(s.ts_ms);
  w.Key("snapshot");
  w.String(SnapshotText(s.snapshot));
  w.Key("db");
  w.String(t.database);
  w.Key("table");
  w.String(t.table);
  if (s.connector == "postgresql") {
    w.Key("schema");
    w.String(s.schema);
    w.Key("txId");
    if (s.tx_id >= 0) {
      w.Int(s.tx_id);
    } else {
      w.Null();
    }
    w.Key("lsn");
    w.UInt(s.lsn);
  } else {
    w.Key("server_id");
    w.UInt(s.server_id);
    w.Key("gtid");
    if (s.gtid.empty()) {
      w.Null();
    } else {
      w.String(s.gtid);
    }
    w.Key("file");
    w.String(s.file);
    w.Key("pos");
    w.UInt(s.pos);
    w.Key("row");
    w.UInt(event.row);
  }
  w.EndObject();
  w.Key("op");
  char op[1] = {static_cast<char>(event.op)};
  w.String(std::string_view(op, 1));
  w.Key("ts_ms");
  w.Int(ts_ms);
  w.Key("transaction");
  if (options_.transaction_metadata) {
    w.BeginObject();
    w.Key("id");
    w.String(s.gtid.empty() ? s.file + ":" + std::to_string(s.pos) : s.gtid);
    w.Key("total_order");
    w.UInt(event.total_order);
    w.Key("data_collection_order");
    w.UInt(event.data_collection_order);
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  if (options_.schemas) w.EndObject();
}

void DebeziumJsonSerializer::SerializeSchemaChangeKey(const SchemaChange& change,
                                                      std::string* out) const {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("databaseName");
  w.String(change.database);
  w.EndObject();
}

void DebeziumJsonSerializer::SerializeSchemaChange(const SchemaChange& change, int64_t ts_ms,
                                                   std::string* out) const {
  const SourceInfo& s = *change.source;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("source");
  w.BeginObject();
  w.Key("version");
  w.String(VIMUR_VERSION);
  w.Key("connector");
  w.String(s.connector);
  w.Key("name");
  w.String(s.name);
  w.Key("ts_ms");
  w.Int(s.ts_ms);
  w.Key("db");
  w.String(change.database);
  w.Key("server_id");
  w.UInt(s.server_id);
  w.Key("gtid");
  if (s.gtid.empty()) {
    w.Null();
  } else {
    w.String(s.gtid);
  }
  w.Key("file");
  w.String(s.file);
  w.Key("pos");
  w.UInt(s.pos);
  w.EndObject();
  w.Key("ts_ms");
  w.Int(ts_ms);
  w.Key("databaseName");
  w.String(change.database);
  w.Key("ddl");
  w.String(change.ddl);
  w.Key("tableChanges");
  w.BeginArray();
  for (const auto& table : change.tables) {
    w.BeginObject();
    w.Key("id");
    w.String(table);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace vimur
