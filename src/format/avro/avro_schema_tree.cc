#include "format/avro/avro_schema_tree.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

namespace vimur::avro {

using Json = nlohmann::ordered_json;
using Kind = AvroNode::Kind;

const char* AvroKindName(Kind kind) {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kBoolean: return "boolean";
    case Kind::kInt: return "int";
    case Kind::kLong: return "long";
    case Kind::kFloat: return "float";
    case Kind::kDouble: return "double";
    case Kind::kBytes: return "bytes";
    case Kind::kString: return "string";
    case Kind::kRecord: return "record";
    case Kind::kEnum: return "enum";
    case Kind::kArray: return "array";
    case Kind::kMap: return "map";
    case Kind::kUnion: return "union";
    case Kind::kFixed: return "fixed";
  }
  return "unknown";
}

std::string_view AvroNode::short_name() const {
  std::string_view n = full_name;
  size_t dot = n.rfind('.');
  return dot == std::string_view::npos ? n : n.substr(dot + 1);
}

namespace {

std::optional<Kind> PrimitiveKind(std::string_view name) {
  static const std::pair<const char*, Kind> kPrimitives[] = {
      {"null", Kind::kNull},   {"boolean", Kind::kBoolean}, {"int", Kind::kInt},
      {"long", Kind::kLong},   {"float", Kind::kFloat},     {"double", Kind::kDouble},
      {"bytes", Kind::kBytes}, {"string", Kind::kString}};
  for (const auto& [n, k] : kPrimitives) {
    if (name == n) return k;
  }
  return std::nullopt;
}

bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool ValidFullName(std::string_view n) {
  size_t start = 0;
  while (true) {
    size_t dot = n.find('.', start);
    if (!ValidName(n.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

class AvroSchemaParser {
 public:
  explicit AvroSchemaParser(AvroSchema* out) : out_(out) {}

  Result<const AvroNode*> Parse(const Json& j, const std::string& ns, const std::string& where) {
    // Bounded nesting: a hostile schema must not exhaust the stack.
    if (depth_ >= kMaxDepth) return Error(where, "at most 256 levels of nesting");
    ++depth_;
    Result<const AvroNode*> r = ParseNested(j, ns, where);
    --depth_;
    return r;
  }

 private:
  static constexpr int kMaxDepth = 256;

  Result<const AvroNode*> ParseNested(const Json& j, const std::string& ns,
                                      const std::string& where) {
    if (j.is_string()) return Reference(j.get<std::string>(), ns, where);
    if (j.is_array()) return Union(j, ns, where);
    if (!j.is_object()) return Error(where, "a type name, an object or a union array");
    auto type_it = j.find("type");
    if (type_it == j.end()) return Error(where, "a \"type\" attribute");
    if (!type_it->is_string()) return Parse(*type_it, ns, where);  // {"type": {...}}
    std::string type = type_it->get<std::string>();
    if (auto k = PrimitiveKind(type)) return New(*k);
    if (type == "record" || type == "error") return Record(j, ns, where);
    if (type == "enum") return Enum(j, ns, where);
    if (type == "fixed") return Fixed(j, ns, where);
    if (type == "array" || type == "map") {
      const char* attr = type == "array" ? "items" : "values";
      auto it = j.find(attr);
      if (it == j.end()) return Error(where, std::string("an \"") + attr + "\" attribute");
      VIMUR_ASSIGN_OR_RETURN(const AvroNode* inner, Parse(*it, ns, where + "." + attr));
      AvroNode* n = New(type == "array" ? Kind::kArray : Kind::kMap);
      n->items = inner;
      return static_cast<const AvroNode*>(n);
    }
    return Reference(type, ns, where);
  }

  static Status Error(const std::string& where, const std::string& expected) {
    return Status::InvalidArgument("invalid Avro schema at " + where + ": expected " + expected);
  }

  AvroNode* New(Kind kind) {
    out_->nodes_.push_back(std::make_unique<AvroNode>());
    out_->nodes_.back()->kind = kind;
    return out_->nodes_.back().get();
  }

  Result<const AvroNode*> Reference(const std::string& name, const std::string& ns,
                                    const std::string& where) {
    if (auto k = PrimitiveKind(name)) return static_cast<const AvroNode*>(New(*k));
    std::string full = name.find('.') == std::string::npos && !ns.empty() ? ns + "." + name : name;
    auto it = named_.find(full);
    if (it == named_.end()) it = named_.find(name);
    if (it == named_.end()) return Error(where, "a known type, '" + name + "' is not defined");
    return static_cast<const AvroNode*>(it->second);
  }

  Result<const AvroNode*> Union(const Json& j, const std::string& ns, const std::string& where) {
    AvroNode* n = New(Kind::kUnion);
    std::set<std::string> seen;
    for (size_t i = 0; i < j.size(); ++i) {
      std::string w = where + "[" + std::to_string(i) + "]";
      VIMUR_ASSIGN_OR_RETURN(const AvroNode* b, Parse(j[i], ns, w));
      if (b->kind == Kind::kUnion) return Error(w, "a non-union type (unions may not nest)");
      std::string key = b->full_name.empty() ? AvroKindName(b->kind) : b->full_name;
      if (!seen.insert(key).second) return Error(w, "a type not already in the union");
      n->branches.push_back(b);
    }
    return static_cast<const AvroNode*>(n);
  }

  // Names a named type and registers it; returns its namespace for nested definitions.
  Result<std::string> Name(const Json& j, const std::string& ns, const std::string& where,
                           AvroNode* n) {
    auto name_it = j.find("name");
    if (name_it == j.end() || !name_it->is_string()) return Error(where, "a \"name\" string");
    std::string name = name_it->get<std::string>();
    std::string space = ns;
    if (auto it = j.find("namespace"); it != j.end() && it->is_string()) {
      space = it->get<std::string>();
    }
    std::string full =
        name.find('.') != std::string::npos || space.empty() ? name : space + "." + name;
    if (!ValidFullName(full))
      return Error(where + ".name", "a valid Avro name, got '" + full + "'");
    if (PrimitiveKind(full)) return Error(where + ".name", "a name that is not a primitive type");
    if (!named_.emplace(full, n).second) {
      return Error(where + ".name", "a name not defined twice ('" + full + "')");
    }
    n->full_name = full;
    size_t dot = full.rfind('.');
    std::string inner = dot == std::string::npos ? "" : full.substr(0, dot);
    if (auto it = j.find("aliases"); it != j.end() && it->is_array()) {
      for (const auto& a : *it) {
        if (!a.is_string()) return Error(where + ".aliases", "strings");
        std::string alias = a.get<std::string>();
        n->aliases.push_back(
            alias.find('.') == std::string::npos && !inner.empty() ? inner + "." + alias : alias);
      }
    }
    return inner;
  }

  Result<const AvroNode*> Record(const Json& j, const std::string& ns, const std::string& where) {
    AvroNode* n = New(Kind::kRecord);
    VIMUR_ASSIGN_OR_RETURN(std::string inner, Name(j, ns, where, n));
    auto fields = j.find("fields");
    if (fields == j.end() || !fields->is_array()) return Error(where, "a \"fields\" array");
    std::set<std::string> names;
    for (size_t i = 0; i < fields->size(); ++i) {
      const Json& f = (*fields)[i];
      std::string w = where + ".fields[" + std::to_string(i) + "]";
      if (!f.is_object()) return Error(w, "a field object");
      auto name = f.find("name");
      if (name == f.end() || !name->is_string() || !ValidName(name->get<std::string>())) {
        return Error(w, "a valid field \"name\"");
      }
      AvroNode::Field field;
      field.name = name->get<std::string>();
      w = where + "." + field.name;
      if (!names.insert(field.name).second) return Error(w, "a field name used once");
      auto type = f.find("type");
      if (type == f.end()) return Error(w, "a \"type\"");
      VIMUR_ASSIGN_OR_RETURN(field.type, Parse(*type, inner, w));
      if (auto d = f.find("default"); d != f.end()) {
        field.has_default = true;
        if (!DefaultMatches(*d, *field.type)) {
          return Error(w + ".default", std::string("a default of the field's type (") +
                                           AvroKindName(field.type->kind) + "), got " + d->dump());
        }
      }
      if (auto a = f.find("aliases"); a != f.end() && a->is_array()) {
        for (const auto& alias : *a) {
          if (alias.is_string()) field.aliases.push_back(alias.get<std::string>());
        }
      }
      n->fields.push_back(std::move(field));
    }
    return static_cast<const AvroNode*>(n);
  }

  Result<const AvroNode*> Enum(const Json& j, const std::string& ns, const std::string& where) {
    AvroNode* n = New(Kind::kEnum);
    VIMUR_RETURN_IF_ERROR(Name(j, ns, where, n).status());
    auto symbols = j.find("symbols");
    if (symbols == j.end() || !symbols->is_array()) return Error(where, "a \"symbols\" array");
    std::set<std::string> seen;
    for (const auto& s : *symbols) {
      if (!s.is_string() || !ValidName(s.get<std::string>()) ||
          !seen.insert(s.get<std::string>()).second) {
        return Error(where + ".symbols", "distinct valid symbol names");
      }
      n->symbols.push_back(s.get<std::string>());
    }
    if (auto d = j.find("default"); d != j.end()) {
      if (!d->is_string() || !seen.count(d->get<std::string>())) {
        return Error(where + ".default", "one of the symbols");
      }
      n->has_enum_default = true;
    }
    return static_cast<const AvroNode*>(n);
  }

  Result<const AvroNode*> Fixed(const Json& j, const std::string& ns, const std::string& where) {
    AvroNode* n = New(Kind::kFixed);
    VIMUR_RETURN_IF_ERROR(Name(j, ns, where, n).status());
    auto size = j.find("size");
    if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
      return Error(where, "a non-negative integer \"size\"");
    }
    n->size = size->get<int64_t>();
    return static_cast<const AvroNode*>(n);
  }

  // The spec: a union's default matches its first branch.
  static bool DefaultMatches(const Json& d, const AvroNode& t) {
    switch (t.kind) {
      case Kind::kNull: return d.is_null();
      case Kind::kBoolean: return d.is_boolean();
      case Kind::kInt:
      case Kind::kLong: return d.is_number_integer();
      case Kind::kFloat:
      case Kind::kDouble: return d.is_number() || d.is_string();  // "NaN", "Infinity"
      case Kind::kBytes:
      case Kind::kString:
      case Kind::kFixed: return d.is_string();
      case Kind::kEnum:
        return d.is_string() && std::find(t.symbols.begin(), t.symbols.end(),
                                          d.get<std::string>()) != t.symbols.end();
      case Kind::kArray:
        if (!d.is_array()) return false;
        for (const auto& e : d) {
          if (!DefaultMatches(e, *t.items)) return false;
        }
        return true;
      case Kind::kMap:
        if (!d.is_object()) return false;
        for (const auto& [k, v] : d.items()) {
          if (!DefaultMatches(v, *t.items)) return false;
        }
        return true;
      case Kind::kRecord:
        if (!d.is_object()) return false;
        for (const auto& f : t.fields) {
          auto it = d.find(f.name);
          if (it == d.end() ? !f.has_default : !DefaultMatches(*it, *f.type)) return false;
        }
        return true;
      case Kind::kUnion: return !t.branches.empty() && DefaultMatches(d, *t.branches[0]);
    }
    return false;
  }

  AvroSchema* out_;
  std::map<std::string, AvroNode*> named_;
  int depth_ = 0;
};

Result<std::shared_ptr<const AvroSchema>> AvroSchema::Parse(std::string_view text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("invalid Avro schema: not JSON: ") + e.what());
  }
  auto schema = std::make_shared<AvroSchema>();
  AvroSchemaParser parser(schema.get());
  try {
    VIMUR_ASSIGN_OR_RETURN(schema->root_, parser.Parse(j, "", "the top level"));
    schema->compact_ = j.dump();
    schema->canonical_ = nlohmann::json::parse(text).dump();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("invalid Avro schema: ") + e.what());
  }
  return std::shared_ptr<const AvroSchema>(std::move(schema));
}

}  // namespace vimur::avro
