#include "sink/sql/avro_event_decoder.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "core/int_range.h"
#include "core/utf8.h"
#include "sink/sql/event_schema.h"

namespace vimur::sink {
namespace {

using avro::AvroNode;
using Kind = AvroNode::Kind;

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// The branch a union's value takes (the node itself when it is not a union); nullptr when the
// data is malformed.
const AvroNode* Branch(const AvroNode* node, AvroReader& r) {
  if (node->kind != Kind::kUnion) return node;
  const int64_t branch = r.Long();
  if (r.bad || branch < 0 || static_cast<size_t>(branch) >= node->branches.size()) return nullptr;
  return node->branches[static_cast<size_t>(branch)];
}

// A string value, when it is one and valid UTF-8 (the Connect JSON would replace invalid bytes).
bool ReadString(const AvroNode* node, AvroReader& r, std::string_view* out) {
  if (node == nullptr || node->kind != Kind::kString) return false;
  *out = r.Take(r.Long());
  return !r.bad && ValidUtf8(*out);
}

// One column's value, as TypedSqlValue gives it for the value's Connect JSON.
bool ReadColumn(const AvroNode& node, const ColumnType& type, ValueRule rule, AvroReader& r,
                SqlValue* out) {
  const AvroNode* n = Branch(&node, r);
  if (n == nullptr) return false;
  switch (n->kind) {
    case Kind::kNull: *out = SqlValue::Null(); return true;
    case Kind::kString: {
      std::string_view text;
      if (!ReadString(n, r, &text)) return false;
      if (rule == ValueRule::kString) {
        *out = SqlValue::Text(std::string(text));
        return true;
      }
      if (rule != ValueRule::kZoned) return false;
      std::string zoned(text);  // 2024-05-01T10:00:00.120Z, always UTC
      if (!zoned.empty() && zoned.back() == 'Z') zoned.pop_back();
      std::replace(zoned.begin(), zoned.end(), 'T', ' ');
      *out = SqlValue::Text(std::move(zoned));
      return true;
    }
    case Kind::kInt:
    case Kind::kLong: {
      const int64_t v = r.Long();
      int64_t micros = v;
      const bool millis = rule == ValueRule::kTimestampMs || rule == ValueRule::kTimeMs;
      if (millis && __builtin_mul_overflow(v, int64_t{1000}, &micros)) return false;
      switch (rule) {
        case ValueRule::kNumber: *out = SqlValue::Number(std::to_string(v)); return true;
        case ValueRule::kDate:
          if (!FitsInt32(v)) return false;  // a Connect Date is an INT32
          *out = SqlValue::Text(DateText(static_cast<int32_t>(v)));
          return true;
        case ValueRule::kTimestampMs:
        case ValueRule::kMicroTimestamp: *out = SqlValue::Text(DateTimeText(micros)); return true;
        case ValueRule::kTimeMs:
        case ValueRule::kMicroTime: *out = SqlValue::Text(TimeText(micros)); return true;
        default: return false;
      }
    }
    case Kind::kBoolean:
      if (rule != ValueRule::kBoolean) return false;
      *out = SqlValue::Bool(r.Take(1) == std::string_view("\x01", 1));
      return true;
    case Kind::kBytes:
    case Kind::kFixed: {
      const std::string_view raw = r.Take(n->kind == Kind::kFixed ? n->size : r.Long());
      if (rule == ValueRule::kBytes) {
        *out = SqlValue::Bytes(std::string(raw));
      } else if (rule == ValueRule::kDecimal) {
        *out = SqlValue::Number(DecimalText(std::string(raw), std::max(type.scale, 0)));
      } else {
        return false;
      }
      return true;
    }
    case Kind::kFloat:
    case Kind::kDouble: {
      const double d = n->kind == Kind::kFloat ? r.Fixed<float>() : r.Fixed<double>();
      if (rule != ValueRule::kNumber || !std::isfinite(d)) return false;
      *out = SqlValue::Number(nlohmann::json(d).dump());  // as the JSON's number is written
      return true;
    }
    case Kind::kEnum: {
      const int64_t i = r.Long();
      if (rule != ValueRule::kString || i < 0 || static_cast<size_t>(i) >= n->symbols.size()) {
        return false;
      }
      *out = SqlValue::Text(n->symbols[static_cast<size_t>(i)]);
      return true;
    }
    default: return false;  // arrays, maps, records (VariableScaleDecimal): the JSON way
  }
}

bool ReadRow(const AvroNode& record, const RowSchema& schema, AvroReader& r, Row* row) {
  const size_t n = schema.names.size();
  if (record.kind != Kind::kRecord || record.fields.size() != n || !schema.unique_names) {
    return false;
  }
  row->names = schema.names;
  row->types = schema.types;
  row->values.assign(n, SqlValue::Null());
  for (size_t i = 0; i < n; ++i) {
    if (!ReadColumn(*record.fields[i].type, schema.types[i], schema.rules[i], r, &row->values[i])) {
      return false;
    }
  }
  return !r.bad;
}

}  // namespace

// A value schema compiled for the envelope's fields.
struct AvroEventDecoder::Envelope {
  enum class Role { kSkip, kBefore, kAfter, kSource, kOp };
  enum class SourceRole { kSkip, kDb, kTable, kTsMs };
  const ParsedAvroSchema* schema = nullptr;
  std::vector<Role> roles;               // per field of the root record
  const AvroNode* source = nullptr;      // the source record
  std::vector<SourceRole> source_roles;  // per field of `source`
  EventSchema columns;
};

AvroEventDecoder::AvroEventDecoder(SchemaFetcher fetch) : fetch_(std::move(fetch)) {}
AvroEventDecoder::~AvroEventDecoder() = default;

std::unique_ptr<AvroEventDecoder::Envelope> AvroEventDecoder::CompileEnvelope(
    const ParsedAvroSchema& schema) {
  auto envelope = std::make_unique<Envelope>();
  envelope->schema = &schema;
  envelope->columns = ParseEventSchema(schema.connect());
  const AvroNode& root = *schema.root();
  for (size_t i = 0; i < root.fields.size(); ++i) {
    const std::string& name = root.fields[i].name;
    using Role = Envelope::Role;
    Role role = name == "before"   ? Role::kBefore
                : name == "after"  ? Role::kAfter
                : name == "source" ? Role::kSource
                : name == "op"     ? Role::kOp
                                   : Role::kSkip;
    envelope->roles.push_back(role);
    if (role != Role::kSource) continue;
    const AvroNode* source = root.fields[i].type;
    for (const AvroNode* branch :
         source->kind == Kind::kUnion ? source->branches : std::vector{source}) {
      if (branch->kind == Kind::kRecord && envelope->source == nullptr) envelope->source = branch;
    }
    if (envelope->source == nullptr) continue;
    for (const AvroNode::Field& f : envelope->source->fields) {
      const std::string& field = f.name;
      using S = Envelope::SourceRole;
      envelope->source_roles.push_back(field == "db"      ? S::kDb
                                       : field == "table" ? S::kTable
                                       : field == "ts_ms" ? S::kTsMs
                                                          : S::kSkip);
    }
  }
  return envelope;
}

Status AvroEventDecoder::Prepare(const std::vector<InputRecord>& batch) {
  constexpr size_t kMaxSchemas = 1024;
  if (schemas_.size() >= kMaxSchemas) {
    schemas_.clear();
    envelopes_.clear();
    key_columns_.clear();
  }
  for (const InputRecord& record : batch) {
    for (const std::optional<std::string>* bytes : {&record.key, &record.value}) {
      if (!*bytes || !IsConfluentAvro(**bytes)) continue;
      const int32_t id = ConfluentSchemaId(**bytes);
      if (schemas_.count(id)) continue;
      auto text = fetch_(id);
      if (!text.ok()) return text.status().WithContext("record " + record.Where());
      auto parsed = ParsedAvroSchema::Parse(id, *text);
      if (!parsed.ok()) return parsed.status().WithContext("record " + record.Where());
      const ParsedAvroSchema& schema =
          *schemas_.emplace(id, std::move(parsed).value()).first->second;
      key_columns_.emplace(id, KeyColumnsOf(schema.connect()));
      if (schema.root() && schema.root()->kind == Kind::kRecord)
        envelopes_.emplace(id, CompileEnvelope(schema));
    }
  }
  return Status::Ok();
}

bool AvroEventDecoder::DecodeDirectly(const InputRecord& record, RowChange* change) const {
  const std::string& value = *record.value;
  if (!IsConfluentAvro(value)) return false;
  auto found = envelopes_.find(ConfluentSchemaId(value));
  if (found == envelopes_.end()) return false;
  const Envelope& envelope = *found->second;
  const std::vector<std::string>* key_columns = nullptr;
  if (record.key) {
    const std::string& key = *record.key;
    if (!IsConfluentAvro(key)) return false;
    const int32_t id = ConfluentSchemaId(key);
    auto schema = schemas_.find(id);
    auto columns = key_columns_.find(id);
    if (schema == schemas_.end() || columns == key_columns_.end()) return false;
    // The key's data is only checked: its columns are its schema's fields.
    AvroReader r{key.data() + 5, key.data() + key.size()};
    const AvroNode* root = schema->second->root();
    if (root == nullptr || !ParsedAvroSchema::Skip(*root, r) || r.p != r.end) return false;
    key_columns = &columns->second;
  }
  using Role = Envelope::Role;
  using SourceRole = Envelope::SourceRole;
  AvroReader r{value.data() + 5, value.data() + value.size()};
  const AvroNode& root = *envelope.schema->root();
  std::string_view op;
  bool has_op = false;
  for (size_t i = 0; i < root.fields.size(); ++i) {
    const AvroNode* node = root.fields[i].type;
    switch (envelope.roles[i]) {
      case Role::kSkip:
        if (!ParsedAvroSchema::Skip(*node, r)) return false;
        break;
      case Role::kOp:
        if (!ReadString(Branch(node, r), r, &op)) return false;
        has_op = true;
        break;
      case Role::kSource:
        node = Branch(node, r);
        if (node == nullptr || (node->kind != Kind::kNull && node != envelope.source)) return false;
        if (node->kind == Kind::kNull) break;  // not an object: ignored, as in the JSON
        for (size_t f = 0; f < node->fields.size(); ++f) {
          const AvroNode* field = node->fields[f].type;
          const SourceRole role = envelope.source_roles[f];
          if (role == SourceRole::kSkip) {
            if (!ParsedAvroSchema::Skip(*field, r)) return false;
          } else if (role == SourceRole::kTsMs) {
            field = Branch(field, r);
            if (field == nullptr || (field->kind != Kind::kLong && field->kind != Kind::kInt)) {
              return false;
            }
            change->source_ts_ms = r.Long();
          } else {
            std::string_view text;
            if (!ReadString(Branch(field, r), r, &text)) return false;
            (role == SourceRole::kDb ? change->db : change->table).assign(text);
          }
        }
        break;
      case Role::kBefore:
      case Role::kAfter: {
        const bool before = envelope.roles[i] == Role::kBefore;
        node = Branch(node, r);
        if (node == nullptr) return false;
        if (node->kind == Kind::kNull) break;
        const std::optional<RowSchema>& schema =
            before ? envelope.columns.before : envelope.columns.after;
        if (!schema || !ReadRow(*node, *schema, r, before ? &change->before : &change->after)) {
          return false;
        }
        (before ? change->has_before : change->has_after) = true;
        break;
      }
    }
    if (r.bad) return false;
  }
  if (r.p != r.end || !has_op) return false;
  if (op == "t" || op == "m") {  // nothing row-shaped
    *change = RowChange();
    return true;
  }
  if (op.size() != 1 || std::string_view("cudr").find(op[0]) == std::string_view::npos) {
    return false;
  }
  change->op = op[0];
  if (key_columns != nullptr) change->key_columns = *key_columns;
  return true;
}

Result<RowChange> AvroEventDecoder::DecodeTranslated(const InputRecord& record) const {
  InputRecord translated = record;
  for (std::optional<std::string>* bytes : {&translated.key, &translated.value}) {
    if (!*bytes || !IsConfluentAvro(**bytes)) continue;
    const int32_t id = ConfluentSchemaId(**bytes);
    auto schema = schemas_.find(id);
    if (schema == schemas_.end()) {
      return Status::Internal("record " + record.Where() + ": Avro schema id " +
                              std::to_string(id) + " was not prepared");
    }
    auto json = schema->second->ToConnectJson(std::string_view(**bytes).substr(5));
    if (!json.ok()) return json.status().WithContext("record " + record.Where());
    *bytes = std::move(json).value();
  }
  return DecodeJsonEvent(translated);
}

std::string AvroEventDecoder::DescribeKey(const InputRecord& record) const {
  if (!record.key || !IsConfluentAvro(*record.key)) return DescribeRecordKey(record);
  auto schema = schemas_.find(ConfluentSchemaId(*record.key));
  if (schema == schemas_.end()) return "(Avro, schema id not prepared)";
  auto json = schema->second->ToConnectJson(std::string_view(*record.key).substr(5));
  if (!json.ok()) return "(Avro, not readable: " + json.status().message() + ")";
  InputRecord translated;
  translated.key = std::move(json).value();
  return DescribeRecordKey(translated);
}

Result<RowChange> AvroEventDecoder::Decode(const InputRecord& record) const {
  const bool avro = (record.value && IsConfluentAvro(*record.value)) ||
                    (record.key && IsConfluentAvro(*record.key));
  if (!avro || !record.value) return DecodeJsonEvent(record);
  RowChange change;
  if (DecodeDirectly(record, &change)) return change;
  return DecodeTranslated(record);
}

}  // namespace vimur::sink
