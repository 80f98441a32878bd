#include "sink/avro_schema.h"

#include <cmath>

#include "sink/row_json.h"

namespace vimur::sink {

using nlohmann::json;

namespace {

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

// Walks the schema's JSON: Collect builds the schema (`building`), Connect and Read only read
// it.
struct ParsedAvroSchema::Walker {
  const ParsedAvroSchema& s_;
  ParsedAvroSchema* building = nullptr;

  void Collect(const json& s, const std::string& ns) {
    if (s.is_array()) {
      for (const json& branch : s) Collect(branch, ns);
      return;
    }
    if (!s.is_object()) return;
    const std::string type = s.value("type", "");
    if (type == "record" || type == "enum" || type == "fixed") {
      const std::string full = FullName(s, ns);
      building->named_.emplace(full, &s);
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
      if (auto it = s_.named_.find(candidate); it != s_.named_.end()) return it->second;
    }
    for (const auto& [full, def] : s_.named_) {
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
      if (!r.Items([&] {
            if (type == "array") {
              out.push_back(Read(s["items"], ns, r));
            } else {
              std::string key(r.Take(r.Long()));
              out[key] = Read(s["values"], ns, r);
            }
          })) {
        return nullptr;
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

ParsedAvroSchema::~ParsedAvroSchema() = default;

Result<std::unique_ptr<ParsedAvroSchema>> ParsedAvroSchema::Parse(int32_t id,
                                                                  const std::string& text) {
  auto schema = std::unique_ptr<ParsedAvroSchema>(new ParsedAvroSchema());
  schema->id_ = id;
  schema->avro_ = json::parse(text, nullptr, false);
  if (schema->avro_.is_discarded()) {
    return Status::Corruption("schema id " + std::to_string(id) +
                              " from the registry is not JSON: " + text.substr(0, 200));
  }
  try {
    Walker walker{*schema, schema.get()};
    walker.Collect(schema->avro_, "");
    schema->connect_ = walker.Connect(schema->avro_, "", false);
    auto tree = avro::AvroSchema::Parse(text);
    if (tree.ok()) schema->tree_ = std::move(tree).value();
  } catch (const std::exception& e) {
    return Status::Corruption("schema id " + std::to_string(id) +
                              " from the registry is not an Avro schema Vimur reads: " + e.what());
  }
  return schema;
}

Result<std::string> ParsedAvroSchema::ToConnectJson(std::string_view datum) const {
  try {
    Walker walker{*this, nullptr};
    AvroReader r{datum.data(), datum.data() + datum.size()};
    json payload = walker.Read(avro_, "", r);
    if (r.bad || r.p != r.end) {
      return Status::Corruption("Avro data does not match schema id " + std::to_string(id_));
    }
    json out;
    out["schema"] = connect_;
    out["payload"] = std::move(payload);
    // Avro strings are not checked for UTF-8 on the wire: invalid bytes become U+FFFD.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const json::exception& e) {
    return Status::Corruption("Avro data of schema id " + std::to_string(id_) +
                              " cannot be read: " + e.what());
  }
}

bool ParsedAvroSchema::Skip(const avro::AvroNode& node, AvroReader& r, int depth) {
  using Kind = avro::AvroNode::Kind;
  constexpr int kMaxDepth = 64;  // a recursive type nests at most this deep
  if (depth > kMaxDepth) return r.bad = true, false;
  switch (node.kind) {
    case Kind::kNull: break;
    case Kind::kBoolean: r.Take(1); break;
    case Kind::kInt:
    case Kind::kLong:
    case Kind::kEnum: r.Long(); break;
    case Kind::kFloat: r.Take(4); break;
    case Kind::kDouble: r.Take(8); break;
    case Kind::kBytes:
    case Kind::kString: r.Take(r.Long()); break;
    case Kind::kFixed: r.Take(node.size); break;
    case Kind::kUnion: {
      const int64_t branch = r.Long();
      if (r.bad || branch < 0 || static_cast<size_t>(branch) >= node.branches.size()) {
        return r.bad = true, false;
      }
      return Skip(*node.branches[static_cast<size_t>(branch)], r, depth + 1);
    }
    case Kind::kRecord:
      for (const avro::AvroNode::Field& field : node.fields) {
        if (!Skip(*field.type, r, depth + 1)) return false;
      }
      break;
    case Kind::kArray:
    case Kind::kMap:
      r.Items([&] {
        if (node.kind == Kind::kMap) r.Take(r.Long());
        Skip(*node.items, r, depth + 1);
      });
      break;
  }
  return !r.bad;
}

int32_t ConfluentSchemaId(std::string_view framed) {
  const auto* b = reinterpret_cast<const uint8_t*>(framed.data());
  return static_cast<int32_t>((uint32_t{b[1]} << 24) | (uint32_t{b[2]} << 16) |
                              (uint32_t{b[3]} << 8) | uint32_t{b[4]});
}

}  // namespace vimur::sink
