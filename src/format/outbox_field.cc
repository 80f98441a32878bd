#include "format/outbox_field.h"

#include <nlohmann/json.hpp>

#include "format/json_writer.h"

namespace vimur {

const char* OutboxConnectType(const Value& v) {
  switch (v.kind) {
    case ValueKind::kInt:
    case ValueKind::kUInt: return "int64";
    case ValueKind::kFloat:
    case ValueKind::kDouble: return "double";
    case ValueKind::kBool: return "boolean";
    case ValueKind::kBytes:
    case ValueKind::kGeometry: return "bytes";
    default: return "string";
  }
}

std::string OutboxAvroSchema(const Value& v) {
  const std::string connect = OutboxConnectType(v);
  if (connect == "int64") return "\"long\"";
  return "\"" + connect + "\"";
}

void AppendOutboxJson(const Value& v, bool schemas, bool expand_json, std::string* out) {
  JsonBuffer b;
  if (schemas) {
    b.Raw(R"({"schema":{"type":")");
    b.Raw(OutboxConnectType(v));
    b.Raw(R"(","optional":true},"payload":)");
  }
  switch (v.kind) {
    case ValueKind::kNull: b.Null(); break;
    case ValueKind::kBool: b.Bool(v.b); break;
    case ValueKind::kInt: b.Number(v.i); break;
    case ValueKind::kUInt: b.Number(v.u); break;
    case ValueKind::kFloat: b.Double(v.f); break;
    case ValueKind::kDouble: b.Double(v.d); break;
    case ValueKind::kBytes:
    case ValueKind::kGeometry: b.Base64(v.s); break;
    case ValueKind::kText:
      if (expand_json && nlohmann::json::accept(v.s)) {
        b.Raw(v.s);
      } else {
        b.String(v.s);
      }
      break;
    case ValueKind::kArray: b.Null(); break;  // refused before: no key or payload is an array
  }
  if (schemas) b.Char('}');
  out->assign(b.view());
}

}  // namespace vimur
