#include "sink/sql/event_decoder.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/civil_date.h"
#include "core/int_range.h"
#include "sink/json_envelope.h"
#include "sink/json_scanner.h"
#include "sink/sql/event_schema.h"

namespace vimur::sink {
namespace {

using nlohmann::json;

// `v` in decimal, zero-padded to at least `width` digits.
void AppendDigits(uint64_t v, size_t width, std::string* out) {
  char buf[24];
  const char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  const auto n = static_cast<size_t>(end - buf);
  if (n < width) out->append(width - n, '0');
  out->append(buf, n);
}

// [-]HH:MM:SS[.ffffff] of `micros` (hours may exceed 23 and take more digits).
void AppendTimeOfDay(int64_t micros, std::string* out) {
  if (micros < 0) out->push_back('-');
  const uint64_t u = micros < 0 ? 0 - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  const uint64_t secs = u / 1000000;
  AppendDigits(secs / 3600, 2, out);
  out->push_back(':');
  AppendDigits(secs / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(secs % 60, 2, out);
  if (u % 1000000 != 0) {
    out->push_back('.');
    AppendDigits(u % 1000000, 6, out);
  }
}

ColumnType TypeOf(const json& field) {
  ColumnType t;
  t.connect_type = field.value("type", "");
  if (auto items = field.find("items");
      t.connect_type == "array" && items != field.end() && items->is_object()) {
    t.items.push_back(TypeOf(*items));
  }
  t.logical = field.value("name", "");
  t.optional = field.value("optional", true);
  if (auto p = field.find("parameters"); p != field.end() && p->is_object()) {
    if (auto s = p->find("scale"); s != p->end() && s->is_string())
      t.scale = std::stoi(s->get<std::string>());
    if (auto s = p->find("connect.decimal.precision"); s != p->end() && s->is_string()) {
      t.precision = std::stoi(s->get<std::string>());
    }
  }
  return t;
}

// A value without a schema: as JSON gives it.
SqlValue Plain(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return SqlValue::Null();
    case json::value_t::boolean: return SqlValue::Bool(v.get<bool>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return SqlValue::Number(v.dump());
    case json::value_t::string: return SqlValue::Text(v.get<std::string>());
    default: return SqlValue::Text(v.dump());
  }
}

Result<SqlValue> Typed(const json& v, const ColumnType& t, const std::string& column) {
  if (v.is_null()) return SqlValue::Null();
  auto wrong = [&]() {
    return Status::Corruption("column '" + column + "': value " + v.dump().substr(0, 80) +
                              " does not match its schema type " + t.connect_type +
                              (t.logical.empty() ? "" : " (" + t.logical + ")"));
  };
  const std::string& l = t.logical;
  if (l == "org.apache.kafka.connect.data.Decimal") {
    if (!v.is_string()) return wrong();
    VIMUR_ASSIGN_OR_RETURN(std::string bytes, Base64Decode(v.get<std::string>()));
    return SqlValue::Number(DecimalText(bytes, std::max(t.scale, 0)));
  }
  if (l == "io.debezium.time.Date" || l == "org.apache.kafka.connect.data.Date") {
    if (!v.is_number_integer() || !FitsInt32(v.get<int64_t>())) return wrong();
    return SqlValue::Text(DateText(static_cast<int32_t>(v.get<int64_t>())));
  }
  if (l == "io.debezium.time.Timestamp" || l == "org.apache.kafka.connect.data.Timestamp") {
    int64_t micros;
    if (!v.is_number_integer() || __builtin_mul_overflow(v.get<int64_t>(), 1000, &micros)) {
      return wrong();
    }
    return SqlValue::Text(DateTimeText(micros));
  }
  if (l == "io.debezium.time.MicroTimestamp") {
    if (!v.is_number_integer()) return wrong();
    return SqlValue::Text(DateTimeText(v.get<int64_t>()));
  }
  if (l == "io.debezium.time.MicroTime") {
    if (!v.is_number_integer()) return wrong();
    return SqlValue::Text(TimeText(v.get<int64_t>()));
  }
  if (l == "org.apache.kafka.connect.data.Time") {
    int64_t micros;
    if (!v.is_number_integer() || __builtin_mul_overflow(v.get<int64_t>(), 1000, &micros)) {
      return wrong();
    }
    return SqlValue::Text(TimeText(micros));
  }
  if (l == "io.debezium.time.ZonedTimestamp") {
    if (!v.is_string()) return wrong();
    std::string s = v.get<std::string>();  // 2024-05-01T10:00:00.120Z, always UTC
    if (!s.empty() && s.back() == 'Z') s.pop_back();
    std::replace(s.begin(), s.end(), 'T', ' ');
    return SqlValue::Text(s);
  }
  if (l == "io.debezium.data.VariableScaleDecimal") {
    auto scale = v.find("scale");
    auto value = v.find("value");
    if (!v.is_object() || scale == v.end() || !scale->is_number_integer() || value == v.end() ||
        !value->is_string() || scale->get<int64_t>() < 0 || scale->get<int64_t>() > 16383) {
      return wrong();
    }
    VIMUR_ASSIGN_OR_RETURN(std::string bytes, Base64Decode(value->get<std::string>()));
    return SqlValue::Number(DecimalText(bytes, static_cast<int>(scale->get<int64_t>())));
  }
  if (t.connect_type == "array") {
    if (!v.is_array() || t.items.empty()) return wrong();
    std::vector<SqlValue> items;
    items.reserve(v.size());
    for (const json& item : v) {
      VIMUR_ASSIGN_OR_RETURN(SqlValue value, Typed(item, t.items[0], column));
      if (value.kind == SqlKind::kArray) return wrong();
      items.push_back(std::move(value));
    }
    return SqlValue::Array(std::move(items));
  }
  if (t.connect_type == "struct") {
    return Status::Unsupported("column '" + column +
                               "': " + (l.empty() ? std::string("struct") : l) +
                               " values are not supported by the sql sink yet");
  }
  if (t.connect_type == "bytes") {
    if (!v.is_string()) return wrong();
    VIMUR_ASSIGN_OR_RETURN(std::string bytes, Base64Decode(v.get<std::string>()));
    return SqlValue::Bytes(std::move(bytes));
  }
  if (t.connect_type == "boolean") {
    if (!v.is_boolean()) return wrong();
    return SqlValue::Bool(v.get<bool>());
  }
  if (t.connect_type == "string") {
    if (!v.is_string()) return wrong();
    return SqlValue::Text(v.get<std::string>());
  }
  if (!v.is_number()) return wrong();
  return SqlValue::Number(v.dump());
}

ValueRule RuleOf(const ColumnType& t) {
  const std::string& l = t.logical;
  if (l == "org.apache.kafka.connect.data.Decimal") return ValueRule::kDecimal;
  if (l == "io.debezium.time.Date" || l == "org.apache.kafka.connect.data.Date") {
    return ValueRule::kDate;
  }
  if (l == "io.debezium.time.Timestamp" || l == "org.apache.kafka.connect.data.Timestamp") {
    return ValueRule::kTimestampMs;
  }
  if (l == "io.debezium.time.MicroTimestamp") return ValueRule::kMicroTimestamp;
  if (l == "io.debezium.time.MicroTime") return ValueRule::kMicroTime;
  if (l == "org.apache.kafka.connect.data.Time") return ValueRule::kTimeMs;
  if (l == "io.debezium.time.ZonedTimestamp") return ValueRule::kZoned;
  if (l == "io.debezium.data.VariableScaleDecimal") return ValueRule::kTree;
  if (t.connect_type == "array" || t.connect_type == "struct") return ValueRule::kTree;
  if (t.connect_type == "bytes") return ValueRule::kBytes;
  if (t.connect_type == "boolean") return ValueRule::kBoolean;
  if (t.connect_type == "string") return ValueRule::kString;
  return ValueRule::kNumber;
}

}  // namespace

EventSchema ParseEventSchema(const json& envelope_schema) {
  EventSchema out;
  auto fields = envelope_schema.find("fields");
  if (fields == envelope_schema.end() || !fields->is_array()) return out;
  for (const json& side : *fields) {
    const std::string name = side.value("field", "");
    if (name != "before" && name != "after") continue;
    RowSchema row;
    if (auto columns = side.find("fields"); columns != side.end() && columns->is_array()) {
      for (const json& f : *columns) {
        row.names.push_back(f.value("field", ""));
        row.types.push_back(TypeOf(f));
        row.rules.push_back(RuleOf(row.types.back()));
      }
    }
    for (size_t i = 0; i < row.names.size() && row.unique_names; ++i) {
      for (size_t j = i + 1; j < row.names.size(); ++j) {
        if (row.names[i] == row.names[j]) row.unique_names = false;
      }
    }
    (name == "before" ? out.before : out.after) = std::move(row);
  }
  return out;
}

std::vector<std::string> KeyColumnsOf(const json& key_schema) {
  std::vector<std::string> names;
  auto fields = key_schema.find("fields");
  if (fields == key_schema.end() || !fields->is_array()) return names;
  for (const json& f : *fields) names.push_back(f.value("field", ""));
  return names;
}

namespace {

// Parsed schemas by their JSON text, per thread (each sink decodes on its own thread): a
// topic's events repeat one schema, which is then parsed once instead of with every record.
// Bounded: cleared when it holds kMaxEntries.
template <typename Parsed>
class SchemaTextCache {
 public:
  template <typename Parse>
  const Parsed& Get(std::string_view text, Parse parse) {
    if (last_ != entries_.end() && last_->first == text) return *last_->second;
    last_ = entries_.find(text);
    if (last_ != entries_.end()) return *last_->second;
    if (entries_.size() >= kMaxEntries) entries_.clear();
    auto parsed = std::make_unique<Parsed>(parse(json::parse(text)));
    last_ = entries_.emplace(std::string(text), std::move(parsed)).first;
    return *last_->second;
  }
  // The text of the last one asked for; empty at first.
  std::string_view last_text() const {
    return last_ == entries_.end() ? std::string_view() : std::string_view(last_->first);
  }

 private:
  static constexpr size_t kMaxEntries = 64;
  using Entries = std::map<std::string, std::unique_ptr<Parsed>, std::less<>>;
  Entries entries_;
  typename Entries::iterator last_ = entries_.end();  // the last one asked for
};

Result<Row> DecodeRow(const json& payload, const RowSchema* schema) {
  Row row;
  if (!payload.is_object()) return Status::Corruption("a row image is not a JSON object");
  if (schema != nullptr) {
    row.names = schema->names;
    row.types = schema->types;
    row.values.reserve(schema->names.size());
    for (size_t i = 0; i < schema->names.size(); ++i) {
      const std::string& name = schema->names[i];
      auto v = payload.find(name);
      VIMUR_ASSIGN_OR_RETURN(SqlValue value,
                             Typed(v == payload.end() ? json() : *v, schema->types[i], name));
      row.values.push_back(std::move(value));
    }
    return row;
  }
  for (const auto& [name, v] : payload.items()) {
    row.names.push_back(name);
    row.values.push_back(Plain(v));
  }
  return row;
}

// The fast path: the payload text of an event whose schema is known, decoded in one pass
// without a JSON tree. It gives what the tree-based decoding gives, or declines (false) and
// leaves the record to it: anything unusual, and every error, so that errors read the same.

// Typed for one value at the scanner's cursor.
bool FastTyped(JsonScanner& scanner, const ColumnType& t, ValueRule rule, const std::string& column,
               SqlValue* out) {
  if (rule == ValueRule::kTree) {
    std::string_view raw;
    if (!scanner.Skip(&raw)) return false;
    json v = json::parse(raw, nullptr, false);
    if (v.is_discarded()) return false;
    auto typed = Typed(v, t, column);
    if (!typed.ok()) return false;
    *out = std::move(typed).value();
    return true;
  }
  using Kind = JsonScalar::Kind;
  JsonScalar v;
  if (!scanner.ReadScalar(&v)) return false;  // also an object or array: not of these types
  if (v.kind == Kind::kNull) {
    *out = SqlValue::Null();
    return true;
  }
  const bool integer = v.kind == Kind::kInteger || v.kind == Kind::kUnsigned;
  // As nlohmann's get<int64_t>() of an integer.
  const int64_t i = v.kind == Kind::kInteger ? v.integer : static_cast<int64_t>(v.unsigned_integer);
  switch (rule) {
    case ValueRule::kDecimal: {
      if (v.kind != Kind::kString) return false;
      auto bytes = Base64Decode(std::string(v.text));
      if (!bytes.ok()) return false;
      *out = SqlValue::Number(DecimalText(*bytes, std::max(t.scale, 0)));
      return true;
    }
    case ValueRule::kDate:
      if (!integer || !FitsInt32(i)) return false;
      *out = SqlValue::Text(DateText(static_cast<int32_t>(i)));
      return true;
    case ValueRule::kTimestampMs: {
      int64_t micros;
      if (!integer || __builtin_mul_overflow(i, 1000, &micros)) return false;
      *out = SqlValue::Text(DateTimeText(micros));
      return true;
    }
    case ValueRule::kMicroTimestamp:
      if (!integer) return false;
      *out = SqlValue::Text(DateTimeText(i));
      return true;
    case ValueRule::kMicroTime:
      if (!integer) return false;
      *out = SqlValue::Text(TimeText(i));
      return true;
    case ValueRule::kTimeMs: {
      int64_t micros;
      if (!integer || __builtin_mul_overflow(i, 1000, &micros)) return false;
      *out = SqlValue::Text(TimeText(micros));
      return true;
    }
    case ValueRule::kZoned: {
      if (v.kind != Kind::kString) return false;
      std::string text(v.text);
      if (!text.empty() && text.back() == 'Z') text.pop_back();
      std::replace(text.begin(), text.end(), 'T', ' ');
      *out = SqlValue::Text(std::move(text));
      return true;
    }
    case ValueRule::kBytes: {
      if (v.kind != Kind::kString) return false;
      auto bytes = Base64Decode(std::string(v.text));
      if (!bytes.ok()) return false;
      *out = SqlValue::Bytes(std::move(bytes).value());
      return true;
    }
    case ValueRule::kBoolean:
      if (v.kind != Kind::kBool) return false;
      *out = SqlValue::Bool(v.boolean);
      return true;
    case ValueRule::kString:
      if (v.kind != Kind::kString) return false;
      *out = SqlValue::Text(std::string(v.text));
      return true;
    case ValueRule::kNumber:
      if (v.kind == Kind::kInteger) {
        *out = SqlValue::Number(std::to_string(v.integer));
      } else if (v.kind == Kind::kUnsigned) {
        *out = SqlValue::Number(std::to_string(v.unsigned_integer));
      } else if (v.kind == Kind::kFloat) {
        // As nlohmann writes it.
        *out = SqlValue::Number(json(v.floating).dump());
      } else {
        return false;
      }
      return true;
    case ValueRule::kTree: return false;
  }
  return false;
}

// A row image (an object) as DecodeRow with `schema` decodes it.
bool FastDecodeRow(JsonScanner& scanner, const RowSchema& schema, Row* row) {
  if (!schema.unique_names || scanner.Peek() != '{') return false;
  const size_t n = schema.names.size();
  row->names = schema.names;
  row->types = schema.types;
  row->values.assign(n, SqlValue::Null());
  size_t next = 0;  // members usually come in the schema's order
  return scanner.ReadObject([&](std::string_view key) {
    size_t i = next < n && schema.names[next] == key ? next : n;
    for (size_t k = 0; i == n && k < n; ++k) {
      if (schema.names[k] == key) i = k;
    }
    if (i == n) return scanner.Skip();  // not in the schema: ignored
    next = i + 1;
    // A member repeated: the last one counts, as in the tree.
    return FastTyped(scanner, schema.types[i], schema.rules[i], schema.names[i], &row->values[i]);
  });
}

// source.db, source.table and source.ts_ms as Decode reads them.
bool FastDecodeSource(JsonScanner& scanner, RowChange* change) {
  change->db.clear();
  change->table.clear();
  change->source_ts_ms = 0;
  if (scanner.Peek() != '{') return scanner.Skip();  // not an object: ignored
  return scanner.ReadObject([&](std::string_view key) {
    const bool db = key == "db";
    const bool table = key == "table";
    const bool ts = key == "ts_ms";
    if (!db && !table && !ts) return scanner.Skip();
    JsonScalar v;
    if (!scanner.ReadScalar(&v)) return false;
    if (ts) {
      if (v.kind == JsonScalar::Kind::kInteger) {
        change->source_ts_ms = v.integer;
      } else if (v.kind == JsonScalar::Kind::kUnsigned) {
        change->source_ts_ms = static_cast<int64_t>(v.unsigned_integer);
      } else {
        return false;
      }
      return true;
    }
    if (v.kind != JsonScalar::Kind::kString) return false;
    (db ? change->db : change->table).assign(v.text);
    return true;
  });
}

// A row image without a schema, as DecodeRow without one decodes it: the members in name order
// (the tree's), a repeated name taking its last value, each value as Plain gives it; nested
// values decline.
bool FastDecodePlainRow(JsonScanner& scanner, Row* row) {
  if (scanner.Peek() != '{') return false;
  std::vector<std::pair<std::string, SqlValue>> members;
  using Kind = JsonScalar::Kind;
  const bool ok = scanner.ReadObject([&](std::string_view key) {
    JsonScalar v;
    if (!scanner.ReadScalar(&v)) return false;
    SqlValue value;
    switch (v.kind) {
      case Kind::kNull: value = SqlValue::Null(); break;
      case Kind::kBool: value = SqlValue::Bool(v.boolean); break;
      case Kind::kString: value = SqlValue::Text(std::string(v.text)); break;
      case Kind::kInteger: value = SqlValue::Number(std::to_string(v.integer)); break;
      case Kind::kUnsigned: value = SqlValue::Number(std::to_string(v.unsigned_integer)); break;
      case Kind::kFloat: value = SqlValue::Number(json(v.floating).dump()); break;
    }
    members.emplace_back(std::string(key), std::move(value));
    return true;
  });
  if (!ok) return false;
  std::stable_sort(members.begin(), members.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Rows of one table come with the same names: the last row's are shared when equal.
  thread_local SharedVector<std::string> last_names;
  size_t n = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    if (i + 1 < members.size() && members[i + 1].first == members[i].first) continue;
    if (n != i) members[n] = std::move(members[i]);
    ++n;
  }
  members.resize(n);
  bool same = last_names.size() == n;
  for (size_t i = 0; same && i < n; ++i) same = last_names[i] == members[i].first;
  if (!same) {
    std::vector<std::string> names;
    names.reserve(n);
    for (const auto& m : members) names.push_back(m.first);
    last_names = SharedVector<std::string>(std::move(names));
  }
  row->names = last_names;
  row->values.reserve(n);
  for (auto& m : members) row->values.push_back(std::move(m.second));
  return true;
}

// The payload of an event with `schema` (nullptr: an event without one); nullopt: declined.
std::optional<RowChange> FastDecodePayload(std::string_view payload, const EventSchema* schema) {
  JsonScanner scanner(payload);
  RowChange change;
  std::string op;
  bool has_op = false;
  bool ok = scanner.ReadObject([&](std::string_view key) {
    if (key == "op") {
      JsonScalar v;
      if (!scanner.ReadScalar(&v) || v.kind != JsonScalar::Kind::kString) return false;
      op.assign(v.text);
      has_op = true;
      return true;
    }
    if (key == "source") return FastDecodeSource(scanner, &change);
    // Without a schema, an object with both is an envelope to the tree: declined.
    if (schema == nullptr && (key == "schema" || key == "payload")) return false;
    if (key == "before" || key == "after") {
      const bool before = key == "before";
      Row& row = before ? change.before : change.after;
      bool& has = before ? change.has_before : change.has_after;
      row = Row();
      has = false;
      if (scanner.Peek() == 'n') {
        JsonScalar v;
        return scanner.ReadScalar(&v) && v.kind == JsonScalar::Kind::kNull;
      }
      has = true;
      if (schema == nullptr) return FastDecodePlainRow(scanner, &row);
      const std::optional<RowSchema>& row_schema = before ? schema->before : schema->after;
      if (!row_schema) return false;
      return FastDecodeRow(scanner, *row_schema, &row);
    }
    return scanner.Skip();
  });
  if (!ok || !scanner.AtEnd() || !has_op) return std::nullopt;
  if (op == "t" || op == "m") return RowChange();  // nothing row-shaped
  if (op.size() != 1 || std::string("cudr").find(op[0]) == std::string::npos) {
    return std::nullopt;
  }
  change.op = op[0];
  return change;
}

}  // namespace

std::string DecimalText(const std::string& bytes, int scale) {
  // Two's complement big-endian -> magnitude in 32-bit limbs (most significant first) ->
  // base 10, nine digits per division pass, dropping limbs that became zero.
  const bool negative = !bytes.empty() && (static_cast<uint8_t>(bytes[0]) & 0x80) != 0;
  std::vector<uint32_t> limbs((bytes.size() + 3) / 4, 0);
  const size_t pad = limbs.size() * 4 - bytes.size();
  for (size_t i = 0; i < bytes.size(); ++i) {
    const uint8_t b = negative ? static_cast<uint8_t>(~static_cast<uint8_t>(bytes[i]))
                               : static_cast<uint8_t>(bytes[i]);
    const size_t at = pad + i;
    limbs[at / 4] |= uint32_t{b} << (8 * (3 - at % 4));
  }
  if (negative) {  // the padding's sign bits are ones, so they invert to zeros: add one
    for (size_t i = limbs.size(); i-- > 0;) {
      if (++limbs[i] != 0) break;
    }
  }
  std::string digits;  // least significant first
  size_t first = 0;    // the first limb that is not zero
  while (first < limbs.size() && limbs[first] == 0) ++first;
  do {
    uint64_t rem = 0;
    for (size_t i = first; i < limbs.size(); ++i) {
      const uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = static_cast<uint32_t>(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    for (int k = 0; k < 9; ++k) {
      digits += static_cast<char>('0' + rem % 10);
      rem /= 10;
    }
    while (first < limbs.size() && limbs[first] == 0) ++first;
  } while (first < limbs.size());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::reverse(digits.begin(), digits.end());
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) {
      digits.insert(0, static_cast<size_t>(scale) - digits.size() + 1, '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  }
  bool all_zero = digits.find_first_not_of("0.") == std::string::npos;
  return (negative && !all_zero ? "-" : "") + digits;
}

std::string DateText(int32_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  std::string out;
  if (y >= 0) {
    AppendDigits(static_cast<uint64_t>(y), 4, &out);
  } else {
    char buf[24];
    std::snprintf(buf, sizeof(buf), "%04lld", static_cast<long long>(y));
    out = buf;
  }
  out.push_back('-');
  AppendDigits(m, 2, &out);
  out.push_back('-');
  AppendDigits(d, 2, &out);
  return out;
}

std::string DateTimeText(int64_t micros) {
  constexpr int64_t kMicrosPerDay = 86400000000ll;
  // Truncate, then step back a day for negatives: no product that could overflow.
  int64_t days = micros / kMicrosPerDay;
  int64_t time_of_day = micros % kMicrosPerDay;
  if (time_of_day < 0) {
    time_of_day += kMicrosPerDay;
    --days;
  }
  std::string out = DateText(static_cast<int32_t>(days));  // |days| < 2^27 for any int64
  out.push_back(' ');
  AppendTimeOfDay(time_of_day, &out);
  return out;
}

std::string TimeText(int64_t micros) {
  std::string out;
  AppendTimeOfDay(micros, &out);
  return out;
}

Result<std::string> Base64Decode(const std::string& text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=')
      break;
    else
      return Status::Corruption("not base64: '" + text.substr(0, 40) + "'");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

namespace {

// The names of the record's key columns, in the key's order.
void ReadKeyColumns(const InputRecord& record, RowChange* change) {
  if (!record.key) return;
  thread_local SchemaTextCache<std::vector<std::string>> key_schemas;
  JsonEnvelopeParts key_parts;
  if (SplitJsonEnvelope(*record.key, key_schemas.last_text(), &key_parts)) {
    change->key_columns = key_schemas.Get(key_parts.schema, KeyColumnsOf);
  } else {
    json key = json::parse(*record.key, nullptr, false);
    if (key.is_object() && key.contains("schema") && key.contains("payload")) {
      change->key_columns = KeyColumnsOf(key["schema"]);
    } else if (key.is_object()) {
      for (const auto& [name, v] : key.items()) change->key_columns.push_back(name);
    }
  }
}

Result<RowChange> Decode(const InputRecord& record, bool fast_path) {
  RowChange change;
  if (!record.value) return change;  // tombstone: the delete before it did the work
  auto fail = [&](const std::string& why) {
    return Status::Corruption(record.Where() + ": " + why +
                              "; the sql sink reads Vimur's JSON events (format.type: json)");
  };
  thread_local SchemaTextCache<EventSchema> event_schemas;
  // With schemas, every record repeats its table's schema: when its text was seen before,
  // only the payload is parsed.
  json payload;
  const EventSchema* schema = nullptr;
  EventSchema inline_schema;
  JsonEnvelopeParts parts;
  if (SplitJsonEnvelope(*record.value, event_schemas.last_text(), &parts)) {
    schema = &event_schemas.Get(parts.schema, ParseEventSchema);
    std::optional<RowChange> fast;
    if (fast_path) fast = FastDecodePayload(parts.payload, schema);
    if (fast) {
      if (fast->op != 0) ReadKeyColumns(record, &*fast);
      return std::move(*fast);
    }
    payload = json::parse(parts.payload, nullptr, false);
    // A schema seen before makes the split take the rest of the text as the payload; text that
    // is not one JSON value there is split again by a scan, as when the schema was new, so a
    // record decodes the same whatever came before it.
    if (payload.is_discarded() && SplitJsonEnvelope(*record.value, &parts)) {
      schema = &event_schemas.Get(parts.schema, ParseEventSchema);
      payload = json::parse(parts.payload, nullptr, false);
    }
  } else {
    std::optional<RowChange> fast;
    if (fast_path) fast = FastDecodePayload(*record.value, nullptr);
    if (fast) {
      if (fast->op != 0) ReadKeyColumns(record, &*fast);
      return std::move(*fast);
    }
    payload = json::parse(*record.value, nullptr, false);
    if (payload.is_object() && payload.contains("schema") && payload.contains("payload")) {
      inline_schema = ParseEventSchema(payload["schema"]);
      schema = &inline_schema;
      json inner = std::move(payload["payload"]);
      payload = std::move(inner);
    }
  }
  if (payload.is_discarded()) return fail("the value is not JSON");
  if (!payload.is_object() || !payload.contains("op")) {
    return fail("the value is not a change event (no 'op')");
  }
  if (!payload["op"].is_string()) return fail("'op' is not a string");
  std::string op = payload["op"].get<std::string>();
  if (op == "t" || op == "m") return change;  // truncate, message: nothing row-shaped
  if (op.size() != 1 || std::string("cudr").find(op[0]) == std::string::npos) {
    return fail("unknown op '" + op + "'");
  }
  change.op = op[0];
  if (auto source = payload.find("source"); source != payload.end() && source->is_object()) {
    change.db = source->value("db", "");
    change.table = source->value("table", "");
    if (auto ts = source->find("ts_ms"); ts != source->end() && ts->is_number_float()) {
      const double ms = ts->get<double>();
      if (!(ms > -9.2e18 && ms < 9.2e18)) return fail("source.ts_ms is out of range");
    }
    change.source_ts_ms = source->value("ts_ms", int64_t{0});
  }
  for (const char* side : {"before", "after"}) {
    auto image = payload.find(side);
    if (image == payload.end() || image->is_null()) continue;
    const std::optional<RowSchema>* row_schema =
        schema == nullptr ? nullptr : (side[0] == 'b' ? &schema->before : &schema->after);
    auto row = DecodeRow(*image, row_schema != nullptr && *row_schema ? &**row_schema : nullptr);
    if (!row.ok()) return fail(std::string(side) + ": " + row.status().message());
    if (side[0] == 'b') {
      change.before = std::move(row).value();
      change.has_before = true;
    } else {
      change.after = std::move(row).value();
      change.has_after = true;
    }
  }
  ReadKeyColumns(record, &change);
  return change;
}

Result<RowChange> DecodeGuarded(const InputRecord& record, bool fast_path) {
  try {
    return Decode(record, fast_path);
  } catch (const nlohmann::json::exception& e) {
    // A field of an unexpected JSON type (the accessors throw): bad input, not a crash.
    return Status::Corruption(record.Where() + ": not a change event Vimur can read: " + e.what());
  } catch (const std::exception& e) {
    return Status::Corruption(record.Where() + ": not a change event Vimur can read: " + e.what());
  }
}

}  // namespace

std::string DescribeRecordKey(const InputRecord& record) {
  if (!record.key) return "null";
  json key = json::parse(*record.key, nullptr, false);
  std::string text = *record.key;
  if (!key.is_discarded()) {
    if (key.is_object() && key.contains("schema") && key.contains("payload")) key = key["payload"];
    text = key.dump();
  }
  return text.size() > 200 ? text.substr(0, 200) + "..." : text;
}

Result<RowChange> DecodeJsonEvent(const InputRecord& record) { return DecodeGuarded(record, true); }

std::vector<Result<RowChange>> DecodeEach(
    const std::vector<InputRecord>& batch,
    const std::function<Result<RowChange>(const InputRecord&)>& decode) {
  // Below this many records a second thread costs more than it saves.
  constexpr size_t kSplitAt = 64;
  static const bool cores = std::thread::hardware_concurrency() > 1;
  std::vector<Result<RowChange>> out(batch.size(), Result<RowChange>(RowChange()));
  auto range = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) out[i] = decode(batch[i]);
  };
  if (!cores || batch.size() < kSplitAt) {
    range(0, batch.size());
    return out;
  }
  const size_t half = batch.size() / 2;
  auto first = std::async(std::launch::async, range, 0, half);
  range(half, batch.size());
  first.get();
  return out;
}

std::vector<Result<RowChange>> DecodeJsonEvents(const std::vector<InputRecord>& batch) {
  return DecodeEach(batch, [](const InputRecord& r) { return DecodeGuarded(r, true); });
}

Result<RowChange> DecodeJsonEventByTree(const InputRecord& record) {
  return DecodeGuarded(record, false);
}

}  // namespace vimur::sink
