#include "sink/avro_translation.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "sink/row_json.h"

namespace vimur::sink {

using nlohmann::json;

namespace {

// Reads Avro binary encoding (Avro 1.11 spec); a read past the end sets `bad`.
struct AvroReader {
  const char* p;
  const char* end;
  bool bad = false;

  int64_t Long() {
    uint64_t z = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return bad = true, 0;
      const auto b = static_cast<uint8_t>(*p++);
      z |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    }
    return bad = true, 0;
  }
  std::string_view Take(int64_t n) {
    if (n < 0 || n > end - p) return bad = true, std::string_view();
    std::string_view out(p, static_cast<size_t>(n));
    p += n;
    return out;
  }
  template <typename T>
  T Fixed() {
    T v{};
    std::string_view b = Take(sizeof(T));
    if (!bad) std::memcpy(&v, b.data(), sizeof(T));
    return v;
  }
};

std::string FullName(const json& s, const std::string& ns) {
  const std::string name = s.value("name", "");
  if (name.find('.') != std::string::npos) return name;
  const std::string space = s.value("namespace", ns);
  return space.empty() ? name : space + "." + name;
}

std::string NamespaceOf(const std::string& full) {
  const size_t dot = full.rfind('.');
  return dot == std::string::npos ? "" : full.substr(0, dot);
}

// A floating-point value as Vimur's JSON writes it: NaN and the infinities as strings.
json FloatJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

}  // namespace

struct AvroToConnectJson::Schema {
  json avro;
  std::map<std::string, const json*> named;  // full name -> definition inside `avro`
  json connect;                              // the Connect schema, as JsonConverter writes it

  void Collect(const json& s, const std::string& ns) {
    if (s.is_array()) {
      for (const json& branch : s) Collect(branch, ns);
      return;
    }
    if (!s.is_object()) return;
    const std::string type = s.value("type", "");
    if (type == "record" || type == "enum" || type == "fixed") {
      const std::string full = FullName(s, ns);
      named.emplace(full, &s);
      if (type == "record" && s.contains("fields")) {
        for (const json& f : s["fields"]) Collect(f["type"], NamespaceOf(full));
      }
    } else if (type == "array") {
      Collect(s["items"], ns);
    } else if (type == "map") {
      Collect(s["values"], ns);
    } else if (s["type"].is_object() || s["type"].is_array()) {
      Collect(s["type"], ns);
    }
  }

  // The definition a type name refers to, or nullptr.
  const json* Named(const std::string& name, const std::string& ns) const {
    for (const std::string& candidate : {name, ns.empty() ? name : ns + "." + name}) {
      if (auto it = named.find(candidate); it != named.end()) return it->second;
    }
    for (const auto& [full, def] : named) {
      if (full.size() > name.size() &&
          full.compare(full.size() - name.size(), name.size(), name) == 0 &&
          full[full.size() - name.size() - 1] == '.') {
        return def;
      }
    }
    return nullptr;
  }

  json Connect(const json& s, const std::string& ns, bool optional) const {
    if (s.is_array()) {  // a union: [null, T] is an optional T
      const json* other = nullptr;
      bool has_null = false;
      for (const json& b : s) {
        if (b.is_string() && b.get<std::string>() == "null") {
          has_null = true;
        } else if (other == nullptr) {
          other = &b;
        }
      }
      if (other == nullptr) return json{{"type", "string"}, {"optional", true}};
      return Connect(*other, ns, optional || has_null);
    }
    json out;
    if (s.is_string()) {
      const std::string t = s.get<std::string>();
      static const std::map<std::string, std::string> kPrimitive = {
          {"boolean", "boolean"}, {"int", "int32"},   {"long", "int64"},   {"float", "float"},
          {"double", "double"},   {"bytes", "bytes"}, {"string", "string"}};
      if (auto it = kPrimitive.find(t); it != kPrimitive.end()) {
        out["type"] = it->second;
        out["optional"] = optional;
        return out;
      }
      if (const json* def = Named(t, ns))
        return Connect(*def, NamespaceOf(FullName(*def, ns)), optional);
      out["type"] = "string";
      out["optional"] = optional;
      return out;
    }
    if (!s.is_object()) return json{{"type", "string"}, {"optional", optional}};
    if (s["type"].is_object() || s["type"].is_array()) return Connect(s["type"], ns, optional);
    const std::string type = s.value("type", "");
    if (type == "record") {
      const std::string full = FullName(s, ns);
      json fields = json::array();
      for (const json& f : s["fields"]) {
        json field = Connect(f["type"], NamespaceOf(full), false);
        field["field"] = f.value("name", "");
        fields.push_back(std::move(field));
      }
      out["type"] = "struct";
      out["fields"] = std::move(fields);
      out["optional"] = optional;
      out["name"] = s.value("connect.name", full);
    } else if (type == "array") {
      out["type"] = "array";
      out["items"] = Connect(s["items"], ns, false);
      out["optional"] = optional;
    } else if (type == "map") {
      out["type"] = "map";
      out["keys"] = json{{"type", "string"}, {"optional", false}};
      out["values"] = Connect(s["values"], ns, false);
      out["optional"] = optional;
    } else if (type == "enum") {
      out["type"] = "string";
      out["optional"] = optional;
    } else if (type == "fixed") {
      out["type"] = "bytes";
      out["optional"] = optional;
    } else {
      out = Connect(json(type), ns, optional);
      if (s.contains("connect.type")) out["type"] = s["connect.type"];
      if (s.value("logicalType", "") == "decimal") {
        out["name"] = "org.apache.kafka.connect.data.Decimal";
        out["version"] = 1;
        json parameters = s.value("connect.parameters", json::object());
        if (!parameters.contains("scale")) {
          parameters["scale"] = std::to_string(s.value("scale", 0));
        }
        out["parameters"] = parameters;
      }
      if (s.contains("connect.name")) out["name"] = s["connect.name"];
      if (s.contains("connect.version")) out["version"] = s["connect.version"];
      if (s.contains("connect.parameters")) out["parameters"] = s["connect.parameters"];
    }
    return out;
  }

  json Read(const json& s, const std::string& ns, AvroReader& r) const {
    if (r.bad) return nullptr;
    if (s.is_array()) {
      const int64_t branch = r.Long();
      if (branch < 0 || static_cast<size_t>(branch) >= s.size()) return r.bad = true, nullptr;
      return Read(s[static_cast<size_t>(branch)], ns, r);
    }
    if (s.is_object() && (s["type"].is_object() || s["type"].is_array())) {
      return Read(s["type"], ns, r);
    }
    const std::string type = s.is_string() ? s.get<std::string>() : s.value("type", "");
    if (type == "null") return nullptr;
    if (type == "boolean") return r.Take(1) == std::string_view("\x01", 1);
    if (type == "int" || type == "long") return r.Long();
    if (type == "float") return FloatJson(r.Fixed<float>());
    if (type == "double") return FloatJson(r.Fixed<double>());
    if (type == "bytes") return Base64Encode(std::string(r.Take(r.Long())));
    if (type == "string") return std::string(r.Take(r.Long()));
    if (type == "record") {
      const std::string full = FullName(s, ns);
      json obj = json::object();
      for (const json& f : s["fields"]) {
        obj[f.value("name", "")] = Read(f["type"], NamespaceOf(full), r);
      }
      return obj;
    }
    if (type == "array" || type == "map") {
      json out = type == "array" ? json::array() : json::object();
      for (int64_t n = r.Long(); n != 0 && !r.bad; n = r.Long()) {
        if (n < 0) {
          if (n == INT64_MIN) return r.bad = true, nullptr;
          n = -n;
          r.Long();  // the block's size in bytes
        }
        // Every item takes at least one byte (Connect never writes arrays of nulls), so a
        // count beyond the bytes left is malformed, not a reason to loop for ever.
        if (n > r.end - r.p) return r.bad = true, nullptr;
        for (int64_t i = 0; i < n && !r.bad; ++i) {
          if (type == "array") {
            out.push_back(Read(s["items"], ns, r));
          } else {
            std::string key(r.Take(r.Long()));
            out[key] = Read(s["values"], ns, r);
          }
        }
      }
      return out;
    }
    if (type == "enum") {
      const int64_t i = r.Long();
      const json& symbols = s["symbols"];
      if (i < 0 || static_cast<size_t>(i) >= symbols.size()) return r.bad = true, nullptr;
      return symbols[static_cast<size_t>(i)];
    }
    if (type == "fixed") return Base64Encode(std::string(r.Take(s.value("size", 0))));
    if (const json* def = Named(type, ns)) return Read(*def, NamespaceOf(FullName(*def, ns)), r);
    r.bad = true;
    return nullptr;
  }
};

AvroToConnectJson::AvroToConnectJson(SchemaFetcher fetch) : fetch_(std::move(fetch)) {}
AvroToConnectJson::~AvroToConnectJson() = default;

AvroDecodingInput::AvroDecodingInput(std::unique_ptr<RecordInput> input, SchemaFetcher fetch)
    : input_(std::move(input)), translator_(std::move(fetch)) {}
AvroDecodingInput::~AvroDecodingInput() = default;

bool IsConfluentAvro(std::string_view bytes) { return bytes.size() >= 5 && bytes[0] == '\0'; }

Result<const AvroToConnectJson::Schema*> AvroToConnectJson::SchemaFor(int32_t id) {
  if (auto it = schemas_.find(id); it != schemas_.end()) return it->second.get();
  VIMUR_ASSIGN_OR_RETURN(std::string text, fetch_(id));
  auto schema = std::make_unique<Schema>();
  schema->avro = json::parse(text, nullptr, false);
  if (schema->avro.is_discarded()) {
    return Status::Corruption("schema id " + std::to_string(id) +
                              " from the registry is not JSON: " + text.substr(0, 200));
  }
  try {
    schema->Collect(schema->avro, "");
    schema->connect = schema->Connect(schema->avro, "", false);
  } catch (const json::exception& e) {
    return Status::Corruption("schema id " + std::to_string(id) +
                              " from the registry is not an Avro schema Vimur reads: " + e.what());
  }
  constexpr size_t kMaxSchemas = 1024;
  if (schemas_.size() >= kMaxSchemas) schemas_.clear();
  return schemas_.emplace(id, std::move(schema)).first->second.get();
}

Result<std::string> AvroToConnectJson::Translate(std::string_view framed) {
  if (!IsConfluentAvro(framed)) return Status::Corruption("not in the Confluent wire format");
  const auto* b = reinterpret_cast<const uint8_t*>(framed.data());
  const int32_t id = static_cast<int32_t>((uint32_t{b[1]} << 24) | (uint32_t{b[2]} << 16) |
                                          (uint32_t{b[3]} << 8) | uint32_t{b[4]});
  VIMUR_ASSIGN_OR_RETURN(const Schema* schema, SchemaFor(id));
  try {
    AvroReader r{framed.data() + 5, framed.data() + framed.size()};
    json payload = schema->Read(schema->avro, "", r);
    if (r.bad || r.p != r.end) {
      return Status::Corruption("Avro data does not match schema id " + std::to_string(id));
    }
    json out;
    out["schema"] = schema->connect;
    out["payload"] = std::move(payload);
    // Avro strings are not checked for UTF-8 on the wire: invalid bytes become U+FFFD.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const json::exception& e) {
    return Status::Corruption("Avro data of schema id " + std::to_string(id) +
                              " cannot be read: " + e.what());
  }
}

Result<std::vector<InputRecord>> AvroDecodingInput::Poll(size_t max_records,
                                                         std::chrono::milliseconds max_wait) {
  VIMUR_ASSIGN_OR_RETURN(std::vector<InputRecord> batch, input_->Poll(max_records, max_wait));
  originals_.clear();
  for (InputRecord& record : batch) {
    const bool key = record.key && IsConfluentAvro(*record.key);
    const bool value = record.value && IsConfluentAvro(*record.value);
    if (!key && !value) continue;
    originals_.emplace(record.Where(), record);
    for (auto [avro, field] : {std::pair{key, &record.key}, std::pair{value, &record.value}}) {
      if (!avro) continue;
      auto translated = translator_.Translate(**field);
      if (!translated.ok()) {
        return translated.status().WithContext("record " + record.Where());
      }
      *field = std::move(translated).value();
    }
  }
  return batch;
}

Status AvroDecodingInput::DeadLetter(const InputRecord& record, const std::string& error) {
  auto original = originals_.find(record.Where());
  return input_->DeadLetter(original == originals_.end() ? record : original->second, error);
}

}  // namespace vimur::sink
