#include "format/debezium_json.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "format/column_default.h"
#include "format/source_block.h"

#ifndef VIMUR_VERSION
#define VIMUR_VERSION "0.0.0"
#endif

namespace vimur {
namespace {

std::string JoinMembers(const ColumnSchema& c) {
  std::string allowed;
  for (const auto& e : c.enum_values) allowed += (allowed.empty() ? "" : ",") + e;
  return allowed;
}

// The column's default as JSON text in its representation; empty when it has none.
std::string DefaultJson(const ColumnSchema& c, FieldRepr repr);

void WriteParameters(JsonWriter& w, const std::vector<std::pair<std::string, std::string>>& p) {
  if (p.empty()) return;
  w.Key("parameters");
  w.BeginObject();
  for (const auto& [key, value] : p) {
    w.Key(key);
    w.String(value);
  }
  w.EndObject();
}

void WriteTypeSchema(JsonWriter& w, const ColumnSchema& c, FieldRepr repr, bool propagate,
                     bool element);

// Kafka Connect schema of one column, as Debezium's MySQL/MariaDB connector declares it
// (JsonConverter's key order: type, optional, name, version, parameters, default, field). An
// array column is an `array` of optional elements of the column's type.
// `propagate`: add the source column type parameters (column.propagate.source.type).
void WriteFieldSchema(JsonWriter& w, const ColumnSchema& c, FieldRepr repr, bool propagate) {
  if (!c.is_array()) return WriteTypeSchema(w, c, repr, propagate, false);
  w.BeginObject();
  w.Key("type");
  w.String("array");
  w.Key("items");
  WriteTypeSchema(w, c, repr, false, true);
  w.Key("optional");
  w.Bool(c.nullable);
  if (propagate) WriteParameters(w, SourceTypeParameters(c));
  w.Key("field");
  w.String(c.name);
  w.EndObject();
}

// The schema of a column's type; `element`: as an array's items (optional, no default, no field).
void WriteTypeSchema(JsonWriter& w, const ColumnSchema& c, FieldRepr repr, bool propagate,
                     bool element) {
  const ConnectType t = ConnectTypeOf(repr);
  w.BeginObject();
  w.Key("type");
  w.String(t.type);
  if (repr == FieldRepr::kGeometry) {
    w.Key("fields");
    w.Raw(
        R"([{"type":"bytes","optional":false,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}])");
  } else if (repr == FieldRepr::kVariableScaleDecimal) {
    w.Key("fields");
    w.Raw(
        R"([{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}])");
  }
  w.Key("optional");
  w.Bool(element || c.nullable);
  if (t.name != nullptr) {
    w.Key("name");
    w.String(t.name);
    w.Key("version");
    w.Int(t.version);
  }
  if (repr == FieldRepr::kGeometry) {
    w.Key("doc");
    w.String("Geometry");
  } else if (repr == FieldRepr::kVariableScaleDecimal) {
    w.Key("doc");
    w.String("Variable scaled decimal");
  }
  std::vector<std::pair<std::string, std::string>> parameters;
  switch (repr) {
    case FieldRepr::kBits: parameters.emplace_back("length", std::to_string(c.precision)); break;
    case FieldRepr::kEnum:
    case FieldRepr::kSet: parameters.emplace_back("allowed", JoinMembers(c)); break;
    case FieldRepr::kDecimal:
      parameters.emplace_back("scale", std::to_string(c.scale));
      // No precision (PostgreSQL money): none declared, as Debezium.
      if (c.precision > 0) {
        parameters.emplace_back("connect.decimal.precision", std::to_string(c.precision));
      }
      break;
    case FieldRepr::kUnsignedDecimal:
      parameters.emplace_back("scale", "0");
      parameters.emplace_back("connect.decimal.precision", "20");
      break;
    default: break;
  }
  if (propagate) {
    for (auto& p : SourceTypeParameters(c)) parameters.push_back(std::move(p));
  }
  WriteParameters(w, parameters);
  if (element) return w.EndObject();
  if (std::string d = DefaultJson(c, repr); !d.empty()) {
    w.Key("default");
    w.Raw(d);
  }
  w.Key("field");
  w.String(c.name);
  w.EndObject();
}

void WriteRowSchema(JsonWriter& w, const TableSchema& t, const std::vector<FieldRepr>& reprs,
                    const std::vector<bool>& propagate, const std::vector<size_t>* only,
                    const std::string& record_name, bool optional, const char* field) {
  w.BeginObject();
  w.Key("type");
  w.String("struct");
  w.Key("fields");
  w.BeginArray();
  if (only != nullptr) {
    for (size_t i : *only) WriteFieldSchema(w, t.columns[i], reprs[i], propagate[i]);
  } else {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      WriteFieldSchema(w, t.columns[i], reprs[i], propagate[i]);
    }
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

// The `source` block's schema: Debezium's common fields (SchemaFactory.sourceInfoSchemaBuilder)
// then the connector's own (BinlogSourceInfoStructMaker, PostgresSourceInfoStructMaker).
void WriteSourceSchema(JsonWriter& w, const SourceInfo& s) {
  const bool pg = s.connector == "postgresql";
  std::string fields =
      std::string(R"([{"type":"string","optional":false,"field":"version"},)") +
      R"({"type":"string","optional":false,"field":"connector"},)" +
      R"({"type":"string","optional":false,"field":"name"},)" +
      R"({"type":"int64","optional":false,"field":"ts_ms"},)" +
      R"({"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":")" +
      kSnapshotAllowed + R"("},"default":"false","field":"snapshot"},)" +
      R"({"type":"string","optional":false,"field":"db"},)" +
      R"({"type":"string","optional":true,"field":"sequence"},)" +
      R"({"type":"int64","optional":true,"field":"ts_us"},)" +
      R"({"type":"int64","optional":true,"field":"ts_ns"},)";
  if (pg) {
    fields += R"({"type":"string","optional":false,"field":"schema"},)"
              R"({"type":"string","optional":false,"field":"table"},)"
              R"({"type":"int64","optional":true,"field":"txId"},)"
              R"({"type":"int64","optional":true,"field":"lsn"},)"
              R"({"type":"int64","optional":true,"field":"xmin"},)"
              R"({"type":"string","optional":true,"field":"origin"},)"
              R"({"type":"int64","optional":true,"field":"origin_lsn"}])";
  } else {
    fields += R"({"type":"string","optional":true,"field":"table"},)"
              R"({"type":"int64","optional":false,"field":"server_id"},)"
              R"({"type":"string","optional":true,"field":"gtid"},)"
              R"({"type":"string","optional":false,"field":"file"},)"
              R"({"type":"int64","optional":false,"field":"pos"},)"
              R"({"type":"int32","optional":false,"field":"row"},)"
              R"({"type":"int64","optional":true,"field":"thread"},)"
              R"({"type":"string","optional":true,"field":"query"}])";
  }
  w.BeginObject();
  w.Key("type");
  w.String("struct");
  w.Key("fields");
  w.Raw(fields);
  w.Key("optional");
  w.Bool(false);
  w.Key("name");
  w.String(SourceSchemaName(s.connector));
  w.Key("version");
  w.Int(1);
  w.Key("field");
  w.String("source");
  w.EndObject();
}

constexpr const char* kTransactionSchema =
    R"({"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},)"
    R"({"type":"int64","optional":false,"field":"total_order"},)"
    R"({"type":"int64","optional":false,"field":"data_collection_order"}],)"
    R"("optional":true,"name":"event.block","version":1,"field":"transaction"})";

void AppendJsonValue(const Value& v, JsonBuffer* out) {
  switch (v.kind) {
    case ValueKind::kNull: out->Null(); return;
    case ValueKind::kBool: out->Bool(v.b); return;
    case ValueKind::kInt: out->Number(v.i); return;
    case ValueKind::kUInt: out->Number(v.u); return;
    case ValueKind::kFloat: out->Float(v.f); return;
    case ValueKind::kDouble: out->Double(v.d); return;
    case ValueKind::kText: out->String(v.s); return;
    case ValueKind::kBytes: out->Base64(v.s); return;
    case ValueKind::kArray:
      out->Char('[');
      for (uint32_t i = 0; i < v.size(); ++i) {
        if (i > 0) out->Char(',');
        AppendJsonValue(v.items[i], out);
      }
      out->Char(']');
      return;
    case ValueKind::kGeometry:
      out->Raw(R"({"wkb":)");
      out->Base64(v.s);
      out->Raw(R"(,"srid":)");
      out->Number(int64_t{v.srid});
      out->Char('}');
      return;
  }
  out->Null();
}

// A value whose representation is not the one of its kind (IsPlainJson false). A value of a
// kind the representation does not expect is written as its kind is.
void AppendConverted(FieldRepr repr, const ColumnSchema& c, const Value& v, JsonBuffer* out) {
  char bytes[kMaxDecimalBytes];
  if (v.kind == ValueKind::kArray) {
    out->Char('[');
    for (uint32_t i = 0; i < v.size(); ++i) {
      if (i > 0) out->Char(',');
      AppendConverted(repr, c, v.items[i], out);
    }
    out->Char(']');
    return;
  }
  switch (repr) {
    case FieldRepr::kUnsignedDecimal:
      if (v.kind == ValueKind::kUInt) return out->Base64(UnsignedUnscaledBytes(v.u, bytes));
      if (v.kind == ValueKind::kInt) return out->Base64(SignedUnscaledBytes(v.i, bytes));
      break;
    case FieldRepr::kUnsignedLong:
      if (v.kind == ValueKind::kUInt) return out->Number(static_cast<int64_t>(v.u));
      break;
    case FieldRepr::kDecimal:
      if (v.kind == ValueKind::kText) {
        if (int64_t small = 0; SmallUnscaled(v.s, c.scale, &small)) {
          return out->Base64(SignedUnscaledBytes(small, bytes));
        }
        auto unscaled = DecimalUnscaledBytes(v.s, c.scale, bytes);
        if (unscaled.ok()) return out->Base64(*unscaled);
      } else if (v.kind == ValueKind::kInt) {
        char text[24];
        auto r = std::to_chars(text, text + sizeof text, v.i);
        auto unscaled = DecimalUnscaledBytes(std::string_view(text, r.ptr - text), c.scale, bytes);
        if (unscaled.ok()) return out->Base64(*unscaled);
      }
      break;
    case FieldRepr::kVariableScaleDecimal:
      if (v.kind == ValueKind::kText) {
        const int scale = TextScale(v.s);
        auto unscaled = DecimalUnscaledBytes(v.s, scale, bytes);
        if (unscaled.ok()) {
          out->Raw(R"({"scale":)");
          out->Number(int64_t{scale});
          out->Raw(R"(,"value":)");
          out->Base64(*unscaled);
          out->Char('}');
          return;
        }
      }
      break;
    case FieldRepr::kDecimalDouble:
      if (v.kind == ValueKind::kText) {
        double d = 0;
        const char* end = v.s.data() + v.s.size();
        const char* begin = v.s.data() + (!v.s.empty() && v.s[0] == '+' ? 1 : 0);
        if (std::from_chars(begin, end, d).ptr == end) return out->Double(d);
      } else if (v.kind == ValueKind::kInt) {
        return out->Double(static_cast<double>(v.i));
      }
      break;
    case FieldRepr::kConnectTime:
      // Milliseconds of the day; like Debezium's, TIME values outside 00:00..24:00 do not
      // convert: null, or 0 in a NOT NULL column.
      if (v.kind == ValueKind::kInt) {
        if (v.i >= 0 && v.i <= int64_t{86400} * 1000000) return out->Number(v.i / 1000);
        return c.nullable ? out->Null() : out->Number(0);
      }
      break;
    case FieldRepr::kConnectTimestampMicros:
      if (v.kind == ValueKind::kInt) {
        return out->Number(v.i >= 0 ? v.i / 1000 : -((-v.i + 999) / 1000));
      }
      break;
    case FieldRepr::kBytesHex:
      if (v.kind == ValueKind::kBytes || v.kind == ValueKind::kText) {
        char* p = out->Reserve(2 * v.s.size() + 2);
        *p++ = '"';
        p = WriteHex(v.s, p);
        *p++ = '"';
        return out->CommitTo(p);
      }
      break;
    default: break;
  }
  AppendJsonValue(v, out);
}

std::string DefaultJson(const ColumnSchema& c, FieldRepr repr) {
  std::string storage;
  const std::optional<Value> v = ColumnDefaultValue(c, &storage);
  if (!v) return "";
  JsonBuffer b;
  if (IsPlainJson(repr)) {
    AppendJsonValue(*v, &b);
  } else {
    AppendConverted(repr, c, *v, &b);
  }
  return b.view() == "null" ? "" : std::string(b.view());
}

// `"name":` for each of `names`, preceded by '{' for the first and ',' for the others, stored
// in `text` and viewed by `keys` (`text` must not change afterwards).
void BuildKeyPrefixes(const std::vector<const std::string*>& names, std::string* text,
                      std::vector<std::string_view>* keys) {
  JsonBuffer b;
  std::vector<size_t> ends;
  for (size_t i = 0; i < names.size(); ++i) {
    b.Char(i == 0 ? '{' : ',');
    b.String(*names[i]);
    b.Char(':');
    ends.push_back(b.size());
  }
  *text = std::string(b.view());
  text->append(JsonBuffer::kPadding, ' ');  // so that RawPadded may copy whole blocks
  keys->clear();
  size_t start = 0;
  for (size_t end : ends) {
    keys->emplace_back(text->data() + start, end - start);
    start = end;
  }
}

std::string TransactionId(const SourceInfo& s) {
  return s.gtid.empty() ? s.file + ":" + std::to_string(s.pos) : s.gtid;
}

// `{"version":...` up to `"ts_ns":N` of a `source` block: the members every connector has.
void AppendSourceHead(const SourceInfo& s, std::string_view db, JsonBuffer* b) {
  b->Raw(R"({"version":)");
  b->String(VIMUR_VERSION);
  b->Raw(R"(,"connector":)");
  b->String(s.connector);
  b->Raw(R"(,"name":)");
  b->String(s.name);
  b->Raw(R"(,"ts_ms":)");
  b->Number(s.ts_ms);
  b->Raw(R"(,"snapshot":)");
  b->String(SnapshotMarkerText(s.snapshot));
  b->Raw(R"(,"db":)");
  b->String(db);
  b->Raw(R"(,"sequence":null,"ts_us":)");
  b->Number(s.ts_ms * 1000);
  b->Raw(R"(,"ts_ns":)");
  b->Number(s.ts_ms * 1000000);
}

// The rest of a PostgreSQL `source` block, from `,"schema":` to its closing brace.
void AppendPostgresSourceTail(const SourceInfo& s, std::string_view table, JsonBuffer* b) {
  b->Raw(R"(,"schema":)");
  b->String(s.schema);
  b->Raw(R"(,"table":)");
  b->String(table);
  b->Raw(R"(,"txId":)");
  if (s.tx_id >= 0) {
    b->Number(s.tx_id);
  } else {
    b->Null();
  }
  b->Raw(R"(,"lsn":)");
  b->Number(s.lsn);
  b->Raw(R"(,"xmin":null,"origin":null,"origin_lsn":null})");
}

constexpr const char* kMessageKeySchema =
    R"({"type":"struct","fields":[{"type":"string","optional":true,"field":"prefix"}],)"
    R"("optional":false,"name":"io.debezium.connector.postgresql.MessageKey","version":1})";

}  // namespace

// The text of one table's events that does not change from row to row.
struct DebeziumJsonSerializer::TableText {
  TableSchemaPtr table;  // keeps the schema, whose address keys the cache, alive
  std::string column_text;
  std::vector<std::string_view> column_keys;  // `{"c0":`, `,"c1":`, ...
  std::string key_text;
  std::vector<std::string_view> key_keys;  // the same for the primary-key columns
  std::vector<FieldRepr> reprs;            // per column, under the handling modes
  std::vector<bool> propagate;             // per column: schema carries the source type
  std::vector<uint8_t> converts;           // per column: 1 when !IsPlainJson(repr)
  bool plain = true;                       // every column's values are written as their kind

  // For the transaction being serialized (the events of one share their SourceInfo).
  std::shared_ptr<const SourceInfo> source;
  // `,"source":{...` up to `"row":` (MySQL), or the whole block and `,"transaction":`.
  std::string source_head;
  std::string source_tail;  // after the row number: `,"thread":...,"query":null},"transaction":`
  bool source_has_row = false;
  std::string transaction_head;  // `{"id":"...","total_order":`

  // With `schemas`: `{"schema":{...},"payload":` of keys and values.
  std::string key_schema_head;
  std::string value_schema_head;
  std::string value_schema_connector;  // the source connector value_schema_head is for
};

DebeziumJsonSerializer::DebeziumJsonSerializer(JsonFormatOptions options)
    : options_(std::move(options)) {}
DebeziumJsonSerializer::~DebeziumJsonSerializer() = default;
DebeziumJsonSerializer::DebeziumJsonSerializer(DebeziumJsonSerializer&&) noexcept = default;
DebeziumJsonSerializer& DebeziumJsonSerializer::operator=(DebeziumJsonSerializer&&) noexcept =
    default;

DebeziumJsonSerializer::TableText& DebeziumJsonSerializer::TextFor(const ChangeEvent& event) {
  const TableSchema* key = event.table.get();
  if (last_ == nullptr || last_->table.get() != key) {
    auto it = tables_.find(key);
    if (it == tables_.end()) {
      constexpr size_t kMaxTables = 256;  // schema versions seen; the oldest are rarely reused
      if (tables_.size() >= kMaxTables) tables_.clear();
      auto text = std::make_unique<TableText>();
      const TableSchema& t = *event.table;
      text->table = event.table;
      std::vector<const std::string*> names;
      for (const auto& c : t.columns) {
        names.push_back(&c.name);
        text->reprs.push_back(ReprOf(c, options_.modes));
        text->propagate.push_back(PropagatesSourceType(options_.propagate_source_types, t, c));
        text->converts.push_back(IsPlainJson(text->reprs.back()) && !c.is_array() ? 0 : 1);
        text->plain = text->plain && text->converts.back() == 0;
      }
      BuildKeyPrefixes(names, &text->column_text, &text->column_keys);
      names.clear();
      for (size_t i : t.key_columns) names.push_back(&t.columns[i].name);
      BuildKeyPrefixes(names, &text->key_text, &text->key_keys);
      if (options_.schemas) {
        JsonWriter w(&text->key_schema_head);
        w.BeginObject();
        w.Key("schema");
        // Debezium's key fields carry no source type parameters.
        const std::vector<bool> no_propagation(t.columns.size(), false);
        WriteRowSchema(w, t, text->reprs, no_propagation, &t.key_columns,
                       RecordPrefix(options_, t) + ".Key", false, nullptr);
        w.Key("payload");
      }
      it = tables_.emplace(key, std::move(text)).first;
    }
    last_ = it->second.get();
  }
  TableText& text = *last_;
  const SourceInfo& s = *event.source;
  if (text.source.get() != &s) {
    const TableSchema& t = *event.table;
    text.source = event.source;
    JsonBuffer b;
    b.Raw(R"(,"source":)");
    const bool pg = s.connector == "postgresql";
    AppendSourceHead(s, pg && !s.database.empty() ? s.database : t.database, &b);
    if (pg) {
      AppendPostgresSourceTail(s, t.table, &b);
      b.Raw(R"(,"transaction":)");
    } else {
      b.Raw(R"(,"table":)");
      b.String(t.table);
      b.Raw(R"(,"server_id":)");
      b.Number(s.server_id);
      b.Raw(R"(,"gtid":)");
      if (s.gtid.empty()) {
        b.Null();
      } else {
        b.String(s.gtid);
      }
      b.Raw(R"(,"file":)");
      b.String(s.file);
      b.Raw(R"(,"pos":)");
      b.Number(s.pos);
      b.Raw(R"(,"row":)");
      JsonBuffer tail;
      tail.Raw(R"(,"thread":)");
      if (s.thread >= 0) {
        tail.Number(s.thread);
      } else {
        tail.Null();
      }
      tail.Raw(R"(,"query":null},"transaction":)");
      text.source_tail = std::string(tail.view());
    }
    text.source_head = std::string(b.view());
    text.source_has_row = !pg;
    if (options_.transaction_metadata) {
      b.Clear();
      b.Raw(R"({"id":)");
      b.String(TransactionId(s));
      b.Raw(R"(,"total_order":)");
      text.transaction_head = std::string(b.view());
    }
    if (options_.schemas && text.value_schema_connector != s.connector) {
      text.value_schema_connector = s.connector;
      text.value_schema_head.clear();
      std::string prefix = RecordPrefix(options_, t);
      JsonWriter w(&text.value_schema_head);
      w.BeginObject();
      w.Key("schema");
      w.BeginObject();
      w.Key("type");
      w.String("struct");
      w.Key("fields");
      w.BeginArray();
      WriteRowSchema(w, t, text.reprs, text.propagate, nullptr, prefix + ".Value", true, "before");
      WriteRowSchema(w, t, text.reprs, text.propagate, nullptr, prefix + ".Value", true, "after");
      WriteSourceSchema(w, s);
      w.Raw(kTransactionSchema);
      w.Raw(R"({"type":"string","optional":false,"field":"op"})");
      w.Raw(R"({"type":"int64","optional":true,"field":"ts_ms"})");
      w.Raw(R"({"type":"int64","optional":true,"field":"ts_us"})");
      w.Raw(R"({"type":"int64","optional":true,"field":"ts_ns"})");
      w.EndArray();
      w.Key("optional");
      w.Bool(false);
      w.Key("name");
      w.String(prefix + ".Envelope");
      w.Key("version");
      w.Int(2);
      w.EndObject();
      w.Key("payload");
    }
  }
  return text;
}

void DebeziumJsonSerializer::AppendRow(const TableText& text, const std::vector<Value>& row,
                                       JsonBuffer* out) const {
  const size_t n = std::min(text.column_keys.size(), row.size());
  if (n == 0) {
    out->Raw("{}");
    return;
  }
  if (text.plain) {
    for (size_t i = 0; i < n; ++i) {
      out->RawPadded(text.column_keys[i]);
      AppendJsonValue(row[i], out);
    }
  } else {
    const TableSchema& t = *text.table;
    for (size_t i = 0; i < n; ++i) {
      out->RawPadded(text.column_keys[i]);
      if (text.converts[i] == 0 || row[i].is_null()) {
        AppendJsonValue(row[i], out);
      } else {
        AppendConverted(text.reprs[i], t.columns[i], row[i], out);
      }
    }
  }
  out->Char('}');
}

bool DebeziumJsonSerializer::AppendKey(const ChangeEvent& event, JsonBuffer* out) {
  const TableSchema& t = *event.table;
  if (!t.has_key()) return false;
  if (event.before.empty() && event.after.empty()) return false;  // truncate: no row, no key
  const TableText& text = TextFor(event);
  const std::vector<Value>& row = event.after.empty() ? event.before : event.after;
  if (options_.schemas) out->Raw(text.key_schema_head);
  for (size_t k = 0; k < t.key_columns.size(); ++k) {
    out->RawPadded(text.key_keys[k]);
    const size_t i = t.key_columns[k];
    if (i >= row.size()) {
      out->Null();
    } else if (text.converts[i] == 0 || row[i].is_null()) {
      AppendJsonValue(row[i], out);
    } else {
      AppendConverted(text.reprs[i], t.columns[i], row[i], out);
    }
  }
  out->Char('}');
  if (options_.schemas) out->Char('}');
  return true;
}

void DebeziumJsonSerializer::AppendTs(int64_t ts_ms, JsonBuffer* out) {
  if (ts_ms != ts_ms_ || ts_text_.empty()) {  // the same for every event of a batch
    JsonBuffer b;
    b.Raw(R"(,"ts_ms":)");
    b.Number(ts_ms);
    b.Raw(R"(,"ts_us":)");
    b.Number(ts_ms * 1000);
    b.Raw(R"(,"ts_ns":)");
    b.Number(ts_ms * 1000000);
    b.Char('}');
    ts_text_ = std::string(b.view());
    ts_ms_ = ts_ms;
  }
  out->Raw(ts_text_);
}

void DebeziumJsonSerializer::AppendValue(const ChangeEvent& event, int64_t ts_ms, JsonBuffer* out) {
  const TableText& text = TextFor(event);
  if (options_.schemas) out->Raw(text.value_schema_head);
  out->Raw(R"({"before":)");
  if (event.before.empty()) {
    out->Null();
  } else {
    AppendRow(text, event.before, out);
  }
  out->Raw(R"(,"after":)");
  if (event.after.empty()) {
    out->Null();
  } else {
    AppendRow(text, event.after, out);
  }
  out->Raw(text.source_head);
  if (text.source_has_row) {
    out->Number(event.row);
    out->Raw(text.source_tail);
  }
  if (options_.transaction_metadata) {
    out->Raw(text.transaction_head);
    out->Number(event.total_order);
    out->Raw(R"(,"data_collection_order":)");
    out->Number(event.data_collection_order);
    out->Char('}');
  } else {
    out->Null();
  }
  char* p = out->Reserve(9);
  std::memcpy(p, R"(,"op":")", 7);
  p[7] = static_cast<char>(event.op);
  p[8] = '"';
  out->CommitTo(p + 9);
  AppendTs(ts_ms, out);
  if (options_.schemas) out->Char('}');
}

bool DebeziumJsonSerializer::SerializeKey(const ChangeEvent& event, std::string* out) {
  scratch_.Clear();
  if (!AppendKey(event, &scratch_)) return false;
  out->append(scratch_.view());
  return true;
}

void DebeziumJsonSerializer::SerializeValue(const ChangeEvent& event, int64_t ts_ms,
                                            std::string* out) {
  scratch_.Clear();
  AppendValue(event, ts_ms, &scratch_);
  out->append(scratch_.view());
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

void DebeziumJsonSerializer::SerializeMessageKey(const SourceMessage& message,
                                                 std::string* out) const {
  JsonWriter w(out);
  if (options_.schemas) {
    w.BeginObject();
    w.Key("schema");
    w.Raw(kMessageKeySchema);
    w.Key("payload");
  }
  w.BeginObject();
  w.Key("prefix");
  w.String(message.prefix);
  w.EndObject();
  if (options_.schemas) w.EndObject();
}

void DebeziumJsonSerializer::SerializeMessage(const SourceMessage& message, int64_t ts_ms,
                                              std::string* out) const {
  const bool hex = options_.modes.binary == BinaryHandlingMode::kHex;
  const bool as_string = options_.modes.binary != BinaryHandlingMode::kBytes;
  JsonWriter w(out);
  if (options_.schemas) {
    w.BeginObject();
    w.Key("schema");
    w.BeginObject();
    w.Key("type");
    w.String("struct");
    w.Key("fields");
    w.BeginArray();
    w.Raw(R"({"type":"string","optional":false,"field":"op"})");
    w.Raw(R"({"type":"int64","optional":true,"field":"ts_ms"})");
    WriteSourceSchema(w, *message.source);
    w.Raw(kTransactionSchema);
    w.Raw(std::string(R"({"type":"struct","fields":[{"type":"string","optional":true,)"
                      R"("field":"prefix"},{"type":")") +
          (as_string ? "string" : "bytes") +
          R"(","optional":true,"field":"content"}],"optional":false,)"
          R"("name":"io.debezium.connector.postgresql.Message","version":1,"field":"message"})");
    w.EndArray();
    w.Key("optional");
    w.Bool(false);
    w.Key("name");
    w.String("io.debezium.connector.postgresql.MessageValue");
    w.Key("version");
    w.Int(1);
    w.EndObject();
    w.Key("payload");
  }
  const SourceInfo& s = *message.source;
  JsonBuffer b;
  b.Raw(R"({"op":"m","ts_ms":)");
  b.Number(ts_ms);
  b.Raw(R"(,"source":)");
  AppendSourceHead(s, s.database, &b);
  AppendPostgresSourceTail(s, "", &b);
  b.Raw(R"(,"transaction":null,"message":{"prefix":)");
  b.String(message.prefix);
  b.Raw(R"(,"content":)");
  if (hex) {
    std::string text(2 * message.content.size(), '\0');
    WriteHex(message.content, text.data());
    b.String(text);
  } else {
    b.Base64(message.content);
  }
  b.Raw("}}");
  w.Raw(b.view());
  if (options_.schemas) w.EndObject();
}

}  // namespace vimur
